// Package types holds the records module's messages, state types, parameters,
// genesis, store keys and registered errors; the pure validation of CIDs and
// record metadata that the msg server applies before anything is stored; and
// AccessHooks, the interface through which x/access decides who may write a
// patient's records.
//
// A record must point at a CIDv1 UnixFS DAG or raw block addressed by
// sha2-256, the form medchain's vaults (boxo with raw leaves and CIDv1, like
// `ipfs add --cid-version 1 --raw-leaves`) produce.
package types
