// Package system holds system tests that drive the real medchaind binary:
// a chain is initialised in a temporary home, started as a separate process
// on loopback ports, and used through the same commands a person would type.
// The node harness is testutil/system; the steps these tests share (upload,
// download, CheckAccess, proposals) are methods of node here. They run with
// `make test-e2e` (build tag e2e); MEDCHAIND_BIN names the binary to test.
package system
