package eotest

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"time"

	"github.com/eo-mixnet/eo/orchestra"
)

// SweepOptions configure Sweep.
type SweepOptions struct {
	Sizes       []int // ballots per election, each run as one whole local election
	Authorities int   // 0: 2
	Progress    io.Writer
	Phases      func(phase string, done, total int)
	Logger      *slog.Logger
	// Processes runs each election's authorities in their own processes
	// (Options.Processes), so that each point tells each authority's peak
	// memory; AuthorityCommand is then Options.AuthorityCommand.
	Processes        bool
	AuthorityCommand []string
	// MemoryBudget, with Processes, is each authority's memory_budget
	// (orchestra.Config.MemoryBudget; 0: the default).
	MemoryBudget int64
}

// SweepPoint is one election of a sweep.
type SweepPoint struct {
	Ballots int        `json:"ballots"`
	Times   PhaseTimes `json:"times"`
	// PeakMemBytes is the largest memory the process held from the
	// runtime during the election (runtime/metrics
	// /memory/classes/total:bytes, sampled every 50 ms): the authorities,
	// eotest and the verifier together, as with --local.
	PeakMemBytes uint64 `json:"peak_mem_bytes"`
	// AuthorityPeakMemBytes is, with SweepOptions.Processes, each
	// authority's peak resident memory (Result.PeakMemBytes); PeakMemBytes
	// is then eotest's own (the harness and the verifier).
	AuthorityPeakMemBytes []int64 `json:"authority_peak_mem_bytes,omitempty"`
	// The time per ballot, in microseconds: of the tally, and of the whole
	// election (Times.Total).
	TallyMicrosPerBallot float64 `json:"tally_us_per_ballot"`
	TotalMicrosPerBallot float64 `json:"total_us_per_ballot"`
}

// MaxAuthorityPeak returns the largest of the authorities' peaks, 0
// without Processes.
func (p SweepPoint) MaxAuthorityPeak() int64 {
	var m int64
	for _, b := range p.AuthorityPeakMemBytes {
		m = max(m, b)
	}
	return m
}

// SweepSlope compares the time per ballot of a sweep's largest election
// with that of a smaller one: the 100 000-ballot one when the sweep has
// it, else the one before the largest. A ratio near 1 is a flat slope,
// time linear in the ballots.
type SweepSlope struct {
	From       int     `json:"from_ballots"`
	To         int     `json:"to_ballots"`
	TallyRatio float64 `json:"tally_ratio"`
	TotalRatio float64 `json:"total_ratio"`
}

// FlatWithin is how far the time per ballot may rise from 100 000 ballots
// to a million and the slope still count as flat (issue #18: 15 %).
const FlatWithin = 0.15

// Flat reports whether both ratios are within FlatWithin of 1 or below.
func (s *SweepSlope) Flat() bool {
	return s.TallyRatio <= 1+FlatWithin && s.TotalRatio <= 1+FlatWithin
}

// Reference is a published or measured figure of another engine, drawn
// for comparison.
type Reference struct {
	Engine      string  `json:"engine"`
	Ballots     int     `json:"ballots"`
	Authorities int     `json:"authorities"`
	Phase       string  `json:"phase"` // which of PhaseTimes it compares with
	Seconds     float64 `json:"seconds"`
	Note        string  `json:"note"`
}

// References are the old engine's figures that a sweep is drawn against.
var References = []Reference{{Engine: "old engine (Verificatum)", Ballots: 100000, Authorities: 2, Phase: "tally", Seconds: 207,
	Note: "the tally of 100 000 ballots by two authorities, as measured for the old engine"}}

// SweepReport is what Sweep measured.
type SweepReport struct {
	Authorities int    `json:"authorities"`
	GOMAXPROCS  int    `json:"gomaxprocs"`
	GOARCH      string `json:"goarch"`
	Date        string `json:"date"`
	Processes   bool   `json:"processes"`
	// MemoryBudget is SweepOptions.MemoryBudget, 0 where the default.
	MemoryBudget int64        `json:"memory_budget,omitempty"`
	Points       []SweepPoint `json:"points"`
	Slope        *SweepSlope  `json:"slope,omitempty"`
	References   []Reference  `json:"references"`
}

// slope compares the largest point with the 100 000-ballot one, else the
// one before it; nil with fewer than two sizes.
func (r *SweepReport) slope() *SweepSlope {
	if len(r.Points) < 2 {
		return nil
	}
	last := 0
	for i, p := range r.Points {
		if p.Ballots > r.Points[last].Ballots {
			last = i
		}
	}
	from := -1
	for i, p := range r.Points {
		if i != last && p.Ballots < r.Points[last].Ballots && (from < 0 || p.Ballots == 100000 ||
			(r.Points[from].Ballots != 100000 && p.Ballots > r.Points[from].Ballots)) {
			from = i
		}
	}
	if from < 0 {
		return nil
	}
	a, b := r.Points[from], r.Points[last]
	ratio := func(x, y float64) float64 {
		if x <= 0 {
			return 0
		}
		return y / x
	}
	return &SweepSlope{From: a.Ballots, To: b.Ballots, TallyRatio: ratio(a.TallyMicrosPerBallot, b.TallyMicrosPerBallot),
		TotalRatio: ratio(a.TotalMicrosPerBallot, b.TotalMicrosPerBallot)}
}

// Sweep runs a whole local election (Full with Local) at each size, in
// turn, and measures each phase and the memory.
func Sweep(ctx context.Context, o SweepOptions) (*SweepReport, error) {
	if len(o.Sizes) == 0 {
		return nil, errors.New("eotest: --sweep needs at least one size")
	}
	for _, n := range o.Sizes {
		if n < 1 {
			return nil, fmt.Errorf("eotest: --sweep %d: sizes are at least 1", n)
		}
	}
	if o.Authorities == 0 {
		o.Authorities = 2
	}
	rep := &SweepReport{Authorities: o.Authorities, GOMAXPROCS: runtime.GOMAXPROCS(0), GOARCH: runtime.GOARCH,
		Date: time.Now().UTC().Format("2006-01-02"), Processes: o.Processes, MemoryBudget: o.MemoryBudget, References: References}
	var cfg *orchestra.Config
	if o.MemoryBudget > 0 {
		cfg = &orchestra.Config{MemoryBudget: o.MemoryBudget}
	}
	for _, n := range o.Sizes {
		phases := o.Phases
		if phases != nil {
			phases = func(p string, done, total int) { o.Phases(fmt.Sprintf("%d: %s", n, p), done, total) }
		}
		runtime.GC()
		stop := samplePeak()
		res, err := Full(ctx, Options{Local: o.Authorities, Votes: n, Progress: o.Progress, Phases: phases, Logger: o.Logger,
			Processes: o.Processes, AuthorityCommand: o.AuthorityCommand, Config: cfg})
		peak := stop()
		if err != nil {
			return rep, fmt.Errorf("eotest: %d ballots: %w", n, err)
		}
		rep.Points = append(rep.Points, SweepPoint{Ballots: n, Times: res.Times, PeakMemBytes: peak, AuthorityPeakMemBytes: res.PeakMemBytes,
			TallyMicrosPerBallot: res.Times.Tally * 1e6 / float64(n), TotalMicrosPerBallot: res.Times.Total * 1e6 / float64(n)})
	}
	rep.Slope = rep.slope()
	return rep, nil
}

// samplePeak samples the memory the process holds until the returned
// function is called, which returns the largest sample.
func samplePeak() func() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	var mu sync.Mutex
	var peak uint64
	read := func() {
		metrics.Read(s)
		mu.Lock()
		peak = max(peak, s[0].Value.Uint64())
		mu.Unlock()
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		read()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// sweepPhases are the phases a sweep plots, with their colours.
var sweepPhases = []struct {
	name, colour string
	get          func(PhaseTimes) float64
}{
	{"keygen", "#8250df", func(t PhaseTimes) float64 { return t.KeyGeneration }},
	{"encrypt", "#bf8700", func(t PhaseTimes) float64 { return t.Encryption }},
	{"tally", "#0969da", func(t PhaseTimes) float64 { return t.Tally }},
	{"verify", "#1a7f37", func(t PhaseTimes) float64 { return t.Verification }},
	{"total", "#24292f", func(t PhaseTimes) float64 { return t.Total }},
}

// WriteTable writes the report as a table of text.
func (r *SweepReport) WriteTable(w io.Writer) {
	where := "in this process"
	if r.Processes {
		where = "each in its own process"
		if r.MemoryBudget > 0 {
			where += fmt.Sprintf(" (memory_budget %d MiB)", r.MemoryBudget>>20)
		}
	}
	fmt.Fprintf(w, "%d authorities on loopback, %s, GOMAXPROCS %d, %s\n", r.Authorities, where, r.GOMAXPROCS, r.Date)
	fmt.Fprintf(w, "%9s %8s %8s %8s %8s %8s %8s %10s %10s %9s %9s\n", "ballots", "keygen", "encrypt", "tally", "download", "verify", "total",
		"tally µs/b", "total µs/b", "peak MB", "auth. MB")
	for _, p := range r.Points {
		t := p.Times
		auth := "-"
		if m := p.MaxAuthorityPeak(); m > 0 {
			auth = fmt.Sprintf("%.0f", float64(m)/1e6)
		}
		fmt.Fprintf(w, "%9d %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %10.1f %10.1f %9.0f %9s\n", p.Ballots, t.KeyGeneration, t.Encryption, t.Tally, t.Download,
			t.Verification, t.Total, p.TallyMicrosPerBallot, p.TotalMicrosPerBallot, float64(p.PeakMemBytes)/1e6, auth)
	}
	if r.Processes {
		fmt.Fprintln(w, "peak MB: eotest's own (harness, verifier); auth. MB: the largest authority's peak resident memory")
	} else {
		fmt.Fprintln(w, "peak MB: the whole process (the authorities, the harness, the verifier)")
	}
	if s := r.Slope; s != nil {
		flat := "flat"
		if !s.Flat() {
			flat = fmt.Sprintf("not flat (more than %.0f %% up)", FlatWithin*100)
		}
		fmt.Fprintf(w, "time per ballot at %d against %d: tally %.2f×, total %.2f×: %s\n", s.To, s.From, s.TallyRatio, s.TotalRatio, flat)
	}
	for _, ref := range r.References {
		fmt.Fprintf(w, "reference: %s, %d ballots, %d authorities: %s %.0f s\n", ref.Engine, ref.Ballots, ref.Authorities, ref.Phase, ref.Seconds)
	}
}

// WriteSVG draws the report: seconds per phase against ballots (log-log,
// with the references) and the peak memory against ballots.
func (r *SweepReport) WriteSVG(w io.Writer) error {
	const (
		width, height = 960, 420
		panelW        = 380
		top, bottom   = 50, 60
		plotH         = height - top - bottom
	)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	where := ""
	if r.Processes {
		where = ", each in its own process"
	}
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">eotest bench --sweep: %d authorities on loopback%s, GOMAXPROCS %d (%s)</text>`+"\n",
		20, r.Authorities, where, r.GOMAXPROCS, html.EscapeString(r.Date))

	// The range of ballots, references included.
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	mmax := 0.0
	for _, p := range r.Points {
		xmin, xmax = math.Min(xmin, float64(p.Ballots)), math.Max(xmax, float64(p.Ballots))
		for _, ph := range sweepPhases {
			if v := ph.get(p.Times); v > 0 {
				ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
			}
		}
		mmax = math.Max(mmax, float64(max(int64(p.PeakMemBytes), p.MaxAuthorityPeak()))/1e6)
	}
	for _, ref := range r.References {
		xmin, xmax = math.Min(xmin, float64(ref.Ballots)), math.Max(xmax, float64(ref.Ballots))
		ymin, ymax = math.Min(ymin, ref.Seconds), math.Max(ymax, ref.Seconds)
	}
	if math.IsInf(xmin, 0) {
		return errors.New("eotest: nothing to draw")
	}
	if math.IsInf(ymin, 0) {
		ymin, ymax = 0.01, 1
	}
	lx0, lx1 := math.Floor(math.Log10(xmin)), math.Ceil(math.Log10(xmax))
	ly0, ly1 := math.Floor(math.Log10(ymin)), math.Ceil(math.Log10(ymax))
	if lx1 == lx0 {
		lx1++
	}
	if ly1 == ly0 {
		ly1++
	}

	// Left panel: seconds per phase, log-log.
	const left = 70.0
	x0 := left
	px := func(n float64) float64 { return left + (math.Log10(n)-lx0)/(lx1-lx0)*panelW }
	py := func(s float64) float64 { return top + plotH - (math.Log10(s)-ly0)/(ly1-ly0)*plotH }
	axes(&b, x0, panelW, top, plotH, "ballots", "seconds")
	for d := lx0; d <= lx1; d++ {
		x := px(math.Pow(10, d))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#d0d7de"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n",
			x, top, x, top+plotH, x, top+plotH+16, number(math.Pow(10, d)))
	}
	for d := ly0; d <= ly1; d++ {
		y := py(math.Pow(10, d))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#d0d7de"/><text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n",
			x0, y, x0+panelW, y, x0-6, y+4, number(math.Pow(10, d)))
	}
	for i, ph := range sweepPhases {
		var pts []string
		for _, p := range r.Points {
			if v := ph.get(p.Times); v > 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(float64(p.Ballots)), py(v)))
			}
		}
		if len(pts) > 0 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), ph.colour)
			for _, pt := range pts {
				xy := strings.Split(pt, ",")
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", xy[0], xy[1], ph.colour)
			}
		}
		ly := top + 14 + 16*float64(i)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/><text x="%.1f" y="%.1f">eo %s</text>`+"\n",
			x0+10, ly-4, x0+28, ly-4, ph.colour, x0+32, ly, ph.name)
	}
	for i, ref := range r.References {
		x, y := px(float64(ref.Ballots)), py(ref.Seconds)
		fmt.Fprintf(&b, `<path d="M %.1f %.1f l 6 6 l -6 6 l -6 -6 z" fill="#cf222e"/>`+"\n", x, y-6)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" fill="#cf222e">%s: %s %.0f s</text>`+"\n",
			x-10, y+4, html.EscapeString(ref.Engine), html.EscapeString(ref.Phase), ref.Seconds)
		ly := top + 14 + 16*float64(len(sweepPhases)+i)
		fmt.Fprintf(&b, `<path d="M %.1f %.1f l 5 5 l -5 5 l -5 -5 z" fill="#cf222e"/><text x="%.1f" y="%.1f">%s, %d authorities</text>`+"\n",
			x0+19, ly-9, x0+32, ly, html.EscapeString(ref.Engine), ref.Authorities)
	}

	// Right panel: peak memory, log x, linear y.
	x0 = 540
	mtop := niceCeil(mmax)
	pm := func(mb float64) float64 { return top + plotH - mb/mtop*plotH }
	axes(&b, x0, panelW, top, plotH, "ballots", "peak memory (MB)")
	for d := lx0; d <= lx1; d++ {
		x := px(math.Pow(10, d)) - left + x0
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#d0d7de"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n",
			x, top, x, top+plotH, x, top+plotH+16, number(math.Pow(10, d)))
	}
	for i := 0; i <= 4; i++ {
		v := mtop * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#d0d7de"/><text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n",
			x0, pm(v), x0+panelW, pm(v), x0-6, pm(v)+4, number(v))
	}
	// The process's peak; with Processes, eotest's own and the largest
	// authority's.
	own := func(p SweepPoint) float64 { return float64(p.PeakMemBytes) }
	series := []memSeries{{"the process", "#0969da", own}}
	if r.Processes {
		series = []memSeries{{"eotest (harness, verifier)", "#0969da", own},
			{"largest authority", "#cf222e", func(p SweepPoint) float64 { return float64(p.MaxAuthorityPeak()) }}}
	}
	for i, se := range series {
		var pts []string
		for _, p := range r.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(float64(p.Ballots))-left+x0, pm(se.get(p)/1e6)))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), se.colour)
		for _, pt := range pts {
			xy := strings.Split(pt, ",")
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", xy[0], xy[1], se.colour)
		}
		ly := top + 14 + 16*float64(i)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/><text x="%.1f" y="%.1f">%s</text>`+"\n",
			x0+10, ly-4, x0+28, ly-4, se.colour, x0+32, ly, html.EscapeString(se.name))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// memSeries is a line of the memory panel.
type memSeries struct {
	name, colour string
	get          func(SweepPoint) float64 // bytes
}

func axes(b *strings.Builder, x0, w float64, top, h int, xlabel, ylabel string) {
	fmt.Fprintf(b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="none" stroke="#57606a"/>`+"\n", x0, top, w, h)
	fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x0+w/2, top+h+36, xlabel)
	fmt.Fprintf(b, `<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", x0-50, float64(top)+float64(h)/2, ylabel)
}

// number writes an axis label: 0.01, 1, 100, 10k, 1M.
func number(v float64) string {
	switch {
	case v >= 1e6 && math.Mod(v, 1e6) == 0:
		return fmt.Sprintf("%gM", v/1e6)
	case v >= 1e3 && math.Mod(v, 1e3) == 0:
		return fmt.Sprintf("%gk", v/1e3)
	default:
		return fmt.Sprintf("%g", math.Round(v*1000)/1000)
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}
