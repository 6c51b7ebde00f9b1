package gate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/records/placement"
)

// Vaults lists f.vaults and f.factor; with neither set, every hospital in
// f.hospitals holds every payload.
func (f fakeChain) Vaults(context.Context) ([]placement.Replica, int, error) {
	if f.vaults != nil {
		return f.vaults, f.factor, nil
	}
	var out []placement.Replica
	for h := range f.hospitals {
		out = append(out, replicaOf(h))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, len(out), nil
}

func replicaOf(addr string) placement.Replica {
	return placement.Replica{Address: sdk.MustAccAddressFromBech32(addr), Name: addr, VaultURL: "http://vault.of/" + addr}
}

// TestReplicaReadsOnlyForPlacedHospitals is the replica-ticket attack: a
// replica ticket let any ACTIVE hospital fetch any live CID. Now a
// hospital is served a replica only of a CID the placement (computed from
// chain state: the hospitals' vaults and the replication factor) puts on
// it; another ACTIVE hospital, or one with no vault on chain, is refused
// 403, and the refusal kept apart from the owner's log.
func TestReplicaReadsOnlyForPlacedHospitals(t *testing.T) {
	patient := newAccount()
	hs := []account{newAccount(), newAccount(), newAccount()}
	noVault := newAccount() // an ACTIVE hospital that registered no vault URL
	root := cid.NewCidV1(cid.Raw, mustHash(t, "live payload"))
	var vaults []placement.Replica
	hospitals := map[string]bool{noVault.addr: true}
	for _, h := range hs {
		vaults = append(vaults, replicaOf(h.addr))
		hospitals[h.addr] = true
	}
	placed := map[string]bool{}
	for _, r := range placement.Place(root, vaults, 2) {
		placed[r.Name] = true
	}
	log, err := OpenLog(filepath.Join(t.TempDir(), "access.log"))
	require.NoError(t, err)
	g := New(fakeChain{owner: patient.addr, versions: []string{root.String()}, hospitals: hospitals, vaults: vaults, factor: 2}, log)
	read := func(a account) (int, string) {
		tk, err := NewTicket(PurposeReplica, 0, root.String(), a.addr, time.Minute)
		require.NoError(t, err)
		h, err := Sign(tk, a.signer())
		require.NoError(t, err)
		r := httptest.NewRequest(http.MethodGet, "/ipfs/"+root.String()+"?format=car", nil)
		r.Header.Set(Header, h)
		if err := g.AllowRead(r, root); err != nil {
			return err.(*GateError).Status, err.Error()
		}
		return http.StatusOK, ""
	}
	for _, h := range hs {
		status, msg := read(h)
		if placed[h.addr] {
			require.Equal(t, http.StatusOK, status, "a placed hospital: %s", msg)
			continue
		}
		require.Equal(t, http.StatusForbidden, status, "an ACTIVE hospital the CID is not placed on")
		require.Contains(t, msg, "not placed on")
	}
	status, msg := read(noVault)
	require.Equal(t, http.StatusForbidden, status, "an ACTIVE hospital with no vault on chain")
	require.Contains(t, msg, "not placed on")

	entries, err := log.ForRecord(1)
	require.NoError(t, err)
	require.Len(t, entries, 2, "the placed hospitals' copies are in the owner's log")
	for _, e := range entries {
		require.True(t, placed[e.Reader])
	}
}
