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

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client/flags"

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

// AddRemoteFlags adds --vault and --ipfs-api to a command that moves
// payloads.
func AddRemoteFlags(cmd *cobra.Command) {
	cmd.Flags().String(FlagVault, defaultVaultURL(), "URL of the medchain vault that holds the encrypted payloads ($"+EnvVault+" sets the default)")
	cmd.Flags().String(FlagIPFSAPI, "", "use a Kubo node's RPC API (e.g. http://127.0.0.1:5001) instead of a vault")
}

// RemoteFromCmd returns the remote the command's flags name, and the
// vault's URL when it is a vault (empty for Kubo).
func RemoteFromCmd(cmd *cobra.Command) (Remote, string, error) {
	hc := &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		ResponseHeaderTimeout: 10 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
	}}
	if api, _ := cmd.Flags().GetString(FlagIPFSAPI); api != "" {
		if err := checkURL(FlagIPFSAPI, api); err != nil {
			return nil, "", err
		}
		return vault.NewKuboClient(api, hc), "", nil
	}
	base, _ := cmd.Flags().GetString(FlagVault)
	if strings.HasPrefix(base, "map[") {
		// The SDK fills flags that were not given from the home's config
		// files by name, and app.toml has a [vault] table: that is the
		// node's vault configuration, not a URL. Use the default.
		base = defaultVaultURL()
	}
	if err := checkURL(FlagVault, base); err != nil {
		return nil, "", err
	}
	return vault.NewClient(base, hc), base, nil
}

// defaultVaultURL is $MEDCHAIN_VAULT, else DefaultVaultURL.
func defaultVaultURL() string {
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

// AddKeyFlags adds the flags of a command that uses a keyring key off
// chain (to sign tickets, or to open what the key may read): --from (with
// fromUsage), --keyring-backend, --keyring-dir and --chain-id.
func AddKeyFlags(cmd *cobra.Command, fromUsage string) {
	cmd.Flags().String(flags.FlagFrom, "", fromUsage)
	cmd.Flags().String(flags.FlagKeyringBackend, flags.DefaultKeyringBackend, "keyring backend (os|file|kwallet|pass|test|memory)")
	cmd.Flags().String(flags.FlagKeyringDir, "", "the keyring's directory, if other than --home")
	cmd.Flags().String(flags.FlagChainID, "", "the network chain ID (default: the client config's)")
}

// Sealed is what a reader sees of sealed metadata (a label, a request's
// reason) it cannot open.
const Sealed = "(sealed)"
