package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/issuers/types"
)

// GetIssuer returns the issuer registered at addr. found is false, with a
// nil error, when there is none.
func (k Keeper) GetIssuer(ctx context.Context, addr sdk.AccAddress) (issuer types.Issuer, found bool, err error) {
	issuer, err = k.Issuers.Get(ctx, addr)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return types.Issuer{}, false, nil
	case err != nil:
		return types.Issuer{}, false, fmt.Errorf("reading issuer %s: %w", addr, err)
	}
	return issuer, true, nil
}

// GetPractitioner returns the practitioner at addr with its Status derived
// from its organisation. found is false, with a nil error, when addr is not
// a practitioner.
func (k Keeper) GetPractitioner(ctx context.Context, addr sdk.AccAddress) (p types.Practitioner, found bool, err error) {
	p, found, err = k.getStoredPractitioner(ctx, addr)
	if err != nil || !found {
		return p, found, err
	}
	org, err := k.organisationOf(ctx, p)
	if err != nil {
		return types.Practitioner{}, false, err
	}
	p.Status = types.PractitionerStatusFor(org.Status)
	return p, true, nil
}

// getStoredPractitioner returns the practitioner record as stored, with an
// UNSPECIFIED status.
func (k Keeper) getStoredPractitioner(ctx context.Context, addr sdk.AccAddress) (types.Practitioner, bool, error) {
	p, err := k.Practitioners.Get(ctx, addr)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return types.Practitioner{}, false, nil
	case err != nil:
		return types.Practitioner{}, false, fmt.Errorf("reading practitioner %s: %w", addr, err)
	}
	return p, true, nil
}

// organisationOf returns the issuer a stored practitioner belongs to. Every
// practitioner points at an existing issuer (issuers are never deleted), so
// a miss is a broken invariant and reported as an error.
func (k Keeper) organisationOf(ctx context.Context, p types.Practitioner) (types.Issuer, error) {
	orgAddr, err := k.addressCodec.StringToBytes(p.Organisation)
	if err != nil {
		return types.Issuer{}, fmt.Errorf("practitioner %s has a malformed organisation %q: %w", p.Address, p.Organisation, err)
	}
	org, found, err := k.GetIssuer(ctx, orgAddr)
	if err != nil {
		return types.Issuer{}, err
	}
	if !found {
		return types.Issuer{}, fmt.Errorf("practitioner %s points at organisation %s, which is not registered", p.Address, p.Organisation)
	}
	return org, nil
}

// IsAuthorised reports whether addr may act as an issuer right now and on
// behalf of which organisation. It is the check x/records and the other
// modules make before letting an account write for patients:
//
//   - an ACTIVE issuer is authorised for itself (Role UNSPECIFIED);
//   - a practitioner is authorised for its organisation while that
//     organisation is ACTIVE. Suspending or revoking the organisation makes
//     all of its practitioners unauthorised in the same block, without any
//     write to their records;
//   - anyone else is not authorised, and Reason says why.
//
// The error is non-nil only when addr is empty or the store cannot be read;
// "not authorised" is a normal answer, not an error.
func (k Keeper) IsAuthorised(ctx context.Context, addr sdk.AccAddress) (types.Authorisation, error) {
	if len(addr) == 0 {
		return types.Authorisation{}, errorsmod.Wrap(types.ErrInvalidAddress, "empty address")
	}

	issuer, found, err := k.GetIssuer(ctx, addr)
	if err != nil {
		return types.Authorisation{}, err
	}
	if found {
		return authorisationFor(issuer, types.PractitionerRoleUnspecified), nil
	}

	p, found, err := k.getStoredPractitioner(ctx, addr)
	if err != nil {
		return types.Authorisation{}, err
	}
	if found {
		org, err := k.organisationOf(ctx, p)
		if err != nil {
			return types.Authorisation{}, err
		}
		return authorisationFor(org, p.Role), nil
	}

	return types.Authorisation{Reason: "not a registered issuer or practitioner"}, nil
}

func authorisationFor(org types.Issuer, role types.PractitionerRole) types.Authorisation {
	a := types.Authorisation{
		Authorised:   org.Status == types.IssuerStatusActive,
		Organisation: org.Address,
		Kind:         org.Kind,
		Role:         role,
	}
	if !a.Authorised {
		a.Reason = fmt.Sprintf("organisation %s is %s", org.Address, org.Status.Label())
	}
	return a
}

// memberCount returns how many practitioners the organisation has.
func (k Keeper) memberCount(ctx context.Context, org sdk.AccAddress) (uint64, error) {
	n, err := k.MemberCount.Get(ctx, org)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("reading member count of %s: %w", org, err)
	}
	return n, nil
}

// statusKindKey is the key of Issuers.Indexes.Status.
func statusKindKey(status types.IssuerStatus, kind types.IssuerKind) collections.Pair[int32, int32] {
	return collections.Join(int32(status), int32(kind))
}

// ActiveHospitalVaults returns the ACTIVE hospitals that registered a
// vault URL, in address order: the replicas x/records places payloads on.
// It reads the (status, kind) index, never every issuer.
func (k Keeper) ActiveHospitalVaults(ctx context.Context) ([]types.Issuer, error) {
	iter, err := k.Issuers.Indexes.Status.MatchExact(ctx,
		collections.Join(int32(types.IssuerStatusActive), int32(types.IssuerKindHospital)))
	if err != nil {
		return nil, err
	}
	defer iter.Close()
	var out []types.Issuer
	for ; iter.Valid(); iter.Next() {
		addr, err := iter.PrimaryKey()
		if err != nil {
			return nil, err
		}
		issuer, err := k.Issuers.Get(ctx, addr)
		if err != nil {
			return nil, fmt.Errorf("issuer %s of the status index: %w", addr, err)
		}
		if issuer.VaultUrl != "" {
			out = append(out, issuer)
		}
	}
	return out, nil
}
