package app

import (
	"context"
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/log"
	"cosmossdk.io/store/rootmulti"
	storetypes "cosmossdk.io/store/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/lightclient"
	"github.com/medchain/medchain/testutil/sample"
	accesskeeper "github.com/medchain/medchain/x/access/keeper"
	accesstypes "github.com/medchain/medchain/x/access/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// The node's CheckAccess and the light client's verified check read state
// in two ways (the keeper's stores; values proven against the app hash)
// into one decision. On the same committed state they must answer alike,
// for every kind of asker and grant.
func TestKeeperAndLightClientDecideAlike(t *testing.T) {
	a := New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, simtestutil.NewAppOptionsWithFlagHome(t.TempDir()))
	require.NoError(t, a.LoadLatestVersion())
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	past := now.Add(-time.Hour)
	ctx := a.BaseApp.NewUncachedContext(false, cmtproto.Header{Time: now, Height: 1, ChainID: "medchain-test"})

	owner, doctor, hospital := sample.Addr("owner"), sample.Addr("doctor"), sample.Addr("hospital")
	closed, closedDoctor, stranger, reader := sample.Addr("closed"), sample.Addr("closeddoc"), sample.Addr("stranger"), sample.Addr("reader")
	read, write := accesstypes.PermissionRead, accesstypes.PermissionWrite

	for _, i := range []issuerstypes.Issuer{
		{Address: hospital.String(), Name: "Open Hospital", Kind: issuerstypes.IssuerKindHospital, Status: issuerstypes.IssuerStatusActive},
		{Address: closed.String(), Name: "Closed Hospital", Kind: issuerstypes.IssuerKindHospital, Status: issuerstypes.IssuerStatusSuspended},
	} {
		addrBz, err := sdk.AccAddressFromBech32(i.Address)
		require.NoError(t, err)
		require.NoError(t, a.IssuersKeeper.Issuers.Set(ctx, addrBz, i))
	}
	for doc, org := range map[string]sdk.AccAddress{doctor.String(): hospital, closedDoctor.String(): closed} {
		bz, _ := sdk.AccAddressFromBech32(doc)
		require.NoError(t, a.IssuersKeeper.Practitioners.Set(ctx, bz, issuerstypes.Practitioner{Address: doc, Organisation: org.String(), Role: issuerstypes.PractitionerRoleDoctor}))
	}
	records := []recordstypes.Record{
		{Id: 1, Owner: owner.String(), Issuer: owner.String(), Cid: "bafkreiaaaa", Kind: recordstypes.RecordKindDICOM, Status: recordstypes.RecordStatusActive, Version: 1},
		{Id: 2, Owner: owner.String(), Issuer: owner.String(), Kind: recordstypes.RecordKindDICOM, Status: recordstypes.RecordStatusRedacted, Version: 1},
		{Id: 3, Owner: owner.String(), Issuer: owner.String(), Cid: "bafkreicccc", Kind: recordstypes.RecordKindFHIR, Status: recordstypes.RecordStatusActive, Version: 1},
	}
	for _, r := range records {
		require.NoError(t, a.RecordsKeeper.Records.Set(ctx, r.Id, r))
	}
	grant := func(id uint64, recordID uint64, grantee sdk.AccAddress, p accesstypes.Permission, kinds []recordstypes.RecordKind, expires *time.Time) {
		require.NoError(t, a.AccessKeeper.Grants.Set(ctx, id, accesstypes.Grant{Id: id, Owner: owner.String(), Grantee: grantee.String(),
			RecordId: recordID, Kinds: kinds, Permission: p, Purpose: accesstypes.PurposeTreatment, ExpiresAt: expires, CreatedAt: past}))
		e := accesstypes.AccessEntry{GrantId: id, Kinds: kinds, Purpose: accesstypes.PurposeTreatment, ExpiresAt: expires}
		if recordID != 0 {
			require.NoError(t, a.AccessKeeper.RecordAccess.Set(ctx, collections.Join3(recordID, grantee, int32(p)), e))
		} else {
			require.NoError(t, a.AccessKeeper.ScopeAccess.Set(ctx, collections.Join3(owner, grantee, int32(p)), e))
		}
	}
	grant(1, 1, doctor, read, nil, nil)                                                     // the doctor's own record grant
	grant(2, 0, reader, read, []recordstypes.RecordKind{recordstypes.RecordKindDICOM}, nil) // a scope of DICOM
	grant(3, 0, hospital, write, nil, nil)                                                  // the hospital may write
	grant(4, 1, stranger, read, nil, &past)                                                 // expired
	grant(5, 0, closed, read, nil, nil)                                                     // to a suspended hospital
	grant(6, 1, closedDoctor, write, nil, nil)                                              // its doctor may not write
	// Break-glass: a second doctor of the open hospital holds an open
	// emergency access to the owner's DICOM records, the closed hospital's
	// doctor one that its suspension makes useless.
	emergencyDoctor := sample.Addr("emergencydoc")
	require.NoError(t, a.IssuersKeeper.Practitioners.Set(ctx, emergencyDoctor,
		issuerstypes.Practitioner{Address: emergencyDoctor.String(), Organisation: hospital.String(), Role: issuerstypes.PractitionerRoleDoctor}))
	for i, who := range []sdk.AccAddress{emergencyDoctor, closedDoctor} {
		require.NoError(t, a.AccessKeeper.EmergencyOpen.Set(ctx, collections.Join(owner, who), accesstypes.EmergencyEntry{
			AccessId: uint64(i + 1), Kinds: []recordstypes.RecordKind{recordstypes.RecordKindDICOM}, ExpiresAt: now.Add(time.Hour)}))
	}

	id := a.CommitMultiStore().Commit()
	rs := a.CommitMultiStore().(*rootmulti.Store)
	at := lightclient.At{Height: id.Version, Header: &cmttypes.LightBlock{SignedHeader: &cmttypes.SignedHeader{
		Header: &cmttypes.Header{Height: id.Version + 1, AppHash: id.Hash, Time: now}}}}
	proofs := 0
	get := func(store string, key []byte, into proto.Message) (bool, error) {
		res, err := rs.Query(&storetypes.RequestQuery{Path: "/" + store + "/key", Data: key, Height: id.Version, Prove: true})
		if err != nil {
			return false, err
		}
		v, err := lightclient.VerifyAnswer(at, store, key, res.Value, res.Height, res.ProofOps)
		if err != nil || v == nil {
			return false, err
		}
		proofs++
		return true, proto.Unmarshal(v, into)
	}
	q := accesskeeper.NewQuerier(a.AccessKeeper)
	readCtx := a.BaseApp.NewUncachedContext(false, cmtproto.Header{Time: now, Height: id.Version + 1, ChainID: "medchain-test"})

	allowed, emergencies := 0, 0
	for _, r := range records {
		for _, asker := range []sdk.AccAddress{owner, doctor, hospital, closed, closedDoctor, stranger, reader, emergencyDoctor} {
			for _, p := range []accesstypes.Permission{read, write} {
				node, err := q.CheckAccess(readCtx, &accesstypes.QueryCheckAccessRequest{RecordId: r.Id, Grantee: asker.String(), Permission: p})
				require.NoError(t, err)
				var proven recordstypes.Record
				recordKey, err := collections.EncodeKeyWithPrefix(recordstypes.RecordsKey, collections.Uint64Key, r.Id)
				require.NoError(t, err)
				found, err := get(recordstypes.StoreKey, recordKey, &proven)
				require.NoError(t, err)
				require.True(t, found)
				d, err := accesstypes.Decide(context.Background(), lightclient.ProvenState(get), proven, owner, asker, p, now)
				require.NoError(t, err)

				what := "record " + proven.Cid + " " + p.Label() + " by " + asker.String()
				require.Equal(t, node.Allowed, d.Allowed, what)
				require.Equal(t, node.Reason, d.Reason, what)
				var nodeGrant uint64
				if node.Grant != nil {
					nodeGrant = node.Grant.Id
				}
				require.Equal(t, nodeGrant, d.GrantID, what)
				if d.ViaOrganisation {
					require.Equal(t, node.ViaOrganisation, d.Holder.String(), what)
				} else {
					require.Empty(t, node.ViaOrganisation, what)
				}
				require.Equal(t, node.EmergencyAccessId, d.EmergencyAccessID, what)
				if d.Allowed {
					allowed++
				}
				if d.EmergencyAccessID != 0 {
					emergencies++
				}
			}
		}
	}
	require.Greater(t, allowed, 5, "the table allows some and refuses some")
	require.Equal(t, 1, emergencies, "only the open hospital's doctor reads the active DICOM record under emergency")
	require.Greater(t, proofs, 20, "the proven side read through proofs")
}
