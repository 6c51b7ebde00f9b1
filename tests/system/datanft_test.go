//go:build e2e

package system

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medchain/medchain/testutil/system"
)

// TestIdentityNFTCannotBeSent: a patient claims her identity NFT (one per
// account); neither `tx nft send` nor an authz grantee can move it.
func TestIdentityNFTCannotBeSent(t *testing.T) {
	n := newNode(t)
	n.Start()
	alice := n.Address("alice")
	bob := n.AddKey("bob")
	n.Fund(bob)

	var id struct {
		Claimed bool   `json:"claimed"`
		ClassID string `json:"class_id"`
		NftID   string `json:"nft_id"`
	}
	n.Query(&id, "datanft", "identity", alice)
	if id.Claimed {
		t.Fatalf("identity claimed before any claim: %+v", id)
	}
	n.MustTx("alice", "datanft", "claim-identity")
	n.Query(&id, "datanft", "identity", alice)
	if !id.Claimed || id.ClassID != "medchain-identity" || id.NftID != alice {
		t.Fatalf("after the claim: %+v", id)
	}
	var owner struct {
		Owner string `json:"owner"`
	}
	n.Query(&owner, "nft", "owner", "medchain-identity", alice)
	if owner.Owner != alice {
		t.Fatalf("x/nft says the identity NFT belongs to %q", owner.Owner)
	}

	res := n.Tx("alice", "datanft", "claim-identity")
	if res.Code == 0 || !strings.Contains(res.RawLog, "already holds its identity NFT") {
		t.Fatalf("a second claim: code %d: %s", res.Code, res.RawLog)
	}
	res = n.Tx("alice", "nft", "send", "medchain-identity", alice, bob)
	if res.Code == 0 || !strings.Contains(res.RawLog, "cannot be transferred") {
		t.Fatalf("sending the identity NFT: code %d: %s", res.Code, res.RawLog)
	}
	n.MustTx("alice", "authz", "grant", bob, "generic", "--msg-type", "/cosmos.nft.v1beta1.MsgSend")
	unsigned := system.MustRun(t, n.Bin, "tx", "nft", "send", "medchain-identity", alice, bob,
		"--from", "alice", "--generate-only", "--chain-id", n.ChainID, "--home", n.Home, "--keyring-backend", "test", "--node", n.RPC)
	res = n.Tx("bob", "authz", "exec", writeTemp(t, "send-identity.json", unsigned))
	if res.Code == 0 || !strings.Contains(res.RawLog, "cannot be transferred") {
		t.Fatalf("sending the identity NFT through authz: code %d: %s", res.Code, res.RawLog)
	}
	n.Query(&owner, "nft", "owner", "medchain-identity", alice)
	if owner.Owner != alice {
		t.Fatalf("the identity NFT moved to %q", owner.Owner)
	}
}

// umed reads an account's umed balance as a number.
func umed(t *testing.T, n *node, addr string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(balance(t, n, addr), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type licenceView struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	RefundHeight string `json:"refund_height"`
	GrantID      string `json:"grant_id"`
}

// TestDataNFTMarketAndLicences is the data-NFT market and licence scenario through medchaind, a
// real node and its vault: a doctor writes a DICOM record for alice; alice
// de-identifies it, mints the copy as a data-NFT and lists it; a lab buys a
// licence, alice fulfils it, the lab downloads the de-identified file and
// still cannot open the original; a second buyer buys the NFT and the
// producing doctor is paid a royalty; a move by x/nft send removes a
// listing; an unfulfilled licence is refunded at its refund height.
// licenceTimeout is the test chain's licence_timeout_blocks: long enough
// that a loaded machine fulfils licence 1 well before it lapses (about 45 s
// of 300 ms blocks), short enough that licence 2 lapses while the rest of
// the scenario runs.
const licenceTimeout = 150

func TestDataNFTMarketAndLicences(t *testing.T) {
	n := newNode(t)
	n.EditGenesis(func(appState map[string]any) {
		appState["datanft"].(map[string]any)["params"].(map[string]any)["licence_timeout_blocks"] = strconv.Itoa(licenceTimeout)
	})
	n.Start()
	hospital, alice := n.Address("val"), n.Address("alice")
	doctor, lab, buyer, stranger, patron := n.AddKey("doctor"), n.AddKey("lab"), n.AddKey("buyer"), n.AddKey("stranger"), n.AddKey("patron")
	for _, a := range []string{doctor, lab, buyer, stranger, patron} {
		n.Fund(a)
	}
	n.MustTx("val", "issuers", "add-practitioner", doctor, "doctor")
	for _, k := range []string{"alice", "doctor", "lab", "buyer", "patron"} {
		n.MustTx(k, "access", "register-key")
	}
	n.MustTx("alice", "access", "grant", "all", hospital, "--permission", "write", "--purpose", "treatment")
	orig, r := n.upload("doctor", alice, identifiedDICOM(t, t.TempDir()))
	requireSuccess(t, "doctor's upload", r)
	r = n.dataTx("alice", "records", "deidentify", strconv.FormatUint(orig.RecordID, 10), "-o", "json")
	requireSuccess(t, "deidentify", r)
	var deid uploaded
	if err := json.Unmarshal([]byte(r.Stdout), &deid); err != nil {
		t.Fatalf("deidentify -o json printed %q: %v", r.Stdout, err)
	}
	deidID, origID := strconv.FormatUint(deid.RecordID, 10), strconv.FormatUint(orig.RecordID, 10)
	nftID := "record-" + deidID

	// Only the de-identified copy can be minted, and only by alice.
	mint := []string{"--royalty-bps", "500", "--licence-price", "1000umed", "--licence-duration", "1h"}
	if res := n.Tx("alice", append([]string{"datanft", "mint", origID, "mri-brain"}, mint...)...); res.Code == 0 || !strings.Contains(res.RawLog, "not de-identified") {
		t.Fatalf("minting the identified original: code %d: %s", res.Code, res.RawLog)
	}
	if res := n.Tx("doctor", append([]string{"datanft", "mint", deidID, "mri-brain"}, mint...)...); res.Code == 0 || !strings.Contains(res.RawLog, "only its owner") {
		t.Fatalf("the doctor minting alice's record: code %d: %s", res.Code, res.RawLog)
	}
	if res := n.Tx("alice", "datanft", "mint", deidID, "mri-brain", "--royalty-bps", "5000", "--licence-price", "1000umed", "--licence-duration", "1h"); res.Code == 0 || !strings.Contains(res.RawLog, "above the chain's maximum") {
		t.Fatalf("a 50 %% royalty: code %d: %s", res.Code, res.RawLog)
	}
	n.MustTx("alice", append([]string{"datanft", "mint", deidID, "mri-brain"}, mint...)...)
	var got struct {
		Nft struct {
			Nft struct {
				Producer string `json:"producer"`
				RecordID string `json:"record_id"`
			} `json:"nft"`
			Owner   string `json:"owner"`
			Listing *struct {
				Seller string `json:"seller"`
			} `json:"listing"`
		} `json:"nft"`
	}
	n.Query(&got, "datanft", "nft", "mri-brain", nftID)
	if got.Nft.Owner != alice || got.Nft.Nft.Producer != doctor || got.Nft.Nft.RecordID != deidID {
		t.Fatalf("the minted NFT: %+v", got.Nft)
	}
	n.MustTx("alice", "datanft", "list", "mri-brain", nftID, "50000umed")

	// A licence: escrowed, fulfilled by alice's client, readable by the lab.
	if res := n.Tx("stranger", "datanft", "buy-licence", "mri-brain", nftID, "1000umed"); res.Code == 0 || !strings.Contains(res.RawLog, "register-key") {
		t.Fatalf("a licence for an account without a key: code %d: %s", res.Code, res.RawLog)
	}
	aliceBefore, doctorBefore := umed(t, n, alice), umed(t, n, doctor)
	n.MustTx("lab", "datanft", "buy-licence", "mri-brain", nftID, "1000umed")
	var lic struct {
		Licence licenceView `json:"licence"`
	}
	n.Query(&lic, "datanft", "licence", "1")
	if lic.Licence.Status != "LICENCE_STATUS_PENDING" {
		t.Fatalf("licence 1 after purchase: %+v", lic.Licence)
	}
	requireFailure(t, "the lab before fulfilment", n.download("lab", deid.RecordID, filepath.Join(t.TempDir(), "x.dcm")), "no access")
	r = system.Run(t, n.Bin, "tx", "datanft", "fulfil-licences", "--from", "alice", "--chain-id", n.ChainID, "--node", n.RPC,
		"--home", n.Home, "--keyring-backend", "test", "--yes")
	requireSuccess(t, "fulfil-licences", r)
	if !strings.Contains(r.Stdout, "1 licence(s) fulfilled") {
		t.Fatalf("fulfil-licences printed %q", r.Stdout)
	}
	n.Query(&lic, "datanft", "licence", "1")
	if lic.Licence.Status != "LICENCE_STATUS_FULFILLED" || lic.Licence.GrantID == "" {
		t.Fatalf("licence 1 after fulfilment: %+v", lic.Licence)
	}
	if c := n.check(deid.RecordID, lab); !c.Allowed {
		t.Fatalf("the lab's access after fulfilment: %+v", c)
	}
	out := filepath.Join(t.TempDir(), "deid.dcm")
	requireSuccess(t, "the lab downloads the de-identified copy", n.download("lab", deid.RecordID, out))
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("Doe^Jane")) || bytes.Contains(data, []byte("MRN-123456")) || len(data) == 0 {
		t.Fatalf("the lab's copy (%d bytes) names the patient", len(data))
	}
	requireFailure(t, "the lab and the original", n.download("lab", orig.RecordID, filepath.Join(t.TempDir(), "orig.dcm")), "no access")
	// Alice signed fulfil-licences (no fee on this chain): she got 95 %,
	// the doctor 5 %.
	if a, d := umed(t, n, alice)-aliceBefore, umed(t, n, doctor)-doctorBefore; a != 950 || d != 50 {
		t.Fatalf("licence payout: alice +%d, doctor +%d; want +950 and +50", a, d)
	}

	// An unfulfilled licence, bought now by another account and refunded
	// at its refund height, which the rest of the test runs towards.
	patronBefore := umed(t, n, patron)
	res := n.MustTx("patron", "datanft", "buy-licence", "mri-brain", nftID, "1000umed")
	n.Query(&lic, "datanft", "licence", "2")
	refundAt, _ := strconv.ParseInt(lic.Licence.RefundHeight, 10, 64)
	if refundAt != res.Height+licenceTimeout {
		t.Fatalf("licence 2 bought at height %d refunds at %d, want %d", res.Height, refundAt, res.Height+licenceTimeout)
	}
	if got := umed(t, n, patron); got != patronBefore-1000 {
		t.Fatalf("patron's balance with the licence in escrow: %d, want %d", got, patronBefore-1000)
	}

	// A second sale pays the producing doctor 5 % of 50000umed.
	doctorBefore, aliceBefore = umed(t, n, doctor), umed(t, n, alice)
	if res := n.Tx("buyer", "datanft", "buy", "mri-brain", nftID, "40000umed"); res.Code == 0 || !strings.Contains(res.RawLog, "costs 50000umed") {
		t.Fatalf("buying below the listed price: code %d: %s", res.Code, res.RawLog)
	}
	n.MustTx("buyer", "datanft", "buy", "mri-brain", nftID, "50000umed")
	if d, a := umed(t, n, doctor)-doctorBefore, umed(t, n, alice)-aliceBefore; d != 2500 || a != 47500 {
		t.Fatalf("sale payout: doctor +%d, alice +%d; want +2500 and +47500", d, a)
	}
	n.Query(&got, "datanft", "nft", "mri-brain", nftID)
	if got.Nft.Owner != buyer || got.Nft.Listing != nil {
		t.Fatalf("after the sale: %+v", got.Nft)
	}
	var byProducer struct {
		Nfts []json.RawMessage `json:"nfts"`
	}
	n.Query(&byProducer, "datanft", "nfts-by-producer", doctor)
	if len(byProducer.Nfts) != 1 {
		t.Fatalf("nfts-by-producer %s: %d NFTs", doctor, len(byProducer.Nfts))
	}

	// The new owner lists it and cancels while the lab buys: both go to
	// the mempool at once (usually the same block). Exactly one wins, and
	// the books agree with whichever did.
	n.MustTx("buyer", "datanft", "list", "mri-brain", nftID, "60000umed")
	labBefore, buyerBefore := umed(t, n, lab), umed(t, n, buyer)
	hashes := n.BroadcastTogether(
		[]string{"buyer", "datanft", "cancel-listing", "mri-brain", nftID},
		[]string{"lab", "datanft", "buy", "mri-brain", nftID, "60000umed"})
	cancelCode, cancelLog, cancelHeight := n.WaitForTxResult(hashes[0])
	buyCode, buyLog, buyHeight := n.WaitForTxResult(hashes[1])
	t.Logf("race: cancel code %d at %d, buy code %d at %d", cancelCode, cancelHeight, buyCode, buyHeight)
	n.Query(&got, "datanft", "nft", "mri-brain", nftID)
	switch {
	case cancelCode == 0 && buyCode != 0:
		if !strings.Contains(buyLog, "not for sale") || got.Nft.Owner != buyer || umed(t, n, lab) != labBefore {
			t.Fatalf("cancel won, but: buy log %q, owner %s, lab %d -> %d", buyLog, got.Nft.Owner, labBefore, umed(t, n, lab))
		}
	case buyCode == 0 && cancelCode != 0:
		if !strings.Contains(cancelLog, "not for sale") || got.Nft.Owner != lab || umed(t, n, lab) != labBefore-60000 ||
			umed(t, n, buyer) != buyerBefore+57000 {
			t.Fatalf("buy won, but: cancel log %q, owner %s, lab %d -> %d, buyer %d -> %d",
				cancelLog, got.Nft.Owner, labBefore, umed(t, n, lab), buyerBefore, umed(t, n, buyer))
		}
		n.MustTx("lab", "nft", "send", "mri-brain", nftID, buyer) // back, for the rest of the test
	default:
		t.Fatalf("cancel (code %d: %s) and buy (code %d: %s) must not both succeed or both fail", cancelCode, cancelLog, buyCode, buyLog)
	}
	if got.Nft.Listing != nil {
		t.Fatalf("a listing survived the race: %+v", got.Nft.Listing)
	}

	// The owner lists it again, then moves it with x/nft send: the
	// listing goes with the move.
	n.MustTx("buyer", "datanft", "list", "mri-brain", nftID, "60000umed")
	n.MustTx("buyer", "nft", "send", "mri-brain", nftID, lab)
	var listings struct {
		Listings []json.RawMessage `json:"listings"`
	}
	n.Query(&listings, "datanft", "listings")
	if len(listings.Listings) != 0 {
		t.Fatalf("a listing outlived its NFT's move: %s", listings.Listings)
	}

	bob := n.AddKey("bob")
	n.Fund(bob)
	sellAsPseudonym(t, n, orig.RecordID, alice, bob, doctor, lab)

	// Licence 2, left unfulfilled, is refunded at its refund height.
	n.WaitForHeight(refundAt, 90*time.Second)
	n.Query(&lic, "datanft", "licence", "2")
	if lic.Licence.Status != "LICENCE_STATUS_REFUNDED" {
		t.Fatalf("licence 2 at height %d: %+v", refundAt, lic.Licence)
	}
	if got := umed(t, n, patron); got != patronBefore {
		t.Fatalf("patron's balance after the refund: %d, want %d", got, patronBefore)
	}
}

// sellAsPseudonym is the unlinkable sale: alice derives a pseudonym, has
// the hospital that issued record orig (through its doctor) vouch for it
// at its vault, stores a de-identified copy as the pseudonym's record and
// sells a licence to lab as the pseudonym. Nothing the chain shows about
// the copy, its NFT or its licence names alice or the original; bob
// cannot get a pseudonym vouched with alice's record, and alice cannot
// have her own address vouched for.
func sellAsPseudonym(t *testing.T, n *node, orig uint64, alice, bob, doctor, lab string) {
	t.Helper()
	var p struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	}
	out := system.MustRun(t, n.Bin, "keys", "pseudonym", "alice", "0", "--chain-id", n.ChainID, "--home", n.Home, "--keyring-backend", "test", "--output", "json")
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.Name != "alice-pseudonym-0" || p.Address == alice {
		t.Fatalf("keys pseudonym printed %q (%v)", out, err)
	}
	again := system.MustRun(t, n.Bin, "keys", "pseudonym", "alice", "0", "--chain-id", n.ChainID, "--home", n.Home, "--keyring-backend", "test", "--output", "json")
	if !strings.Contains(again, p.Address) {
		t.Fatalf("pseudonym 0 derived again is %q, first %s", again, p.Address)
	}

	// Attacks at the vault: a ticket of bob's for alice's record, and a
	// ticket of alice's naming her own address.
	ask := func(from, pseudonym string) (int, string) {
		ticket := strings.TrimSpace(system.MustRun(t, n.Bin, "vault", "ticket", strconv.FormatUint(orig, 10), "--purpose", "pseudonym",
			"--pseudonym", pseudonym, "--from", from, "--vault", n.Vault, "--chain-id", n.ChainID, "--home", n.Home, "--keyring-backend", "test"))
		req, _ := http.NewRequest(http.MethodPost, n.Vault+"/api/v1/pseudonym", nil)
		req.Header.Set("X-Medchain-Ticket", ticket)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if code, body := ask("bob", p.Address); code != http.StatusForbidden || !strings.Contains(body, "owner") {
		t.Fatalf("bob asking for a pseudonym with alice's record: HTTP %d %s", code, body)
	}
	if code, body := ask("alice", alice); code != http.StatusBadRequest {
		t.Fatalf("alice asking the vault to vouch for her own address: HTTP %d %s", code, body)
	}
	if res := n.Tx("bob", "datanft", "vouch-pseudonym", p.Address, bob); res.Code == 0 || !strings.Contains(res.RawLog, "only an ACTIVE hospital") {
		t.Fatalf("bob vouching for a pseudonym himself: code %d: %s", res.Code, res.RawLog)
	}

	// The copy, as the pseudonym.
	r := n.dataTx("alice", "records", "deidentify", strconv.FormatUint(orig, 10), "--to", p.Name, "-o", "json")
	requireSuccess(t, "deidentify --to the pseudonym", r)
	var copied uploaded
	if err := json.Unmarshal([]byte(r.Stdout), &copied); err != nil {
		t.Fatalf("deidentify -o json printed %q: %v", r.Stdout, err)
	}
	var vouched struct {
		Vouched   bool `json:"vouched"`
		Pseudonym struct {
			Producer string `json:"producer"`
			Hospital string `json:"hospital"`
		} `json:"pseudonym"`
	}
	n.Query(&vouched, "datanft", "pseudonym", p.Address)
	if !vouched.Vouched || vouched.Pseudonym.Producer != doctor || vouched.Pseudonym.Hospital != n.Address("val") {
		t.Fatalf("the pseudonym on chain: %+v", vouched)
	}
	class, nftID := "mri-anon", "record-"+strconv.FormatUint(copied.RecordID, 10)
	n.MustTx(p.Name, "datanft", "mint", strconv.FormatUint(copied.RecordID, 10), class, "--royalty-bps", "500", "--licence-price", "1000umed", "--licence-duration", "1h")
	n.MustTx("lab", "datanft", "buy-licence", class, nftID, "1000umed")
	r = system.Run(t, n.Bin, "tx", "datanft", "fulfil-licences", "--from", p.Name, "--chain-id", n.ChainID, "--node", n.RPC,
		"--home", n.Home, "--keyring-backend", "test", "--yes")
	requireSuccess(t, "fulfil-licences as the pseudonym", r)
	got := filepath.Join(t.TempDir(), "anon.dcm")
	requireSuccess(t, "the lab downloads the pseudonym's copy", n.download("lab", copied.RecordID, got))
	if data, err := os.ReadFile(got); err != nil || len(data) == 0 || bytes.Contains(data, []byte("Doe^Jane")) {
		t.Fatalf("the lab's copy: %d bytes, %v", len(data), err)
	}

	// What anyone can read about the copy names neither alice nor the
	// original.
	var views []string
	for _, q := range [][]string{
		{"records", "record", strconv.FormatUint(copied.RecordID, 10)},
		{"datanft", "nft", class, nftID},
		{"datanft", "licences-by-nft", class, nftID},
	} {
		var raw json.RawMessage
		n.Query(&raw, q...)
		views = append(views, string(raw))
	}
	for _, v := range views {
		if strings.Contains(v, alice) || strings.Contains(v, `"derived_from":"`+strconv.FormatUint(orig, 10)+`"`) {
			t.Fatalf("a public view of the pseudonym's sale links it to alice or record %d: %s", orig, v)
		}
	}
}
