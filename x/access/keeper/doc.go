// Package keeper implements the access module: encryption keys, consent
// grants with their key wraps, access requests, revocation with key
// rotation, expiry in EndBlock, and the x/records access hooks.
package keeper
