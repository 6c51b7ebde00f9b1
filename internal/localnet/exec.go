package localnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// binary runs medchaind CLI commands.
type binary struct {
	path string
}

func newBinary(path string) (binary, error) {
	if path == "" {
		return binary{}, errors.New("no medchaind binary given")
	}
	p := path
	if !strings.ContainsRune(p, os.PathSeparator) {
		if lp, err := exec.LookPath(p); err == nil {
			p = lp
		}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return binary{}, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return binary{}, fmt.Errorf("medchaind binary not found at %s: build it first (go build -o build/medchaind ./cmd/medchaind, or make build)", path)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return binary{}, fmt.Errorf("%s is not an executable file", abs)
	}
	return binary{path: abs}, nil
}

// run executes the binary and returns its stdout and stderr. stdin, if not
// empty, is fed to the command (mnemonics for keys add --recover).
func (b binary) run(ctx context.Context, stdin string, args ...string) (stdout, stderr []byte, err error) {
	cmd := exec.CommandContext(ctx, b.path, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = strings.TrimSpace(out.String())
		}
		return nil, nil, fmt.Errorf("%s %s: %v\n%s", filepath.Base(b.path), strings.Join(args, " "), err, indent(tail(msg, 25)))
	}
	return out.Bytes(), errb.Bytes(), nil
}

// findJSONObject decodes into v the JSON object that is the whole of stdout
// or stderr, or else the first line of either that is one (cobra prints some
// command output on stderr, and some commands log around their JSON).
func findJSONObject(v any, outputs ...[]byte) error {
	for _, o := range outputs {
		if t := bytes.TrimSpace(o); len(t) > 0 && t[0] == '{' && json.Unmarshal(t, v) == nil {
			return nil
		}
	}
	for _, o := range outputs {
		for _, line := range bytes.Split(o, []byte("\n")) {
			line = bytes.TrimSpace(line)
			if len(line) > 0 && line[0] == '{' && json.Unmarshal(line, v) == nil {
				return nil
			}
		}
	}
	return errors.New("no JSON object in the command's output")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// tailFile returns the last n lines of a file ("" if unreadable).
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const max = 64 << 10
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	off := fi.Size() - max
	if off < 0 {
		off = 0
	}
	buf := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return ""
	}
	return tail(string(buf), n)
}
