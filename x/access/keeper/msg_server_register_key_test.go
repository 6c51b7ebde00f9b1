package keeper_test

import (
	"bytes"
	"crypto/hpke"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// newKeyPair generates an ML-KEM-768-X25519 key pair.
func newKeyPair(t testing.TB) hpke.PrivateKey {
	t.Helper()
	priv, err := hpke.MLKEM768X25519().GenerateKey()
	require.NoError(t, err)
	return priv
}

// registerKey registers pub as who's key and returns the context for its
// events.
func (f *fixture) registerKey(t testing.TB, who string, pub []byte) sdk.Context {
	t.Helper()
	return f.deliver(t, func(ctx sdk.Context) error {
		resp, err := f.msgServer.RegisterEncryptionKey(ctx, &types.MsgRegisterEncryptionKey{
			Owner: who, Algorithm: types.KeyAlgorithmMLKEM768X25519, PublicKey: pub,
		})
		if err == nil {
			require.Equal(t, types.KeyID(pub), resp.KeyId)
		}
		return err
	})
}

// TestRegisterEncryptionKey: a first key becomes the account's current key
// under the id clients compute.
func TestRegisterEncryptionKey(t *testing.T) {
	f := newFixture(t)
	pub := newKeyPair(t).PublicKey().Bytes()
	id := types.KeyID(pub)
	require.Len(t, id, 16)

	ctx := f.registerKey(t, f.stranger, pub)
	events.Require(t, ctx, &types.EventEncryptionKeyRegistered{Owner: f.stranger, KeyId: id})

	got, err := f.querier.EncryptionKey(f.ctx, &types.QueryEncryptionKeyRequest{Address: f.stranger})
	require.NoError(t, err)
	require.True(t, got.Current)
	require.Equal(t, types.EncryptionKey{
		Owner: f.stranger, KeyId: id, Algorithm: types.KeyAlgorithmMLKEM768X25519, PublicKey: pub, RegisteredAt: genesisTime,
	}, got.Key)
}

// TestRegisterEncryptionKeyRejected: only well-formed keys of the supported
// algorithm, for a well-formed owner, and not the current key again.
func TestRegisterEncryptionKeyRejected(t *testing.T) {
	f := newFixture(t)
	pub := newKeyPair(t).PublicKey().Bytes()
	current := f.keys[f.patient].PublicKey().Bytes()

	register := func(owner string, algorithm types.KeyAlgorithm, key []byte) *types.MsgRegisterEncryptionKey {
		return &types.MsgRegisterEncryptionKey{Owner: owner, Algorithm: algorithm, PublicKey: key}
	}
	const mlkem = types.KeyAlgorithmMLKEM768X25519

	requireAllRejected(t, f, handler(f.msgServer.RegisterEncryptionKey), []rejection[*types.MsgRegisterEncryptionKey]{
		{"the current key again", register(f.patient, mlkem, current), types.ErrKeyAlreadyCurrent,
			"key " + types.KeyID(current) + " is already the current encryption key of " + f.patient},
		// Every 12-bit ML-KEM coefficient 0xfff is above the modulus.
		{"garbage of the right size", register(f.patient, mlkem, bytes.Repeat([]byte{0xff}, len(pub))), types.ErrInvalidKey,
			"public_key (1216 bytes) is not an ML-KEM-768-X25519 public key"},
		{"short", register(f.patient, mlkem, pub[:100]), types.ErrInvalidKey,
			"public_key (100 bytes) is not an ML-KEM-768-X25519 public key (1216 bytes expected)"},
		{"long", register(f.patient, mlkem, append(bytes.Clone(pub), 0)), types.ErrInvalidKey, "public_key (1217 bytes) is not"},
		{"empty", register(f.patient, mlkem, nil), types.ErrInvalidKey, "public_key (0 bytes) is not"},
		{"algorithm unspecified", register(f.patient, types.KeyAlgorithmUnspecified, pub), types.ErrUnknownAlgorithm,
			"the supported algorithm is ML-KEM-768-X25519"},
		{"undefined algorithm", register(f.patient, 99, pub), types.ErrUnknownAlgorithm, "key algorithm 99"},
		{"malformed owner", register("med1notbech32", mlkem, pub), types.ErrInvalidAddress, `owner "med1notbech32"`},
		{"owner of another chain", register("cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu", mlkem, pub), types.ErrInvalidAddress, "owner"},
		{"empty owner", register("", mlkem, pub), types.ErrInvalidAddress, "owner is empty"},
	})
}

// TestRegisterEncryptionKeyRotation: a new key becomes current, the old one
// stays readable by id (wraps sealed to it remain valid), new wraps must use
// the new key, and an earlier key can be made current again.
func TestRegisterEncryptionKeyRotation(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	oldPriv := f.keys[f.researcher]
	oldID := types.KeyID(oldPriv.PublicKey().Bytes())
	staleWrap := f.seal(t, id, 0, f.researcher)

	f.at(genesisTime.Add(time.Hour))
	newPriv := newKeyPair(t)
	newID := types.KeyID(newPriv.PublicKey().Bytes())
	ctx := f.registerKey(t, f.researcher, newPriv.PublicKey().Bytes())
	f.keys[f.researcher] = newPriv
	events.Require(t, ctx, &types.EventEncryptionKeyRegistered{Owner: f.researcher, KeyId: newID, PreviousKeyId: oldID})

	current, err := f.querier.EncryptionKey(f.ctx, &types.QueryEncryptionKeyRequest{Address: f.researcher})
	require.NoError(t, err)
	require.True(t, current.Current)
	require.Equal(t, newID, current.Key.KeyId)
	old, err := f.querier.EncryptionKey(f.ctx, &types.QueryEncryptionKeyRequest{Address: f.researcher, KeyId: oldID})
	require.NoError(t, err)
	require.False(t, old.Current)
	require.Equal(t, oldPriv.PublicKey().Bytes(), old.Key.PublicKey)
	require.Equal(t, genesisTime, old.Key.RegisteredAt)

	all, err := f.querier.EncryptionKeys(f.ctx, &types.QueryEncryptionKeysRequest{Address: f.researcher})
	require.NoError(t, err)
	require.Equal(t, newID, all.CurrentKeyId)
	require.Len(t, all.Keys, 2)
	require.Equal(t, []string{oldID, newID}, []string{all.Keys[0].KeyId, all.Keys[1].KeyId}, "oldest first")

	msg := f.readMsg(t, f.patient, f.researcher, id)
	msg.Wraps = []recordstypes.KeyWrap{staleWrap}
	requireRejected(t, f, types.ErrInvalidWraps, "is sealed to "+f.researcher+"'s earlier key "+oldID+"; seal it to its current key "+newID,
		sending(f.msgServer.GrantAccess, msg))
	g := f.grantRead(t, f.patient, f.researcher, id, nil)
	f.requireReads(t, id, f.researcher, g, 0)
	w, _ := f.storedWrap(t, id, f.researcher)
	require.Equal(t, newID, w.KeyId)

	// Going back to the earlier key keeps its registration.
	f.at(genesisTime.Add(2 * time.Hour))
	ctx = f.registerKey(t, f.researcher, oldPriv.PublicKey().Bytes())
	events.Require(t, ctx, &types.EventEncryptionKeyRegistered{Owner: f.researcher, KeyId: oldID, PreviousKeyId: newID})
	all, err = f.querier.EncryptionKeys(f.ctx, &types.QueryEncryptionKeysRequest{Address: f.researcher})
	require.NoError(t, err)
	require.Equal(t, oldID, all.CurrentKeyId)
	require.Len(t, all.Keys, 2)
	require.Equal(t, genesisTime, all.Keys[0].RegisteredAt)
}
