// Package types holds the issuers module's messages, state types, parameters,
// genesis, store keys and registered errors, shared by the keeper, the
// module wiring and clients.
package types
