//go:build e2e

package system

import (
	"github.com/medchain/medchain/testutil/system"
	"strings"
	"testing"
	"time"
)

// TestGentxOfANonHospitalIsRefused: a genesis whose validator is not a
// registered hospital cannot start, and the node says why.
func TestGentxOfANonHospitalIsRefused(t *testing.T) {
	n := newNodeWith(t, system.NodeOptions{ValidatorIsNotAHospital: true})
	out := n.StartExpectingFailure()
	if !strings.Contains(out, "not an active hospital issuer") {
		t.Fatalf("the node did not say that its validator is not a hospital:\n%s", system.Tail(out, 30))
	}
}

// authorisation is the answer of `medchaind query issuers is-authorised`.
type authorisation struct {
	Authorised   bool   `json:"authorised"`
	Organisation string `json:"organisation"`
	Reason       string `json:"reason"`
}

func (n *node) isAuthorised(addr string, height ...int64) authorisation {
	n.T.Helper()
	args := []string{"issuers", "is-authorised", addr}
	if len(height) > 0 {
		args = append(args, "--height", itoa(height[0]))
	}
	var a authorisation
	n.Query(&a, args...)
	return a
}

func (n *node) issuerStatus(addr string, height int64) string {
	n.T.Helper()
	var resp struct {
		Issuer struct {
			Status string `json:"status"`
		} `json:"issuer"`
	}
	n.Query(&resp, "issuers", "issuer", addr, "--height", itoa(height))
	return resp.Issuer.Status
}

// TestGovernanceAdmitsAHospitalThatValidatesAndIsSuspended walks the life
// of a hospital on a real chain, every step through medchaind's CLI:
// ordinary accounts cannot validate (directly or wrapped in authz MsgExec);
// a governance proposal registers a new hospital; the hospital adds a doctor
// who is then authorised; the hospital creates a validator; a second
// proposal suspends it, which in that same block leaves its doctor
// unauthorised and its validator jailed, and unjailing does not bring the
// validator back.
func TestGovernanceAdmitsAHospitalThatValidatesAndIsSuspended(t *testing.T) {
	n := newNode(t)
	n.Start()

	hospital := n.AddKey("hospital")
	doctor := n.AddKey("doctor")
	bob := n.AddKey("bob")
	n.Fund(hospital)
	n.Fund(bob)

	// A patient account may not validate.
	res := n.Tx("alice", "staking", "create-validator", n.validatorFile("alice-node", "5000000umed"))
	if res.Code == 0 || !strings.Contains(res.RawLog, "not an active hospital issuer") {
		t.Fatalf("create-validator from a patient: want refusal naming the rule, got code %d: %s", res.Code, res.RawLog)
	}

	// Nor by having someone else execute the message for it through authz.
	n.MustTx("alice", "authz", "grant", bob, "generic", "--msg-type", "/cosmos.staking.v1beta1.MsgCreateValidator")
	unsigned := system.MustRun(t, n.Bin, "tx", "staking", "create-validator", n.validatorFile("alice-node-2", "5000000umed"),
		"--from", "alice", "--generate-only", "--chain-id", n.ChainID, "--home", n.Home, "--keyring-backend", "test", "--node", n.RPC)
	execFile := writeTemp(t, "create-validator.json", unsigned)
	res = n.Tx("bob", "authz", "exec", execFile)
	if res.Code == 0 || !strings.Contains(res.RawLog, "not an active hospital issuer") {
		t.Fatalf("create-validator wrapped in MsgExec: want refusal naming the rule, got code %d: %s", res.Code, res.RawLog)
	}

	// Governance admits the hospital.
	n.PassProposal("Admit General Hospital", "issuers", "register-issuer", hospital, "General Hospital", "hospital",
		"--jurisdiction", "GB", "--license-id", "GH-0001", "--website", "https://general.example")
	var issuer struct {
		Issuer struct {
			Name   string `json:"name"`
			Kind   string `json:"kind"`
			Status string `json:"status"`
		} `json:"issuer"`
	}
	n.Query(&issuer, "issuers", "issuer", hospital)
	if issuer.Issuer.Status != "ISSUER_STATUS_ACTIVE" || issuer.Issuer.Kind != "ISSUER_KIND_HOSPITAL" {
		t.Fatalf("after the proposal the hospital is %+v, want an active hospital", issuer.Issuer)
	}

	// Before joining a hospital the doctor may not act as an issuer.
	if a := n.isAuthorised(doctor); a.Authorised {
		t.Fatalf("a doctor of no organisation is authorised: %+v", a)
	}
	n.MustTx("hospital", "issuers", "add-practitioner", doctor, "doctor")
	if a := n.isAuthorised(doctor); !a.Authorised || a.Organisation != hospital {
		t.Fatalf("the doctor of an active hospital: want authorised for %s, got %+v", hospital, a)
	}

	// The hospital may validate.
	n.MustTx("hospital", "staking", "create-validator", n.validatorFile("general-node", "5000000umed"))
	valoper := valoperOf(t, hospital)
	if jailed := n.validatorJailed(valoper, 0); jailed {
		t.Fatal("the new hospital's validator starts jailed")
	}

	// Governance suspends it.
	n.PassProposal("Suspend General Hospital", "issuers", "set-issuer-status", hospital, "suspended",
		"--reason", "licence under review")
	h := n.Height()
	// Find the block that executed the suspension: the first height at
	// which the issuer is SUSPENDED.
	for h > 1 && n.issuerStatus(hospital, h-1) == "ISSUER_STATUS_SUSPENDED" {
		h--
	}
	if got := n.issuerStatus(hospital, h); got != "ISSUER_STATUS_SUSPENDED" {
		t.Fatalf("issuer status at %d = %s, want SUSPENDED", h, got)
	}
	if a := n.isAuthorised(doctor, h-1); !a.Authorised {
		t.Fatalf("the doctor was already unauthorised before the suspension (height %d): %+v", h-1, a)
	}
	if a := n.isAuthorised(doctor, h); a.Authorised {
		t.Fatalf("the doctor is still authorised in the block that suspended the hospital (height %d): %+v", h, a)
	}
	if !n.validatorJailed(valoper, h) {
		t.Fatalf("the suspended hospital's validator is not jailed at height %d", h)
	}

	// Unjailing does not bring a suspended hospital back into the set.
	n.Tx("hospital", "slashing", "unjail")
	n.WaitForHeight(n.Height()+2, 30*time.Second)
	if !n.validatorJailed(valoper, 0) {
		t.Fatal("a suspended hospital unjailed its validator")
	}
}
