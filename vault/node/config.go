package node

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cast"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"
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
	// Hospital is the account address of the hospital this vault acts
	// for: the vault holds the replicas placed on it (fetching them from
	// the other hospitals' vaults) and hands on what it received that is
	// placed elsewhere. Empty: the vault is no replica and keeps only what
	// it receives, until the placed replicas hold it.
	Hospital string `mapstructure:"hospital"`
	// HospitalKey names the hospital's account key (its organisation key)
	// in the node's keyring (KeyringBackend, under the home): it signs the
	// replica tickets that gated vaults ask of a hospital fetching its
	// replicas, and the releases of the custodian shares the hospital
	// holds. Empty: replicas are fetched without tickets (enough while no
	// vault is gated) and no share is released.
	HospitalKey string `mapstructure:"hospital-key"`
	// KeyringBackend is "file" (the SDK's keyring encrypted with a
	// passphrase, under <home>/keyring-file) or "test" (unencrypted, under
	// <home>/keyring-test; the node warns at start). Other SDK backends
	// (os, pass, kwallet) are opened as the CLI opens them.
	KeyringBackend string `mapstructure:"keyring-backend"`
	// KeyringPassphraseFile holds the file keyring's passphrase on its
	// first line; a relative path is under the home. It must be readable
	// by its owner only.
	KeyringPassphraseFile string `mapstructure:"keyring-passphrase-file"`
	// keyringBackendUnset: app.toml names no keyring-backend (a home made
	// by a release before v0.2.0, whose template had none). Such a node
	// still finds a hospital key that only its test keyring holds, with a
	// warning, rather than failing at an upgrade height.
	keyringBackendUnset bool
	// UploadAuth is "ticket" (an upload needs a ticket signed by an account
	// with an encryption key registered on chain, within per-account
	// quotas) or "off" (anyone may upload: a vault on a private network,
	// or one that follows no chain).
	UploadAuth string `mapstructure:"upload-auth"`
	// UploadQuotaBytesPerDay and UploadMaxConcurrent are the per-account
	// quotas of ticket uploads (0: no bound).
	UploadQuotaBytesPerDay int64 `mapstructure:"upload-quota-bytes-per-day"`
	UploadMaxConcurrent    int   `mapstructure:"upload-max-concurrent"`
	// ReconcileInterval is how often, with FollowChain, the pins are
	// reconciled against chain state (the live CIDs of every record), on
	// top of a pass at start and one before every GC.
	ReconcileInterval time.Duration `mapstructure:"reconcile-interval"`
	// GCInterval is how often unpinned blocks are collected; 0 never.
	GCInterval time.Duration `mapstructure:"gc-interval"`
	// GCGrace is how long an unpinned root (an upload not yet on chain, a
	// payload a rotation or redaction released) survives GC.
	GCGrace time.Duration `mapstructure:"gc-grace"`
	// AccessGate is "off" (anyone holding a CID may fetch its encrypted
	// blocks), "node" (a read needs a signed ticket, and this node's
	// CheckAccess must allow it) or "light" (the same, verified by a light
	// client against GateWitnesses from GateTrustHeight/GateTrustHash).
	AccessGate      string        `mapstructure:"access-gate"`
	GateWitnesses   []string      `mapstructure:"gate-witnesses"`
	GateTrustHeight int64         `mapstructure:"gate-trust-height"`
	GateTrustHash   string        `mapstructure:"gate-trust-hash"`
	GateTrustPeriod time.Duration `mapstructure:"gate-trust-period"`
	// GateMaxHeaderAge: in light mode, decisions from a verified header
	// older than this are refused (a stalled or withholding node).
	GateMaxHeaderAge time.Duration `mapstructure:"gate-max-header-age"`
	// Portal serves the patient and clinician web portal at /portal/ on
	// the vault's address.
	Portal bool `mapstructure:"portal"`
	// EmergencyRelease is how this hospital's node answers emergency
	// accesses to patients whose custodian it is: "auto" (release the
	// hospital's share, signed with HospitalKey, within
	// EmergencyReleasePerPractitionerPerDay), "manual" (log them; the
	// operator runs `medchaind tx access release-share`) or "off". Without
	// a HospitalKey the node cannot release and the setting is ignored.
	EmergencyRelease string `mapstructure:"emergency-release"`
	// EmergencyReleasePerPractitionerPerDay bounds the automatic releases
	// to one practitioner in 24 hours (0: no bound of the node's own).
	EmergencyReleasePerPractitionerPerDay int `mapstructure:"emergency-release-per-practitioner-per-day"`
	// EmergencyReleaseInterval is how often open accesses are looked at.
	EmergencyReleaseInterval time.Duration `mapstructure:"emergency-release-interval"`
	// GasPrice is the fee price the portal offers, read from app.toml's
	// minimum-gas-prices (not a [vault] key).
	GasPrice string `mapstructure:"-"`
	// APIAddress is app.toml's api.address when the API server is on (not
	// a [vault] key): the portal tells wallets about it.
	APIAddress string `mapstructure:"-"`
}

// Upload authorisation modes.
const (
	UploadAuthTicket = "ticket"
	UploadAuthOff    = "off"
)

// Access gate modes.
const (
	GateOff   = "off"
	GateNode  = "node"
	GateLight = "light"
)

// DefaultConfig is what `medchaind init` writes.
func DefaultConfig() Config {
	return Config{
		Enable:                 true,
		Address:                "127.0.0.1:8095",
		Path:                   "data/vault",
		MaxUploadSize:          4 << 30,
		FollowChain:            true,
		ReconcileInterval:      time.Minute,
		KeyringBackend:         keyring.BackendFile,
		KeyringPassphraseFile:  "config/vault-keyring-passphrase",
		UploadAuth:             UploadAuthTicket,
		UploadQuotaBytesPerDay: 64 << 30,
		UploadMaxConcurrent:    4,
		GCInterval:             10 * time.Minute,
		GCGrace:                24 * time.Hour,
		AccessGate:             GateNode,
		GateTrustPeriod:        14 * 24 * time.Hour,
		GateMaxHeaderAge:       30 * time.Second,
		Portal:                 true,

		EmergencyRelease:                      ReleaseAuto,
		EmergencyReleasePerPractitionerPerDay: 5,
		EmergencyReleaseInterval:              3 * time.Second,
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

# Who may upload: "ticket" (a ticket signed by an account that registered an
# encryption key on chain, so every uploader costs a transaction; the CLI
# signs it) or "off" (anyone: only for a vault on a private network, or one
# that follows no chain). With tickets, each account may store at most
# upload-quota-bytes-per-day bytes per UTC day and run upload-max-concurrent
# uploads at once (0: no bound).
upload-auth = "{{ .Vault.UploadAuth }}"
upload-quota-bytes-per-day = {{ .Vault.UploadQuotaBytesPerDay }}
upload-max-concurrent = {{ .Vault.UploadMaxConcurrent }}

# Pin what records on chain point at and unpin what redactions and key
# rotations release; if false, every upload is kept for good.
follow-chain = {{ .Vault.FollowChain }}

# The account address (med1...) of the hospital this vault acts for, whose
# vault URL is registered on chain (tx issuers update-profile --vault-url).
# The vault then holds the replicas placed on that hospital, fetching them
# from the other hospitals' vaults, and hands on the uploads it receives
# that are placed elsewhere once their replicas hold them. Empty: the vault
# is no replica and keeps what it receives until the replicas hold it.
hospital = "{{ .Vault.Hospital }}"

# The hospital's account key (its organisation key) in this node's keyring:
# it signs the replica tickets a vault with its access gate on asks of a
# hospital fetching the replicas placed on it, and the releases of the
# emergency custodian shares the hospital holds. Leave it empty while no
# vault of the consortium gates reads and the hospital is no custodian.
hospital-key = "{{ .Vault.HospitalKey }}"
# The keyring holding it: "file" (encrypted with a passphrase, in
# <home>/keyring-file; create the key with medchaind keys add NAME
# --keyring-backend file --home <home>) or "test" (unencrypted, in
# <home>/keyring-test: for development only; the node warns at start).
# See docs/operations.md, "The organisation key".
keyring-backend = "{{ .Vault.KeyringBackend }}"
# For "file": the file whose first line is the keyring's passphrase (a
# relative path is under the node's home, an absolute one may be systemd's
# credential). The node refuses to start if it is missing, empty, readable
# by group or others, or holds the wrong passphrase.
keyring-passphrase-file = "{{ .Vault.KeyringPassphraseFile }}"

# With follow-chain: how often the pins are reconciled against chain state
# (every live CID of every record), so that a restart, a lagging follower or
# blocks the node pruned never lose a pin. Reconciliation also runs at start
# and before every garbage collection, which is skipped if it fails.
reconcile-interval = "{{ .Vault.ReconcileInterval }}"

# How often unpinned blocks are collected ("0s" never), and how long an
# unpinned upload or released payload survives.
gc-interval = "{{ .Vault.GCInterval }}"
gc-grace = "{{ .Vault.GCGrace }}"
# Access gate: "node" (reads need a ticket signed by the reader, and this
# node's CheckAccess must allow them; the pins endpoint answers hospitals
# only), "light" (the same, each answer verified by a light client with
# Merkle proofs; needs the settings below) or "off" (a plain IPFS gateway of
# ciphertext for anyone holding a CID: only on a private network).
# With the gate on, every decision about a record's parties (its readers and
# owner, and the hospitals it is placed on) is appended to <path>/access.log,
# which a record's owner pages through with medchaind query records
# access-log; refusals of anyone else go to the bounded
# <path>/access-strangers.log (and .1).
access-gate = "{{ .Vault.AccessGate }}"
# For "light": other nodes' RPC addresses, and a height and block hash you trust.
gate-witnesses = [{{ range $i, $w := .Vault.GateWitnesses }}{{ if $i }}, {{ end }}"{{ $w }}"{{ end }}]
gate-trust-height = {{ .Vault.GateTrustHeight }}
gate-trust-hash = "{{ .Vault.GateTrustHash }}"
gate-trust-period = "{{ .Vault.GateTrustPeriod }}"
# For "light": refuse decisions from a verified header older than this (a
# node that stalls or withholds blocks must not make old grants look live).
gate-max-header-age = "{{ .Vault.GateMaxHeaderAge }}"

# Serve the patient and clinician web portal at http://ADDRESS/portal/. It
# signs and encrypts in the browser; the node sees only ciphertext.
portal = {{ .Vault.Portal }}

# Emergency access: when this hospital is a custodian of a patient's
# emergency policy and a practitioner of an active hospital breaks the glass,
# "auto" releases the hospital's share (signed with hospital-key), at most
# emergency-release-per-practitioner-per-day times to one practitioner
# (0: no bound of this node's own); "manual" logs the access and leaves the
# release to the operator (medchaind tx access release-share ACCESS_ID);
# "off" does neither.
emergency-release = "{{ .Vault.EmergencyRelease }}"
emergency-release-per-practitioner-per-day = {{ .Vault.EmergencyReleasePerPractitionerPerDay }}
emergency-release-interval = "{{ .Vault.EmergencyReleaseInterval }}"
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
	if v := get("hospital"); v != nil {
		c.Hospital = cast.ToString(v)
	}
	if v := get("upload-auth"); v != nil {
		c.UploadAuth = cast.ToString(v)
	}
	if v := get("upload-quota-bytes-per-day"); v != nil {
		if c.UploadQuotaBytesPerDay, err = cast.ToInt64E(v); err != nil {
			return c, fmt.Errorf("[vault] upload-quota-bytes-per-day %v: %w", v, err)
		}
	}
	if v := get("upload-max-concurrent"); v != nil {
		if c.UploadMaxConcurrent, err = cast.ToIntE(v); err != nil {
			return c, fmt.Errorf("[vault] upload-max-concurrent %v: %w", v, err)
		}
	}
	if v := get("hospital-key"); v != nil {
		c.HospitalKey = cast.ToString(v)
	}
	if v := get("keyring-backend"); v != nil {
		c.KeyringBackend = cast.ToString(v)
	} else {
		c.keyringBackendUnset = true
	}
	if v := get("keyring-passphrase-file"); v != nil {
		c.KeyringPassphraseFile = cast.ToString(v)
	}
	if v := get("reconcile-interval"); v != nil {
		if c.ReconcileInterval, err = cast.ToDurationE(v); err != nil {
			return c, fmt.Errorf("[vault] reconcile-interval %v: %w", v, err)
		}
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
	if v := get("access-gate"); v != nil {
		c.AccessGate = cast.ToString(v)
	}
	if v := get("gate-witnesses"); v != nil {
		c.GateWitnesses = cast.ToStringSlice(v)
	}
	if v := get("gate-trust-height"); v != nil {
		if c.GateTrustHeight, err = cast.ToInt64E(v); err != nil {
			return c, fmt.Errorf("[vault] gate-trust-height %v: %w", v, err)
		}
	}
	if v := get("gate-trust-hash"); v != nil {
		c.GateTrustHash = cast.ToString(v)
	}
	if v := get("gate-max-header-age"); v != nil {
		if c.GateMaxHeaderAge, err = cast.ToDurationE(v); err != nil {
			return c, fmt.Errorf("[vault] gate-max-header-age %v: %w", v, err)
		}
	}
	if v := get("portal"); v != nil {
		c.Portal = cast.ToBool(v)
	}
	if v := get("emergency-release"); v != nil {
		c.EmergencyRelease = cast.ToString(v)
	}
	if v := get("emergency-release-per-practitioner-per-day"); v != nil {
		if c.EmergencyReleasePerPractitionerPerDay, err = cast.ToIntE(v); err != nil {
			return c, fmt.Errorf("[vault] emergency-release-per-practitioner-per-day %v: %w", v, err)
		}
	}
	if v := get("emergency-release-interval"); v != nil {
		if c.EmergencyReleaseInterval, err = cast.ToDurationE(v); err != nil {
			return c, fmt.Errorf("[vault] emergency-release-interval %v: %w", v, err)
		}
	}
	if v := opts.Get("minimum-gas-prices"); v != nil {
		c.GasPrice = cast.ToString(v)
	}
	if on := opts.Get("api.enable"); on != nil && cast.ToBool(on) {
		c.APIAddress = cast.ToString(opts.Get("api.address"))
	}
	if v := get("gate-trust-period"); v != nil {
		if c.GateTrustPeriod, err = cast.ToDurationE(v); err != nil {
			return c, fmt.Errorf("[vault] gate-trust-period %v: %w", v, err)
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
	case c.Hospital != "" && !validBech32(c.Hospital):
		return fmt.Errorf("[vault] hospital %q is not an account address (med1...)", c.Hospital)
	case c.UploadAuth != UploadAuthTicket && c.UploadAuth != UploadAuthOff:
		return fmt.Errorf("[vault] upload-auth %q: use ticket or off", c.UploadAuth)
	case c.UploadAuth == UploadAuthTicket && !c.FollowChain:
		return fmt.Errorf("[vault] upload-auth = \"ticket\" checks uploaders on chain and needs follow-chain = true; set upload-auth = \"off\" for a vault that follows no chain")
	case c.UploadQuotaBytesPerDay < 0 || c.UploadMaxConcurrent < 0:
		return fmt.Errorf("[vault] upload quotas must not be negative")
	case c.HospitalKey != "" && c.Hospital == "":
		return fmt.Errorf("[vault] hospital-key %q is set but hospital is empty: name the hospital it signs for", c.HospitalKey)
	case c.HospitalKey != "" && c.KeyringBackend == keyring.BackendFile && strings.TrimSpace(c.KeyringPassphraseFile) == "":
		return fmt.Errorf("[vault] keyring-backend = \"file\" needs keyring-passphrase-file, the file holding the keyring's passphrase (e.g. \"config/vault-keyring-passphrase\")")
	case c.FollowChain && c.ReconcileInterval <= 0:
		return fmt.Errorf("[vault] reconcile-interval must be positive with follow-chain, got %s", c.ReconcileInterval)
	case c.AccessGate != "" && c.AccessGate != GateOff && c.AccessGate != GateNode && c.AccessGate != GateLight:
		return fmt.Errorf("[vault] access-gate %q: use off, node or light", c.AccessGate)
	case c.EmergencyRelease != ReleaseAuto && c.EmergencyRelease != ReleaseManual && c.EmergencyRelease != ReleaseOff:
		return fmt.Errorf("[vault] emergency-release %q: use auto, manual or off", c.EmergencyRelease)
	case c.EmergencyReleasePerPractitionerPerDay < 0 || c.EmergencyReleaseInterval <= 0:
		return fmt.Errorf("[vault] emergency-release-per-practitioner-per-day must not be negative and emergency-release-interval must be positive")
	case c.AccessGate == GateLight && (len(c.GateWitnesses) == 0 || c.GateTrustHeight <= 0 || c.GateTrustHash == ""):
		return fmt.Errorf("[vault] access-gate = \"light\" needs gate-witnesses, gate-trust-height and gate-trust-hash")
	}
	return nil
}

// Dir is the store directory for a node home.
func (c Config) Dir(home string) string { return underHome(home, c.Path) }

// PassphraseFile is the file keyring's passphrase file for a node home.
func (c Config) PassphraseFile(home string) string { return underHome(home, c.KeyringPassphraseFile) }

func underHome(home, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(home, path)
}

func validBech32(s string) bool {
	_, bz, err := bech32.DecodeAndConvert(s)
	return err == nil && len(bz) > 0
}

// HospitalAddress is Hospital in bytes (nil when empty).
func (c Config) HospitalAddress() ([]byte, error) {
	if c.Hospital == "" {
		return nil, nil
	}
	_, bz, err := bech32.DecodeAndConvert(c.Hospital)
	if err != nil {
		return nil, fmt.Errorf("[vault] hospital %q: %w", c.Hospital, err)
	}
	return bz, nil
}
