package bridge

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"

	recordstypes "github.com/medchain/medchain/x/records/types"
)

// fakeChain is Chain in memory: records hold plaintext, consent is two
// sets. It stands in for the node only in these handler tests; the
// end-to-end test runs the bridge on a real network.
type fakeChain struct {
	self string
	mu   sync.Mutex
	// writers are the patients who let the hospital write; readers the
	// accounts (the hospital, its practitioners) that may read every
	// record.
	writers map[string]bool
	readers map[string]bool
	pubkeys map[string]cryptotypes.PubKey
	records map[uint64]*fakeRecord
	next    uint64
	// reads counts reads of payloads, by reader.
	reads map[string]int
}

type fakeRecord struct {
	owner    string
	kind     recordstypes.RecordKind
	versions [][]byte
	redacted bool
}

func newFakeChain(self string) *fakeChain {
	return &fakeChain{self: self, writers: map[string]bool{}, readers: map[string]bool{}, pubkeys: map[string]cryptotypes.PubKey{},
		records: map[uint64]*fakeRecord{}, reads: map[string]int{}}
}

func (f *fakeChain) Self() string         { return f.self }
func (f *fakeChain) ChainID() string      { return "medchain-test" }
func (f *fakeChain) Bech32Prefix() string { return "med" }

func (f *fakeChain) PubKey(_ context.Context, addr string) (cryptotypes.PubKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pubkeys[addr], nil
}

func (f *fakeChain) WriteConsent(_ context.Context, patient string, _ recordstypes.RecordKind) (bool, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.writers[patient] {
		return true, "", nil
	}
	return false, "no consent: the patient has not granted this hospital WRITE for DICOM records", nil
}

func (f *fakeChain) store(owner string, kind recordstypes.RecordKind, recordID uint64, src io.Reader, size int64) (Stored, error) {
	data, err := io.ReadAll(src)
	if err != nil {
		return Stored{}, err
	}
	if int64(len(data)) != size {
		return Stored{}, fmt.Errorf("fake chain: %d bytes announced, %d sent", size, len(data))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if recordID == 0 {
		f.next++
		recordID = f.next
		f.records[recordID] = &fakeRecord{owner: owner, kind: kind}
	}
	r := f.records[recordID]
	r.versions = append(r.versions, data)
	return Stored{RecordID: recordID, Version: uint64(len(r.versions)), CID: fmt.Sprintf("cid-%d-%d", recordID, len(r.versions))}, nil
}

func (f *fakeChain) Create(_ context.Context, patient string, kind recordstypes.RecordKind, _ string, src io.Reader, size int64) (Stored, error) {
	return f.store(patient, kind, 0, src, size)
}

func (f *fakeChain) AddVersion(_ context.Context, recordID uint64, src io.Reader, size int64) (Stored, error) {
	return f.store("", 0, recordID, src, size)
}

func (f *fakeChain) mayRead(reader string) bool {
	return f.readers[f.self] && (reader == f.self || f.readers[reader])
}

func (f *fakeChain) ref(id uint64) RecordRef {
	r := f.records[id]
	return RecordRef{RecordID: id, Owner: r.owner, Version: uint64(len(r.versions)), CID: fmt.Sprintf("cid-%d-%d", id, len(r.versions))}
}

func (f *fakeChain) Readable(_ context.Context, reader string, kind recordstypes.RecordKind) ([]RecordRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []RecordRef
	if !f.mayRead(reader) {
		return nil, nil
	}
	for id, r := range f.records {
		if !r.redacted && r.kind == kind {
			out = append(out, f.ref(id))
		}
	}
	return out, nil
}

func (f *fakeChain) Record(_ context.Context, recordID uint64, reader string) (RecordRef, bool, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.records[recordID]
	if !ok {
		return RecordRef{}, false, "", fmt.Errorf("record %d: not found", recordID)
	}
	if r.redacted || !f.mayRead(reader) {
		return f.ref(recordID), false, "no live READ grant", nil
	}
	return f.ref(recordID), true, "", nil
}

func (f *fakeChain) Read(_ context.Context, recordID uint64, reader string, w io.Writer) error {
	f.mu.Lock()
	r, ok := f.records[recordID]
	allowed := ok && !r.redacted && f.mayRead(reader)
	var data []byte
	if allowed {
		data = r.versions[len(r.versions)-1]
		f.reads[reader]++
	}
	f.mu.Unlock()
	if !allowed {
		return fmt.Errorf("%w: %s may not read record %d", ErrNoConsent, reader, recordID)
	}
	_, err := io.Copy(w, bytes.NewReader(data))
	return err
}
