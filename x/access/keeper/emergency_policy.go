package keeper

import (
	"context"
	"fmt"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
)

// endEmergencyPolicy removes patient's policy, the emergency reader's
// current key and every emergency wrap, and closes the patient's open
// emergency accesses with outcome; it returns how many wraps it removed.
func (k Keeper) endEmergencyPolicy(ctx context.Context, patient sdk.AccAddress, outcome string) (uint64, error) {
	reader := types.EmergencyReader(patient)
	var wrapped []uint64
	err := k.WrapsByReader.Walk(ctx, collections.NewSuperPrefixedTripleRange[sdk.AccAddress, sdk.AccAddress, uint64](patient, reader),
		func(key collections.Triple[sdk.AccAddress, sdk.AccAddress, uint64]) (bool, error) {
			wrapped = append(wrapped, key.K3())
			return false, nil
		})
	if err != nil {
		return 0, err
	}
	for _, id := range wrapped {
		if err := k.removeWrap(ctx, patient, id, reader); err != nil {
			return 0, err
		}
	}
	if err := k.CurrentKeys.Remove(ctx, reader); err != nil {
		return 0, err
	}
	if err := k.EmergencyPolicies.Remove(ctx, patient); err != nil {
		return 0, err
	}
	return uint64(len(wrapped)), k.closePatientEmergencies(ctx, patient, outcome)
}

// emergencyPolicy loads patient's policy, or says there is none.
func (k Keeper) emergencyPolicy(ctx context.Context, patient sdk.AccAddress) (types.EmergencyPolicy, error) {
	p, err := k.EmergencyPolicies.Get(ctx, patient)
	if errorsmod.IsOf(err, collections.ErrNotFound) {
		return p, errorsmod.Wrapf(types.ErrNoEmergencyPolicy, "%s has no emergency policy (`medchaind tx access set-emergency-policy`)", k.str(patient))
	}
	return p, err
}

// custodianStanding says whether addr may hold a share of an emergency
// secret, and whether it is an ACTIVE hospital acting for itself (only
// hospitals release shares in an emergency; any custodian approves a key
// recovery). A plain account, a patient's relative, may be a custodian; a
// registered organisation or practitioner that x/issuers does not
// authorise now (suspended) may not.
func (k Keeper) custodianStanding(ctx context.Context, addr sdk.AccAddress) (hospital bool, err error) {
	auth, err := k.issuers.IsAuthorised(ctx, addr)
	if err != nil {
		return false, err
	}
	if !auth.Authorised {
		if auth.Organisation != "" {
			return false, fmt.Errorf("%s may not hold a share: %s", k.str(addr), auth.Reason)
		}
		return false, nil // a plain account
	}
	return auth.Role == issuerstypes.PractitionerRoleUnspecified && k.sameAddress(auth.Organisation, k.str(addr)) &&
		auth.Kind == issuerstypes.IssuerKindHospital, nil
}

// checkHospital fails unless addr is an ACTIVE hospital acting for itself.
func (k Keeper) checkHospital(ctx context.Context, addr sdk.AccAddress, field string) error {
	auth, err := k.issuers.IsAuthorised(ctx, addr)
	if err != nil {
		return err
	}
	switch {
	case !auth.Authorised:
		return fmt.Errorf("%s %s is not an active hospital (%s)", field, k.str(addr), auth.Reason)
	case auth.Role != issuerstypes.PractitionerRoleUnspecified || !k.sameAddress(auth.Organisation, k.str(addr)):
		return fmt.Errorf("%s %s is a practitioner, not a hospital", field, k.str(addr))
	case auth.Kind != issuerstypes.IssuerKindHospital:
		return fmt.Errorf("%s %s is a %s, not a hospital", field, k.str(addr), auth.Kind.Label())
	}
	return nil
}

// custodianShare checks that custodian may add share ciphertext to released
// (the releases or approvals of one emergency access or recovery, "what"):
// it holds a share of policy, is still an ACTIVE hospital (for an
// emergency release, hospitalOnly) or still in good standing (for a
// recovery approval), has not released for it yet, and ciphertext has a
// sealed share's size. It returns the release to append; refusals wrap
// refused.
func (k Keeper) custodianShare(ctx context.Context, policy types.EmergencyPolicy, custodian sdk.AccAddress, released []types.ShareRelease,
	ciphertext []byte, what string, refused error, hospitalOnly bool,
) (types.ShareRelease, error) {
	canon := k.str(custodian)
	index := policy.CustodianIndex(canon)
	if index == 0 {
		return types.ShareRelease{}, errorsmod.Wrapf(refused, "%s holds no share of %s's emergency policy", canon, policy.Patient)
	}
	if hospitalOnly {
		if err := k.checkHospital(ctx, custodian, "custodian"); err != nil {
			return types.ShareRelease{}, errorsmod.Wrapf(refused, "%s; in an emergency only hospitals release", err)
		}
	} else if _, err := k.custodianStanding(ctx, custodian); err != nil {
		return types.ShareRelease{}, errorsmod.Wrap(refused, err.Error())
	}
	if slices.ContainsFunc(released, func(r types.ShareRelease) bool { return r.Custodian == canon }) {
		return types.ShareRelease{}, errorsmod.Wrapf(refused, "%s already released its share for %s", canon, what)
	}
	if want := len(policy.Shares[index-1].Ciphertext); len(ciphertext) != want {
		return types.ShareRelease{}, errorsmod.Wrapf(refused, "the release is %d bytes; a sealed share is %d", len(ciphertext), want)
	}
	return types.ShareRelease{Custodian: canon, Index: index, Ciphertext: ciphertext, ReleasedAt: now(ctx)}, nil
}
