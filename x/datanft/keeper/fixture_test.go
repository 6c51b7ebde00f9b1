package keeper_test

import (
	"crypto/hpke"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/core/address"
	"cosmossdk.io/math"
	"cosmossdk.io/x/nft"
	nftkeeper "cosmossdk.io/x/nft/keeper"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/keepers"
	accesskeeper "github.com/medchain/medchain/x/access/keeper"
	accesstypes "github.com/medchain/medchain/x/access/types"
	"github.com/medchain/medchain/x/datanft"
	"github.com/medchain/medchain/x/datanft/keeper"
	"github.com/medchain/medchain/x/datanft/types"
	recordskeeper "github.com/medchain/medchain/x/records/keeper"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

const denom = keepers.Denom

var genesisTime = keepers.GenesisTime

// fixture runs the real auth, bank, x/nft, issuers, records, access and
// datanft keepers on one in-memory multistore, wired as the app wires
// them (testutil/keepers), under the names these tests use. Wraps are real
// HPKE ciphertexts sealed to real ML-KEM-768-X25519 keys, and coins move
// through the real bank keeper.
type fixture struct {
	chain     *keepers.Chain
	ctx       sdk.Context
	keeper    keeper.Keeper
	msg       types.MsgServer
	query     keeper.Querier
	nftMsg    nft.MsgServer // x/nft's Msg service behind datanft's guard
	nft       nftkeeper.Keeper
	bank      bankkeeper.BaseKeeper
	records   recordskeeper.Keeper
	access    accesskeeper.Keeper
	ac        address.Codec
	authority string

	patient         string // owns record 1 (by doctor), its de-identified copy 2, and 3 (not de-identified)
	otherPatient    string // owns 4 (by itself) and its de-identified copy 5
	doctor          string // practitioner of hospital; issuer of record 1, so producer of 2
	hospital        string
	suspendedDoctor string // practitioner of a suspended hospital
	researcher      string // key and funds
	researcher2     string // key and funds
	stranger        string // funds, no key, no role

	keys map[string]hpke.PrivateKey
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	c := keepers.New(t, keepers.WithMarket())
	f := &fixture{
		chain: c, ctx: c.Ctx, keeper: c.DataNFT, msg: keeper.NewMsgServerImpl(c.DataNFT), query: keeper.NewQuerier(c.DataNFT),
		nftMsg: datanft.NFTSendGuard(c.NFT, c.DataNFT), nft: c.NFT, bank: c.Bank, records: c.Records, access: c.Access,
		ac: c.AddressCodec, authority: c.Authority,
		patient: c.Patient, otherPatient: c.OtherPatient, doctor: c.Doctor, hospital: c.Hospital,
		suspendedDoctor: c.SuspendedDoctor, researcher: c.Researcher, researcher2: c.Researcher2, stranger: c.Stranger,
		keys: c.Keys,
	}
	for _, who := range []string{f.patient, f.otherPatient, f.doctor, f.researcher, f.researcher2, f.stranger, f.suspendedDoctor} {
		f.fund(t, who, 1_000_000)
	}

	// Record 1: the doctor writes for the patient (WRITE grant first).
	_, err := c.AccessMsg.GrantAccess(f.ctx, &accesstypes.MsgGrantAccess{
		Owner: f.patient, Grantee: f.doctor, Permission: accesstypes.PermissionWrite, Purpose: accesstypes.PurposeTreatment,
	})
	require.NoError(t, err)
	require.Equal(t, uint64(1), f.createRecord(t, f.doctor, f.patient, 0))
	require.Equal(t, uint64(2), f.createRecord(t, f.patient, f.patient, 1))
	require.Equal(t, uint64(3), f.createRecord(t, f.patient, f.patient, 0))
	require.Equal(t, uint64(4), f.createRecord(t, f.otherPatient, f.otherPatient, 0))
	require.Equal(t, uint64(5), f.createRecord(t, f.otherPatient, f.otherPatient, 4))
	return f
}

// fund mints amount umed to who.
func (f *fixture) fund(t testing.TB, who string, amount int64) {
	t.Helper()
	f.chain.Fund(t, f.ctx, who, amount)
}

func (f *fixture) addr(t testing.TB, s string) sdk.AccAddress {
	t.Helper()
	bz, err := f.ac.StringToBytes(s)
	require.NoError(t, err)
	return bz
}

// balance is who's umed balance.
func (f *fixture) balance(t testing.TB, who string) int64 {
	t.Helper()
	return f.bank.GetBalance(f.ctx, f.addr(t, who), denom).Amount.Int64()
}

// escrow is the datanft module account's umed balance.
func (f *fixture) escrow() int64 {
	return f.bank.GetBalance(f.ctx, authtypes.NewModuleAddress(types.ModuleName), denom).Amount.Int64()
}

// supply is the total umed supply: a sale, a licence or a refund must
// never change it.
func (f *fixture) supply() math.Int { return f.bank.GetSupply(f.ctx, denom).Amount }

func (f *fixture) freshCtx() sdk.Context { return events.Fresh(f.ctx) }

// requireRejected runs call and asserts that it fails with wantErr (and
// mentions wantMsg), writes no byte of any store (bank, x/nft and the
// medchain modules) and emits nothing.
func (f *fixture) requireRejected(t *testing.T, wantErr error, wantMsg string, call func(ctx sdk.Context) error) {
	t.Helper()
	f.chain.RequireRejected(t, f.ctx, wantErr, wantMsg, call)
}

// seal wraps record recordID's key at epoch for grantee's current key.
func (f *fixture) seal(t testing.TB, recordID, epoch uint64, grantee string) recordstypes.KeyWrap {
	t.Helper()
	return f.chain.Seal(t, recordID, epoch, grantee)
}

// createRecord creates a DICOM record for owner by creator (derived from
// derivedFrom when not 0) and returns its id.
func (f *fixture) createRecord(t testing.TB, creator, owner string, derivedFrom uint64) uint64 {
	t.Helper()
	msg := f.chain.CreateMsg(t, f.ctx, creator, owner, recordstypes.RecordKindDICOM)
	msg.DerivedFrom = derivedFrom
	return f.chain.CreateRecord(t, f.ctx, msg)
}

// mintMsg is a valid mint of record 2 into class "mri-brain": 5 %
// royalty, 1000umed licences of 30 days.
func (f *fixture) mintMsg() *types.MsgMintDataNFT {
	return &types.MsgMintDataNFT{
		Owner: f.patient, RecordId: 2, ClassId: "mri-brain", RoyaltyBps: 500,
		LicencePrice: sdk.NewInt64Coin(denom, 1000), LicenceDuration: 30 * 24 * time.Hour,
	}
}

// mint mints record 2 and returns its NFT id.
func (f *fixture) mint(t testing.TB) string {
	t.Helper()
	resp, err := f.msg.MintDataNFT(f.freshCtx(), f.mintMsg())
	require.NoError(t, err)
	return resp.NftId
}

// list lists record 2's NFT by seller at price.
func (f *fixture) list(t testing.TB, seller string, price int64) {
	t.Helper()
	_, err := f.msg.ListNFT(f.freshCtx(), &types.MsgListNFT{Seller: seller, ClassId: "mri-brain", NftId: "record-2", Price: sdk.NewInt64Coin(denom, price)})
	require.NoError(t, err)
}

// owner is the x/nft owner of record 2's NFT.
func (f *fixture) owner(t testing.TB) string {
	t.Helper()
	s, err := f.ac.BytesToString(f.nft.GetOwner(f.ctx, "mri-brain", "record-2"))
	require.NoError(t, err)
	return s
}

// signers names every kind of signer the tests try.
func (f *fixture) signers() map[string]string {
	return map[string]string{
		"owner": f.patient, "other patient": f.otherPatient, "issuer": f.doctor, "organisation": f.hospital,
		"suspended issuer": f.suspendedDoctor, "researcher": f.researcher, "stranger": f.stranger,
	}
}

// eventTypes lists the types of the events ctx collected.
func eventTypes(ctx sdk.Context) []string {
	var out []string
	for _, e := range ctx.EventManager().Events() {
		out = append(out, e.Type)
	}
	return out
}
