//go:build unix

package localnet

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcAttrs puts a node in its own process group, so that a Ctrl-C in the
// terminal reaches only the driver, which then stops the nodes in order.
func setProcAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setParentDeathSignal(cmd.SysProcAttr)
}

func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
