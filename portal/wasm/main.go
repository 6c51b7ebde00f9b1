//go:build js && wasm

// Command wasm is the portal's client cryptography, compiled to
// WebAssembly (`make build` writes it to portal/dist/medchain.wasm): the
// same Go code as the CLI derives the encryption key, wraps and unwraps
// record keys, seals labels and reasons, signs vault tickets and enrolment
// codes, and encrypts, chunks, verifies and decrypts payloads. It installs one object,
// globalThis.medchainWasm; see portal/web/src/wasm.ts for its use. Private
// keys stay in this module's memory; record keys pass through the page.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"syscall/js"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/medclient/consent"
	"github.com/medchain/medchain/medclient/sniff"
	"github.com/medchain/medchain/portal/webclient"
	"github.com/medchain/medchain/vault/gate/tickets"
)

// keys are the encryption key pairs derived in this page, by address.
var keys sync.Map

func main() {
	api := map[string]any{
		"derivationText": sync1(func(a []js.Value) (any, error) {
			return envelope.DerivationText(a[0].String()), nil
		}),
		"deriveKey":       async(deriveKey),
		"deriveLegacyKey": async(deriveLegacyKey),
		"publicKey":       sync1(publicKey),
		"newRecordKey":    sync1(newRecordKey),
		"wrap":            sync1(wrap),
		"unwrap":          sync1(unwrap),
		"sealLabel":       sync1(sealLabel),
		"openLabel":       sync1(openLabel),
		"sealReason":      sync1(sealReason),
		"openReason":      sync1(openReason),
		"encryptedSize":   sync1(encryptedSize),
		"kind":            sync1(func(a []js.Value) (any, error) { return sniff.Kind(bytesFromJS(a[0])), nil }),
		"ticket":          async(ticket),
		"encrypt":         async(encrypt),
		"decrypt":         async(decrypt),
		"reencrypt":       async(reencrypt),
		"consentBundle":   sync1(consentBundle),
		"enrolmentCode":   async(enrolmentCode),
	}
	obj := js.Global().Get("Object").New()
	for name, fn := range api {
		obj.Set(name, fn)
	}
	obj.Set("sniffBytes", sniff.Bytes)
	js.Global().Set("medchainWasm", obj)
	if ready := js.Global().Get("medchainWasmReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {} // serve calls until the page goes
}

// sync1 exposes fn as a JS function that returns its result, or an Error
// object for the page's wrapper to throw: a Go panic in a callback would
// end the whole module.
func sync1(fn func([]js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) (result any) {
		defer recovered(func(err error) { result = jsError(err) })
		v, err := fn(args)
		if err != nil {
			return jsError(err)
		}
		return v
	})
}

// recovered turns a panic (a bad argument from the page) into an error
// for the caller instead of ending the module.
func recovered(report func(error)) {
	if r := recover(); r != nil {
		report(fmt.Errorf("internal error: %v", r))
	}
}

// async exposes fn as a JS function that returns a Promise; fn runs on its
// own goroutine, so it may wait for JS promises (await).
func async(fn func([]js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		args = append([]js.Value(nil), args...)
		executor := js.FuncOf(func(_ js.Value, pa []js.Value) any {
			resolve, reject := pa[0], pa[1]
			go func() {
				defer recovered(func(err error) { reject.Invoke(jsError(err)) })
				v, err := fn(args)
				if err != nil {
					reject.Invoke(jsError(err))
					return
				}
				resolve.Invoke(v)
			}()
			return nil
		})
		defer executor.Release()
		return js.Global().Get("Promise").New(executor)
	})
}

func jsError(err error) js.Value { return js.Global().Get("Error").New(err.Error()) }

// await waits for a JS promise from a goroutine that is not the event
// loop's.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, a []js.Value) any {
		v := js.Undefined()
		if len(a) > 0 {
			v = a[0]
		}
		ch <- result{v: v}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, a []js.Value) any {
		msg := "rejected"
		if len(a) > 0 {
			msg = a[0].Call("toString").String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	r := <-ch
	return r.v, r.err
}

func bytesFromJS(v js.Value) []byte {
	if v.IsUndefined() || v.IsNull() {
		return nil
	}
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b
}

func bytesToJS(b []byte) js.Value {
	u := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}

// uint64Of reads a JS number, bigint or decimal string.
func uint64Of(v js.Value, what string) (uint64, error) {
	if v.IsUndefined() || v.IsNull() {
		return 0, nil
	}
	// syscall/js cannot inspect a BigInt; JavaScript's String can.
	s := js.Global().Get("String").Invoke(v).String()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not an unsigned integer", what, s)
	}
	return n, nil
}

// signer is a JS function (doc: Uint8Array) => Promise<{signature:
// Uint8Array, pubKey: Uint8Array}>: the account key signing an ADR-036
// document, in the page's wallet.
func signer(fn js.Value) func(doc []byte) ([]byte, []byte, error) {
	return func(doc []byte) ([]byte, []byte, error) {
		if fn.Type() != js.TypeFunction {
			return nil, nil, errors.New("no signer: sign in first")
		}
		v, err := await(fn.Invoke(bytesToJS(doc)))
		if err != nil {
			return nil, nil, fmt.Errorf("signing: %w", err)
		}
		return bytesFromJS(v.Get("signature")), bytesFromJS(v.Get("pubKey")), nil
	}
}

// deriveKey(address, chainId, sign) derives and keeps the account's
// encryption key pair on chainId (the wallet signs
// envelope.DerivationText(chainId), as the CLI does) and resolves to
// {publicKey, keyId}.
func deriveKey(a []js.Value) (any, error) {
	addr, chainID, sign := a[0].String(), a[1].String(), signer(a[2])
	kp, err := envelope.DeriveKeyPair(chainID, addr, func(doc []byte) ([]byte, error) {
		sig, _, err := sign(doc)
		return sig, err
	})
	if err != nil {
		return nil, err
	}
	keys.Store(addr, kp)
	return keyInfo(kp), nil
}

// deriveLegacyKey(address, sign) derives the account's legacy key (the
// chain-unbound derivation of releases up to v0.4.0) and keeps it beside
// the key deriveKey derived, so that what is still sealed to it opens; it
// resolves to {publicKey, keyId} of the legacy key.
func deriveLegacyKey(a []js.Value) (any, error) {
	addr, sign := a[0].String(), signer(a[1])
	kp, err := keyPair(addr)
	if err != nil {
		return nil, err
	}
	legacy, err := envelope.DeriveLegacyKeyPair(addr, func(doc []byte) ([]byte, error) {
		sig, _, err := sign(doc)
		return sig, err
	})
	if err != nil {
		return nil, err
	}
	kp.WithEarlier(func() ([]*envelope.KeyPair, error) { return []*envelope.KeyPair{legacy}, nil })
	return keyInfo(legacy), nil
}

func keyInfo(kp *envelope.KeyPair) js.Value {
	o := js.Global().Get("Object").New()
	o.Set("publicKey", bytesToJS(kp.PublicKey()))
	o.Set("keyId", kp.KeyID())
	return o
}

func keyPair(addr string) (*envelope.KeyPair, error) {
	kp, ok := keys.Load(addr)
	if !ok {
		return nil, fmt.Errorf("no encryption key derived for %s in this page: sign in again", addr)
	}
	return kp.(*envelope.KeyPair), nil
}

// publicKey(address) returns {publicKey, keyId} of a derived key.
func publicKey(a []js.Value) (any, error) {
	kp, err := keyPair(a[0].String())
	if err != nil {
		return nil, err
	}
	return keyInfo(kp), nil
}

func newRecordKey([]js.Value) (any, error) {
	k, err := envelope.NewRecordKey()
	if err != nil {
		return nil, err
	}
	return bytesToJS(k.Bytes()), nil
}

func recordKeyOf(v js.Value) (envelope.RecordKey, error) {
	return envelope.ParseRecordKey(bytesFromJS(v))
}

// binding reads {chainId, anchor, recordId, keyEpoch, grantee}.
func binding(v js.Value) (envelope.Binding, error) {
	b := envelope.Binding{ChainID: v.Get("chainId").String(), Grantee: v.Get("grantee").String()}
	if a := v.Get("anchor"); a.Type() == js.TypeString {
		b.Anchor = a.String()
	}
	var err error
	if b.RecordID, err = uint64Of(v.Get("recordId"), "record id"); err != nil {
		return b, err
	}
	b.KeyEpoch, err = uint64Of(v.Get("keyEpoch"), "key epoch")
	return b, err
}

// wrap(publicKey, recordKey, binding) seals a record key to a grantee.
func wrap(a []js.Value) (any, error) {
	b, err := binding(a[2])
	if err != nil {
		return nil, err
	}
	w, err := envelope.Wrap(bytesFromJS(a[0]), bytesFromJS(a[1]), b)
	if err != nil {
		return nil, err
	}
	return bytesToJS(w), nil
}

// unwrap(address, {keyId, keyEpoch, ciphertext}, binding) opens a wrap with
// the derived key of address and returns the record key.
func unwrap(a []js.Value) (any, error) {
	kp, err := keyPair(a[0].String())
	if err != nil {
		return nil, err
	}
	epoch, err := uint64Of(a[1].Get("keyEpoch"), "wrap key epoch")
	if err != nil {
		return nil, err
	}
	b, err := binding(a[2])
	if err != nil {
		return nil, err
	}
	rk, err := envelope.Unwrap(kp, envelope.WrapInfo{
		KeyID: a[1].Get("keyId").String(), KeyEpoch: epoch, Ciphertext: bytesFromJS(a[1].Get("ciphertext")),
	}, b)
	if err != nil {
		return nil, err
	}
	return bytesToJS(rk), nil
}

// sealLabel(recordKey, owner, label) and openLabel(recordKey, owner,
// sealed).
func sealLabel(a []js.Value) (any, error) {
	k, err := recordKeyOf(a[0])
	if err != nil {
		return nil, err
	}
	s, err := envelope.SealLabel(k, a[1].String(), a[2].String())
	if err != nil {
		return nil, err
	}
	return bytesToJS(s), nil
}

func openLabel(a []js.Value) (any, error) {
	k, err := recordKeyOf(a[0])
	if err != nil {
		return nil, err
	}
	return envelope.OpenLabel(k, a[1].String(), bytesFromJS(a[2]))
}

func reasonBinding(v js.Value) envelope.ReasonBinding {
	return envelope.ReasonBinding{ChainID: v.Get("chainId").String(), Requester: v.Get("requester").String(), Owner: v.Get("owner").String()}
}

// sealReason(ownerPublicKey, reason, {chainId, requester, owner}).
func sealReason(a []js.Value) (any, error) {
	s, err := envelope.SealReason(bytesFromJS(a[0]), a[1].String(), reasonBinding(a[2]))
	if err != nil {
		return nil, err
	}
	return bytesToJS(s), nil
}

// openReason(ownerAddress, sealed, {chainId, requester, owner}).
func openReason(a []js.Value) (any, error) {
	kp, err := keyPair(a[0].String())
	if err != nil {
		return nil, err
	}
	return envelope.OpenReason(kp, bytesFromJS(a[1]), reasonBinding(a[2]))
}

func encryptedSize(a []js.Value) (any, error) {
	n, err := envelope.EncryptedSize(int64(a[0].Float()))
	if err != nil {
		return nil, err
	}
	return float64(n), nil
}

// ticket({purpose, recordId, version, cid, reader, chainId, vault, size},
// sign) resolves to the X-Medchain-Ticket header value, valid a minute.
func ticket(a []js.Value) (any, error) {
	f := a[0]
	str := func(name string) string {
		if v := f.Get(name); v.Type() == js.TypeString {
			return v.String()
		}
		return ""
	}
	recordID, err := uint64Of(f.Get("recordId"), "record id")
	if err != nil {
		return nil, err
	}
	t, err := tickets.New(str("purpose"), recordID, str("cid"), str("reader"), time.Minute)
	if err != nil {
		return nil, err
	}
	if t.Version, err = uint64Of(f.Get("version"), "version"); err != nil {
		return nil, err
	}
	size, err := uint64Of(f.Get("size"), "size")
	if err != nil {
		return nil, err
	}
	t.Size, t.ChainID, t.Vault = int64(size), str("chainId"), str("vault")
	return tickets.Sign(t, tickets.Signer(signer(a[1])))
}

// enrolmentCode({chainId, hospital, patient, validSeconds}, sign) resolves
// to {code, expires}: the one-time code by which the patient enrols at the
// hospital's DICOMweb bridge (`medchaind bridge enrol-code`), signed in
// the page's wallet, and its expiry in RFC 3339.
func enrolmentCode(a []js.Value) (any, error) {
	f := a[0]
	sign := signer(a[1])
	code, expires, err := webclient.EnrolmentCode(f.Get("chainId").String(), f.Get("hospital").String(),
		f.Get("patient").String(), time.Duration(f.Get("validSeconds").Int())*time.Second, time.Now(),
		func(doc []byte) ([]byte, error) {
			sig, _, err := sign(doc)
			return sig, err
		})
	if err != nil {
		return nil, err
	}
	o := js.Global().Get("Object").New()
	o.Set("code", code)
	o.Set("expires", expires.UTC().Format(time.RFC3339))
	return o, nil
}

// jsReader reads from read(): () => Promise<Uint8Array | null>, null at
// the end.
type jsReader struct {
	read js.Value
	buf  []byte
	eof  bool
}

func (r *jsReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.eof {
			return 0, io.EOF
		}
		v, err := await(r.read.Invoke())
		if err != nil {
			return 0, err
		}
		if v.IsNull() || v.IsUndefined() {
			r.eof = true
			continue
		}
		r.buf = bytesFromJS(v)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// jsWriter passes each write to write(chunk: Uint8Array), waiting for the
// promise it returns, if any.
type jsWriter struct {
	write js.Value
	n     int64
}

func (w *jsWriter) Write(p []byte) (int, error) {
	res := w.write.Invoke(bytesToJS(p))
	// A sink that writes to disk (the page's private file system) returns
	// a promise: waiting for it keeps the page from queueing the file in
	// memory when disk is slower than encryption.
	if res.Type() == js.TypeObject && res.Get("then").Type() == js.TypeFunction {
		if _, err := await(res); err != nil {
			return 0, err
		}
	}
	w.n += int64(len(p))
	return len(p), nil
}

// encrypt({size, recordKey, read, write}) encrypts the file read() yields
// into a root-last CAR passed to write() and resolves to {cid,
// encryptedSize}.
func encrypt(a []js.Value) (any, error) {
	o := a[0]
	key, err := recordKeyOf(o.Get("recordKey"))
	if err != nil {
		return nil, err
	}
	enc, err := webclient.EncryptToCAR(context.Background(), &jsReader{read: o.Get("read")},
		int64(o.Get("size").Float()), key, &jsWriter{write: o.Get("write")})
	if err != nil {
		return nil, err
	}
	return encrypted(enc), nil
}

// decrypt({cid, encryptedSize, recordKey, read, write}) verifies and
// decrypts the CAR read() yields, passing plaintext to write(), and
// resolves to the plaintext's size.
func decrypt(a []js.Value) (any, error) {
	o := a[0]
	key, err := recordKeyOf(o.Get("recordKey"))
	if err != nil {
		return nil, err
	}
	root, err := cid.Decode(o.Get("cid").String())
	if err != nil {
		return nil, fmt.Errorf("cid: %w", err)
	}
	n, err := webclient.DecryptCAR(context.Background(), &jsReader{read: o.Get("read")}, root,
		int64(o.Get("encryptedSize").Float()), key, &jsWriter{write: o.Get("write")})
	if err != nil {
		return nil, err
	}
	return float64(n), nil
}

// reencrypt({cid, encryptedSize, oldKey, newKey, read, write}) re-encrypts
// the CAR read() yields under newKey into a root-last CAR passed to
// write(), and resolves to {cid, encryptedSize}: a key rotation's data.
func reencrypt(a []js.Value) (any, error) {
	o := a[0]
	oldKey, err := recordKeyOf(o.Get("oldKey"))
	if err != nil {
		return nil, err
	}
	newKey, err := recordKeyOf(o.Get("newKey"))
	if err != nil {
		return nil, err
	}
	root, err := cid.Decode(o.Get("cid").String())
	if err != nil {
		return nil, fmt.Errorf("cid: %w", err)
	}
	enc, err := webclient.Reencrypt(context.Background(), &jsReader{read: o.Get("read")}, root,
		int64(o.Get("encryptedSize").Float()), oldKey, newKey, &jsWriter{write: o.Get("write")})
	if err != nil {
		return nil, err
	}
	return encrypted(enc), nil
}

func encrypted(enc webclient.Encrypted) js.Value {
	res := js.Global().Get("Object").New()
	res.Set("cid", enc.Root.String())
	res.Set("encryptedSize", float64(enc.Size))
	return res
}

// consentBundle(grantsJSON, now) renders grants as the FHIR R4 Consent
// Bundle `medchaind query access consent` prints. grantsJSON is an array
// of {id, owner, grantee, record_id, kinds, permission, purpose,
// created_at, expires_at} with the 64-bit ids as decimal strings and the
// times in RFC 3339; now is the chain's time, in RFC 3339.
func consentBundle(a []js.Value) (any, error) {
	var wire []struct {
		consent.Grant
		ID       uint64 `json:"id,string"`
		RecordID uint64 `json:"record_id,string"`
	}
	if err := json.Unmarshal([]byte(a[0].String()), &wire); err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	now, err := time.Parse(time.RFC3339Nano, a[1].String())
	if err != nil {
		return nil, fmt.Errorf("now: %w", err)
	}
	grants := make([]consent.Grant, 0, len(wire))
	for _, w := range wire {
		g := w.Grant
		g.ID, g.RecordID = w.ID, w.RecordID
		grants = append(grants, g)
	}
	out, err := json.MarshalIndent(consent.NewBundle(grants, now), "", "  ")
	if err != nil {
		return nil, err
	}
	return string(out), nil
}
