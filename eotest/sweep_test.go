package eotest

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// point is a sweep point whose times per ballot are tally and total µs.
func point(ballots int, tally, total float64) SweepPoint {
	return SweepPoint{Ballots: ballots, TallyMicrosPerBallot: tally, TotalMicrosPerBallot: total}
}

// The slope compares the largest election with the 100 000-ballot one
// when the sweep has it, else with the one before the largest, in any
// order of the sizes.
func TestSweepSlope(t *testing.T) {
	for _, tc := range []struct {
		name     string
		points   []SweepPoint
		from, to int
		flat     bool
	}{
		{"100k in the sweep", []SweepPoint{point(10000, 500, 900), point(100000, 400, 520), point(300000, 410, 530), point(1000000, 440, 590)}, 100000, 1000000, true},
		{"unsorted", []SweepPoint{point(1000000, 480, 700), point(10000, 500, 900), point(100000, 400, 520)}, 100000, 1000000, false},
		{"no 100k: the one before", []SweepPoint{point(20, 1000, 9000), point(40, 1100, 5000), point(30, 1000, 6000)}, 30, 40, true},
		{"within 15 %", []SweepPoint{point(100000, 400, 500), point(1000000, 459, 574)}, 100000, 1000000, true},
		{"tally up more than 15 %", []SweepPoint{point(100000, 400, 500), point(1000000, 461, 500)}, 100000, 1000000, false},
	} {
		r := &SweepReport{Points: tc.points}
		s := r.slope()
		require.NotNil(t, s, tc.name)
		require.Equal(t, tc.from, s.From, tc.name)
		require.Equal(t, tc.to, s.To, tc.name)
		require.Equal(t, tc.flat, s.Flat(), tc.name)
	}
	s := (&SweepReport{Points: []SweepPoint{point(100000, 400, 500), point(1000000, 440, 600)}}).slope()
	require.InDelta(t, 1.1, s.TallyRatio, 1e-9)
	require.InDelta(t, 1.2, s.TotalRatio, 1e-9)
	require.Nil(t, (&SweepReport{Points: []SweepPoint{point(100, 1, 1)}}).slope(), "one size: no slope")
	require.Nil(t, (&SweepReport{Points: []SweepPoint{point(100, 1, 1), point(100, 2, 2)}}).slope(), "one size twice: no slope")

	// The table says it.
	r := &SweepReport{Authorities: 2, Processes: true, Points: []SweepPoint{point(100000, 400, 500), point(1000000, 480, 500)}}
	r.Points[1].AuthorityPeakMemBytes = []int64{1.5e9, 1.9e9}
	r.Slope = r.slope()
	var b bytes.Buffer
	r.WriteTable(&b)
	require.Contains(t, b.String(), "time per ballot at 1000000 against 100000: tally 1.20×, total 1.00×: not flat (more than 15 % up)")
	require.Contains(t, b.String(), " 1900\n")
}
