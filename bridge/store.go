package bridge

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"
)

// Store is the bridge's local state, encrypted at rest: each entry is one
// file sealed with XChaCha20-Poly1305 under a key derived from the
// hospital's account key (so restoring the mnemonic restores access), and
// named by an HMAC of its key, so that neither patient identifiers nor UIDs
// appear in file names. Entries are written to a temporary file and
// renamed: a crash leaves the old entry or the new one, never half of one.
type Store struct {
	dir  string
	aead interface {
		Seal(dst, nonce, plaintext, ad []byte) []byte
		Open(dst, nonce, ciphertext, ad []byte) ([]byte, error)
		NonceSize() int
	}
	mac []byte
	mu  sync.Mutex
}

// ErrNotFound is returned by Get for a key the store does not hold.
var ErrNotFound = errors.New("not found")

// OpenStore opens (creating) the store in dir with the 32-byte secret.
func OpenStore(dir string, secret []byte) (*Store, error) {
	if len(secret) != 32 {
		return nil, fmt.Errorf("bridge store: a 32-byte secret is needed, got %d bytes", len(secret))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("bridge store: %w", err)
	}
	encKey := hmac.New(sha256.New, secret)
	encKey.Write([]byte("medchain bridge store encryption"))
	aead, err := chacha20poly1305.NewX(encKey.Sum(nil))
	if err != nil {
		return nil, err
	}
	macKey := hmac.New(sha256.New, secret)
	macKey.Write([]byte("medchain bridge store names"))
	return &Store{dir: dir, aead: aead, mac: macKey.Sum(nil)}, nil
}

// name is the file of (table, key): table/HMAC(table, key).
func (s *Store) name(table, key string) string {
	m := hmac.New(sha256.New, s.mac)
	m.Write([]byte(table))
	m.Write([]byte{0})
	m.Write([]byte(key))
	return filepath.Join(s.dir, table, hex.EncodeToString(m.Sum(nil)[:20]))
}

// Put stores v (as JSON) under (table, key), replacing what was there.
func (s *Store) Put(table, key string, v any) error {
	plain, err := json.Marshal(entry{Key: key, Value: v})
	if err != nil {
		return err
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	sealed := s.aead.Seal(nonce, nonce, plain, []byte(table))
	path := s.name(table, key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(sealed); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Get reads the entry (table, key) into v; ErrNotFound if there is none.
func (s *Store) Get(table, key string, v any) error {
	data, err := os.ReadFile(s.name(table, key))
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	_, err = s.open(table, data, v)
	return err
}

// Delete removes (table, key); removing what is not there is no error.
func (s *Store) Delete(table, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := os.Remove(s.name(table, key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Each calls fn with the key and raw JSON value of every entry of table,
// in key order. An entry that does not open (another key, a damaged file)
// is an error that names its file.
func (s *Store) Each(table string, fn func(key string, value json.RawMessage) error) error {
	files, err := os.ReadDir(filepath.Join(s.dir, table))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	type kv struct {
		key   string
		value json.RawMessage
	}
	var all []kv
	for _, f := range files {
		if f.IsDir() || strings.HasPrefix(f.Name(), ".") {
			continue
		}
		path := filepath.Join(s.dir, table, f.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var raw json.RawMessage
		key, err := s.open(table, data, &raw)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		all = append(all, kv{key, raw})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
	for _, e := range all {
		if err := fn(e.key, e.value); err != nil {
			return err
		}
	}
	return nil
}

type entry struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

func (s *Store) open(table string, data []byte, v any) (string, error) {
	n := s.aead.NonceSize()
	if len(data) < n {
		return "", errors.New("bridge store: entry too short")
	}
	plain, err := s.aead.Open(nil, data[:n], data[n:], []byte(table))
	if err != nil {
		return "", errors.New("bridge store: an entry does not open with this hospital's key (another key, or a damaged file)")
	}
	var e struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(plain, &e); err != nil {
		return "", err
	}
	return e.Key, json.Unmarshal(e.Value, v)
}
