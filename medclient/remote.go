package medclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/vault"
)

// Flags that choose where payloads go.
const (
	FlagVault   = "vault"
	FlagIPFSAPI = "ipfs-api"

	// EnvVault overrides the default of --vault.
	EnvVault = "MEDCHAIN_VAULT"
	// DefaultVaultURL is the vault `medchaind start` runs beside a node
	// with the default app.toml.
	DefaultVaultURL = "http://127.0.0.1:8095"
)

// NewRemote returns the remote that moves payloads: the Kubo node whose
// RPC API is ipfsAPI when given, else the vault at vaultURL (empty or a
// non-URL: $MEDCHAIN_VAULT, else DefaultVaultURL), with the vault's URL
// (empty for Kubo).
func NewRemote(vaultURL, ipfsAPI string) (Remote, string, error) {
	hc := &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		ResponseHeaderTimeout: 10 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
	}}
	if ipfsAPI != "" {
		if err := checkURL(FlagIPFSAPI, ipfsAPI); err != nil {
			return nil, "", err
		}
		return vault.NewKuboClient(ipfsAPI, hc), "", nil
	}
	base := vaultURL
	if base == "" || strings.HasPrefix(base, "map[") {
		// The SDK fills flags that were not given from the home's config
		// files by name, and app.toml has a [vault] table: that is the
		// node's vault configuration, not a URL. Use the default.
		base = DefaultVault()
	}
	if err := checkURL(FlagVault, base); err != nil {
		return nil, "", err
	}
	return vault.NewClient(base, hc), base, nil
}

// DefaultVault is $MEDCHAIN_VAULT, else DefaultVaultURL.
func DefaultVault() string {
	if v := os.Getenv(EnvVault); v != "" {
		return v
	}
	return DefaultVaultURL
}

func checkURL(flag, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--%s %q: give an http(s) URL such as %s", flag, s, DefaultVaultURL)
	}
	return nil
}

// VaultStatus is the part of a vault's /api/v1/status answer the client
// uses.
type VaultStatus struct {
	MaxUploadBytes int64 `json:"max_upload_bytes"`
}

// FetchVaultStatus asks the vault at base for its limits. A vault that
// does not answer is an error that names the URL, so a wrong --vault is
// reported before anything is encrypted.
func FetchVaultStatus(ctx context.Context, base string) (VaultStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/api/v1/status", nil)
	if err != nil {
		return VaultStatus{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return VaultStatus{}, fmt.Errorf("the vault at %s does not answer (is the node running with [vault] enable = true, or is --%s wrong?): %w", base, FlagVault, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		// A gateway that publishes no limits: the upload itself is bounded
		// by the server.
		return VaultStatus{}, nil
	}
	if resp.StatusCode != http.StatusOK {
		return VaultStatus{}, fmt.Errorf("the vault at %s answered %s to /api/v1/status", base, resp.Status)
	}
	var st VaultStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return VaultStatus{}, fmt.Errorf("the vault at %s: status: %w", base, err)
	}
	return st, nil
}

// EncryptedSizeBound is an upper bound on the CAR Upload sends for a
// plaintext of n bytes: the padded, encrypted payload
// (envelope.EncryptedSize) plus a few dozen bytes per 1 MiB leaf of the
// DAG and its interior nodes. It lets an oversized upload be refused
// before anything moves.
func EncryptedSizeBound(n int64) int64 {
	enc, err := envelope.EncryptedSize(n)
	if err != nil { // no age key could be made: bound padding at its 12 %
		enc = n + n/8 + (n/(64<<10)+1)*16 + 8192
	}
	leaves := enc/(1<<20) + 1
	return enc + leaves*128 + 4096
}

// Sealed is what a reader sees of sealed metadata (a label, a request's
// reason) it cannot open.
const Sealed = "(sealed)"
