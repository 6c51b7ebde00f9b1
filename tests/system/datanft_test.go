//go:build e2e

package system

import (
	"strings"
	"testing"
)

// TestIdentityNFTCannotBeSent: a patient claims her identity NFT (one per
// account); neither `tx nft send` nor an authz grantee can move it.
func TestIdentityNFTCannotBeSent(t *testing.T) {
	n := newNode(t)
	n.start()
	alice := n.address("alice")
	bob := n.addKey("bob")
	n.fund(bob)

	var id struct {
		Claimed bool   `json:"claimed"`
		ClassID string `json:"class_id"`
		NftID   string `json:"nft_id"`
	}
	n.query(&id, "datanft", "identity", alice)
	if id.Claimed {
		t.Fatalf("identity claimed before any claim: %+v", id)
	}
	n.mustTx("alice", "datanft", "claim-identity")
	n.query(&id, "datanft", "identity", alice)
	if !id.Claimed || id.ClassID != "medchain-identity" || id.NftID != alice {
		t.Fatalf("after the claim: %+v", id)
	}
	var owner struct {
		Owner string `json:"owner"`
	}
	n.query(&owner, "nft", "owner", "medchain-identity", alice)
	if owner.Owner != alice {
		t.Fatalf("x/nft says the identity NFT belongs to %q", owner.Owner)
	}

	res := n.tx("alice", "datanft", "claim-identity")
	if res.Code == 0 || !strings.Contains(res.RawLog, "already holds its identity NFT") {
		t.Fatalf("a second claim: code %d: %s", res.Code, res.RawLog)
	}
	res = n.tx("alice", "nft", "send", "medchain-identity", alice, bob)
	if res.Code == 0 || !strings.Contains(res.RawLog, "cannot be transferred") {
		t.Fatalf("sending the identity NFT: code %d: %s", res.Code, res.RawLog)
	}
	n.mustTx("alice", "authz", "grant", bob, "generic", "--msg-type", "/cosmos.nft.v1beta1.MsgSend")
	unsigned := mustRun(t, n.bin, "tx", "nft", "send", "medchain-identity", alice, bob,
		"--from", "alice", "--generate-only", "--chain-id", n.chainID, "--home", n.home, "--keyring-backend", "test", "--node", n.rpc)
	res = n.tx("bob", "authz", "exec", writeTemp(t, "send-identity.json", unsigned))
	if res.Code == 0 || !strings.Contains(res.RawLog, "cannot be transferred") {
		t.Fatalf("sending the identity NFT through authz: code %d: %s", res.Code, res.RawLog)
	}
	n.query(&owner, "nft", "owner", "medchain-identity", alice)
	if owner.Owner != alice {
		t.Fatalf("the identity NFT moved to %q", owner.Owner)
	}
}
