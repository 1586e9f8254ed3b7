// Package progress shows the phases of a long run to the person who
// started it: on a terminal, a bar per phase with its count, its percent
// and an estimate of the time left (github.com/vbauerster/mpb); otherwise
// a plain line per phase at most every Every, and one when it ends. The
// commands that use it (eotest, eoverify) show nothing of it with --json.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// Every is how often a plain line repeats a running phase's progress.
const Every = 5 * time.Second

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Meter shows phases' progress on w. A nil *Meter shows nothing; its
// methods may be called anyway.
type Meter struct {
	w      io.Writer
	mu     sync.Mutex
	bars   *mpb.Progress // nil when w is not a terminal
	byKey  map[string]*phase
	order  []string
	now    func() time.Time
	closed bool
}

type phase struct {
	bar         *mpb.Bar
	done, total int
	start       time.Time
	printed     time.Time
	ended       bool
}

// New returns a Meter writing to w: bars if terminal, else lines. A nil w
// gives a nil Meter.
func New(w io.Writer, terminal bool) *Meter {
	if w == nil {
		return nil
	}
	m := &Meter{w: w, byKey: map[string]*phase{}, now: time.Now}
	if terminal {
		m.bars = mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh())
	}
	return m
}

// Writer is where other lines go while the meter runs: above the bars on
// a terminal, so that they do not break them.
func (m *Meter) Writer() io.Writer {
	if m == nil {
		return nil
	}
	if m.bars != nil {
		return m.bars
	}
	return m.w
}

// Phase reports that phase name has done units of total (total <= 0:
// unknown, shown as 0 of 1 until done reaches it). Phases appear in the
// order first reported; a phase ends when done reaches total.
func (m *Meter) Phase(name string, done, total int) {
	if m == nil {
		return
	}
	if total <= 0 {
		total, done = 1, min(done, 0)
	}
	done = min(max(done, 0), total)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	now := m.now()
	p := m.byKey[name]
	if p == nil {
		p = &phase{start: now, total: total}
		m.byKey[name] = p
		m.order = append(m.order, name)
		if m.bars != nil {
			p.bar = m.bars.AddBar(int64(total),
				mpb.PrependDecorators(decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace}),
					decor.CountersNoUnit("%d of %d", decor.WCSyncWidth)),
				mpb.AppendDecorators(decor.Percentage(decor.WC{W: 5}),
					decor.OnComplete(decor.Name("  ETA "), "  "),
					decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO, decor.WC{W: 5}), "done"),
					decor.Name("  elapsed "), decor.Elapsed(decor.ET_STYLE_GO)))
		}
	}
	if p.ended {
		return
	}
	if p.bar != nil && total != p.total {
		p.bar.SetTotal(int64(total), false)
	}
	p.done, p.total = done, total
	if p.bar != nil {
		p.bar.SetCurrent(int64(done))
		p.ended = done >= total
		return
	}
	switch {
	case done >= total:
		p.ended = true
		fmt.Fprintf(m.w, "%s: %d of %d, done in %s\n", name, done, total, now.Sub(p.start).Round(100*time.Millisecond))
	case p.printed.IsZero() || now.Sub(p.printed) >= Every:
		p.printed = now
		line := fmt.Sprintf("%s: %d of %d (%d%%)", name, done, total, done*100/total)
		if done > 0 {
			eta := time.Duration(float64(now.Sub(p.start)) / float64(done) * float64(total-done))
			line += fmt.Sprintf(", about %s left", eta.Round(time.Second))
		}
		fmt.Fprintln(m.w, line)
	}
}

// Close ends the display: the bars of the phases that did not end stay
// as they are. Call it before writing anything else to w; Phase does
// nothing after it. Closing twice is harmless.
func (m *Meter) Close() {
	if m == nil {
		return
	}
	m.mu.Lock()
	if m.closed || m.bars == nil {
		m.closed = true
		m.mu.Unlock()
		return
	}
	m.closed = true
	for _, p := range m.byKey {
		if p.bar != nil && !p.bar.Completed() {
			p.bar.Abort(false)
		}
	}
	m.mu.Unlock()
	m.bars.Wait()
}
