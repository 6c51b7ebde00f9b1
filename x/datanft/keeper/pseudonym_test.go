package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/sample"
	accesstypes "github.com/medchain/medchain/x/access/types"
	"github.com/medchain/medchain/x/datanft/types"
)

// vouch is the hospital's vouching for pseudonym with producer.
func (f *fixture) vouchMsg(hospital, pseudonym, producer string) *types.MsgVouchPseudonym {
	return &types.MsgVouchPseudonym{Hospital: hospital, Pseudonym: pseudonym, Producer: producer}
}

// Only an ACTIVE hospital vouches, only for a fresh address, and only with
// itself or one of its ACTIVE practitioners as producer; everything else
// is refused without a byte written.
func TestOnlyAnActiveHospitalVouchesForAFreshPseudonym(t *testing.T) {
	f := newFixture(t)
	pseudonym := sample.Bech32("pseudonym")
	c := f.chain
	for name, signer := range map[string]string{
		"practitioner": f.doctor, "suspended hospital": c.Suspended, "suspended issuer": f.suspendedDoctor, "clinic": c.Clinic,
		"patient": f.patient, "other patient": f.otherPatient, "researcher": f.researcher, "stranger": f.stranger,
	} {
		t.Run(name, func(t *testing.T) {
			f.requireRejected(t, types.ErrUnauthorized, "only an ACTIVE hospital", func(ctx sdk.Context) error {
				_, err := f.msg.VouchPseudonym(ctx, f.vouchMsg(signer, pseudonym, signer))
				return err
			})
		})
	}
	t.Run("another hospital's practitioner as producer", func(t *testing.T) {
		f.requireRejected(t, types.ErrUnauthorized, "neither", func(ctx sdk.Context) error {
			_, err := f.msg.VouchPseudonym(ctx, f.vouchMsg(c.HospitalB, pseudonym, f.doctor))
			return err
		})
	})
	t.Run("a suspended hospital's practitioner as producer", func(t *testing.T) {
		f.requireRejected(t, types.ErrUnauthorized, "neither", func(ctx sdk.Context) error {
			_, err := f.msg.VouchPseudonym(ctx, f.vouchMsg(f.hospital, pseudonym, f.suspendedDoctor))
			return err
		})
	})
	for field, msg := range map[string]*types.MsgVouchPseudonym{
		"hospital":  f.vouchMsg("not-an-address", pseudonym, f.hospital),
		"pseudonym": f.vouchMsg(f.hospital, "med1notanaddress", f.hospital),
		"producer":  f.vouchMsg(f.hospital, pseudonym, ""),
	} {
		t.Run("a malformed "+field, func(t *testing.T) {
			f.requireRejected(t, types.ErrInvalidAddress, field, func(ctx sdk.Context) error {
				_, err := f.msg.VouchPseudonym(ctx, msg)
				return err
			})
		})
	}
	t.Run("a patient's own address as pseudonym", func(t *testing.T) {
		f.requireRejected(t, types.ErrUnauthorized, "already has an account", func(ctx sdk.Context) error {
			_, err := f.msg.VouchPseudonym(ctx, f.vouchMsg(f.hospital, f.patient, f.doctor))
			return err
		})
	})

	ctx := f.freshCtx()
	_, err := f.msg.VouchPseudonym(ctx, f.vouchMsg(f.hospital, pseudonym, f.doctor))
	require.NoError(t, err)
	require.Equal(t, []string{"medchain.datanft.v1.EventPseudonymVouched"}, eventTypes(ctx))
	got, err := f.query.Pseudonym(f.ctx, &types.QueryPseudonymRequest{Address: pseudonym})
	require.NoError(t, err)
	require.True(t, got.Vouched)
	require.Equal(t, f.doctor, got.Pseudonym.Producer)
	require.Equal(t, f.hospital, got.Pseudonym.Hospital)
	require.True(t, f.chain.Accounts.HasAccount(f.ctx, f.addr(t, pseudonym)), "the vouching creates the pseudonym's account")

	f.requireRejected(t, types.ErrUnauthorized, "already a pseudonym", func(ctx sdk.Context) error {
		_, err := f.msg.VouchPseudonym(ctx, f.vouchMsg(c.HospitalB, pseudonym, c.HospitalB))
		return err
	})
	none, err := f.query.Pseudonym(f.ctx, &types.QueryPseudonymRequest{Address: f.patient})
	require.NoError(t, err)
	require.False(t, none.Vouched)
}

// A vouched pseudonym mints the records it uploaded itself, with no
// derived_from and so no public link to the patient; the royalty goes to
// the producer the hospital vouched with. An account no hospital vouched
// for cannot mint a record that is not a de-identified copy, and a
// pseudonym cannot mint a record someone else wrote for it.
func TestAVouchedPseudonymMintsItsOwnUploadForTheProducer(t *testing.T) {
	f := newFixture(t)
	pseudonym := sample.Bech32("pseudonym")
	_, err := f.msg.VouchPseudonym(f.freshCtx(), f.vouchMsg(f.hospital, pseudonym, f.doctor))
	require.NoError(t, err)
	f.chain.RegisterNewKey(t, f.ctx, pseudonym)
	own := f.createRecord(t, pseudonym, pseudonym, 0)

	mint := func(owner string, record uint64) *types.MsgMintDataNFT {
		m := f.mintMsg()
		m.Owner, m.RecordId = owner, record
		return m
	}
	// The patient's own record 3 (not a copy, no pseudonym): refused.
	f.requireRejected(t, types.ErrNotMintable, "not de-identified", func(ctx sdk.Context) error {
		_, err := f.msg.MintDataNFT(ctx, mint(f.patient, 3))
		return err
	})
	// Someone else's pseudonym-owned record: only its owner mints.
	f.requireRejected(t, types.ErrNotRecordOwner, "only its owner", func(ctx sdk.Context) error {
		_, err := f.msg.MintDataNFT(ctx, mint(f.patient, own))
		return err
	})

	resp, err := f.msg.MintDataNFT(f.freshCtx(), mint(pseudonym, own))
	require.NoError(t, err)
	require.Equal(t, f.doctor, resp.Producer)
	n, err := f.query.NFT(f.ctx, &types.QueryNFTRequest{ClassId: "mri-brain", NftId: resp.NftId})
	require.NoError(t, err)
	require.Equal(t, pseudonym, n.Nft.Owner)
	require.Equal(t, pseudonym, n.Nft.Nft.MintedBy)
	for _, who := range []string{f.patient, f.otherPatient} {
		require.NotContains(t, n.String(), who, "the minted NFT names the patient")
	}

	// A record the hospital wrote for the pseudonym is not the pseudonym's
	// own upload.
	_, err = f.chain.AccessMsg.GrantAccess(f.ctx, &accesstypes.MsgGrantAccess{
		Owner: pseudonym, Grantee: f.doctor, Permission: accesstypes.PermissionWrite, Purpose: accesstypes.PurposeTreatment,
	})
	require.NoError(t, err)
	written := f.createRecord(t, f.doctor, pseudonym, 0)
	f.requireRejected(t, types.ErrNotMintable, "uploaded itself", func(ctx sdk.Context) error {
		_, err := f.msg.MintDataNFT(ctx, mint(pseudonym, written))
		return err
	})
}
