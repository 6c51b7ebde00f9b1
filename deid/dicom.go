package deid

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sort"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Action is what the profile does to an attribute.
type Action int

const (
	// Remove drops the attribute (PS3.15 action X).
	Remove Action = iota
	// Empty keeps the attribute with an empty value (action Z: type 2
	// attributes must be present).
	Empty
	// RemapUID replaces the UID with its keyed remapping (action U).
	RemapUID
)

// DICOMRules are the attributes de-identification changes, with the
// action of each.
var DICOMRules = map[tag.Tag]Action{
	tag.PatientName:                   Empty,
	tag.PatientID:                     Empty,
	tag.PatientBirthDate:              Empty,
	tag.PatientSex:                    Empty,
	tag.OtherPatientIDs:               Remove,
	tag.OtherPatientIDsSequence:       Remove,
	tag.OtherPatientNames:             Remove,
	tag.PatientBirthName:              Remove,
	tag.PatientMotherBirthName:        Remove,
	tag.PatientAddress:                Remove,
	tag.PatientTelephoneNumbers:       Remove,
	tag.PatientAge:                    Remove,
	tag.AccessionNumber:               Empty,
	tag.ReferringPhysicianName:        Empty,
	tag.PerformingPhysicianName:       Remove,
	tag.NameOfPhysiciansReadingStudy:  Remove,
	tag.PhysiciansOfRecord:            Remove,
	tag.OperatorsName:                 Remove,
	tag.InstitutionName:               Remove,
	tag.InstitutionAddress:            Remove,
	tag.InstitutionalDepartmentName:   Remove,
	tag.StationName:                   Remove,
	tag.DeviceSerialNumber:            Remove,
	tag.StudyID:                       Empty,
	tag.StudyInstanceUID:              RemapUID,
	tag.SeriesInstanceUID:             RemapUID,
	tag.SOPInstanceUID:                RemapUID,
	tag.MediaStorageSOPInstanceUID:    RemapUID,
	tag.FrameOfReferenceUID:           RemapUID,
	tag.ReferencedSOPInstanceUID:      RemapUID,
	tag.ReferencedFrameOfReferenceUID: RemapUID,
}

// DeidentificationMethod is written to (0012,0063).
const DeidentificationMethod = "PS3.15 Annex E Basic Application Level Confidentiality Profile (medchain deid)"

// Report says what DICOM changed.
type Report struct {
	Removed  []tag.Tag // attributes dropped, private ones and overlays included
	Emptied  []tag.Tag
	Remapped int // UID values replaced
}

// ErrNotDICOM is returned for input that does not parse as DICOM Part 10.
var ErrNotDICOM = errors.New("not a DICOM Part 10 file")

// DICOM reads a DICOM Part 10 file of size bytes from r and writes its
// de-identified copy to w. uidKey keys the UID remapping: give the same
// key for every file of a study. The whole data set is held in memory
// while it is rewritten.
func DICOM(r io.Reader, size int64, w io.Writer, uidKey []byte) (Report, error) {
	if len(uidKey) < 16 {
		return Report{}, errors.New("deid: the UID key must have at least 16 bytes")
	}
	ds, err := dicom.Parse(r, size, nil)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrNotDICOM, err)
	}
	var rep Report
	ds.Elements = apply(ds.Elements, uidKey, &rep)
	for _, add := range []struct {
		t tag.Tag
		v string
	}{{tag.PatientIdentityRemoved, "YES"}, {tag.DeidentificationMethod, DeidentificationMethod}} {
		e, err := dicom.NewElement(add.t, []string{add.v})
		if err != nil {
			return Report{}, err
		}
		ds.Elements = append(ds.Elements, e)
	}
	// Keep ascending tag order, as Part 10 requires, after the additions.
	sort.SliceStable(ds.Elements, func(i, j int) bool { return less(ds.Elements[i].Tag, ds.Elements[j].Tag) })
	if err := dicom.Write(w, ds, dicom.SkipVRVerification()); err != nil {
		return Report{}, fmt.Errorf("deid: writing the de-identified file: %w", err)
	}
	return rep, nil
}

func less(a, b tag.Tag) bool {
	if a.Group != b.Group {
		return a.Group < b.Group
	}
	return a.Element < b.Element
}

// apply de-identifies a list of elements, descending into sequences.
func apply(elems []*dicom.Element, key []byte, rep *Report) []*dicom.Element {
	out := elems[:0]
	for _, e := range elems {
		t := e.Tag
		switch {
		case t == tag.PatientIdentityRemoved || t == tag.DeidentificationMethod:
			continue // written afresh
		case tag.IsPrivate(t.Group):
			rep.Removed = append(rep.Removed, t)
			continue
		case t.Group >= 0x6000 && t.Group <= 0x60FF && t.Group%2 == 0:
			rep.Removed = append(rep.Removed, t) // overlays
			continue
		}
		switch action, ok := DICOMRules[t]; {
		case !ok:
		case action == Remove:
			rep.Removed = append(rep.Removed, t)
			continue
		case action == Empty:
			if v, err := dicom.NewValue([]string{""}); err == nil {
				e.Value = v
				rep.Emptied = append(rep.Emptied, t)
			}
		case action == RemapUID:
			if uids, ok := e.Value.GetValue().([]string); ok {
				mapped := make([]string, len(uids))
				for i, u := range uids {
					mapped[i] = remapUID(key, u)
				}
				if v, err := dicom.NewValue(mapped); err == nil {
					e.Value = v
					rep.Remapped += len(mapped)
				}
			}
		}
		if e.Value != nil && e.Value.ValueType() == dicom.Sequences {
			for _, item := range e.Value.GetValue().([]*dicom.SequenceItemValue) {
				inner := item.GetValue().([]*dicom.Element)
				kept := apply(inner, key, rep)
				*item = *mustItem(kept)
			}
		}
		out = append(out, e)
	}
	return out
}

// mustItem rebuilds a sequence item from its remaining elements.
func mustItem(elems []*dicom.Element) *dicom.SequenceItemValue {
	v, err := dicom.NewValue([][]*dicom.Element{elems})
	if err != nil {
		panic(err) // a list of elements is always a valid sequence
	}
	return v.GetValue().([]*dicom.SequenceItemValue)[0]
}

// remapUID derives a new UID under the 2.25 root (UUID-derived UIDs, PS3.5
// B.2) from HMAC-SHA-256(key, uid): 128 bits, as decimal.
func remapUID(key []byte, uid string) string {
	if uid == "" {
		return ""
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(uid))
	n := new(big.Int).SetBytes(m.Sum(nil)[:16])
	return "2.25." + n.String()
}
