package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"cosmossdk.io/log"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	dbm "github.com/cosmos/cosmos-db"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/medchain/medchain/app"
	"github.com/medchain/medchain/envelope"
	accesstypes "github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// chain is what every client of the benchmark shares: the codecs, the
// chain id and a gRPC connection per node.
type chain struct {
	chainID string
	cdc     codec.Codec
	txCfg   client.TxConfig
	grpcs   []*grpc.ClientConn
	// receipts signs the upload receipt of a record's CID: the benchmark
	// plays the vault, with an ACTIVE hospital's key (see useReceiptKey).
	receipts *receiptSigner
}

// receiptSigner signs upload receipts with a hospital's keyring key, as
// that hospital's vault would for an upload it stored: the benchmark
// registers CIDs of payloads it never uploads, since it measures the
// chain, not the vaults.
type receiptSigner struct {
	kr       keyring.Keyring
	uid      string
	hospital string
}

func useReceiptKey(kr keyring.Keyring, uid string) (*receiptSigner, error) {
	rec, err := kr.Key(uid)
	if err != nil {
		return nil, fmt.Errorf("the hospital key %q that signs upload receipts: %w", uid, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return nil, err
	}
	return &receiptSigner{kr: kr, uid: uid, hospital: addr.String()}, nil
}

// receipt is the receipt for uploader's upload of cid on chainID.
func (r *receiptSigner) receipt(chainID, uploader, cid string) (*recordstypes.UploadReceipt, error) {
	sig, pub, err := r.kr.Sign(r.uid, recordstypes.ReceiptSignBytes(chainID, r.hospital, uploader, cid), signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
	if err != nil {
		return nil, err
	}
	return &recordstypes.UploadReceipt{Hospital: r.hospital, PubKey: pub.Bytes(), Signature: sig}, nil
}

// newCodecs builds the app's codecs from a throw-away in-memory app, as
// cmd/medchaind does.
func newCodecs() (codec.Codec, client.TxConfig, error) {
	app.SetAddressPrefixes()
	tmp, err := os.MkdirTemp("", "bench-chain-codec")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	a := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, simtestutil.NewAppOptionsWithFlagHome(tmp))
	return a.AppCodec(), a.TxConfig(), nil
}

func (c *chain) dialGRPC(addrs []string) error {
	for _, a := range addrs {
		conn, err := grpc.NewClient(a,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodec(codec.NewProtoCodec(c.cdc.InterfaceRegistry()).GRPCCodec())))
		if err != nil {
			return fmt.Errorf("gRPC %s: %w", a, err)
		}
		c.grpcs = append(c.grpcs, conn)
	}
	return nil
}

func (c *chain) grpcConn(i int) *grpc.ClientConn { return c.grpcs[i%len(c.grpcs)] }

// signer signs sign bytes: a private key held in memory or a keyring key.
type signer interface {
	PubKey() cryptotypes.PubKey
	SignBytes(b []byte) ([]byte, error)
}

type privSigner struct{ priv *secp256k1.PrivKey }

func (s privSigner) PubKey() cryptotypes.PubKey         { return s.priv.PubKey() }
func (s privSigner) SignBytes(b []byte) ([]byte, error) { return s.priv.Sign(b) }

type keyringSigner struct {
	kr  keyring.Keyring
	uid string
	pub cryptotypes.PubKey
}

func (s keyringSigner) PubKey() cryptotypes.PubKey { return s.pub }
func (s keyringSigner) SignBytes(b []byte) ([]byte, error) {
	sig, _, err := s.kr.Sign(s.uid, b, signing.SignMode_SIGN_MODE_DIRECT)
	return sig, err
}

// account is one signing account of the benchmark.
type account struct {
	signer signer
	addr   sdk.AccAddress
	bech   string
	accNum uint64
	seq    uint64
	kp     *envelope.KeyPair
	encKey accesstypes.EncryptionKey
}

func newAccount() *account {
	priv := secp256k1.GenPrivKey()
	addr := sdk.AccAddress(priv.PubKey().Address())
	return &account{signer: privSigner{priv}, addr: addr, bech: addr.String()}
}

// deriveEncryptionKey derives the account's encryption key pair as
// medclient.DeriveKeyPair does: the account key signs the ADR-036 document
// (a keyring's amino-JSON signature of a document is the secp256k1
// signature of its bytes).
func (a *account) deriveEncryptionKey(chainID string) error {
	kp, err := envelope.DeriveKeyPair(chainID, a.bech, func(doc []byte) ([]byte, error) { return a.signer.SignBytes(doc) })
	if err != nil {
		return err
	}
	a.kp = kp
	a.encKey = accesstypes.EncryptionKey{
		Owner: a.bech, KeyId: kp.KeyID(), Algorithm: accesstypes.KeyAlgorithmMLKEM768X25519, PublicKey: kp.PublicKey(),
	}
	return nil
}

// sign builds and signs a zero-fee transaction (SIGN_MODE_DIRECT).
func (c *chain) sign(a *account, seq, gas uint64, msgs ...sdk.Msg) ([]byte, error) {
	b := c.txCfg.NewTxBuilder()
	if err := b.SetMsgs(msgs...); err != nil {
		return nil, err
	}
	b.SetGasLimit(gas)
	pub := a.signer.PubKey()
	sig := signing.SignatureV2{PubKey: pub, Data: &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_DIRECT}, Sequence: seq}
	if err := b.SetSignatures(sig); err != nil {
		return nil, err
	}
	sd := authsigning.SignerData{ChainID: c.chainID, AccountNumber: a.accNum, Sequence: seq, PubKey: pub, Address: a.bech}
	bz, err := authsigning.GetSignBytesAdapter(context.Background(), c.txCfg.SignModeHandler(), signing.SignMode_SIGN_MODE_DIRECT, sd, b.GetTx())
	if err != nil {
		return nil, err
	}
	sigBytes, err := a.signer.SignBytes(bz)
	if err != nil {
		return nil, err
	}
	sig.Data = &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_DIRECT, Signature: sigBytes}
	if err := b.SetSignatures(sig); err != nil {
		return nil, err
	}
	return c.txCfg.TxEncoder()(b.GetTx())
}

// simulate returns the gas a transaction uses.
func (c *chain) simulate(ctx context.Context, a *account, msgs ...sdk.Msg) (uint64, error) {
	bz, err := c.sign(a, a.seq, 10_000_000, msgs...)
	if err != nil {
		return 0, err
	}
	resp, err := txtypes.NewServiceClient(c.grpcConn(0)).Simulate(ctx, &txtypes.SimulateRequest{TxBytes: bz})
	if err != nil {
		return 0, err
	}
	return resp.GasInfo.GasUsed, nil
}

// loadAccountNumber fills in the account number and sequence from the chain.
func (c *chain) loadAccount(ctx context.Context, a *account, conn int) error {
	resp, err := authtypes.NewQueryClient(c.grpcConn(conn)).Account(ctx, &authtypes.QueryAccountRequest{Address: a.bech})
	if err != nil {
		return fmt.Errorf("account %s: %w", a.bech, err)
	}
	var acc sdk.AccountI
	if err := c.cdc.InterfaceRegistry().UnpackAny(resp.Account, &acc); err != nil {
		return err
	}
	a.accNum, a.seq = acc.GetAccountNumber(), acc.GetSequence()
	return nil
}

func txHash(tx []byte) string {
	h := sha256.Sum256(tx)
	return string(h[:])
}

var expectedSeq = regexp.MustCompile(`expected (\d+)`)

// parseExpectedSequence reads the sequence a wrong-sequence error expects.
func parseExpectedSequence(log string) (uint64, bool) {
	m := expectedSeq.FindStringSubmatch(log)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseUint(m[1], 10, 64)
	return n, err == nil
}

// newRPC opens a CometBFT RPC client (its own HTTP connection).
func newRPC(node string) (*rpchttp.HTTP, error) {
	return rpchttp.New(node, "/websocket")
}

// waitForHeight waits until the node answers with a height of at least min.
func waitForHeight(ctx context.Context, node string, min int64, timeout time.Duration, exited <-chan struct{}) error {
	c, err := newRPC(node)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("the node exited")
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if st, err := c.Status(ctx); err == nil && st.SyncInfo.LatestBlockHeight >= min {
			return nil
		}
		time.Sleep(300 * time.Millisecond)
	}
	return fmt.Errorf("%s reached no height %d within %s", node, min, timeout)
}

// shortReason is the registered error of an SDK log ("particulars:
// registered error"): the part after the last ": ", so that failures group
// by kind, not by address or number.
func shortReason(log string) string {
	log = strings.TrimSpace(log)
	if i := strings.LastIndex(log, ": "); i >= 0 && i+2 < len(log) {
		log = log[i+2:]
	}
	return firstN(log, 120)
}

func firstN(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
