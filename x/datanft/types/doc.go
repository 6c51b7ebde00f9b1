// Package types holds the datanft module's messages, errors and the
// interfaces it needs of x/nft.
package types
