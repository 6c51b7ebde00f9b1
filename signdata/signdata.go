// Package signdata builds ADR-036 "arbitrary data" sign documents: the
// canonical amino JSON of a zero-fee transaction holding one
// sign/MsgSignData, byte for byte what Keplr's signArbitrary and
// keyring.Sign with SIGN_MODE_LEGACY_AMINO_JSON sign.
//
// It is a leaf package with no dependencies, so that chain code (which
// checks such signatures, for example x/records' upload receipts) and
// clients (envelope's key derivation, the vault's tickets) build the very
// same bytes without the chain importing any client package.
package signdata

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// doc is the ADR-036 sign document. Its fields are declared in sorted
// order so that encoding/json produces canonical amino JSON.
type doc struct {
	AccountNumber string `json:"account_number"`
	ChainID       string `json:"chain_id"`
	Fee           fee    `json:"fee"`
	Memo          string `json:"memo"`
	Msgs          []msg  `json:"msgs"`
	Sequence      string `json:"sequence"`
}

type fee struct {
	Amount []struct{} `json:"amount"`
	Gas    string     `json:"gas"`
}

type msg struct {
	Type  string   `json:"type"`
	Value msgValue `json:"value"`
}

type msgValue struct {
	Data   string `json:"data"`
	Signer string `json:"signer"`
}

// Doc returns the ADR-036 sign document for data signed by signer (a
// bech32 address). As ADR-036 requires, the chain id is empty and the
// account number and sequence are zero: a document names its own domain
// (chain, purpose) inside data.
func Doc(signer string, data []byte) []byte {
	d := doc{
		AccountNumber: "0",
		Fee:           fee{Amount: []struct{}{}, Gas: "0"},
		Msgs: []msg{{
			Type:  "sign/MsgSignData",
			Value: msgValue{Data: base64.StdEncoding.EncodeToString(data), Signer: signer},
		}},
		Sequence: "0",
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic(fmt.Sprintf("signdata: marshalling a fixed document: %v", err))
	}
	return b
}
