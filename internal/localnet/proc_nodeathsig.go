//go:build unix && !linux

package localnet

import "syscall"

func setParentDeathSignal(*syscall.SysProcAttr) {}
