package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/vault"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

type mapOpts map[string]any

func (m mapOpts) Get(k string) any { return m[k] }

func TestReadConfig(t *testing.T) {
	c, err := ReadConfig(mapOpts{})
	require.NoError(t, err)
	want := DefaultConfig()
	want.keyringBackendUnset = true // an app.toml without the key
	require.Equal(t, want, c)
	require.Equal(t, "file", c.KeyringBackend)
	require.Equal(t, "/home/node/config/vault-keyring-passphrase", c.PassphraseFile("/home/node"))

	// As viper hands app.toml's values over: strings and numbers.
	c, err = ReadConfig(mapOpts{
		"vault.enable": "false", "vault.address": "127.0.0.1:27005", "vault.path": "/srv/vault",
		"vault.max-upload-size": int64(1 << 20), "vault.follow-chain": false,
		"vault.gc-interval": "1m0s", "vault.gc-grace": "2h", "vault.reconcile-interval": "30s",
		"vault.hospital": "med1q2s4lrcvjv5784xu2gu9hpfpj0payf90knw0yv", "vault.hospital-key": "st-mary", "vault.keyring-backend": "file",
		"vault.keyring-passphrase-file": "/run/credentials/medchaind.service/vault-keyring-passphrase",
		"vault.upload-auth":             "off", "vault.upload-quota-bytes-per-day": "1000", "vault.upload-max-concurrent": 2,
		"vault.access-gate": "light", "vault.gate-witnesses": []any{"tcp://127.0.0.1:27011"},
		"vault.gate-trust-height": "10", "vault.gate-trust-hash": "AB", "vault.gate-trust-period": "1h",
		"vault.gate-max-header-age": "10s", "vault.portal": "false", "minimum-gas-prices": "0.025umed",
		"vault.emergency-release": "manual", "vault.emergency-release-per-practitioner-per-day": "2",
		"vault.emergency-release-interval": "1s",
	})
	require.NoError(t, err)
	require.Equal(t, Config{Enable: false, Address: "127.0.0.1:27005", Path: "/srv/vault", MaxUploadSize: 1 << 20,
		Hospital: "med1q2s4lrcvjv5784xu2gu9hpfpj0payf90knw0yv", HospitalKey: "st-mary", KeyringBackend: "file",
		KeyringPassphraseFile: "/run/credentials/medchaind.service/vault-keyring-passphrase",
		UploadAuth:            UploadAuthOff, UploadQuotaBytesPerDay: 1000, UploadMaxConcurrent: 2,
		ReconcileInterval: 30 * time.Second, GCInterval: time.Minute, GCGrace: 2 * time.Hour, AccessGate: GateLight, GateWitnesses: []string{"tcp://127.0.0.1:27011"},
		GateTrustHeight: 10, GateTrustHash: "AB", GateTrustPeriod: time.Hour, GateMaxHeaderAge: 10 * time.Second,
		Portal: false, GasPrice: "0.025umed",
		EmergencyRelease: ReleaseManual, EmergencyReleasePerPractitionerPerDay: 2, EmergencyReleaseInterval: time.Second}, c)
	require.Equal(t, "/srv/vault", c.Dir("/home/node"))
	require.Equal(t, "/run/credentials/medchaind.service/vault-keyring-passphrase", c.PassphraseFile("/home/node"))
	require.Equal(t, "/home/node/data/vault", DefaultConfig().Dir("/home/node"))

	for opts, want := range map[string]mapOpts{
		"max-upload-size must be positive": {"vault.max-upload-size": 0},
		"address is empty":                 {"vault.address": ""},
		"gc-grace":                         {"vault.gc-grace": "soon"},
		"use off, node or light":           {"vault.access-gate": "on"},
		"needs gate-witnesses":             {"vault.access-gate": "light"},
		"is not an account address":        {"vault.hospital": "st-mary"},
		"hospital is empty":                {"vault.hospital-key": "st-mary"},
		"needs keyring-passphrase-file": {"vault.hospital": "med1q2s4lrcvjv5784xu2gu9hpfpj0payf90knw0yv", "vault.hospital-key": "st-mary",
			"vault.keyring-passphrase-file": ""},
		"needs follow-chain":      {"vault.follow-chain": false},
		"use ticket or off":       {"vault.upload-auth": "anyone"},
		"use auto, manual or off": {"vault.emergency-release": "always"},
		"must not be negative and emergency-release-interval": {"vault.emergency-release-per-practitioner-per-day": -1},
	} {
		_, err := ReadConfig(want)
		require.ErrorContains(t, err, opts)
	}
}

func typed(t *testing.T, msg interface {
	ProtoMessage()
	Reset()
	String() string
}) abci.Event {
	t.Helper()
	ev, err := sdk.TypedEventToEvent(msg)
	require.NoError(t, err)
	// baseapp adds the message index to every event of a transaction.
	ev.Attributes = append(ev.Attributes, abci.EventAttribute{Key: "msg_index", Value: "0"})
	return abci.Event(ev)
}

func TestActionsFromRecordEvents(t *testing.T) {
	events := []abci.Event{
		{Type: "transfer", Attributes: []abci.EventAttribute{{Key: "amount", Value: "1umed"}}},
		typed(t, &recordstypes.EventRecordCreated{RecordId: 7, Cid: "bafk-a", KeyEpoch: 0}),
		typed(t, &recordstypes.EventVersionAdded{RecordId: 7, Version: 2, Cid: "bafk-b"}),
		typed(t, &recordstypes.EventKeyRotated{RecordId: 7, Version: 3, Cid: "bafk-c", KeyEpoch: 1, ReleasedCids: []string{"bafk-a", "bafk-b"}}),
		typed(t, &recordstypes.EventRecordRedacted{RecordId: 7, Cids: []string{"bafk-a", "bafk-b", "bafk-c"}}),
	}
	got, err := Actions(events)
	require.NoError(t, err)
	require.Equal(t, []Action{
		{Pin: true, CID: "bafk-a", RecordID: 7, Version: 1},
		{Pin: true, CID: "bafk-b", RecordID: 7, Version: 2},
		{Pin: true, CID: "bafk-c", RecordID: 7, Version: 3},
		{CID: "bafk-a", RecordID: 7}, {CID: "bafk-b", RecordID: 7},
		{CID: "bafk-a", RecordID: 7}, {CID: "bafk-b", RecordID: 7}, {CID: "bafk-c", RecordID: 7},
	}, got)

	// A records event that does not decode stops the follower rather than
	// losing a pin.
	bad := abci.Event{Type: typeCreated, Attributes: []abci.EventAttribute{{Key: "record_id", Value: "not json"}}}
	_, err = Actions([]abci.Event{bad})
	require.Error(t, err)
}

// fakeChain is a BlockSource in memory.
type fakeChain struct {
	earliest int64
	blocks   [][]abci.Event // blocks[h-1]
	fail     error
	// unsaved is the number of last blocks whose results are not saved
	// yet (the node already reports them as its height).
	unsaved int
}

func (c *fakeChain) Heights(context.Context) (int64, int64, error) {
	if c.fail != nil {
		return 0, 0, c.fail
	}
	return max(c.earliest, 1), int64(len(c.blocks)), nil
}

func (c *fakeChain) Events(_ context.Context, h int64) ([]abci.Event, error) {
	if h > int64(len(c.blocks)-c.unsaved) {
		return nil, ErrResultsNotYet
	}
	return c.blocks[h-1], nil
}

// TestFollowerWaitsForResults: the node reports a height before it saved
// that block's results; the follower applies what it can, stops there
// without an error (no backoff, no error line) and applies the rest at the
// next poll.
func TestFollowerWaitsForResults(t *testing.T) {
	ctx := context.Background()
	store, err := vault.Open(t.TempDir())
	require.NoError(t, err)
	defer store.Close()
	a := upload(t, store)
	chain := &fakeChain{unsaved: 1, blocks: [][]abci.Event{
		{},
		{typed(t, &recordstypes.EventRecordCreated{RecordId: 1, Cid: a.String()})},
	}}
	f := NewFollower(store, chain, nopLog{})
	require.NoError(t, f.load(ctx))
	require.NoError(t, f.Sync(ctx))
	require.EqualValues(t, 1, f.Height(), "it stops before the block without results")
	require.Zero(t, store.PinnedCount())
	chain.unsaved = 0
	require.NoError(t, f.Sync(ctx))
	require.EqualValues(t, 2, f.Height())
	require.EqualValues(t, 1, store.PinnedCount())
}

type nopLog struct{}

func (nopLog) Info(string, ...any)  {}
func (nopLog) Error(string, ...any) {}

func upload(t *testing.T, store *vault.Store) cid.Cid {
	t.Helper()
	data := make([]byte, 3<<20)
	_, err := rand.Read(data)
	require.NoError(t, err)
	root, _, err := store.Import(context.Background(), bytes.NewReader(data))
	require.NoError(t, err)
	return root
}

func TestFollowerPinsWhatRecordsPointAt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := vault.Open(dir)
	require.NoError(t, err)
	a, b := upload(t, store), upload(t, store)
	elsewhere := "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku" // in another vault

	chain := &fakeChain{blocks: [][]abci.Event{
		{},
		{typed(t, &recordstypes.EventRecordCreated{RecordId: 1, Cid: a.String()})},
		{typed(t, &recordstypes.EventRecordCreated{RecordId: 2, Cid: elsewhere})},
	}}
	f := NewFollower(store, chain, nopLog{})
	require.NoError(t, f.load(ctx))
	require.NoError(t, f.Sync(ctx))
	require.EqualValues(t, 3, f.Height())
	require.EqualValues(t, 1, store.PinnedCount())

	// A rotation pins the new payload and releases the old one.
	chain.blocks = append(chain.blocks, []abci.Event{typed(t, &recordstypes.EventKeyRotated{
		RecordId: 1, Version: 2, Cid: b.String(), KeyEpoch: 1, ReleasedCids: []string{a.String()}})})
	require.NoError(t, f.Sync(ctx))
	pa, _, err := store.PinInfo(ctx, a)
	require.NoError(t, err)
	pb, _, err := store.PinInfo(ctx, b)
	require.NoError(t, err)
	require.False(t, pa.Pinned())
	require.True(t, pb.Pinned())
	require.Equal(t, "record 1 v2", pb.Reason)
	require.EqualValues(t, 1, pb.RecordID)

	// A restarted follower resumes after the last block it applied.
	require.NoError(t, store.Close())
	store, err = vault.Open(dir)
	require.NoError(t, err)
	defer store.Close()
	chain.blocks = append(chain.blocks, []abci.Event{typed(t, &recordstypes.EventRecordRedacted{RecordId: 1, Cids: []string{b.String()}})})
	f = NewFollower(store, chain, nopLog{})
	require.NoError(t, f.load(ctx))
	require.EqualValues(t, 4, f.Height())
	require.NoError(t, f.Sync(ctx))
	require.EqualValues(t, 5, f.Height())
	require.Zero(t, store.PinnedCount())

	// GC after the grace period collects the released payloads.
	n, err := store.GC(ctx, time.Now().Add(time.Hour), time.Minute)
	require.NoError(t, err)
	require.Equal(t, 8, n, "two 3 MiB files of 4 blocks each")
}

func TestFollowerStartsAtTheEarliestBlockAndRetries(t *testing.T) {
	ctx := context.Background()
	store, err := vault.Open(t.TempDir())
	require.NoError(t, err)
	defer store.Close()
	a := upload(t, store)
	chain := &fakeChain{earliest: 3, blocks: [][]abci.Event{
		nil, nil, // pruned
		{typed(t, &recordstypes.EventRecordCreated{RecordId: 1, Cid: a.String()})},
	}}
	f := NewFollower(store, chain, nopLog{})
	require.NoError(t, f.Sync(ctx))
	require.EqualValues(t, 3, f.Height())
	require.EqualValues(t, 1, store.PinnedCount())

	chain.fail = errors.New("connection refused")
	require.ErrorContains(t, f.Sync(ctx), "connection refused")
	require.EqualValues(t, 3, f.Height())

	// Run keeps retrying, bounded, and stops with its context.
	f.poll = 10 * time.Millisecond
	runCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	require.NoError(t, f.Run(runCtx))
}

// An upload a chain-following vault accepts is not pinned: if no record
// points at it within the grace period, GC takes it.
func TestUnregisteredUploadIsCollected(t *testing.T) {
	ctx := context.Background()
	store, err := vault.Open(t.TempDir())
	require.NoError(t, err)
	defer store.Close()
	srv := httptest.NewServer(vault.NewServer(store, vault.Config{ChainPins: true}))
	defer srv.Close()
	up, err := vault.NewClient(srv.URL, srv.Client()).UploadFile(ctx, bytes.NewReader(make([]byte, 2<<20+1)))
	require.NoError(t, err)
	root := cid.MustParse(up.CID)
	require.Zero(t, store.PinnedCount())

	n, err := store.GC(ctx, time.Now(), time.Hour)
	require.NoError(t, err)
	require.Zero(t, n, "within the grace period the upload stays")
	n, err = store.GC(ctx, time.Now().Add(2*time.Hour), time.Hour)
	require.NoError(t, err)
	require.Equal(t, 3, n, "root, the shared zero chunk and the tail")
	has, err := store.Has(ctx, root)
	require.NoError(t, err)
	require.False(t, has)
}
