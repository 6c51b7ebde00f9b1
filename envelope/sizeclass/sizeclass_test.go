package sizeclass

import "testing"

func TestPadmeClasses(t *testing.T) {
	for _, c := range []struct{ n, want uint64 }{
		{0, 0}, {1, 1}, {2, 2}, {7, 7}, {9, 10}, {100, 104}, {1000, 1024}, {1025, 1088},
		{1 << 20, 1 << 20}, {1<<20 + 1, 1<<20 + 1<<15}, {123456789, 123731968},
	} {
		if got := Padme(c.n); got != c.want {
			t.Errorf("Padme(%d) = %d, want %d", c.n, got, c.want)
		}
	}
	for n := uint64(1); n < 1<<22; n = n*9/8 + 1 {
		p := Padme(n)
		if p < n || !IsClass(p) || Padme(p) != p {
			t.Fatalf("Padme(%d) = %d is not a fixed point", n, p)
		}
		if n > 1<<12 && float64(p-n)/float64(n) > 0.12 {
			t.Fatalf("Padme(%d) = %d: overhead over 12 %%", n, p)
		}
	}
	if IsClass(1000) || !IsClass(1024) || !IsClass(1088) || IsClass(0) {
		t.Fatal("IsClass disagrees with Padme")
	}
}
