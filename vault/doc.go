// Package vault is medchain's embedded IPFS vault: it stores the encrypted
// payloads of medical records as IPFS DAGs and serves them to anyone by CID,
// so that a record's bytes can be fetched and verified from any hospital's
// vault, a Kubo node or a public gateway alike.
//
// # What it stores
//
// Only ciphertext. Clients encrypt a payload with age before it reaches a
// vault, and the keys travel on chain wrapped for each grantee; a vault has
// no key and can store and replicate a record, never read it. It therefore
// checks what it can check without reading — that every block hashes to its
// CID and that a DAG is complete — and nothing about the content.
//
// # How content is addressed
//
// Store.Import and BuildCAR chunk a file with boxo's UnixFS importer: 1 MiB
// fixed-size chunks, raw leaves, the balanced layout with 174 links per node,
// CIDv1 with sha2-256. These are the settings of Kubo's
//
//	ipfs add --cid-version 1 --raw-leaves --chunker size-1048576
//
// so a file's CID is the same whether a vault or Kubo computes it (see
// testdata/kubo_cids.json and scripts/kubo-interop.sh); CIDv1 is the form
// gateways and browsers expect, raw leaves avoid wrapping every chunk in a
// protobuf, and 1 MiB chunks keep large imaging files to few blocks while
// staying under the 2 MiB block limit all IPFS implementations honour.
// The vault accepts nothing else: uploads with CIDv0, another hash or another
// codec are refused, so every block it holds can be verified by any client.
//
// # Storage
//
// A Store lives in one directory: blocks as files under blocks/ (flatfs, as
// in Kubo), pin records in LevelDB under datastore/, both pure Go and mounted
// as one boxo datastore, and tmp/ for spool files (a CAR a client fetches is verified there). Blocks are read
// through boxo's validating blockstore, so a block corrupted on disk is
// reported rather than served. A root is pinned, or unpinned since some
// time; GC keeps what pinned roots and roots within their grace period reach
// and deletes everything else, and a deleted block's file leaves the disk at
// once. Blocks are stored by multihash, but a root is known by its codec and
// multihash together: it is served, pinned and held only under the CID it
// came in with, never under its codec twin (the same multihash, the other
// codec), which would otherwise be a second name for someone else's bytes.
//
// # HTTP API
//
// NewServer serves reads as an IPFS trustless gateway and takes writes as
// CAR uploads:
//
//	GET|HEAD /ipfs/{cid}?format=raw    one block, application/vnd.ipld.raw
//	GET|HEAD /ipfs/{cid}?format=car    the DAG, application/vnd.ipld.car; version=1; order=dfs; dups=n
//	POST     /api/v1/upload            a CARv1 (Content-Type application/vnd.ipld.car);
//	                                   201 {"cid": ..., "size": ...} once verified, stored and pinned
//	GET      /healthz                  200 ok
//	GET      /metrics                  Prometheus text
//
// An upload to /api/v1/upload?root=last is a streamed one: its blocks come in
// the order the importer makes them and the last block is the root (the
// header names RootLastPlaceholder), so Client.UploadFile sends a file while
// it is still being chunked. Either way each block is verified and written
// as it arrives, and the answer comes only once the DAG under the root is
// complete in the upload itself (only a replica from a peer may reuse blocks
// the vault holds); a rejected upload's blocks are deleted again, save those
// another upload in progress staged too.
//
// Accept: application/vnd.ipld.raw or application/vnd.ipld.car select the
// format too; a request that asks for neither is refused (400, or 406 when it
// asked for types the vault does not serve), since the vault never
// deserialises content. Client fetches through any such gateway and verifies
// before writing anything.
package vault
