package bridge

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pair is a certificate and its key, as PEM files in dir.
func pair(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, ca bool) (*x509.Certificate, *ecdsa.PrivateKey, string, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: ca, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certPath, keyPath := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	require.NoError(t, os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return cert, key, certPath, keyPath
}

// TestMutualTLS: with tls-client-ca the bridge talks only to callers whose
// certificate the hospital's CA signed, before any token is looked at; a
// half-given TLS config is refused at start.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey, caPath, _ := pair(t, dir, "hospital-ca", nil, nil, true)
	_, _, serverCert, serverKey := pair(t, dir, "bridge", ca, caKey, false)
	_, _, clientCert, clientKey := pair(t, dir, "pacs", ca, caKey, false)
	_, _, strangerCert, strangerKey := pair(t, dir, "stranger", nil, nil, false)

	_, err := Config{TLSClientCA: caPath}.TLS()
	require.ErrorContains(t, err, "needs tls-cert and tls-key")
	_, err = Config{TLSCert: serverCert, TLSKey: filepath.Join(dir, "missing")}.TLS()
	require.Error(t, err)
	plain, err := Config{}.TLS()
	require.NoError(t, err)
	require.Nil(t, plain)

	cfg, err := Config{TLSCert: serverCert, TLSKey: serverKey, TLSClientCA: caPath}.TLS()
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	srv.TLS = cfg
	srv.StartTLS()
	defer srv.Close()

	roots := x509.NewCertPool()
	roots.AddCert(ca)
	get := func(certPath, keyPath string) error {
		tc := &tls.Config{RootCAs: roots}
		if certPath != "" {
			c, err := tls.LoadX509KeyPair(certPath, keyPath)
			require.NoError(t, err)
			tc.Certificates = []tls.Certificate{c}
		}
		resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: tc}}).Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	require.NoError(t, get(clientCert, clientKey), "a certificate the hospital's CA signed")
	require.Error(t, get("", ""), "no certificate")
	require.Error(t, get(strangerCert, strangerKey), "a certificate of another CA")
}
