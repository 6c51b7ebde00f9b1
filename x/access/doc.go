// Package access is medchain's consent module: accounts' encryption keys,
// patients' READ/WRITE grants with the record keys wrapped for each reader,
// access requests, revocation with key rotation, and expiry without a
// transaction. It implements x/records' access hooks and answers
// CheckAccess from store keys a light client can prove. See README.md.
package access
