// Package types holds the x/records module's types. So far it has the
// validation of record CIDs, which x/records applies to every record and
// version before anything is stored: a record must point at a CIDv1 UnixFS
// DAG or raw block addressed by sha2-256, the form medchain's vaults (boxo
// with raw leaves and CIDv1, like `ipfs add --cid-version 1 --raw-leaves`)
// produce.
package types
