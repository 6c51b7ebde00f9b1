// Package upgrade holds the upgrade test (build tag upgrade, run by `make
// test-upgrade`): a four-hospital network of an earlier release's own
// binary, with state its own CLI wrote, is upgraded to this tree through a
// governance plan and cosmovisor, and checked for anything lost.
package upgrade
