package issuers

import "context"

// EndBlock implements appmodule.HasEndBlocker: it jails any validator of a
// SUSPENDED or REVOKED hospital that got unjailed (see
// keeper.Keeper.EndBlocker). The app must order it before staking's
// EndBlocker.
func (am AppModule) EndBlock(ctx context.Context) error {
	return am.keeper.EndBlocker(ctx)
}
