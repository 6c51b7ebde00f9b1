package keeper_test

import (
	"context"
	"errors"
	"testing"

	"cosmossdk.io/x/nft"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/codec/address"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/datanft/keeper"
	"github.com/medchain/medchain/x/datanft/types"
)

// memNFT is an in-memory x/nft for the keeper's unit tests; the system
// tests run the real one.
type memNFT struct {
	classes map[string]nft.Class
	owners  map[string]sdk.AccAddress
}

func (m *memNFT) SaveClass(_ context.Context, c nft.Class) error {
	if _, ok := m.classes[c.Id]; ok {
		return errors.New("class exists")
	}
	m.classes[c.Id] = c
	return nil
}
func (m *memNFT) HasClass(_ context.Context, id string) bool { _, ok := m.classes[id]; return ok }
func (m *memNFT) Mint(_ context.Context, t nft.NFT, to sdk.AccAddress) error {
	if _, ok := m.classes[t.ClassId]; !ok {
		return errors.New("no class")
	}
	m.owners[t.ClassId+"/"+t.Id] = to
	return nil
}
func (m *memNFT) HasNFT(_ context.Context, class, id string) bool {
	_, ok := m.owners[class+"/"+id]
	return ok
}
func (m *memNFT) GetOwner(_ context.Context, class, id string) sdk.AccAddress {
	return m.owners[class+"/"+id]
}

func TestClaimIdentity(t *testing.T) {
	ctx := sdk.Context{}.WithEventManager(sdk.NewEventManager()).WithContext(context.Background())
	codec := address.NewBech32Codec("med")
	store := &memNFT{classes: map[string]nft.Class{}, owners: map[string]sdk.AccAddress{}}
	k := keeper.NewKeeper(codec, store)
	require.NoError(t, k.InitGenesis(ctx, types.DefaultGenesis()))
	require.NoError(t, k.InitGenesis(ctx, types.DefaultGenesis()), "a class from x/nft's genesis is kept")

	alice, err := codec.BytesToString(sdk.AccAddress("alice_______________"))
	require.NoError(t, err)
	q, err := k.Identity(ctx, &types.QueryIdentityRequest{Address: alice})
	require.NoError(t, err)
	require.False(t, q.Claimed)

	msgs := keeper.NewMsgServerImpl(k)
	resp, err := msgs.ClaimIdentity(ctx, &types.MsgClaimIdentity{Owner: alice})
	require.NoError(t, err)
	require.Equal(t, &types.MsgClaimIdentityResponse{ClassId: types.IdentityClassID, NftId: alice}, resp)
	require.Len(t, ctx.EventManager().Events(), 1)
	q, err = k.Identity(ctx, &types.QueryIdentityRequest{Address: alice})
	require.NoError(t, err)
	require.True(t, q.Claimed)

	_, err = msgs.ClaimIdentity(ctx, &types.MsgClaimIdentity{Owner: alice})
	require.ErrorIs(t, err, types.ErrIdentityClaimed)
	_, err = msgs.ClaimIdentity(ctx, &types.MsgClaimIdentity{Owner: "cosmos1notours"})
	require.ErrorIs(t, err, types.ErrInvalidAddress)
	_, err = k.Identity(ctx, &types.QueryIdentityRequest{Address: "garbage"})
	require.ErrorIs(t, err, types.ErrInvalidAddress)
}
