//go:build linux

package localnet

import "syscall"

// setParentDeathSignal makes the kernel send SIGTERM to a node if the driver
// dies without stopping it (for example when it is killed with SIGKILL).
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGTERM }
