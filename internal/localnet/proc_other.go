//go:build !unix

package localnet

import (
	"os"
	"os/exec"
)

func setProcAttrs(*exec.Cmd) {}

func terminate(p *os.Process) error { return p.Kill() }
