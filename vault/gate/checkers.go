package gate

import (
	"context"
	"fmt"
	"strings"

	"github.com/cosmos/gogoproto/proto"
	"github.com/ipfs/go-cid"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/lightclient"
	accesstypes "github.com/medchain/medchain/x/access/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	"github.com/medchain/medchain/x/records/placement"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// NodeChecker trusts one node (the vault's own): it runs x/access's
// CheckAccess and x/records' Record queries over the node's RPC.
type NodeChecker struct{ rpc *rpchttp.HTTP }

// NewNodeChecker asks the node at rpcAddr (http://host:port).
func NewNodeChecker(rpcAddr string) (*NodeChecker, error) {
	c, err := rpchttp.New(rpcAddr, "/websocket")
	if err != nil {
		return nil, err
	}
	return &NodeChecker{rpc: c}, nil
}

func (n *NodeChecker) query(ctx context.Context, path string, req, resp proto.Message) (int64, error) {
	bz, err := proto.Marshal(req)
	if err != nil {
		return 0, err
	}
	res, err := n.rpc.ABCIQuery(ctx, path, bz)
	if err != nil {
		return 0, err
	}
	if !res.Response.IsOK() {
		return 0, fmt.Errorf("%s: %s", path, res.Response.Log)
	}
	return res.Response.Height, proto.Unmarshal(res.Response.Value, resp)
}

// Check implements Checker.
func (n *NodeChecker) Check(ctx context.Context, recordID, version uint64, reader string) (Verdict, error) {
	var rec recordstypes.QueryRecordResponse
	if _, err := n.query(ctx, "/medchain.records.v1.Query/Record", &recordstypes.QueryRecordRequest{Id: recordID}, &rec); err != nil {
		return Verdict{}, err
	}
	if version == 0 {
		version = rec.Record.Version
	}
	v := Verdict{Owner: rec.Record.Owner, CID: rec.Record.Cid, Version: version}
	if version <= rec.Record.Version {
		var hist recordstypes.QueryHistoryResponse
		if _, err := n.query(ctx, "/medchain.records.v1.Query/History", &recordstypes.QueryHistoryRequest{
			RecordId: recordID, Pagination: &query.PageRequest{Offset: version - 1, Limit: 1},
		}, &hist); err != nil {
			return Verdict{}, err
		}
		if len(hist.Versions) == 1 && hist.Versions[0].Version == version {
			hv := hist.Versions[0]
			v.VersionCID = hv.Cid
			v.VersionLive = rec.Record.Status == recordstypes.RecordStatusActive && hv.KeyEpoch == rec.Record.KeyEpoch
		}
	}
	var acc accesstypes.QueryCheckAccessResponse
	h, err := n.query(ctx, "/medchain.access.v1.Query/CheckAccess", &accesstypes.QueryCheckAccessRequest{
		RecordId: recordID, Grantee: reader, Permission: accesstypes.PermissionRead,
	}, &acc)
	if err != nil {
		return Verdict{}, err
	}
	v.Allowed, v.Reason, v.Height, v.Via = acc.Allowed, acc.Reason, h, acc.ViaOrganisation
	return v, nil
}

// Replica implements Checker.
func (n *NodeChecker) Replica(ctx context.Context, hospital string, c cid.Cid) (ReplicaVerdict, error) {
	var iss issuerstypes.QueryIssuerResponse
	h, err := n.query(ctx, "/medchain.issuers.v1.Query/Issuer", &issuerstypes.QueryIssuerRequest{Address: hospital}, &iss)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return ReplicaVerdict{Reason: hospital + " is not a registered issuer", Height: h}, nil
		}
		return ReplicaVerdict{}, err
	}
	if why := replicaIssuer(iss.Issuer); why != "" {
		return ReplicaVerdict{Reason: why, Height: h}, nil
	}
	var by recordstypes.QueryByCidResponse
	h, err = n.query(ctx, "/medchain.records.v1.Query/ByCid", &recordstypes.QueryByCidRequest{Cid: c.String()}, &by)
	if err != nil {
		if strings.Contains(err.Error(), "no record has ever used") {
			return ReplicaVerdict{Reason: c.String() + " is no record's payload", Height: h}, nil
		}
		return ReplicaVerdict{}, err
	}
	if !by.Live {
		return ReplicaVerdict{Reason: fmt.Sprintf("%s was released by record %d", c, by.RecordId), RecordID: by.RecordId, Height: h}, nil
	}
	return ReplicaVerdict{Allowed: true, RecordID: by.RecordId, Height: h}, nil
}

// ArchiveAllowed implements Checker: x/records' params and the record.
func (n *NodeChecker) ArchiveAllowed(ctx context.Context, recordID uint64) (bool, string, error) {
	var params recordstypes.QueryParamsResponse
	if _, err := n.query(ctx, "/medchain.records.v1.Query/Params", &recordstypes.QueryParamsRequest{}, &params); err != nil {
		return false, "", err
	}
	var rec recordstypes.QueryRecordResponse
	if _, err := n.query(ctx, "/medchain.records.v1.Query/Record", &recordstypes.QueryRecordRequest{Id: recordID}, &rec); err != nil {
		return false, "", err
	}
	why := recordstypes.ArchiveRefusal(params.Params, rec.Record)
	return why == "", why, nil
}

// Vaults implements Checker: x/records' Vaults query.
func (n *NodeChecker) Vaults(ctx context.Context) ([]placement.Replica, int, error) {
	var resp recordstypes.QueryVaultsResponse
	if _, err := n.query(ctx, "/medchain.records.v1.Query/Vaults", &recordstypes.QueryVaultsRequest{}, &resp); err != nil {
		return nil, 0, err
	}
	out := make([]placement.Replica, 0, len(resp.Vaults))
	for _, v := range resp.Vaults {
		addr, err := sdk.AccAddressFromBech32(v.Address)
		if err != nil {
			return nil, 0, fmt.Errorf("vault of %q: %w", v.Address, err)
		}
		out = append(out, placement.Replica{Address: addr, Name: v.Address, VaultURL: v.VaultUrl})
	}
	return out, int(resp.ReplicationFactor), nil
}

// ActiveHospital implements Checker.
func (n *NodeChecker) ActiveHospital(ctx context.Context, addr string) (bool, string, error) {
	var iss issuerstypes.QueryIssuerResponse
	if _, err := n.query(ctx, "/medchain.issuers.v1.Query/Issuer", &issuerstypes.QueryIssuerRequest{Address: addr}, &iss); err != nil {
		if strings.Contains(err.Error(), "not found") {
			return false, addr + " is not a registered issuer", nil
		}
		return false, "", err
	}
	why := replicaIssuer(iss.Issuer)
	return why == "", why, nil
}

// replicaIssuer says why an issuer may not hold replicas ("" if it may).
func replicaIssuer(i issuerstypes.Issuer) string {
	switch {
	case i.Kind != issuerstypes.IssuerKindHospital:
		return i.Address + " is not a hospital"
	case i.Status != issuerstypes.IssuerStatusActive:
		return "hospital " + i.Address + " is " + i.Status.Label()
	}
	return ""
}

// LightChecker verifies every answer with a light client.
type LightChecker struct{ lc *lightclient.Client }

// NewLightChecker uses lc.
func NewLightChecker(lc *lightclient.Client) *LightChecker { return &LightChecker{lc: lc} }

// ActiveHospital implements Checker, from a proven issuer entry.
func (l *LightChecker) ActiveHospital(ctx context.Context, addr string) (bool, string, error) {
	a, err := sdk.AccAddressFromBech32(addr)
	if err != nil {
		return false, "", err
	}
	at, err := l.lc.Latest(ctx)
	if err != nil {
		return false, "", err
	}
	issuer, found, err := l.lc.IssuerAt(ctx, at, a)
	if err != nil || !found {
		return false, addr + " is not a registered issuer", err
	}
	why := replicaIssuer(issuer)
	return why == "", why, nil
}

// Vaults implements Checker: the hospitals' vaults and the replication
// factor, proven complete at the latest verified header
// (lightclient.Client.ReplicasAt).
func (l *LightChecker) Vaults(ctx context.Context) ([]placement.Replica, int, error) {
	at, err := l.lc.Latest(ctx)
	if err != nil {
		return nil, 0, err
	}
	return l.lc.ReplicasAt(ctx, at)
}

// ArchiveAllowed implements Checker: the records params and the record
// are proven at one verified header.
func (l *LightChecker) ArchiveAllowed(ctx context.Context, recordID uint64) (bool, string, error) {
	at, err := l.lc.Latest(ctx)
	if err != nil {
		return false, "", err
	}
	why, err := l.lc.ArchiveRefusalAt(ctx, at, recordID)
	return why == "" && err == nil, why, err
}

// Replica implements Checker: the hospital's issuer entry and the CID's
// entry in the live index are proven at one verified header.
func (l *LightChecker) Replica(ctx context.Context, hospital string, c cid.Cid) (ReplicaVerdict, error) {
	addr, err := sdk.AccAddressFromBech32(hospital)
	if err != nil {
		return ReplicaVerdict{}, err
	}
	at, err := l.lc.Latest(ctx)
	if err != nil {
		return ReplicaVerdict{}, err
	}
	v := ReplicaVerdict{Height: at.Height, Verified: true}
	issuer, found, err := l.lc.IssuerAt(ctx, at, addr)
	if err != nil {
		return ReplicaVerdict{}, err
	}
	if !found {
		v.Reason = hospital + " is not a registered issuer"
		return v, nil
	}
	if v.Reason = replicaIssuer(issuer); v.Reason != "" {
		return v, nil
	}
	use, live, err := l.lc.LiveCIDAt(ctx, at, c)
	if err != nil {
		return ReplicaVerdict{}, err
	}
	if !live {
		v.Reason = c.String() + " is not a live payload"
		return v, nil
	}
	v.Allowed, v.RecordID = true, use.RecordId
	return v, nil
}

// Check implements Checker: the access decision and the version's CID are
// proven at the same verified header.
func (l *LightChecker) Check(ctx context.Context, recordID, version uint64, reader string) (Verdict, error) {
	addr, err := sdk.AccAddressFromBech32(reader)
	if err != nil {
		return Verdict{}, err
	}
	at, err := l.lc.Latest(ctx)
	if err != nil {
		return Verdict{}, err
	}
	a, err := l.lc.CheckAccessAt(ctx, at, recordID, addr, accesstypes.PermissionRead)
	if err != nil {
		return Verdict{}, err
	}
	if version == 0 {
		version = a.Version
	}
	v := Verdict{Allowed: a.Allowed, Reason: a.Reason, Owner: a.Owner, CID: a.CID, Height: a.Height, Verified: true, Version: version, Via: a.ViaOrganisation}
	if a.Owner == "" || version == 0 {
		return v, nil // no such record
	}
	hv, found, err := l.lc.RecordVersionAt(ctx, at, recordID, version)
	if err != nil {
		return Verdict{}, err
	}
	if found {
		v.VersionCID = hv.Cid
		v.VersionLive = a.Active && hv.KeyEpoch == a.KeyEpoch
	}
	return v, nil
}

// HasEncryptionKey implements KeyChecker: the node's x/access says whether
// addr registered an encryption key.
func (n *NodeChecker) HasEncryptionKey(ctx context.Context, addr string) (bool, error) {
	var resp accesstypes.QueryEncryptionKeyResponse
	_, err := n.query(ctx, "/medchain.access.v1.Query/EncryptionKey", &accesstypes.QueryEncryptionKeyRequest{Address: addr}, &resp)
	if err != nil {
		if strings.Contains(err.Error(), "not found") || strings.Contains(err.Error(), "no registered encryption key") {
			return false, nil
		}
		return false, err
	}
	return resp.Key.PublicKey != nil, nil
}
