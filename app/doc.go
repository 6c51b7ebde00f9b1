// Package app wires medchain's modules into one ABCI application: store keys,
// keepers, the module manager with its block and genesis orders, the ante
// handler and upgrade handlers. It follows the manual (non-depinject) style of
// Cosmos SDK v0.53 so that every dependency between keepers is visible here.
package app
