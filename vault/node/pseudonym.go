package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/vault/gate"
	datanfttypes "github.com/medchain/medchain/x/datanft/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// PseudonymPath is where a gated hospital vault vouches for pseudonyms.
const PseudonymPath = "/api/v1/pseudonym"

// MaxPseudonymsPerOwnerPerDay bounds the vouchings one record owner can get
// from this vault in 24 hours: each creates an account on chain at the
// hospital's expense.
const MaxPseudonymsPerOwnerPerDay = 5

// Voucher is a hospital vault's pseudonym service. The owner of a record
// the hospital (or one of its practitioners) issued sends a ticket of
// purpose "pseudonym", signed with the owner's key, naming a fresh address
// the owner derived (`medchaind keys pseudonym`); the vault checks with the
// chain that the signer owns the record and that the hospital issued it,
// and sends MsgVouchPseudonym as the hospital, with the record's issuer as
// producer. The chain sees the hospital, the pseudonym and the producer,
// never the record or the patient: only this hospital learns whose
// pseudonym it is, and it does not log it.
type Voucher struct {
	clientCtx client.Context
	txf       tx.Factory
	hospital  string
	gate      *gate.Gate
	now       func() time.Time

	mu     sync.Mutex
	recent map[string][]time.Time // owner -> vouchings in the last 24 h
}

// NewVoucher builds the pseudonym service from the node's client context:
// the hospital's key in the node's keyring signs the vouchings.
func NewVoucher(clientCtx client.Context, cfg Config, home string, log Logger) (*Voucher, error) {
	if cfg.HospitalKey == "" || cfg.Hospital == "" {
		return nil, fmt.Errorf("vouching for pseudonyms needs [vault] hospital and hospital-key")
	}
	clientCtx, txf, err := hospitalTx(clientCtx, cfg, home, log)
	if err != nil {
		return nil, err
	}
	return &Voucher{clientCtx: clientCtx, txf: txf, hospital: cfg.Hospital, now: time.Now, recent: map[string][]time.Time{}}, nil
}

// vouchResponse is the vault's answer to a vouching.
type vouchResponse struct {
	Pseudonym string `json:"pseudonym"`
	Hospital  string `json:"hospital"`
	Producer  string `json:"producer"`
	TxHash    string `json:"tx_hash"`
}

// ServeHTTP handles POST /api/v1/pseudonym.
func (v *Voucher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, msg string) { http.Error(w, msg, status) }
	if v.gate == nil {
		fail(http.StatusNotFound, "this vault has no access gate, so it cannot tell a record's owner: it does not vouch for pseudonyms")
		return
	}
	t, err := v.gate.AllowOwner(r, gate.PurposePseudonym)
	if err != nil {
		ge, _ := err.(*gate.GateError)
		if ge == nil {
			ge = &gate.GateError{Status: http.StatusInternalServerError, Msg: err.Error()}
		}
		fail(ge.Status, ge.Msg)
		return
	}
	pseudonym, err := sdk.AccAddressFromBech32(t.Pseudonym)
	switch {
	case err != nil:
		fail(http.StatusBadRequest, fmt.Sprintf("the ticket's pseudonym %q is not an account address", t.Pseudonym))
		return
	case pseudonym.String() == t.Reader:
		fail(http.StatusBadRequest, "the pseudonym is the owner's own address: derive one with `medchaind keys pseudonym`")
		return
	}
	producer, status, err := v.producerOf(r.Context(), t.RecordID, t.Reader)
	if err != nil {
		fail(status, err.Error())
		return
	}
	if !v.within(t.Reader) {
		fail(http.StatusTooManyRequests, fmt.Sprintf("this vault vouches for at most %d pseudonyms per owner a day", MaxPseudonymsPerOwnerPerDay))
		return
	}
	msg := &datanfttypes.MsgVouchPseudonym{Hospital: v.hospital, Pseudonym: t.Pseudonym, Producer: producer}
	hash, err := sendAsHospital(r.Context(), v.clientCtx, v.txf, msg, 30*time.Second)
	if err != nil {
		fail(http.StatusConflict, "the chain refused the vouching: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(vouchResponse{Pseudonym: t.Pseudonym, Hospital: v.hospital, Producer: producer, TxHash: hash})
}

// producerOf is the producer of owner's record id, when this hospital or
// one of its practitioners issued it: the issuer, or the hospital when
// the issuing practitioner is no longer ACTIVE. Otherwise it returns the
// HTTP status and why.
func (v *Voucher) producerOf(ctx context.Context, id uint64, owner string) (string, int, error) {
	rec, err := recordstypes.NewQueryClient(v.clientCtx).Record(ctx, &recordstypes.QueryRecordRequest{Id: id})
	if err != nil {
		return "", http.StatusServiceUnavailable, fmt.Errorf("could not ask the chain for record %d: %w", id, err)
	}
	switch {
	case rec.Record.Owner != owner:
		return "", http.StatusForbidden, fmt.Errorf("record %d is not %s's", id, owner)
	case rec.Record.Status != recordstypes.RecordStatusActive:
		return "", http.StatusForbidden, fmt.Errorf("record %d was redacted", id)
	case rec.Record.Issuer == v.hospital:
		return v.hospital, 0, nil
	}
	p, err := issuerstypes.NewQueryClient(v.clientCtx).Practitioner(ctx, &issuerstypes.QueryPractitionerRequest{Address: rec.Record.Issuer})
	if err != nil || p.Practitioner.Organisation != v.hospital {
		return "", http.StatusForbidden, fmt.Errorf("record %d was issued by %s, not by this hospital or its practitioners: ask the vault of the hospital that issued it", id, rec.Record.Issuer)
	}
	if p.Practitioner.Status != issuerstypes.PractitionerStatusActive {
		return v.hospital, 0, nil
	}
	return rec.Record.Issuer, 0, nil
}

// within counts a vouching for owner if it is within the daily bound.
func (v *Voucher) within(owner string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.now()
	var recent []time.Time
	for _, at := range v.recent[owner] {
		if now.Sub(at) < 24*time.Hour {
			recent = append(recent, at)
		}
	}
	if len(recent) >= MaxPseudonymsPerOwnerPerDay {
		v.recent[owner] = recent
		return false
	}
	v.recent[owner] = append(recent, now)
	return true
}
