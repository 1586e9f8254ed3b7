// Package benchutil measures eo's unit of cost, one variable-base
// ristretto255 scalar multiplication (SM), inside a benchmark, and reports
// figures as ratios to it, so that numbers from a shared, noisy machine stay
// comparable.
package benchutil

import (
	"crypto/rand"
	"runtime"
	"testing"
	"time"

	"github.com/eo-mixnet/eo/group"
)

// SM returns the time of one constant-time variable-base scalar
// multiplication in nanoseconds: the best of three rounds of 200.
func SM() float64 {
	s := group.MustRandomScalar()
	var seed [64]byte
	rand.Read(seed[:])
	P, _ := new(group.Element).SetUniformBytes(seed[:])
	e := new(group.Element)
	const n = 200
	best := time.Duration(1 << 62)
	for round := 0; round < 3; round++ {
		start := time.Now()
		for i := 0; i < n; i++ {
			e.ScalarMult(s, P)
		}
		if d := time.Since(start); d < best {
			best = d
		}
	}
	runtime.KeepAlive(e)
	return float64(best.Nanoseconds()) / n
}

// Report adds ns/<unit> and SM/<unit> metrics to b for count items per
// operation, given sm from SM measured in the same benchmark.
func Report(b *testing.B, sm float64, count int, unit string) {
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(count)
	b.ReportMetric(per, "ns/"+unit)
	b.ReportMetric(per/sm, "SM/"+unit)
	b.ReportMetric(sm, "ns/SM")
}

// Best keeps the fastest iteration of a benchmark loop. On a shared
// machine the mean of a few long iterations suffers every neighbour's
// burst, while SM keeps its best round; Best gives the like figure for
// the work itself. Call Begin and End around each iteration.
type Best struct {
	start time.Time
	best  time.Duration
}

// Begin starts timing an iteration.
func (t *Best) Begin() { t.start = time.Now() }

// End stops timing an iteration and keeps it if it is the fastest.
func (t *Best) End() {
	if d := time.Since(t.start); t.best == 0 || d < t.best {
		t.best = d
	}
}

// Report adds best-ns/<unit> and best-SM/<unit> for count items per
// iteration.
func (t *Best) Report(b *testing.B, sm float64, count int, unit string) {
	per := float64(t.best.Nanoseconds()) / float64(count)
	b.ReportMetric(per, "best-ns/"+unit)
	b.ReportMetric(per/sm, "best-SM/"+unit)
}
