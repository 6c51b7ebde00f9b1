package bridge

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Config is bridge.toml, in the bridge's directory under the client home.
type Config struct {
	// Listen is the address the DICOMweb API listens on. It belongs inside
	// the hospital network (the default is loopback).
	Listen string `toml:"listen"`
	// Vault is the vault the bridge uploads to and reads from (the
	// hospital's own; reads fall back to the record's other vaults).
	Vault string `toml:"vault"`
	// MaxRequestBytes bounds one STOW-RS request (held in memory: no
	// instance is written to disk in the clear).
	MaxRequestBytes int64 `toml:"max-request-bytes"`
	// MaxConcurrentStores bounds the STOW-RS and ITI-65 requests handled
	// at once (each may hold MaxRequestBytes in memory); more are answered
	// 503 with Retry-After.
	MaxConcurrentStores int `toml:"max-concurrent-stores"`
	// TLSCert and TLSKey, when set, make the bridge serve HTTPS with that
	// certificate and key (PEM files), so that tokens and studies never
	// cross the hospital network in the clear; TLSClientCA, when set too,
	// also requires every caller to present a certificate that CA signed
	// (mutual TLS), on top of its token.
	TLSCert     string `toml:"tls-cert,omitempty"`
	TLSKey      string `toml:"tls-key,omitempty"`
	TLSClientCA string `toml:"tls-client-ca,omitempty"`
	// Clients are the hospital systems allowed to call the bridge.
	Clients []Client `toml:"clients"`
}

// TLS is the server's TLS configuration, nil for plain HTTP.
func (c Config) TLS() (*tls.Config, error) {
	if c.TLSCert == "" && c.TLSKey == "" {
		if c.TLSClientCA != "" {
			return nil, errors.New("tls-client-ca needs tls-cert and tls-key")
		}
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("tls-cert, tls-key: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.TLSClientCA != "" {
		pem, err := os.ReadFile(c.TLSClientCA)
		if err != nil {
			return nil, fmt.Errorf("tls-client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls-client-ca %s holds no PEM certificate", c.TLSClientCA)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// Client is one calling system: a PACS, a viewer, an EHR. It presents its
// token as "Authorization: Bearer TOKEN" or as the password of HTTP basic
// authentication with its name as the user; only the token's SHA-256 is
// kept.
type Client struct {
	Name        string `toml:"name"`
	TokenSHA256 string `toml:"token-sha256"`
}

// DefaultMaxConcurrentStores is how many stores run at once by default.
const DefaultMaxConcurrentStores = 2

// DefaultMaxRequestBytes is 1 GiB.
const DefaultMaxRequestBytes = 1 << 30

// ConfigFile is the config's name in the bridge's directory.
const ConfigFile = "bridge.toml"

// ReadConfig reads path; a missing file is the default config.
func ReadConfig(path string) (Config, error) {
	cfg := Config{Listen: "127.0.0.1:8060", MaxRequestBytes: DefaultMaxRequestBytes}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return cfg, err
	}
	if err := toml.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.MaxConcurrentStores <= 0 {
		cfg.MaxConcurrentStores = DefaultMaxConcurrentStores
	}
	for _, c := range cfg.Clients {
		if c.Name == "" || len(c.TokenSHA256) != 64 {
			return cfg, fmt.Errorf("%s: every client needs a name and a token-sha256 of 64 hex digits (medchaind bridge add-client)", path)
		}
	}
	return cfg, nil
}

// WriteConfig writes cfg to path (mode 0600).
func WriteConfig(path string, cfg Config) error {
	data, err := toml.Marshal(cfg)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// AddClient adds a calling system with a new random token, which is
// returned once: only its hash is kept.
func (c *Config) AddClient(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, ": \t\n") {
		return "", errors.New("a client name is needed, without spaces or colons")
	}
	for _, cl := range c.Clients {
		if cl.Name == name {
			return "", fmt.Errorf("client %q exists: remove it from %s first to give it a new token", name, ConfigFile)
		}
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(token))
	c.Clients = append(c.Clients, Client{Name: name, TokenSHA256: hex.EncodeToString(sum[:])})
	return token, nil
}

// caller returns the name of the client r authenticates as, or "".
func (c Config) caller(r *http.Request) string {
	token := ""
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		token = strings.TrimSpace(auth[len("Bearer "):])
	} else if user, pass, ok := r.BasicAuth(); ok {
		token = pass
		// The user must name the client the token is for.
		sum := sha256.Sum256([]byte(token))
		for _, cl := range c.Clients {
			want, _ := hex.DecodeString(cl.TokenSHA256)
			if cl.Name == user && subtle.ConstantTimeCompare(sum[:], want) == 1 {
				return cl.Name
			}
		}
		return ""
	}
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	for _, cl := range c.Clients {
		want, _ := hex.DecodeString(cl.TokenSHA256)
		if subtle.ConstantTimeCompare(sum[:], want) == 1 {
			return cl.Name
		}
	}
	return ""
}
