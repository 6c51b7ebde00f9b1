package types

import (
	"context"
	"fmt"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	recordstypes "github.com/medchain/medchain/x/records/types"
)

// AccessState is what an access decision reads. The keeper reads it from
// its stores (CheckAccess); a light client from values it has proven
// against a verified app hash. Readers only read: the rules are Decide's,
// so the two answers cannot drift apart.
type AccessState interface {
	// Authorisation says whether x/issuers authorises addr now, the
	// organisation addr acts for (itself for an issuer, nil when it has
	// none) and, when it is not authorised, why.
	Authorisation(ctx context.Context, addr sdk.AccAddress) (authorised bool, organisation sdk.AccAddress, reason string, err error)
	// Entry returns the decision entry of a perm grant to who: on record
	// recordID, or (recordID 0) on owner's records, a scope grant.
	Entry(ctx context.Context, recordID uint64, owner, who sdk.AccAddress, perm Permission) (AccessEntry, bool, error)
	// AddressString spells an address as this chain does (bech32).
	AddressString(addr sdk.AccAddress) string
	// Emergency returns practitioner's emergency entry for patient's
	// records (an open break-glass), if any.
	Emergency(ctx context.Context, patient, practitioner sdk.AccAddress) (EmergencyEntry, bool, error)
}

// Decision answers "may grantee read or write the record now?".
type Decision struct {
	Allowed bool
	// Reason says why, for people: "owner", "grant 7", "grant 7 to
	// organisation med1...", "grant 7 expired at ...", "no live READ
	// grant", "not an authorised issuer: ...", "record 3 is redacted".
	Reason string
	// Holder is whom the deciding grant is to (the grantee, or the
	// organisation it acts for), or the owner; nil when refused. A READ
	// answer carries Holder's wrap.
	Holder sdk.AccAddress
	// ViaOrganisation is set when Holder is the grantee's organisation.
	ViaOrganisation bool
	// GrantID is the deciding grant (0 for the owner).
	GrantID uint64
	// EmergencyAccessID is the deciding emergency access, when no grant
	// allowed a READ but an open break-glass does; Holder is then the
	// patient's emergency reader.
	EmergencyAccessID uint64
}

// Decide applies the access rules to record (whose owner is owner) at
// time now. The owner always may. Anyone else needs a live grant of perm
// for itself or, for a practitioner, for its authorised organisation: the
// record's own grant, or the owner's scope grant covering the record's
// kind. A writer must also be an issuer x/issuers authorises now, as
// x/records requires. Failing a grant, a practitioner x/issuers authorises
// now may READ under an open emergency access (break-glass) covering the
// record, through the patient's emergency reader. A redacted record is
// open to nobody.
func Decide(ctx context.Context, s AccessState, record recordstypes.Record, owner, grantee sdk.AccAddress, perm Permission, now time.Time) (Decision, error) {
	if record.Status == recordstypes.RecordStatusRedacted {
		return Decision{Reason: fmt.Sprintf("record %d is redacted", record.Id)}, nil
	}
	if owner.Equals(grantee) {
		return Decision{Allowed: true, Reason: "owner", Holder: owner}, nil
	}
	authorised, org, why, err := s.Authorisation(ctx, grantee)
	if err != nil {
		return Decision{}, err
	}
	if perm == PermissionWrite && !authorised {
		return Decision{Reason: "not an authorised issuer: " + why}, nil
	}
	candidates := []sdk.AccAddress{grantee}
	if authorised && len(org) > 0 && !org.Equals(grantee) {
		candidates = append(candidates, org)
	}
	var expired []string
	for _, who := range candidates {
		for _, target := range []uint64{record.Id, 0} {
			e, found, err := s.Entry(ctx, target, owner, who, perm)
			if err != nil {
				return Decision{}, err
			}
			if !found || (target == 0 && !CoversKind(e.Kinds, record.Kind)) {
				continue
			}
			if !e.IsLive(now) {
				expired = append(expired, fmt.Sprintf("grant %d expired at %s", e.GrantId, e.ExpiresAt.UTC()))
				continue
			}
			d := Decision{Allowed: true, Reason: fmt.Sprintf("grant %d", e.GrantId), Holder: who, GrantID: e.GrantId}
			if !who.Equals(grantee) {
				d.ViaOrganisation = true
				d.Reason += " to organisation " + s.AddressString(who)
			}
			return d, nil
		}
	}
	if perm == PermissionRead && authorised {
		e, found, err := s.Emergency(ctx, owner, grantee)
		if err != nil {
			return Decision{}, err
		}
		if found && e.IsLive(now) && e.Covers(record) {
			return Decision{
				Allowed: true, Reason: fmt.Sprintf("emergency access %d", e.AccessId),
				Holder: EmergencyReader(owner), EmergencyAccessID: e.AccessId,
			}, nil
		}
	}
	if len(expired) > 0 {
		return Decision{Reason: expired[0]}, nil
	}
	return Decision{Reason: fmt.Sprintf("no live %s grant", perm.Label())}, nil
}
