//go:build linux || darwin || freebsd

package node

import "syscall"

// diskSpace returns the bytes available to this user and the size of the
// file system holding dir.
func diskSpace(dir string) (free, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	bsize := uint64(st.Bsize) // int64 on linux, uint32 on darwin
	return uint64(st.Bavail) * bsize, uint64(st.Blocks) * bsize, nil
}
