package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Tables of the bridge's Store.
const (
	tablePatients = "patients" // issuer \x00 patient id -> Patient
	tableNonces   = "enrolment-nonces"
	tableStudies  = "studies" // owner \x00 study UID -> StudyRef
	tableIndexes  = "indexes" // record id / CID -> study.Index
)

// Patient maps the identifiers a hospital's systems use for a patient to
// the patient's account.
type Patient struct {
	PatientID string    `json:"patient_id"`
	Issuer    string    `json:"issuer,omitempty"` // IssuerOfPatientID; "" when the hospital uses one namespace
	Address   string    `json:"address"`
	Enrolled  time.Time `json:"enrolled"`
}

func patientKey(issuer, id string) string { return issuer + "\x00" + id }

// ErrUnknownPatient is returned for identifiers no patient enrolled with.
var ErrUnknownPatient = errors.New("unknown patient")

// Patients is the table of enrolled patients.
type Patients struct{ s *Store }

// Lookup returns the account of the patient the hospital knows as
// (issuer, id).
func (p Patients) Lookup(issuer, id string) (Patient, error) {
	var pt Patient
	err := p.s.Get(tablePatients, patientKey(issuer, id), &pt)
	if errors.Is(err, ErrNotFound) {
		return Patient{}, fmt.Errorf("%w: no patient enrolled at this hospital as PatientID %q%s", ErrUnknownPatient, id, issuerText(issuer))
	}
	return pt, err
}

func issuerText(issuer string) string {
	if issuer == "" {
		return ""
	}
	return fmt.Sprintf(" (IssuerOfPatientID %q)", issuer)
}

// Enrol records that (issuer, id) is the account of e, whose signature the
// caller has verified, and spends the code's nonce. An identifier already
// enrolled for another account is refused unless replace is set.
func (p Patients) Enrol(e Enrolment, issuer, id string, replace bool, now time.Time) (Patient, error) {
	id, issuer = strings.TrimSpace(id), strings.TrimSpace(issuer)
	if id == "" {
		return Patient{}, errors.New("a PatientID is needed to enrol")
	}
	if len(id) > 64 || len(issuer) > 256 {
		return Patient{}, errors.New("a patient id is at most 64 characters (DICOM LO), an issuer at most 256 (a FHIR identifier system URI)")
	}
	var used time.Time
	if err := p.s.Get(tableNonces, e.NonceKey(), &used); err == nil {
		return Patient{}, fmt.Errorf("this enrolment code was already used at %s: a code enrols once; the patient makes a new one", used.UTC().Format(time.RFC3339))
	} else if !errors.Is(err, ErrNotFound) {
		return Patient{}, err
	}
	if old, err := p.Lookup(issuer, id); err == nil && old.Address != e.Patient && !replace {
		return Patient{}, fmt.Errorf("PatientID %q%s is enrolled as %s already: give --replace to map it to %s instead", id, issuerText(issuer), old.Address, e.Patient)
	}
	if err := p.s.Put(tableNonces, e.NonceKey(), now); err != nil {
		return Patient{}, err
	}
	pt := Patient{PatientID: id, Issuer: issuer, Address: e.Patient, Enrolled: now.UTC()}
	return pt, p.s.Put(tablePatients, patientKey(issuer, id), pt)
}

// Remove forgets (issuer, id).
func (p Patients) Remove(issuer, id string) error {
	if _, err := p.Lookup(issuer, id); err != nil {
		return err
	}
	return p.s.Delete(tablePatients, patientKey(issuer, id))
}

// List returns every enrolled patient.
func (p Patients) List() ([]Patient, error) {
	var all []Patient
	err := p.s.Each(tablePatients, func(_ string, raw json.RawMessage) error {
		var pt Patient
		if err := json.Unmarshal(raw, &pt); err != nil {
			return err
		}
		all = append(all, pt)
		return nil
	})
	return all, err
}

// ErrNoConsent is returned when the patient's grants do not allow what
// was asked.
var ErrNoConsent = errors.New("no consent")

// NewPatients is the patient table kept in store.
func NewPatients(store *Store) Patients { return Patients{store} }

// Enrol checks an enrolment code with the chain (the patient's public key)
// and, if it holds, enrols the patient as (issuer, id) in patients.
func Enrol(ctx context.Context, chain Chain, patients Patients, code, issuer, id string, replace bool, now time.Time) (Patient, error) {
	e, err := ParseEnrolmentCode(code, chain.ChainID(), chain.Self(), chain.Bech32Prefix())
	if err != nil {
		return Patient{}, err
	}
	pub, err := chain.PubKey(ctx, e.Patient)
	if err != nil {
		return Patient{}, err
	}
	if err := e.Verify(pub, now); err != nil {
		return Patient{}, err
	}
	return patients.Enrol(e, issuer, id, replace, now)
}
