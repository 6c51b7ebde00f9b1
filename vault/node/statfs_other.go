//go:build !(linux || darwin || freebsd)

package node

import "errors"

// diskSpace is not measured on this system.
func diskSpace(string) (free, total uint64, err error) {
	return 0, 0, errors.New("free disk space is not measured on this system")
}
