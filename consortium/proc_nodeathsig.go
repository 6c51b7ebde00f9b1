//go:build unix && !linux

package consortium

import "syscall"

func setParentDeathSignal(*syscall.SysProcAttr) {}
