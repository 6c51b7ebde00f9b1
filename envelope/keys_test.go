package envelope

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
)

// Fixed BIP-39 test mnemonics (public; never fund them).
const (
	mnemonicA = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	mnemonicB = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong"
)

// testAccount is a secp256k1 key in an in-memory keyring, as the CLI uses it.
type testAccount struct {
	kr   keyring.Keyring
	uid  string
	addr string
}

func newTestAccount(t testing.TB, mnemonic string) testAccount {
	t.Helper()
	ir := codectypes.NewInterfaceRegistry()
	cryptocodec.RegisterInterfaces(ir)
	kr, err := keyring.New("medchain", keyring.BackendMemory, t.TempDir(), nil, codec.NewProtoCodec(ir))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := kr.NewAccount("patient", mnemonic, "", sdk.FullFundraiserPath, hd.Secp256k1)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rec.GetAddress()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := addresscodec.NewBech32Codec("med").BytesToString(raw)
	if err != nil {
		t.Fatal(err)
	}
	return testAccount{kr: kr, uid: "patient", addr: addr}
}

func (a testAccount) sign(doc []byte) ([]byte, error) {
	sig, _, err := a.kr.Sign(a.uid, doc, signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
	return sig, err
}

func (a testAccount) derive(t testing.TB) *KeyPair {
	t.Helper()
	kp, err := DeriveKeyPair(testChainID, a.addr, a.sign)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// testChainID is the chain the test keys are derived for.
const testChainID = "medchain-test-1"

func TestSignDataDoc(t *testing.T) {
	got := string(SignDataDoc("med1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu", []byte("hello medchain")))
	want := `{"account_number":"0","chain_id":"","fee":{"amount":[],"gas":"0"},"memo":"","msgs":[{"type":"sign/MsgSignData","value":{"data":"aGVsbG8gbWVkY2hhaW4=","signer":"med1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"}}],"sequence":"0"}`
	if got != want {
		t.Fatalf("SignDataDoc:\n got %s\nwant %s", got, want)
	}
	if got := string(SignDataDoc("med1x", nil)); !strings.Contains(got, `"data":""`) {
		t.Fatalf("empty data: %s", got)
	}
}

func TestDeriveKeyPairDeterministic(t *testing.T) {
	a := newTestAccount(t, mnemonicA)
	kp1, kp2 := a.derive(t), a.derive(t)
	if !bytes.Equal(kp1.PublicKey(), kp2.PublicKey()) {
		t.Fatal("deriving twice from the same keyring key gave different public keys")
	}
	restored := newTestAccount(t, mnemonicA).derive(t)
	if !bytes.Equal(kp1.PublicKey(), restored.PublicKey()) || kp1.KeyID() != restored.KeyID() {
		t.Fatal("the mnemonic restored into another keyring gave another key pair")
	}
	other := newTestAccount(t, mnemonicB).derive(t)
	if bytes.Equal(kp1.PublicKey(), other.PublicKey()) || kp1.KeyID() == other.KeyID() {
		t.Fatal("two mnemonics gave the same key pair")
	}
}

// TestDeriveLegacyKeyPairVector pins the legacy derivation step by step (address, sign
// document, secp256k1 signature, key id): any other client, such as the web
// portal signing through Keplr, must arrive at the same values. The values
// were recorded from this implementation; a change here changes every
// user's encryption key.
func TestDeriveLegacyKeyPairVector(t *testing.T) {
	const (
		wantAddr  = "med19rl4cm2hmr8afy4kldpxz3fka4jguq0avf4k6r"
		wantSig   = "327ef05f508559c91a1fefe70ad097a925d93a36389ef200e56700adbaf3563c2c9da0d6f47ebebc6008ba46635c0581ba643edaae9a15991dd3540e835861ed"
		wantKeyID = "723183b8d2f5efa9"
	)
	a := newTestAccount(t, mnemonicA)
	if a.addr != wantAddr {
		t.Fatalf("address of the test mnemonic: %s", a.addr)
	}
	doc := SignDataDoc(a.addr, []byte(DerivationMessage))
	wantDoc := `{"account_number":"0","chain_id":"","fee":{"amount":[],"gas":"0"},"memo":"","msgs":[{"type":"sign/MsgSignData","value":{"data":"bWVkY2hhaW4gZW5jcnlwdGlvbiBrZXkgdjEKVGhpcyBzaWduYXR1cmUgZGVyaXZlcyB5b3VyIG1lZGNoYWluIGVuY3J5cHRpb24ga2V5LiBTaWduIGl0IG9ubHkgaW4gYSBtZWRjaGFpbiBjbGllbnQu","signer":"` + wantAddr + `"}}],"sequence":"0"}`
	if string(doc) != wantDoc {
		t.Fatalf("derivation document:\n got %s\nwant %s", doc, wantDoc)
	}
	sig, err := a.sign(doc)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(sig) != wantSig {
		t.Fatalf("signature of the derivation document: %x", sig)
	}
	fixed, err := hex.DecodeString(wantSig)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := DeriveLegacyKeyPair(wantAddr, func([]byte) ([]byte, error) { return fixed, nil })
	if err != nil {
		t.Fatal(err)
	}
	if kp.KeyID() != wantKeyID {
		t.Fatalf("key id from the signature: %s", kp.KeyID())
	}
	legacy, err := DeriveLegacyKeyPair(a.addr, a.sign)
	if err != nil {
		t.Fatal(err)
	}
	if legacy.KeyID() != wantKeyID {
		t.Fatalf("legacy key id of the test mnemonic: %s", legacy.KeyID())
	}
}

// TestDeriveKeyPairVector pins the chain-bound derivation: the text the
// wallet shows (and signs) names the chain and what the signature is for,
// and the key id of the test mnemonic on testChainID. The portal's Keplr
// path must arrive at the same values; a change here changes every user's
// encryption key.
func TestDeriveKeyPairVector(t *testing.T) {
	const wantKeyID = "cfb92f75d6af4d71"
	a := newTestAccount(t, mnemonicA)
	text := DerivationText(testChainID)
	for _, must := range []string{"medchain encryption key v2", "chain: " + testChainID, "every medical record shared with you on " + testChainID, "Anyone who obtains this signature can read them"} {
		if !strings.Contains(text, must) {
			t.Fatalf("the derivation text does not say %q:\n%s", must, text)
		}
	}
	if got := a.derive(t).KeyID(); got != wantKeyID {
		t.Fatalf("key id of the test mnemonic on %s: %s", testChainID, got)
	}
}

// A signature for one chain derives nothing for another: the key a site
// of another chain (or a phishing page asking for another chain's text)
// obtains opens nothing here, and neither does the legacy key.
func TestDerivedKeyIsBoundToItsChain(t *testing.T) {
	a := newTestAccount(t, mnemonicA)
	here := a.derive(t)
	other, err := DeriveKeyPair("medchain-other-2", a.addr, a.sign)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := DeriveLegacyKeyPair(a.addr, a.sign)
	if err != nil {
		t.Fatal(err)
	}
	if here.KeyID() == other.KeyID() || here.KeyID() == legacy.KeyID() {
		t.Fatalf("chain-bound key %s, another chain's %s, legacy %s: not all different", here.KeyID(), other.KeyID(), legacy.KeyID())
	}
	if _, err := DeriveKeyPair("", a.addr, a.sign); err == nil || !strings.Contains(err.Error(), "chain id is empty") {
		t.Fatalf("deriving without a chain id: %v", err)
	}
}

// Wraps sealed to an account's legacy key keep opening once it has moved
// to the chain-bound key: WithEarlier supplies the legacy pair, derived
// only when a wrap names it.
func TestEarlierKeyOpensWhatIsSealedToIt(t *testing.T) {
	a := newTestAccount(t, mnemonicA)
	legacy, err := DeriveLegacyKeyPair(a.addr, a.sign)
	if err != nil {
		t.Fatal(err)
	}
	recordKey := bytes.Repeat([]byte{7}, 32)
	binding := Binding{ChainID: testChainID, Anchor: "bafkreianchor", RecordID: 3, KeyEpoch: 0, Grantee: a.addr}
	ct, err := Wrap(legacy.PublicKey(), recordKey, binding)
	if err != nil {
		t.Fatal(err)
	}
	w := WrapInfo{KeyID: legacy.KeyID(), Ciphertext: ct}

	current := a.derive(t)
	if _, err := Unwrap(current, w, binding); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("without its earlier key: %v", err)
	}
	derived := 0
	current = a.derive(t).WithEarlier(func() ([]*KeyPair, error) {
		derived++
		l, err := DeriveLegacyKeyPair(a.addr, a.sign)
		return []*KeyPair{l}, err
	})
	own, err := Wrap(current.PublicKey(), recordKey, binding)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Unwrap(current, WrapInfo{KeyID: current.KeyID(), Ciphertext: own}, binding); err != nil || derived != 0 {
		t.Fatalf("a wrap to the current key: %v (earlier keys derived %d times, want 0)", err, derived)
	}
	got, err := Unwrap(current, w, binding)
	if err != nil || !bytes.Equal(got, recordKey) {
		t.Fatalf("a wrap to the legacy key through WithEarlier: %v", err)
	}
	if _, err := Unwrap(current, w, binding); err != nil || derived != 1 {
		t.Fatalf("again: %v (earlier keys derived %d times, want 1)", err, derived)
	}
	if _, err := Unwrap(current, WrapInfo{KeyID: "0000000000000000", Ciphertext: ct}, binding); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("a wrap to a key that is none of the account's: %v", err)
	}
}

func TestKeyPairSizes(t *testing.T) {
	kp := newTestAccount(t, mnemonicA).derive(t)
	if n := len(kp.PublicKey()); n != 1216 || PublicKeySize != 1216 {
		t.Fatalf("public key is %d bytes, PublicKeySize %d, want 1216", n, PublicKeySize)
	}
	if id := kp.KeyID(); len(id) != 16 || id != KeyID(kp.PublicKey()) || strings.ToLower(id) != id {
		t.Fatalf("key id %q", id)
	}
	pk, err := ParsePublicKey(kp.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pk.Bytes(), kp.PublicKey()) {
		t.Fatal("ParsePublicKey does not round-trip")
	}
	// The returned slice is a copy.
	kp.PublicKey()[0] ^= 1
	if !bytes.Equal(pk.Bytes(), kp.PublicKey()) {
		t.Fatal("PublicKey exposes the key pair's buffer")
	}
}

func TestKeyID(t *testing.T) {
	// SHA-256("") = e3b0c44298fc1c14...
	if got := KeyID(nil); got != "e3b0c44298fc1c14" {
		t.Fatalf("KeyID(nil) = %s", got)
	}
}

func TestParsePublicKeyRejects(t *testing.T) {
	kp := newTestAccount(t, mnemonicA).derive(t)
	for name, b := range map[string][]byte{
		"empty":     nil,
		"x25519":    make([]byte, 32),
		"truncated": kp.PublicKey()[:PublicKeySize-1],
		"extended":  append(kp.PublicKey(), 0),
	} {
		_, err := ParsePublicKey(b)
		if !errors.Is(err, ErrUnknownAlgorithm) {
			t.Errorf("%s: err = %v, want ErrUnknownAlgorithm", name, err)
			continue
		}
		if !strings.Contains(err.Error(), AlgorithmName) || !strings.Contains(err.Error(), "1216") {
			t.Errorf("%s: the error does not name the algorithm and size: %v", name, err)
		}
	}
}

func TestDeriveKeyPairRejects(t *testing.T) {
	short := func([]byte) ([]byte, error) { return make([]byte, 63), nil }
	if _, err := DeriveKeyPair(testChainID, "med1x", short); err == nil || !strings.Contains(err.Error(), "63 bytes") {
		t.Fatalf("short signature: %v", err)
	}
	failing := errors.New("ledger disconnected")
	_, err := DeriveKeyPair(testChainID, "med1x", func([]byte) ([]byte, error) { return nil, failing })
	if !errors.Is(err, failing) {
		t.Fatalf("signer error: %v", err)
	}
	if _, err := DeriveKeyPair(testChainID, "", short); err == nil {
		t.Fatal("empty address accepted")
	}
	if _, err := DeriveKeyPair(testChainID, "med1x", nil); err == nil {
		t.Fatal("nil signer accepted")
	}
}

func TestDeriveKeyPairSignsTheDerivationMessage(t *testing.T) {
	var seen []byte
	sig := bytes.Repeat([]byte{7}, 64)
	kp, err := DeriveKeyPair(testChainID, "med1x", func(doc []byte) ([]byte, error) { seen = doc; return sig, nil })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(seen, SignDataDoc("med1x", []byte(DerivationText(testChainID)))) {
		t.Fatalf("signed %s", seen)
	}
	// The key depends on the signature only.
	kp2, err := DeriveKeyPair(testChainID, "med1y", func([]byte) ([]byte, error) { return sig, nil })
	if err != nil {
		t.Fatal(err)
	}
	if kp.KeyID() != kp2.KeyID() {
		t.Fatal("same signature, different keys")
	}
}
