package medclient

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/envelope"
	accesstypes "github.com/medchain/medchain/x/access/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Emergency access, from the client's side: the patient builds a policy
// (BuildEmergencyPolicy), a custodian hospital releases its share to a
// practitioner who broke the glass (BuildShareRelease), and the
// practitioner recovers the emergency key from the released shares
// (RecoverEmergencyKey), which OpenRecordKey does by itself when
// CheckAccess answers through an emergency access.

// EmergencyPolicyOf returns owner's emergency policy, or found false.
func EmergencyPolicyOf(ctx context.Context, clientCtx client.Context, owner string) (accesstypes.EmergencyPolicy, bool, error) {
	resp, err := accesstypes.NewQueryClient(clientCtx).EmergencyPolicy(ctx, &accesstypes.QueryEmergencyPolicyRequest{Patient: owner})
	if status.Code(err) == codes.NotFound {
		return accesstypes.EmergencyPolicy{}, false, nil
	}
	if err != nil {
		return accesstypes.EmergencyPolicy{}, false, fmt.Errorf("the emergency policy of %s: %w", owner, err)
	}
	return resp.Policy, true, nil
}

// withEmergencyReader appends owner's emergency reader to readers when
// owner has an emergency policy that is not spent: x/access requires its
// wrap on every new record key then, and refuses one once a break-glass
// has spent the policy's key.
func withEmergencyReader(ctx context.Context, clientCtx client.Context, owner string, readers []string) ([]string, error) {
	p, found, err := EmergencyPolicyOf(ctx, clientCtx, owner)
	if err != nil || !found || p.IsSpent() {
		return readers, err
	}
	return append(readers, p.EmergencyReader), nil
}

// SpentNotice says what a spent policy means for its patient: who used
// the emergency key, that new records are not wrapped to it, and how to
// renew it; "" for a policy that is not spent.
func SpentNotice(p accesstypes.EmergencyPolicy) string {
	if !p.IsSpent() {
		return ""
	}
	when := ""
	if p.SpentAt != nil {
		when = " on " + p.SpentAt.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("the emergency key of %s was used by emergency access %d%s (`medchaind query access emergency %d`) and is spent: "+
		"new records are not wrapped to it, so no break-glass or key recovery opens them. %s must renew it: "+
		"`medchaind tx access set-emergency-policy --custodians N --threshold T --from %s`",
		p.Patient, p.SpentBy, when, p.SpentBy, p.Patient, p.Patient)
}

// SpentEmergencyNotice is SpentNotice for owner's policy: "" when owner
// has no policy or an unspent one.
func SpentEmergencyNotice(ctx context.Context, clientCtx client.Context, owner string) (string, error) {
	p, found, err := EmergencyPolicyOf(ctx, clientCtx, owner)
	if err != nil || !found {
		return "", err
	}
	return SpentNotice(p), nil
}

// ActiveHospitals lists the ACTIVE hospitals on chain.
func ActiveHospitals(ctx context.Context, clientCtx client.Context) ([]string, error) {
	qc := issuerstypes.NewQueryClient(clientCtx)
	var out []string
	err := EachPage(func(page *query.PageRequest) (*query.PageResponse, error) {
		resp, err := qc.Issuers(ctx, &issuerstypes.QueryIssuersRequest{Pagination: page})
		if err != nil {
			return nil, err
		}
		for _, i := range resp.Issuers {
			if i.Kind == issuerstypes.IssuerKindHospital && i.Status == issuerstypes.IssuerStatusActive {
				out = append(out, i.Address)
			}
		}
		return resp.Pagination, nil
	})
	return out, err
}

// DrawCustodians picks n of the ACTIVE hospitals with a registered
// encryption key at random, leaving out exclude (the patient).
func DrawCustodians(ctx context.Context, clientCtx client.Context, n int, exclude string) ([]string, error) {
	active, err := ActiveHospitals(ctx, clientCtx)
	if err != nil {
		return nil, fmt.Errorf("listing the active hospitals: %w", err)
	}
	var all, keyless []string
	for _, a := range active {
		if a == exclude {
			continue
		}
		if _, err := EncryptionKeyOf(ctx, clientCtx, a); err != nil {
			keyless = append(keyless, a)
			continue
		}
		all = append(all, a)
	}
	if len(all) < n {
		msg := fmt.Sprintf("%d custodians asked for, but the chain has %d active hospitals with an encryption key", n, len(all))
		if len(keyless) > 0 {
			msg += fmt.Sprintf(" (%s registered none yet)", strings.Join(keyless, ", "))
		}
		return nil, errors.New(msg)
	}
	rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	return all[:n], nil
}

// BuildEmergencyPolicy makes patient's emergency policy: a fresh emergency
// secret split threshold-of-len(custodians), each share sealed to its
// custodian's current encryption key, and the key of every ACTIVE record of
// the patient (opened with kp, the patient's key pair) wrapped to the new
// emergency key, in record-id order. SplitEmergencyPolicy cuts it into the
// messages the chain's max_wraps_per_msg allows.
func BuildEmergencyPolicy(ctx context.Context, clientCtx client.Context, kp *envelope.KeyPair, patient string, custodians []string, threshold int) (*accesstypes.MsgSetEmergencyPolicy, error) {
	secret := envelope.NewEmergencySecret()
	shares, commitments, err := secret.Split(threshold, len(custodians))
	if err != nil {
		return nil, err
	}
	ekp, err := secret.KeyPair()
	if err != nil {
		return nil, err
	}
	msg := &accesstypes.MsgSetEmergencyPolicy{Patient: patient, Threshold: uint32(threshold), PublicKey: ekp.PublicKey(), Commitments: commitments}
	for i, c := range custodians {
		key, err := EncryptionKeyOf(ctx, clientCtx, c)
		if err != nil {
			return nil, fmt.Errorf("custodian %s: %w", c, err)
		}
		ct, err := envelope.SealShare(key.PublicKey, shares[i], envelope.ShareBinding{
			ChainID: clientCtx.ChainID, Patient: patient, EmergencyKeyID: ekp.KeyID(), Custodian: c, Index: uint32(i + 1),
		}, false)
		if err != nil {
			return nil, fmt.Errorf("sealing share %d to %s: %w", i+1, c, err)
		}
		msg.Shares = append(msg.Shares, accesstypes.SealedShare{Custodian: c, KeyId: key.KeyId, Ciphertext: ct})
	}
	reader, err := emergencyReaderOf(clientCtx, patient)
	if err != nil {
		return nil, err
	}
	emergencyKey := accesstypes.EncryptionKey{Owner: reader, KeyId: ekp.KeyID(), PublicKey: ekp.PublicKey()}
	err = eachActiveRecord(ctx, clientCtx, patient, func(r recordstypes.Record) error {
		w, err := wrapToEmergencyKey(ctx, clientCtx, kp, patient, r.Id, emergencyKey)
		msg.Wraps = append(msg.Wraps, w)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("wrapping your records to the emergency key: %w", err)
	}
	return msg, nil
}

func emergencyReaderOf(clientCtx client.Context, patient string) (string, error) {
	ac := clientCtx.InterfaceRegistry.SigningContext().AddressCodec()
	bz, err := ac.StringToBytes(patient)
	if err != nil {
		return "", fmt.Errorf("patient %q: %w", patient, err)
	}
	return ac.BytesToString(accesstypes.EmergencyReader(bz))
}

// ErrNotCustodian means the account holds no share of the access's policy.
var ErrNotCustodian = errors.New("not a custodian of this emergency policy")

// release is what a custodian releases its share for: an emergency access
// (to the practitioner) or a key recovery (to the new owner).
type release struct {
	what           string // "emergency access 4", "recovery 2"
	patient        string
	emergencyKeyID string
	recipient      string
	recipientKeyID string
	request        uint64
	recovery       bool
}

func emergencyRelease(a accesstypes.EmergencyAccess) release {
	return release{what: fmt.Sprintf("emergency access %d", a.Id), patient: a.Patient, emergencyKeyID: a.EmergencyKeyId,
		recipient: a.Practitioner, recipientKeyID: a.PractitionerKeyId, request: a.Id}
}

func recoveryRelease(r accesstypes.Recovery) release {
	return release{what: fmt.Sprintf("recovery %d", r.Id), patient: r.Patient, emergencyKeyID: r.EmergencyKeyId,
		recipient: r.NewOwner, recipientKeyID: r.NewOwnerKeyId, request: r.Id, recovery: true}
}

func (rl release) binding(chainID, custodian string, index uint32) envelope.ShareBinding {
	return envelope.ShareBinding{ChainID: chainID, Patient: rl.patient, EmergencyKeyID: rl.emergencyKeyID, Custodian: custodian, Index: index,
		Recipient: rl.recipient, Request: rl.request, Recovery: rl.recovery}
}

// sealRelease opens the custodian's share with kp (the hospital's key
// pair), checks it against the policy's commitments and re-seals it to the
// recipient's key named in the request.
func sealRelease(ctx context.Context, clientCtx client.Context, kp *envelope.KeyPair, custodian string, rl release) ([]byte, error) {
	policy, found, err := EmergencyPolicyOf(ctx, clientCtx, rl.patient)
	if err != nil {
		return nil, err
	}
	if !found || policy.KeyId != rl.emergencyKeyID {
		return nil, fmt.Errorf("%s: the patient's policy changed or was withdrawn since it was opened", rl.what)
	}
	index := policy.CustodianIndex(custodian)
	if index == 0 {
		return nil, fmt.Errorf("%s: %s: %w", rl.what, custodian, ErrNotCustodian)
	}
	own := envelope.ShareBinding{ChainID: clientCtx.ChainID, Patient: rl.patient, EmergencyKeyID: policy.KeyId, Custodian: custodian, Index: index}
	share, err := envelope.OpenShare(kp, policy.Shares[index-1].Ciphertext, own, false, policy.Commitments)
	if err != nil {
		return nil, fmt.Errorf("%s: opening your share: %w", rl.what, err)
	}
	keys, err := accesstypes.NewQueryClient(clientCtx).EncryptionKeys(ctx, &accesstypes.QueryEncryptionKeysRequest{Address: rl.recipient})
	if err != nil {
		return nil, fmt.Errorf("the keys of %s: %w", rl.recipient, err)
	}
	var pub []byte
	for _, k := range keys.Keys {
		if k.KeyId == rl.recipientKeyID {
			pub = k.PublicKey
		}
	}
	if pub == nil {
		return nil, fmt.Errorf("%s: %s has no key %s", rl.what, rl.recipient, rl.recipientKeyID)
	}
	return envelope.SealShare(pub, share, rl.binding(clientCtx.ChainID, custodian, index), true)
}

// BuildShareRelease is what a custodian hospital sends for an open
// emergency access: its share of the patient's secret, opened with kp (the
// hospital's key pair), checked against the policy's commitments, and
// re-sealed to the key the practitioner had when breaking the glass.
func BuildShareRelease(ctx context.Context, clientCtx client.Context, kp *envelope.KeyPair, custodian string, access accesstypes.EmergencyAccess) (*accesstypes.MsgReleaseShare, error) {
	ct, err := sealRelease(ctx, clientCtx, kp, custodian, emergencyRelease(access))
	if err != nil {
		return nil, err
	}
	return &accesstypes.MsgReleaseShare{Custodian: custodian, AccessId: access.Id, Ciphertext: ct}, nil
}

// BuildRecoveryApproval is what a custodian hospital sends to approve a
// key recovery, once it has made sure off chain that the new account is
// the patient's: its share re-sealed to the new account's key.
func BuildRecoveryApproval(ctx context.Context, clientCtx client.Context, kp *envelope.KeyPair, custodian string, r accesstypes.Recovery) (*accesstypes.MsgApproveRecovery, error) {
	ct, err := sealRelease(ctx, clientCtx, kp, custodian, recoveryRelease(r))
	if err != nil {
		return nil, err
	}
	return &accesstypes.MsgApproveRecovery{Custodian: custodian, RecoveryId: r.Id, Ciphertext: ct}, nil
}

// ReleaseShareFor looks up emergency access id and builds the custodian's
// release for it (BuildShareRelease), refusing one whose window has
// closed: the chain accepts no share after it.
func ReleaseShareFor(ctx context.Context, clientCtx client.Context, kp *envelope.KeyPair, custodian string, id uint64) (*accesstypes.MsgReleaseShare, error) {
	resp, err := accesstypes.NewQueryClient(clientCtx).EmergencyAccess(ctx, &accesstypes.QueryEmergencyAccessRequest{Id: id})
	if err != nil {
		return nil, fmt.Errorf("emergency access %d: %w", id, err)
	}
	if !resp.Open {
		return nil, fmt.Errorf("emergency access %d closed at %s: no share is released after its window", id, resp.Access.ExpiresAt.UTC())
	}
	return BuildShareRelease(ctx, clientCtx, kp, custodian, resp.Access)
}

// ApproveRecoveryFor looks up key recovery id and builds the custodian's
// approval of it (BuildRecoveryApproval), refusing one that is no longer
// pending (completed, cancelled, superseded or lapsed).
func ApproveRecoveryFor(ctx context.Context, clientCtx client.Context, kp *envelope.KeyPair, custodian string, id uint64) (*accesstypes.MsgApproveRecovery, error) {
	resp, err := accesstypes.NewQueryClient(clientCtx).Recovery(ctx, &accesstypes.QueryRecoveryRequest{Id: id})
	if err != nil {
		return nil, fmt.Errorf("recovery %d: %w", id, err)
	}
	if !resp.Recovery.IsPending(ChainTime(ctx, clientCtx)) {
		return nil, fmt.Errorf("recovery %d is %s (lapsing at %s); there is nothing to approve", id, resp.Recovery.Status, resp.Recovery.ExpiresAt.UTC())
	}
	return BuildRecoveryApproval(ctx, clientCtx, kp, custodian, resp.Recovery)
}

// recoverKey opens the released shares with kp (the recipient's key pair),
// checks each against the policy and recovers the emergency key pair.
func recoverKey(clientCtx client.Context, kp *envelope.KeyPair, rl release, releases []accesstypes.ShareRelease, threshold uint32, commitments [][]byte, open bool) (*envelope.KeyPair, error) {
	if threshold == 0 {
		return nil, fmt.Errorf("%s: the patient's policy changed or was withdrawn since it was opened", rl.what)
	}
	var shares []envelope.Share
	var refused []string
	for _, r := range releases {
		sh, err := envelope.OpenShare(kp, r.Ciphertext, rl.binding(clientCtx.ChainID, r.Custodian, r.Index), true, commitments)
		if err != nil {
			refused = append(refused, fmt.Sprintf("%s: %v", r.Custodian, err))
			continue
		}
		shares = append(shares, sh)
	}
	if len(shares) < int(threshold) {
		msg := fmt.Sprintf("%s: %d of the %d custodian shares needed have been released", rl.what, len(shares), threshold)
		if len(refused) > 0 {
			msg += fmt.Sprintf(" (%d refused: %v)", len(refused), refused)
		}
		switch {
		case !open:
			msg += "; it is closed"
		case rl.recovery:
			msg += "; each custodian hospital approves once it has made sure the new account is the patient's"
		default:
			msg += "; the custodian hospitals' nodes release automatically within a few blocks, or their operators release by hand"
		}
		return nil, fmt.Errorf("%s: %w", msg, ErrNotEnoughShares)
	}
	secret, err := envelope.RecoverSecret(shares, commitments, rl.emergencyKeyID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rl.what, err)
	}
	return secret.KeyPair()
}

// RecoverEmergencyKey opens the shares custodians released for emergency
// access accessID with kp (the practitioner's key pair), checks each
// against the policy, and recovers the patient's emergency key pair. With
// fewer than the threshold of good shares it says how many there are.
func RecoverEmergencyKey(ctx context.Context, clientCtx client.Context, kp *envelope.KeyPair, accessID uint64) (*envelope.KeyPair, error) {
	resp, err := accesstypes.NewQueryClient(clientCtx).EmergencyAccess(ctx, &accesstypes.QueryEmergencyAccessRequest{Id: accessID})
	if err != nil {
		return nil, fmt.Errorf("emergency access %d: %w", accessID, err)
	}
	return recoverKey(clientCtx, kp, emergencyRelease(resp.Access), resp.Access.Releases, resp.Threshold, resp.Commitments, resp.Open)
}

// BuildCompleteRecovery is the new owner's completion of recovery id: it
// recovers the patient's emergency key from the custodians' approvals with
// kp (the new owner's key pair), opens the emergency wrap of every ACTIVE
// record the patient still owns (all of them, or those after the cursor of
// a recovery already moving) and re-seals the record key, and the label,
// to the new owner, in record-id order. SplitRecovery cuts it into the
// messages the chain's max_wraps_per_msg allows.
func BuildCompleteRecovery(ctx context.Context, clientCtx client.Context, kp *envelope.KeyPair, id uint64) (*accesstypes.MsgCompleteRecovery, error) {
	qc := accesstypes.NewQueryClient(clientCtx)
	resp, err := qc.Recovery(ctx, &accesstypes.QueryRecoveryRequest{Id: id})
	if err != nil {
		return nil, fmt.Errorf("recovery %d: %w", id, err)
	}
	r := resp.Recovery
	ekp, err := recoverKey(clientCtx, kp, recoveryRelease(r), r.Approvals, resp.Threshold, resp.Commitments, r.IsPending(ChainTime(ctx, clientCtx)))
	if err != nil {
		return nil, err
	}
	reader, err := emergencyReaderOf(clientCtx, r.Patient)
	if err != nil {
		return nil, err
	}
	me, err := EncryptionKeyOf(ctx, clientCtx, r.NewOwner)
	if err != nil {
		return nil, err
	}
	msg := &accesstypes.MsgCompleteRecovery{NewOwner: r.NewOwner, RecoveryId: id, Records: []accesstypes.RecoveredRecord{}}
	err = eachActiveRecord(ctx, clientCtx, r.Patient, func(rec recordstypes.Record) error {
		w, err := qc.Wrap(ctx, &accesstypes.QueryWrapRequest{RecordId: rec.Id, Reader: reader})
		if err != nil {
			return fmt.Errorf("record %d: the emergency wrap: %w", rec.Id, err)
		}
		epoch := Epoch{ChainID: clientCtx.ChainID, Anchor: rec.EpochCid, RecordID: rec.Id, KeyEpoch: rec.KeyEpoch}
		raw, err := envelope.Unwrap(ekp, envelope.WrapInfo{KeyID: w.Wrap.KeyId, KeyEpoch: w.Wrap.KeyEpoch, Ciphertext: w.Wrap.Ciphertext},
			envelope.Binding{ChainID: epoch.ChainID, Anchor: epoch.Anchor, RecordID: rec.Id, KeyEpoch: rec.KeyEpoch, Grantee: reader})
		if err != nil {
			return fmt.Errorf("record %d: %w", rec.Id, err)
		}
		key, err := envelope.ParseRecordKey(raw)
		if err != nil {
			return fmt.Errorf("record %d: %w", rec.Id, err)
		}
		wrap, err := SealRecordKey(epoch, me, key.Bytes())
		if err != nil {
			return err
		}
		var label []byte
		if len(rec.SealedLabel) > 0 {
			text, err := envelope.OpenLabel(key, r.Patient, rec.SealedLabel)
			if err != nil {
				return fmt.Errorf("record %d: its label: %w", rec.Id, err)
			}
			if label, err = envelope.SealLabel(key, r.NewOwner, text); err != nil {
				return err
			}
		}
		msg.Records = append(msg.Records, accesstypes.RecoveredRecord{RecordId: rec.Id, Wrap: wrap, SealedLabel: label})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("re-sealing the records of %s: %w", r.Patient, err)
	}
	return msg, nil
}

// ErrNotEnoughShares means too few custodians have released their shares
// (yet) for the emergency key to be recovered.
var ErrNotEnoughShares = errors.New("not enough shares released")
