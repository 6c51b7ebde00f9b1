// Package keepers wires medchain's real keepers on one in-memory multistore
// for keeper tests, as app/app.go wires them: x/records asks x/access
// through its hooks, x/access reads x/records and x/issuers, and, with
// WithMarket, x/datanft moves coins through the real bank keeper and NFTs
// through the real x/nft keeper. The issuers' genesis holds a fixed cast
// (Cast) of every kind of signer the tests try. Accounts that read get
// real ML-KEM-768-X25519 key pairs, and wraps are real HPKE ciphertexts.
//
// Only keeper tests outside the modules' own packages (package keeper_test)
// import it.
package keepers

import (
	"crypto/hpke"
	"fmt"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"
	"cosmossdk.io/log"
	storetypes "cosmossdk.io/store/types"
	"cosmossdk.io/x/nft"
	nftkeeper "cosmossdk.io/x/nft/keeper"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/receipts"
	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/testutil/state"
	accesskeeper "github.com/medchain/medchain/x/access/keeper"
	accesstypes "github.com/medchain/medchain/x/access/types"
	datanftkeeper "github.com/medchain/medchain/x/datanft/keeper"
	datanfttypes "github.com/medchain/medchain/x/datanft/types"
	issuerskeeper "github.com/medchain/medchain/x/issuers/keeper"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordskeeper "github.com/medchain/medchain/x/records/keeper"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// GenesisTime is the block time of every new Chain's context.
var GenesisTime = time.Date(2026, time.March, 1, 9, 0, 0, 0, time.UTC)

// Denom is the fee and market denomination.
const Denom = "umed"

// Cast is every kind of signer the keeper tests try, as bech32 addresses
// of sample.Addr names.
type Cast struct {
	Patient         string // a patient with a key
	OtherPatient    string // another patient with a key
	Hospital        string // ACTIVE hospital with a key; Doctor's organisation
	HospitalB       string // another ACTIVE hospital with a key, no members
	Doctor          string // practitioner of Hospital, with a key
	Clinic          string // ACTIVE clinic with a key
	Suspended       string // SUSPENDED hospital with a key
	SuspendedDoctor string // practitioner of Suspended, with a key
	Researcher      string // plain account with a key
	Researcher2     string // another plain account with a key
	Stranger        string // no key, no role
}

// NewCast names the cast.
func NewCast() Cast {
	return Cast{
		Patient: sample.Bech32("patient"), OtherPatient: sample.Bech32("patient-other"),
		Hospital: sample.Bech32("hospital"), HospitalB: sample.Bech32("hospital-b"),
		Doctor: sample.Bech32("doctor"), Clinic: sample.Bech32("clinic"),
		Suspended: sample.Bech32("hospital-suspended"), SuspendedDoctor: sample.Bech32("doctor-suspended"),
		Researcher: sample.Bech32("researcher"), Researcher2: sample.Bech32("researcher-2"),
		Stranger: sample.Bech32("stranger"),
	}
}

// WithKeys lists who in the cast has a registered encryption key: everyone
// but the stranger.
func (c Cast) WithKeys() []string {
	return []string{c.Patient, c.OtherPatient, c.Hospital, c.HospitalB, c.Doctor, c.Clinic,
		c.Suspended, c.SuspendedDoctor, c.Researcher, c.Researcher2}
}

// Chain is the wired keepers, their context and the cast's private keys.
type Chain struct {
	Cast

	Ctx          sdk.Context
	Stores       []storetypes.StoreKey // every store, for package state
	Codec        codec.Codec
	AddressCodec address.Codec
	Authority    string // the gov module account

	Issuers    issuerskeeper.Keeper
	Records    recordskeeper.Keeper
	RecordsMsg recordstypes.MsgServer
	Access     accesskeeper.Keeper
	AccessMsg  accesstypes.MsgServer

	// Set by WithMarket only.
	Bank     bankkeeper.BaseKeeper
	Accounts authkeeper.AccountKeeper
	NFT      nftkeeper.Keeper
	DataNFT  datanftkeeper.Keeper

	Keys map[string]hpke.PrivateKey // each account's current private key

	// ReceiptVault is an ACTIVE hospital whose key signs the upload
	// receipts RecordsMsg and AccessMsg put into messages built without
	// one (package receipts); tests of receipts use the keepers' own msg
	// servers.
	ReceiptVault receipts.Vault
}

type options struct{ market bool }

// Option changes what New wires.
type Option func(*options)

// WithMarket wires auth, bank, x/nft and x/datanft as well.
func WithMarket() Option { return func(o *options) { o.market = true } }

// New wires the keepers at GenesisTime, height 10, with the cast's
// issuers in genesis and every cast member but the stranger holding a
// registered key.
func New(t testing.TB, opts ...Option) *Chain {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	names := []string{issuerstypes.StoreKey, recordstypes.StoreKey, accesstypes.StoreKey}
	if o.market {
		names = append(names, authtypes.StoreKey, banktypes.StoreKey, nftkeeper.StoreKey, datanfttypes.StoreKey)
	}
	keys := map[string]*storetypes.KVStoreKey{}
	c := &Chain{Cast: NewCast(), Keys: map[string]hpke.PrivateKey{}, ReceiptVault: receipts.NewVault("receipt vault")}
	for _, n := range names {
		keys[n] = storetypes.NewKVStoreKey(n)
		c.Stores = append(c.Stores, keys[n])
	}
	ctx := testutil.DefaultContextWithKeys(keys, nil, nil).WithBlockTime(GenesisTime).WithBlockHeight(10)
	svc := func(n string) corestore.KVStoreService { return runtime.NewKVStoreService(keys[n]) }

	registry := codectypes.NewInterfaceRegistry()
	issuerstypes.RegisterInterfaces(registry)
	recordstypes.RegisterInterfaces(registry)
	accesstypes.RegisterInterfaces(registry)
	if o.market {
		authtypes.RegisterInterfaces(registry)
		banktypes.RegisterInterfaces(registry)
		nft.RegisterInterfaces(registry)
		datanfttypes.RegisterInterfaces(registry)
	}
	c.Codec = codec.NewProtoCodec(registry)
	c.AddressCodec = addresscodec.NewBech32Codec("med")
	authority, err := c.AddressCodec.BytesToString(authtypes.NewModuleAddress(govtypes.ModuleName))
	require.NoError(t, err)
	c.Authority = authority

	c.Issuers = issuerskeeper.NewKeeper(c.Codec, svc(issuerstypes.StoreKey), c.AddressCodec, authority, nil)
	ig := issuerstypes.DefaultGenesis()
	ig.Issuers = []issuerstypes.Issuer{
		{Address: c.Hospital, Name: "St Mary", Kind: issuerstypes.IssuerKindHospital, Status: issuerstypes.IssuerStatusActive},
		{Address: c.HospitalB, Name: "St Luke", Kind: issuerstypes.IssuerKindHospital, Status: issuerstypes.IssuerStatusActive},
		{Address: c.Clinic, Name: "Clinic", Kind: issuerstypes.IssuerKindClinic, Status: issuerstypes.IssuerStatusActive},
		{Address: c.Suspended, Name: "Suspended", Kind: issuerstypes.IssuerKindHospital, Status: issuerstypes.IssuerStatusSuspended},
		// The hospital whose vault stores every test upload: it signs the
		// receipts RecordsMsg and AccessMsg add to messages without one.
		{Address: c.ReceiptVault.Address, Name: "Receipt Vault", Kind: issuerstypes.IssuerKindHospital, Status: issuerstypes.IssuerStatusActive},
	}
	ig.Practitioners = []issuerstypes.Practitioner{
		{Address: c.Doctor, Organisation: c.Hospital, Role: issuerstypes.PractitionerRoleDoctor},
		{Address: c.SuspendedDoctor, Organisation: c.Suspended, Role: issuerstypes.PractitionerRoleDoctor},
	}
	require.NoError(t, c.Issuers.InitGenesis(ctx, ig))

	c.Records = recordskeeper.NewKeeper(c.Codec, svc(recordstypes.StoreKey), c.AddressCodec, authority, c.Issuers)
	c.Access = accesskeeper.NewKeeper(c.Codec, svc(accesstypes.StoreKey), c.AddressCodec, authority, c.Records, c.Issuers)
	c.Records = c.Records.SetHooks(c.Access.Hooks())
	require.NoError(t, c.Records.InitGenesis(ctx, recordstypes.DefaultGenesis()))
	require.NoError(t, c.Access.InitGenesis(ctx, accesstypes.DefaultGenesis()))
	c.RecordsMsg = receipts.RecordsMsgServer{MsgServer: recordskeeper.NewMsgServerImpl(c.Records), Vault: c.ReceiptVault}
	c.AccessMsg = receipts.AccessMsgServer{MsgServer: accesskeeper.NewMsgServerImpl(c.Access), Vault: c.ReceiptVault}

	if o.market {
		perms := map[string][]string{minttypes.ModuleName: {authtypes.Minter}, nft.ModuleName: nil, datanfttypes.ModuleName: nil}
		accounts := authkeeper.NewAccountKeeper(c.Codec, svc(authtypes.StoreKey), authtypes.ProtoBaseAccount, perms, c.AddressCodec, "med", authority)
		c.Accounts = accounts
		c.Bank = bankkeeper.NewBaseKeeper(c.Codec, svc(banktypes.StoreKey), accounts, nil, authority, log.NewNopLogger())
		require.NoError(t, c.Bank.SetParams(ctx, banktypes.DefaultParams()))
		c.NFT = nftkeeper.NewKeeper(svc(nftkeeper.StoreKey), c.Codec, accounts, c.Bank)
		c.DataNFT = datanftkeeper.NewKeeper(c.Codec, svc(datanfttypes.StoreKey), c.AddressCodec, authority,
			c.NFT, c.Bank, c.Records, accesskeeper.NewGrantService(c.Access), c.Issuers, accounts)
		require.NoError(t, c.DataNFT.InitGenesis(ctx, datanfttypes.DefaultGenesis()))
	}
	c.Ctx = ctx
	for _, who := range c.WithKeys() {
		c.RegisterNewKey(t, ctx, who)
	}
	return c
}

// RegisterNewKey generates a key pair for who and registers it as its
// current encryption key at ctx; it returns the key id.
func (c *Chain) RegisterNewKey(t testing.TB, ctx sdk.Context, who string) string {
	t.Helper()
	priv, err := hpke.MLKEM768X25519().GenerateKey()
	require.NoError(t, err)
	resp, err := c.AccessMsg.RegisterEncryptionKey(events.Fresh(ctx), &accesstypes.MsgRegisterEncryptionKey{
		Owner: who, Algorithm: accesstypes.KeyAlgorithmMLKEM768X25519, PublicKey: priv.PublicKey().Bytes(),
	})
	require.NoError(t, err)
	c.Keys[who] = priv
	return resp.KeyId
}

// RecordKey is the (fake, fixed-size) record key the tests seal: the
// chain never sees a record key.
func RecordKey(recordID, epoch uint64) []byte {
	return []byte(fmt.Sprintf("record-key-%08d-epoch-%04d-padding", recordID, epoch))
}

// info is the HPKE info the tests bind wraps to.
func info(recordID, epoch uint64, grantee string) []byte {
	return []byte(fmt.Sprintf("medchain-test/%d/%d/%s", recordID, epoch, grantee))
}

// Seal wraps record recordID's key at epoch for grantee's current key.
func (c *Chain) Seal(t testing.TB, recordID, epoch uint64, grantee string) recordstypes.KeyWrap {
	t.Helper()
	priv, ok := c.Keys[grantee]
	require.True(t, ok, "%s has no key in the fixture", grantee)
	ct, err := hpke.Seal(priv.PublicKey(), hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info(recordID, epoch, grantee), RecordKey(recordID, epoch))
	require.NoError(t, err)
	return recordstypes.KeyWrap{
		Grantee: grantee, KeyId: accesstypes.KeyID(priv.PublicKey().Bytes()), Ciphertext: ct, RecordId: recordID, KeyEpoch: epoch,
	}
}

// Open unwraps w with grantee's current private key.
func (c *Chain) Open(t testing.TB, w *accesstypes.Wrap, grantee string) []byte {
	t.Helper()
	require.NotNil(t, w, "no wrap for %s", grantee)
	pt, err := hpke.Open(c.Keys[grantee], hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info(w.RecordId, w.KeyEpoch, grantee), w.Ciphertext)
	require.NoError(t, err)
	return pt
}

// NextRecordID is the id the next record gets.
func (c *Chain) NextRecordID(t testing.TB, ctx sdk.Context) uint64 {
	t.Helper()
	id, err := c.Records.NextRecordID(ctx)
	require.NoError(t, err)
	return id
}

// CreateMsg is a valid MsgCreateRecord of kind for owner, by creator, with
// wraps for the owner and every extra reader, bound to the next record id.
func (c *Chain) CreateMsg(t testing.TB, ctx sdk.Context, creator, owner string, kind recordstypes.RecordKind, readers ...string) *recordstypes.MsgCreateRecord {
	t.Helper()
	id := c.NextRecordID(t, ctx)
	wraps := []recordstypes.KeyWrap{c.Seal(t, id, 0, owner)}
	for _, r := range readers {
		wraps = append(wraps, c.Seal(t, id, 0, r))
	}
	return &recordstypes.MsgCreateRecord{
		Creator: creator, Owner: owner, Cid: sample.CID(cid.Raw, fmt.Sprintf("record %d", id)),
		Kind: kind, SizeBytes: 4096, SealedLabel: recordstypes.FakeSealedLabel("test"), Wraps: wraps,
	}
}

// CreateRecord registers msg at ctx and returns the record's id.
func (c *Chain) CreateRecord(t testing.TB, ctx sdk.Context, msg *recordstypes.MsgCreateRecord) uint64 {
	t.Helper()
	resp, err := c.RecordsMsg.CreateRecord(events.Fresh(ctx), msg)
	require.NoError(t, err)
	return resp.Id
}

// Fund mints amount of Denom to who (WithMarket only).
func (c *Chain) Fund(t testing.TB, ctx sdk.Context, who string, amount int64) {
	t.Helper()
	addr, err := c.AddressCodec.StringToBytes(who)
	require.NoError(t, err)
	coins := sdk.NewCoins(sdk.NewInt64Coin(Denom, amount))
	require.NoError(t, c.Bank.MintCoins(ctx, minttypes.ModuleName, coins))
	require.NoError(t, c.Bank.SendCoinsFromModuleToAccount(ctx, minttypes.ModuleName, addr, coins))
}

// RequireRejected runs call on ctx and asserts that it fails with wantErr,
// mentions wantMsg, writes no byte of any store and emits nothing (see
// package state).
func (c *Chain) RequireRejected(t testing.TB, ctx sdk.Context, wantErr error, wantMsg string, call func(ctx sdk.Context) error) {
	t.Helper()
	state.RequireRejected(t, ctx, c.Stores, wantErr, wantMsg, call)
}

// StoreKey is the key of the store named name.
func (c *Chain) StoreKey(t testing.TB, name string) storetypes.StoreKey {
	t.Helper()
	for _, k := range c.Stores {
		if k.Name() == name {
			return k
		}
	}
	t.Fatalf("no store %q", name)
	return nil
}
