package medclient

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/mattn/go-isatty"
)

// Progress counts the bytes read through it and, when w is a terminal,
// redraws a one-line progress bar at most five times a second.
type Progress struct {
	r     io.Reader
	w     io.Writer
	label string
	total int64
	done  atomic.Int64
	last  time.Time
	tty   bool
}

// NewProgress wraps r, whose length is total (0 if unknown), reporting
// to stderr when it is a terminal.
func NewProgress(r io.Reader, label string, total int64) *Progress {
	return &Progress{r: r, w: os.Stderr, label: label, total: total, tty: isatty.IsTerminal(os.Stderr.Fd())}
}

func (p *Progress) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	done := p.done.Add(int64(n))
	if p.tty && (time.Since(p.last) > 200*time.Millisecond || err == io.EOF) {
		p.last = time.Now()
		p.draw(done)
	}
	return n, err
}

func (p *Progress) draw(done int64) {
	const width = 30
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\r%s %s", p.label, HumanBytes(done))
		return
	}
	filled := int(min(done, p.total) * width / p.total)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = ' '
		if i < filled {
			bar[i] = '='
		}
	}
	fmt.Fprintf(p.w, "\r%s [%s] %s / %s %3d%%", p.label, bar, HumanBytes(done), HumanBytes(p.total), done*100/p.total)
}

// Finish ends the progress line.
func (p *Progress) Finish() {
	if p.tty {
		p.draw(p.done.Load())
		fmt.Fprintln(p.w)
	}
}

// HumanBytes prints a size in B, KiB, MiB or GiB.
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
