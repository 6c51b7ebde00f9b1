// Package types holds the access module's messages, state types, errors,
// parameters and the store layout (including the keys a light client proves
// for CheckAccess).
package types
