package medclient

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	cidpkg "github.com/ipfs/go-cid"

	"github.com/medchain/medchain/vault"
	"github.com/medchain/medchain/vault/gate"
)

// Ticket signs a vault access-gate ticket with the --from key, for the
// vault at vaultURL (bound to its vault_id and the chain): purpose read
// (for cid, the payload of version of the record) or log, for recordID,
// valid for a minute. A vault without a gate ignores it.
func Ticket(ctx context.Context, clientCtx client.Context, vaultURL, purpose string, recordID, version uint64, cid string) (string, error) {
	t, err := gate.NewTicket(purpose, recordID, cid, clientCtx.FromAddress.String(), time.Minute)
	if err != nil {
		return "", err
	}
	t.Version = version
	if p, ok := ctx.Value(practitionerKey{}).(string); ok && purpose == gate.PurposeRead {
		t.Practitioner = p
	}
	return signFor(ctx, clientCtx, vaultURL, t)
}

type practitionerKey struct{}

// ForPractitioner returns a context in which the read tickets an
// organisation signs (Ticket, and so DownloadRecord and StreamRecord) name
// the practitioner it reads for: the vault serves them only if the chain
// lets that practitioner read through the organisation's grant, and the
// owner's access log names the practitioner. The DICOMweb bridge uses it
// to pass on who asks.
func ForPractitioner(ctx context.Context, practitioner string) context.Context {
	return context.WithValue(ctx, practitionerKey{}, practitioner)
}

// UploadTicket signs a ticket to upload at most size CAR bytes to the
// vault at vaultURL.
func UploadTicket(ctx context.Context, clientCtx client.Context, vaultURL string, size int64) (string, error) {
	t, err := gate.NewTicket(gate.PurposeUpload, 0, "", clientCtx.FromAddress.String(), time.Minute)
	if err != nil {
		return "", err
	}
	t.Size = size
	return signFor(ctx, clientCtx, vaultURL, t)
}

// ReplicaTicket signs, with a hospital's key, a ticket to copy cid from
// the vault at vaultURL or to see that vault's pin of it.
func ReplicaTicket(ctx context.Context, clientCtx client.Context, vaultURL, cid string) (string, error) {
	return hospitalTicket(ctx, clientCtx, gate.PurposeReplica, vaultURL, cid)
}

// ArchiveTicket signs, with a hospital's key, a ticket to copy cid from the
// vault at vaultURL into the hospital's archive: served wherever cid is
// placed, for a record the archive policy lets leave the vaults.
func ArchiveTicket(ctx context.Context, clientCtx client.Context, vaultURL, cid string) (string, error) {
	return hospitalTicket(ctx, clientCtx, gate.PurposeArchive, vaultURL, cid)
}

func hospitalTicket(ctx context.Context, clientCtx client.Context, purpose, vaultURL, cid string) (string, error) {
	t, err := gate.NewTicket(purpose, 0, cid, clientCtx.FromAddress.String(), time.Minute)
	if err != nil {
		return "", err
	}
	return signFor(ctx, clientCtx, vaultURL, t)
}

func signFor(ctx context.Context, clientCtx client.Context, vaultURL string, t gate.Ticket) (string, error) {
	id, err := VaultID(ctx, vaultURL)
	if err != nil {
		return "", err
	}
	t.ChainID, t.Vault = clientCtx.ChainID, id
	return gate.Sign(t, func(doc []byte) ([]byte, []byte, error) {
		sig, pub, err := clientCtx.Keyring.Sign(clientCtx.FromName, doc, signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
		if err != nil {
			return nil, nil, err
		}
		return sig, pub.Bytes(), nil
	})
}

var vaultIDs sync.Map // vault URL -> vault_id

// VaultID is the vault_id of the vault at vaultURL, asked once per URL and
// process.
func VaultID(ctx context.Context, vaultURL string) (string, error) {
	base := strings.TrimRight(vaultURL, "/")
	if id, ok := vaultIDs.Load(base); ok {
		return id.(string), nil
	}
	id, err := vault.NewClient(base, nil).ID(ctx)
	if err != nil {
		return "", err
	}
	vaultIDs.Store(base, id)
	return id, nil
}

// AuthorizeUploads makes every upload through remote (a vault, or the
// vault reads fail over from) carry a fresh upload ticket for at most
// size CAR bytes, signed with the --from key.
func AuthorizeUploads(ctx context.Context, clientCtx client.Context, remote Remote, size int64) {
	var vc *vault.Client
	switch r := remote.(type) {
	case *vault.Client:
		vc = r
	case *Replicas:
		vc, _ = r.Primary.(*vault.Client)
	}
	if vc == nil {
		return // a Kubo node: its own API decides
	}
	vc.UploadHeader = func() (http.Header, error) {
		t, err := UploadTicket(ctx, clientCtx, vc.BaseURL(), size)
		if err != nil {
			return nil, err
		}
		return http.Header{gate.Header: {t}}, nil
	}
}

// AuthorizeReads makes the reads through remote carry read tickets signed
// with the --from key for version of record recordID (payload cid): one
// fresh ticket per vault tried, since a gated vault binds a ticket to
// itself and burns it. An ungated vault ignores them.
func AuthorizeReads(ctx context.Context, clientCtx client.Context, remote Remote, recordID, version uint64, cid string) error {
	ticket := func(vaultURL string) (string, error) {
		return Ticket(ctx, clientCtx, vaultURL, gate.PurposeRead, recordID, version, cid)
	}
	switch r := remote.(type) {
	case *vault.Client:
		t, err := ticket(r.BaseURL())
		if err != nil {
			return err
		}
		r.Header = http.Header{gate.Header: {t}}
	case *Replicas:
		r.Ticket = func(vaultURL string, _ cidpkg.Cid) (string, error) { return ticket(vaultURL) }
	}
	return nil
}
