package vaultnode

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cast"

	servertypes "github.com/cosmos/cosmos-sdk/server/types"
)

// Config is the [vault] section of app.toml.
type Config struct {
	// Enable runs the vault inside `medchaind start`.
	Enable bool `mapstructure:"enable"`
	// Address is the HTTP listen address (host:port).
	Address string `mapstructure:"address"`
	// Path is the store's directory; a relative path is under the home.
	Path string `mapstructure:"path"`
	// MaxUploadSize bounds one upload, in bytes.
	MaxUploadSize int64 `mapstructure:"max-upload-size"`
	// FollowChain pins what records point at and unpins what they
	// release; without it every upload is pinned for good.
	FollowChain bool `mapstructure:"follow-chain"`
	// GCInterval is how often unpinned blocks are collected; 0 never.
	GCInterval time.Duration `mapstructure:"gc-interval"`
	// GCGrace is how long an unpinned root (an upload not yet on chain, a
	// payload a rotation or redaction released) survives GC.
	GCGrace time.Duration `mapstructure:"gc-grace"`
}

// DefaultConfig is what `medchaind init` writes.
func DefaultConfig() Config {
	return Config{
		Enable:        true,
		Address:       "127.0.0.1:8095",
		Path:          "data/vault",
		MaxUploadSize: 4 << 30,
		FollowChain:   true,
		GCInterval:    10 * time.Minute,
		GCGrace:       24 * time.Hour,
	}
}

// ConfigTemplate is the [vault] section appended to app.toml's template.
const ConfigTemplate = `
###############################################################################
###                                 Vault                                   ###
###############################################################################

# The vault stores encrypted record payloads as IPFS blocks (an IPFS
# trustless gateway for reads, verified CAR uploads for writes). See
# docs/operations.md.
[vault]

# Run the vault inside medchaind start.
enable = {{ .Vault.Enable }}

# HTTP listen address. Clients use it as --vault http://ADDRESS.
address = "{{ .Vault.Address }}"

# Directory of the block store; a relative path is under the node's home.
path = "{{ .Vault.Path }}"

# Largest upload accepted, in bytes (a CAR of about the encrypted file's size).
max-upload-size = {{ .Vault.MaxUploadSize }}

# Pin what records on chain point at and unpin what redactions and key
# rotations release; if false, every upload is kept for good.
follow-chain = {{ .Vault.FollowChain }}

# How often unpinned blocks are collected ("0s" never), and how long an
# unpinned upload or released payload survives.
gc-interval = "{{ .Vault.GCInterval }}"
gc-grace = "{{ .Vault.GCGrace }}"
`

// ReadConfig reads the [vault] section through the server's options
// (app.toml and flags), starting from DefaultConfig.
func ReadConfig(opts servertypes.AppOptions) (Config, error) {
	c := DefaultConfig()
	var err error
	get := func(key string) any { return opts.Get("vault." + key) }
	if v := get("enable"); v != nil {
		c.Enable = cast.ToBool(v)
	}
	if v := get("address"); v != nil {
		c.Address = cast.ToString(v)
	}
	if v := get("path"); v != nil {
		c.Path = cast.ToString(v)
	}
	if v := get("max-upload-size"); v != nil {
		if c.MaxUploadSize, err = cast.ToInt64E(v); err != nil {
			return c, fmt.Errorf("[vault] max-upload-size %v: %w", v, err)
		}
	}
	if v := get("follow-chain"); v != nil {
		c.FollowChain = cast.ToBool(v)
	}
	if v := get("gc-interval"); v != nil {
		if c.GCInterval, err = cast.ToDurationE(v); err != nil {
			return c, fmt.Errorf("[vault] gc-interval %v: %w", v, err)
		}
	}
	if v := get("gc-grace"); v != nil {
		if c.GCGrace, err = cast.ToDurationE(v); err != nil {
			return c, fmt.Errorf("[vault] gc-grace %v: %w", v, err)
		}
	}
	return c, c.Validate()
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Address == "":
		return fmt.Errorf("[vault] address is empty: give host:port, e.g. 127.0.0.1:8095")
	case c.Path == "":
		return fmt.Errorf("[vault] path is empty")
	case c.MaxUploadSize <= 0:
		return fmt.Errorf("[vault] max-upload-size must be positive, got %d", c.MaxUploadSize)
	case c.GCInterval < 0 || c.GCGrace < 0:
		return fmt.Errorf("[vault] gc-interval and gc-grace must not be negative")
	}
	return nil
}

// Dir is the store directory for a node home.
func (c Config) Dir(home string) string {
	if filepath.IsAbs(c.Path) {
		return c.Path
	}
	return filepath.Join(home, c.Path)
}
