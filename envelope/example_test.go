package envelope_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/medchain/medchain/envelope"
)

// The upload and read paths end to end. A real client signs with the
// account's keyring key; this fixed signature stands in for it.
func Example() {
	sign := func([]byte) ([]byte, error) { return bytes.Repeat([]byte{42}, 64), nil }
	patient, err := envelope.DeriveKeyPair("medchain-1", "med1patient", sign)
	if err != nil {
		panic(err)
	}

	// Upload: encrypt to a fresh record key, wrap the key for the owner.
	recordKey, err := envelope.NewRecordKey()
	if err != nil {
		panic(err)
	}
	var stored bytes.Buffer
	size, err := envelope.Encrypt(&stored, strings.NewReader("a FHIR bundle"), int64(len("a FHIR bundle")), recordKey)
	if err != nil {
		panic(err)
	}
	binding := envelope.Binding{ChainID: "medchain-local-1", RecordID: 7, KeyEpoch: 1, Grantee: "med1patient"}
	wrap, err := envelope.Wrap(patient.PublicKey(), recordKey.Bytes(), binding)
	if err != nil {
		panic(err)
	}

	// Read: unwrap the record key, decrypt the payload.
	key, err := envelope.Unwrap(patient, envelope.WrapInfo{KeyID: patient.KeyID(), KeyEpoch: 1, Ciphertext: wrap}, binding)
	if err != nil {
		panic(err)
	}
	opened, err := envelope.ParseRecordKey(key)
	if err != nil {
		panic(err)
	}
	r, err := envelope.Decrypt(&stored, opened)
	if err != nil {
		panic(err)
	}
	plaintext, err := io.ReadAll(r)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(plaintext), size > 0, len(wrap) == len(key)+envelope.WrapOverhead)
	// Output: a FHIR bundle true true
}
