package localnet

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSampleFees(t *testing.T) {
	dir := t.TempDir()
	for prices, want := range map[string]string{
		"":                 "",
		"0umed":            "",
		"0.025umed":        "5000umed",
		"0.0000001umed":    "1umed",
		"1umed":            "200000umed",
		"0stake,0.001umed": "200umed",
		"garbage":          "",
	} {
		p := filepath.Join(dir, "app.toml")
		if err := os.WriteFile(p, []byte("minimum-gas-prices = \""+prices+"\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := sampleFees(p); got != want {
			t.Errorf("prices %q: fees %q, want %q", prices, got, want)
		}
	}
}
