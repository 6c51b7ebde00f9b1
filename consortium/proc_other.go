//go:build !unix

package consortium

import (
	"os"
	"os/exec"
)

func setProcAttrs(*exec.Cmd) {}

func terminate(p *os.Process) error { return p.Kill() }
