package cmd

import "testing"

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"32GiB": 32 << 30, "18 GiB": 18 << 30, "512MiB": 512 << 20, "1048576": 1 << 20, "256B": 256, "4KiB": 4096} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-1GiB", "32GB", "x", "1.5GiB", "99999999999TiB"} {
		if got, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", bad, got)
		}
	}
}

func TestRecordVersionArg(t *testing.T) {
	if id, v, err := recordVersionArg("12"); err != nil || id != 12 || v != 0 {
		t.Errorf("12: %d %d %v", id, v, err)
	}
	if id, v, err := recordVersionArg("12:3"); err != nil || id != 12 || v != 3 {
		t.Errorf("12:3: %d %d %v", id, v, err)
	}
	for _, bad := range []string{"", "x", "12:", "12:0", "12:x", ":3"} {
		if _, _, err := recordVersionArg(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}
