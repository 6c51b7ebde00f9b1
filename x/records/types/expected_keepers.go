package types

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	issuerstypes "github.com/medchain/medchain/x/issuers/types"
)

// IssuersKeeper is the part of x/issuers the records module needs: who may
// write records for patients right now, and for which organisation.
// issuerskeeper.Keeper satisfies it.
type IssuersKeeper interface {
	// IsAuthorised says whether addr may act as an issuer right now and on
	// behalf of which organisation.
	IsAuthorised(ctx context.Context, addr sdk.AccAddress) (issuerstypes.Authorisation, error)

	// ActiveHospitalVaults lists the ACTIVE hospitals with a vault URL, in
	// address order: the replicas payloads are placed on.
	ActiveHospitalVaults(ctx context.Context) ([]issuerstypes.Issuer, error)
}
