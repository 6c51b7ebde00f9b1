package medclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cosmos/cosmos-sdk/client"

	"github.com/medchain/medchain/vault"
	"github.com/medchain/medchain/vault/gate"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// ReplicaView is one placed vault and whether it holds a payload.
type ReplicaView struct {
	Hospital string `json:"hospital"`
	VaultURL string `json:"vault_url"`
	Holds    bool   `json:"holds"`
	Error    string `json:"error,omitempty"`
}

// ReplicaReport is where a record version's payload must be, and where it
// is.
type ReplicaReport struct {
	RecordID          uint64        `json:"record_id"`
	Version           uint64        `json:"version"`
	CID               string        `json:"cid"`
	ReplicationFactor uint32        `json:"replication_factor"`
	Replicas          []ReplicaView `json:"replicas"`
}

// CheckReplicas lists the vaults placement names for version (0 for the
// current one) of record recordID and asks each, 15 s at most, whether it
// holds the payload's root (a vault writes a root only once the whole
// payload is in). A gated vault answers only to a reader's ticket: with
// signer set (a context whose --from may read the record), each vault is
// asked with a read ticket signed for it; a vault that does not answer, or
// refuses, is reported with its error rather than failing the check.
func CheckReplicas(ctx context.Context, clientCtx client.Context, signer *client.Context, recordID, version uint64) (*ReplicaReport, error) {
	q := recordstypes.NewQueryClient(clientCtx)
	resp, err := q.Record(ctx, &recordstypes.QueryRecordRequest{Id: recordID})
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", recordID, err)
	}
	if resp.Record.Status != recordstypes.RecordStatusActive {
		return nil, fmt.Errorf("record %d was redacted: its payload is released everywhere", recordID)
	}
	payload, err := VersionPayload(ctx, clientCtx, resp.Record, version)
	if err != nil {
		return nil, err
	}
	root, err := recordstypes.ValidateCID(payload.Cid)
	if err != nil {
		return nil, err
	}
	placed, err := q.Placement(ctx, &recordstypes.QueryPlacementRequest{Cid: payload.Cid})
	if err != nil {
		return nil, err
	}
	hc := ReplicaHTTPClient()
	out := &ReplicaReport{RecordID: recordID, Version: payload.Version, CID: payload.Cid,
		ReplicationFactor: placed.ReplicationFactor, Replicas: []ReplicaView{}}
	for _, r := range placed.Replicas {
		v := ReplicaView{Hospital: r.Address, VaultURL: r.VaultUrl}
		vc := vault.NewClient(r.VaultUrl, hc)
		if signer != nil {
			t, err := Ticket(ctx, *signer, r.VaultUrl, gate.PurposeRead, recordID, payload.Version, payload.Cid)
			if err != nil {
				return nil, err
			}
			vc.Header = http.Header{gate.Header: {t}}
		}
		askCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
		v.Holds, err = vc.Has(askCtx, root)
		cancel()
		if err != nil {
			v.Error = err.Error()
		}
		out.Replicas = append(out.Replicas, v)
	}
	return out, nil
}

// maxAccessLog bounds how much of an access log is read.
const maxAccessLog = 64 << 20

// AccessLog fetches one page of record recordID's entries of the access
// log the vault at vaultURL keeps (JSON), with a ticket signed by
// clientCtx's --from: the vault answers only the record's owner. page
// holds the vault's paging parameters (limit, after, before; nil: the
// most recent entries).
func AccessLog(ctx context.Context, clientCtx client.Context, vaultURL string, recordID uint64, page url.Values) ([]byte, error) {
	if vaultURL == "" {
		return nil, fmt.Errorf("the access log is kept by a medchain vault: give --vault")
	}
	ticket, err := Ticket(ctx, clientCtx, vaultURL, gate.PurposeLog, recordID, 0, "")
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for k, v := range page {
		q[k] = v
	}
	q.Set("record", strconv.FormatUint(recordID, 10))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, vaultURL+"/api/v1/access-log?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(gate.Header, ticket)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxAccessLog))
	switch resp.StatusCode {
	case http.StatusOK:
		return body, nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("the vault at %s keeps no access log (its access gate is off)", vaultURL)
	}
	return nil, fmt.Errorf("the vault refused (%s): %s", resp.Status, strings.TrimSpace(string(body)))
}
