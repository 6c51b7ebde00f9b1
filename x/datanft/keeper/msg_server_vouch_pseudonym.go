package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/datanft/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
)

// VouchPseudonym records an ACTIVE hospital's word that a fresh account is
// a patient's pseudonym for selling de-identified data, with the royalty
// going to producer (the hospital or one of its ACTIVE practitioners). It
// creates the pseudonym's account, so that the pseudonym can sign its own
// transactions with no coins sent from the patient's address (which would
// link the two). Only a fresh address can be vouched for: one the chain
// has never seen cannot be anyone's existing identity.
func (k msgServer) VouchPseudonym(ctx context.Context, msg *types.MsgVouchPseudonym) (*types.MsgVouchPseudonymResponse, error) {
	hospital, err := k.decode("hospital", msg.Hospital)
	if err != nil {
		return nil, err
	}
	pseudonym, err := k.decode("pseudonym", msg.Pseudonym)
	if err != nil {
		return nil, err
	}
	producer, err := k.decode("producer", msg.Producer)
	if err != nil {
		return nil, err
	}
	auth, err := k.issuers.IsAuthorised(ctx, hospital)
	if err != nil {
		return nil, err
	}
	if !auth.Authorised || auth.Kind != issuerstypes.IssuerKindHospital || !sameAddr(k.addressCodec, auth.Organisation, hospital) {
		return nil, errorsmod.Wrapf(types.ErrUnauthorized, "%s may not vouch for a pseudonym: only an ACTIVE hospital may (%s)", msg.Hospital, whyNot(auth))
	}
	if !producer.Equals(hospital) {
		pa, err := k.issuers.IsAuthorised(ctx, producer)
		if err != nil {
			return nil, err
		}
		if !pa.Authorised || !sameAddr(k.addressCodec, pa.Organisation, hospital) {
			return nil, errorsmod.Wrapf(types.ErrUnauthorized,
				"producer %s is neither %s nor one of its ACTIVE practitioners; a hospital vouches only for data it or its practitioners produced", msg.Producer, msg.Hospital)
		}
	}
	if _, err := k.Pseudonyms.Get(ctx, pseudonym); err == nil {
		return nil, errorsmod.Wrapf(types.ErrUnauthorized, "%s is already a pseudonym", msg.Pseudonym)
	} else if !errors.Is(err, collections.ErrNotFound) {
		return nil, err
	}
	if k.accounts.HasAccount(ctx, pseudonym) {
		return nil, errorsmod.Wrapf(types.ErrUnauthorized,
			"%s already has an account; a pseudonym must be an address the chain has never seen (derive a new one with `medchaind keys pseudonym`)", msg.Pseudonym)
	}

	p := types.Pseudonym{Address: k.str(pseudonym), Hospital: k.str(hospital), Producer: k.str(producer), VouchedHeight: sdk.UnwrapSDKContext(ctx).BlockHeight()}
	k.accounts.SetAccount(ctx, k.accounts.NewAccountWithAddress(ctx, pseudonym))
	if err := k.Pseudonyms.Set(ctx, pseudonym, p); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventPseudonymVouched{Pseudonym: p}); err != nil {
		return nil, err
	}
	return &types.MsgVouchPseudonymResponse{}, nil
}

// whyNot is the reason an authorisation gives, or what it is.
func whyNot(a issuerstypes.Authorisation) string {
	switch {
	case a.Reason != "":
		return a.Reason
	case a.Kind != issuerstypes.IssuerKindHospital:
		return "its organisation is a " + a.Kind.Label()
	}
	return "it is a practitioner, not the hospital"
}
