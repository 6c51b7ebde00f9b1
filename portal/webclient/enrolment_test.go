package webclient

import (
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/medchain/medchain/bridge"
	"github.com/medchain/medchain/bridge/enrolment"
)

func address(t *testing.T, b []byte) string {
	t.Helper()
	s, err := bech32.ConvertAndEncode("medchain", b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEnrolmentCodeVerifiesAtTheBridge: a code the portal makes is one the
// bridge accepts for that hospital, chain and patient, until it expires,
// and for no other hospital or chain.
func TestEnrolmentCodeVerifiesAtTheBridge(t *testing.T) {
	key := secp256k1.GenPrivKey()
	patient := address(t, key.PubKey().Address())
	hospital := address(t, secp256k1.GenPrivKey().PubKey().Address())
	other := address(t, secp256k1.GenPrivKey().PubKey().Address())
	now := time.Now()
	for _, valid := range EnrolmentValidities {
		code, expires, err := EnrolmentCode("medchain-test", hospital, patient, valid, now, key.Sign)
		if err != nil {
			t.Fatalf("valid %s: %v", valid, err)
		}
		if !strings.HasPrefix(code, enrolment.Prefix) {
			t.Fatalf("code %q", code)
		}
		if want := now.Add(valid); expires.After(want) || want.Sub(expires) > 2*time.Second {
			t.Fatalf("valid %s: expires %s, want about %s", valid, expires, want)
		}
		// Typed in groups of four, in lower case: the same code.
		var groups []string
		for i := 0; i < len(code); i += 4 {
			groups = append(groups, strings.ToLower(code[i:min(i+4, len(code))]))
		}
		e, err := bridge.ParseEnrolmentCode(strings.Join(groups, " "), "medchain-test", hospital, "medchain")
		if err != nil {
			t.Fatal(err)
		}
		if e.Patient != patient || !e.Expires.Equal(expires) {
			t.Fatalf("the bridge reads patient %s, expiry %s; want %s, %s", e.Patient, e.Expires, patient, expires)
		}
		if err := e.Verify(key.PubKey(), now); err != nil {
			t.Fatalf("valid %s: the bridge refuses the code: %v", valid, err)
		}
		if err := e.Verify(key.PubKey(), expires.Add(time.Second)); err == nil {
			t.Fatal("the bridge accepts the code after it expired")
		}
		for _, wrong := range []struct{ chain, hospital string }{{"medchain-test", other}, {"other-chain", hospital}} {
			e, err := bridge.ParseEnrolmentCode(code, wrong.chain, wrong.hospital, "medchain")
			if err != nil {
				t.Fatal(err)
			}
			if e.Verify(key.PubKey(), now) == nil {
				t.Fatalf("the code made for %s on medchain-test verifies for %s on %s", hospital, wrong.hospital, wrong.chain)
			}
		}
	}
}

func TestEnrolmentCodeRefusesBadInput(t *testing.T) {
	key := secp256k1.GenPrivKey()
	patient := address(t, key.PubKey().Address())
	hospital := address(t, secp256k1.GenPrivKey().PubKey().Address())
	foreign, _ := bech32.ConvertAndEncode("cosmos", secp256k1.GenPrivKey().PubKey().Address())
	now := time.Now()
	for name, c := range map[string]struct {
		chain, hospital string
		valid           time.Duration
		want            string
	}{
		"no chain":       {"", hospital, time.Hour, "chain id"},
		"other validity": {"c", hospital, 2 * time.Hour, "1h, 24h or 7 days"},
		"too long":       {"c", hospital, 8 * 24 * time.Hour, "1h, 24h or 7 days"},
		"not an address": {"c", "st-marys", time.Hour, "hospital address"},
		"other chain":    {"c", foreign, time.Hour, "not an account of this chain"},
		"self enrolment": {"c", patient, time.Hour, "choose a hospital"},
	} {
		_, _, err := EnrolmentCode(c.chain, c.hospital, patient, c.valid, now, key.Sign)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
}
