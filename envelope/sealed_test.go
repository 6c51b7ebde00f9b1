package envelope

import (
	"bytes"
	"errors"
	"testing"
)

// TestSealedLabel: the record's readers (anyone holding its key) read the
// label; another record's key, another owner, or a flipped bit do not.
func TestSealedLabel(t *testing.T) {
	key, other := newRecordKey(t), newRecordKey(t)
	sealed, err := SealLabel(key, "med1alice", "MRI knee")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("MRI")) || len(sealed) != LabelOverhead+SealBlock {
		t.Fatalf("sealed label %x", sealed)
	}
	if got, err := OpenLabel(key, "med1alice", sealed); err != nil || got != "MRI knee" {
		t.Fatalf("OpenLabel = %q, %v", got, err)
	}
	if _, err := OpenLabel(other, "med1alice", sealed); !errors.Is(err, ErrSealed) {
		t.Fatalf("another record key: %v", err)
	}
	if _, err := OpenLabel(key, "med1bob", sealed); !errors.Is(err, ErrSealed) {
		t.Fatalf("moved to another owner: %v", err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	if _, err := OpenLabel(key, "med1alice", flipped); !errors.Is(err, ErrSealed) {
		t.Fatalf("modified: %v", err)
	}
	if _, err := OpenLabel(key, "med1alice", []byte("MRI knee")); !errors.Is(err, ErrSealed) {
		t.Fatalf("plaintext passed off as sealed: %v", err)
	}
	again, _ := SealLabel(key, "med1alice", "MRI knee")
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of one label are equal: the nonce is not fresh")
	}
	if s, err := SealLabel(key, "med1alice", ""); err != nil || s != nil {
		t.Fatalf("empty label sealed to %x, %v", s, err)
	}
}

// TestSealedReason: only the patient asked opens a request's reason, and
// only for the requester and chain it was sealed for.
func TestSealedReason(t *testing.T) {
	owner, stranger := keyPairFromSeed(t, 1), keyPairFromSeed(t, 2)
	b := ReasonBinding{ChainID: "medchain-local-1", Requester: "med1grey", Owner: "med1alice"}
	sealed, err := SealReason(owner.PublicKey(), "follow-up of the knee", b)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != ReasonOverhead+2*SealBlock { // 21 bytes pad to 32
		t.Fatalf("sealed reason is %d bytes", len(sealed))
	}
	if got, err := OpenReason(owner, sealed, b); err != nil || got != "follow-up of the knee" {
		t.Fatalf("OpenReason = %q, %v", got, err)
	}
	if _, err := OpenReason(stranger, sealed, b); !errors.Is(err, ErrSealed) {
		t.Fatalf("stranger: %v", err)
	}
	moved := b
	moved.Requester = "med1mallory"
	if _, err := OpenReason(owner, sealed, moved); !errors.Is(err, ErrSealed) {
		t.Fatalf("replayed under another requester: %v", err)
	}
}

// TestSealedLengthsArePadded: two labels of different lengths within one
// block seal to the same length.
func TestSealedLengthsArePadded(t *testing.T) {
	key := newRecordKey(t)
	a, _ := SealLabel(key, "med1alice", "MRI")
	b, _ := SealLabel(key, "med1alice", "MRI knee left")
	if len(a) != len(b) {
		t.Fatalf("3- and 13-byte labels seal to %d and %d bytes", len(a), len(b))
	}
	if got, _ := OpenLabel(key, "med1alice", b); got != "MRI knee left" {
		t.Fatalf("padded label opens as %q", got)
	}
}
