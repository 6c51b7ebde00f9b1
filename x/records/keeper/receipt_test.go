package keeper_test

import (
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/receipts"
	"github.com/medchain/medchain/testutil/sample"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	"github.com/medchain/medchain/x/records/keeper"
	"github.com/medchain/medchain/x/records/types"
)

// chainID is the chain the receipt tests run on: receipts name it.
const chainID = "medchain-receipts-1"

// The front-running attack: someone sees the patient's pending
// MsgCreateRecord (the mempool is public, a validator sees it first) and
// registers its CID under a record of their own before it lands, so the
// patient's own message fails with ErrCIDInUse, and again on every retry.
// Every kind of signer tries, with every receipt it could lay hands on;
// none gets the CID, nothing is written, and the patient's message then
// goes through.
func TestCopiedCIDCannotBeClaimedFirst(t *testing.T) {
	f := newFixture(t)
	f.ctx = f.ctx.WithChainID(chainID)
	pending := sample.CID(cid.Raw, "alice's pending MRI")
	victimReceipt := f.vault.Receipt(chainID, f.patient, pending)

	// Keys the attackers hold: their own, a clinic's and a suspended
	// hospital's (each an issuer, none an ACTIVE hospital).
	own := receipts.NewVault("attacker's own key")
	clinic := receipts.NewVault("clinic with a key")
	suspended := receipts.NewVault("suspended hospital with a key")
	f.issuers.auths[clinic.Address] = issuerstypes.Authorisation{Authorised: true, Organisation: clinic.Address, Kind: issuerstypes.IssuerKindClinic}
	f.issuers.auths[suspended.Address] = issuerstypes.Authorisation{Organisation: suspended.Address, Kind: issuerstypes.IssuerKindHospital, Reason: "organisation is SUSPENDED"}

	for signer, attacker := range map[string]string{
		"another patient":             f.otherPatient,
		"the grantee hospital":        f.hospital,
		"an issuer's practitioner":    f.doctor,
		"a suspended issuer":          f.suspendedDoctor,
		"a stranger":                  f.stranger,
		"the vault's hospital itself": f.vault.Address,
	} {
		for name, c := range map[string]struct {
			receipt *types.UploadReceipt
			wantErr error
			wantMsg string
		}{
			"no receipt":                               {nil, types.ErrNoUploadReceipt, "needs the receipt the vault returned"},
			"the patient's receipt, copied":            {victimReceipt, types.ErrBadUploadReceipt, "does not vouch that " + attacker},
			"a receipt signed by their own key":        {own.Receipt(chainID, attacker, pending), types.ErrBadUploadReceipt, "may not vouch for uploads"},
			"a clinic's receipt":                       {clinic.Receipt(chainID, attacker, pending), types.ErrBadUploadReceipt, "not a hospital"},
			"a suspended hospital's receipt":           {suspended.Receipt(chainID, attacker, pending), types.ErrBadUploadReceipt, "SUSPENDED"},
			"the hospital's receipt for another chain": {f.vault.Receipt("medchain-test-9", attacker, pending), types.ErrBadUploadReceipt, "does not vouch"},
			"the hospital's name with another key": {func() *types.UploadReceipt {
				r := own.Receipt(chainID, attacker, pending)
				r.Hospital = f.vault.Address
				return r
			}(), types.ErrBadUploadReceipt, "pub_key is not the key of " + f.vault.Address},
			"a truncated key": {func() *types.UploadReceipt {
				r := f.vault.Receipt(chainID, attacker, pending)
				r.PubKey = r.PubKey[:20]
				return r
			}(), types.ErrBadUploadReceipt, "pub_key is 20 bytes"},
		} {
			t.Run(signer+"/"+name, func(t *testing.T) {
				msg := &types.MsgCreateRecord{
					Creator: attacker, Owner: attacker, Cid: pending, Kind: types.RecordKindDICOM, SizeBytes: 1 << 20,
					Wraps: []types.KeyWrap{f.wrap(t, attacker)}, Receipt: c.receipt,
				}
				requireRejected(t, f, c.wantErr, c.wantMsg, func(ctx sdk.Context) (any, error) {
					return result(f.bareMsgServer.CreateRecord(ctx, msg))
				})
			})
		}
	}

	// The patient's own message, with the receipt the vault gave them.
	msg := f.createMsg(t, f.patient, "")
	msg.Cid, msg.Receipt = pending, victimReceipt
	resp, err := f.bareMsgServer.CreateRecord(f.freshCtx(), msg)
	require.NoError(t, err)
	got, err := f.querier.Record(f.ctx, &types.QueryRecordRequest{Id: resp.Id})
	require.NoError(t, err)
	require.Equal(t, pending, got.Record.Cid)
}

// A writer's new version and an owner's rotation claim CIDs too: a
// grantee hospital cannot put the patient's pending upload into the
// record under its own name, and the owner's rotation needs the receipt
// of their own re-encrypted upload.
func TestAddVersionAndRotationNeedTheirUploadersReceipt(t *testing.T) {
	f := newFixture(t)
	f.ctx = f.ctx.WithChainID(chainID)
	id := f.mustCreate(t, f.createMsg(t, f.patient, "x-ray"))
	pending := sample.CID(cid.Raw, "the patient's v2")

	byHospital := f.versionMsg(t, f.hospital, id, "")
	byHospital.Cid, byHospital.Receipt = pending, f.vault.Receipt(chainID, f.patient, pending)
	requireRejected(t, f, types.ErrBadUploadReceipt, "does not vouch that "+f.hospital, func(ctx sdk.Context) (any, error) {
		return result(f.bareMsgServer.AddVersion(ctx, byHospital))
	})
	byHospital.Receipt = nil
	requireRejected(t, f, types.ErrNoUploadReceipt, "needs the receipt", func(ctx sdk.Context) (any, error) {
		return result(f.bareMsgServer.AddVersion(ctx, byHospital))
	})
	byHospital.Receipt = f.vault.Receipt(chainID, f.hospital, pending)
	_, err := f.bareMsgServer.AddVersion(f.freshCtx(), byHospital)
	require.NoError(t, err, "the hospital uploaded it itself")

	rotated := sample.CID(cid.Raw, "x-ray under a new key")
	requireRejected(t, f, types.ErrNoUploadReceipt, "rotation of record", func(ctx sdk.Context) (any, error) {
		_, err := f.keeper.RotateKey(ctx, id, rotated, 2048, nil, f.patient, nil)
		return nil, err
	})
	requireRejected(t, f, types.ErrBadUploadReceipt, "does not vouch that "+f.patient, func(ctx sdk.Context) (any, error) {
		_, err := f.keeper.RotateKey(ctx, id, rotated, 2048, nil, f.patient, f.vault.Receipt(chainID, f.hospital, rotated))
		return nil, err
	})
	_, err = f.keeper.RotateKey(f.freshCtx(), id, rotated, 2048, nil, f.patient, f.vault.Receipt(chainID, f.patient, rotated))
	require.NoError(t, err)
}

// Clients simulate a message before they upload anything, so a simulation
// may leave the receipt out; a receipt that is there is checked all the
// same, and the gas a receipt costs is charged either way.
func TestSimulationMayLeaveTheReceiptOut(t *testing.T) {
	f := newFixture(t)
	f.ctx = f.ctx.WithChainID(chainID)
	msg := f.createMsg(t, f.patient, "to check first")
	// The same message, simulated without a receipt and delivered with
	// one, on the same state: the simulation's gas estimate covers the
	// receipt's check.
	gas := func(mode sdk.ExecMode, receipt *types.UploadReceipt) uint64 {
		ctx, _ := f.freshCtx().CacheContext()
		ctx = ctx.WithExecMode(mode).WithGasMeter(storetypes.NewInfiniteGasMeter())
		m := *msg
		m.Receipt = receipt
		_, err := f.bareMsgServer.CreateRecord(ctx, &m)
		require.NoError(t, err)
		return ctx.GasMeter().GasConsumed()
	}
	simulated := gas(sdk.ExecModeSimulate, nil)
	require.Equal(t, gas(sdk.ExecModeFinalize, f.vault.Receipt(chainID, f.patient, msg.Cid)), simulated)
	require.GreaterOrEqual(t, simulated, uint64(keeper.ReceiptVerifyGas))

	msg.Receipt = f.vault.Receipt(chainID, f.stranger, msg.Cid)
	_, err := f.bareMsgServer.CreateRecord(f.freshCtx().WithExecMode(sdk.ExecModeSimulate), msg)
	require.ErrorIs(t, err, types.ErrBadUploadReceipt)

	msg.Receipt = nil
	for _, mode := range []sdk.ExecMode{sdk.ExecModeCheck, sdk.ExecModeReCheck, sdk.ExecModeFinalize} {
		_, err = f.bareMsgServer.CreateRecord(f.freshCtx().WithExecMode(mode), msg)
		require.ErrorIs(t, err, types.ErrNoUploadReceipt, "mode %d", mode)
	}
}
