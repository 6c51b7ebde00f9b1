package keeper

import (
	"context"

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

// checkHospital fails unless addr is an ACTIVE hospital acting for itself.
func (k Keeper) checkHospital(ctx context.Context, addr sdk.AccAddress, field string) error {
	auth, err := k.issuers.IsAuthorised(ctx, addr)
	if err != nil {
		return err
	}
	switch {
	case !auth.Authorised:
		return errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy, "%s %s is not an active hospital (%s)", field, k.str(addr), auth.Reason)
	case auth.Role != issuerstypes.PractitionerRoleUnspecified || !k.sameAddress(auth.Organisation, k.str(addr)):
		return errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy, "%s %s is a practitioner; custodians are hospitals", field, k.str(addr))
	case auth.Kind != issuerstypes.IssuerKindHospital:
		return errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy, "%s %s is a %s, not a hospital; only hospitals are custodians", field, k.str(addr), auth.Kind.Label())
	}
	return nil
}
