// Package keeper owns the records module's state and implements its Msg and
// Query services; every state change goes through it.
package keeper
