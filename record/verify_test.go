package record

import (
	"bytes"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func checks(rep *Report) []string {
	var c []string
	for _, f := range rep.Failures {
		c = append(c, f.Check)
	}
	return c
}

// TestEarlyStopIsNotF1: a question whose checks stop early (here at B3)
// still owns its mix and decryption files: the record is wrong (exit 1),
// not malformed by unexpected files (exit 2).
func TestEarlyStopIsNotF1(t *testing.T) {
	fx := newElection(t, 3, 2, 4)
	f := clone(fx.files)
	in := f["q0/input.bin"]
	in[0], in[64] = in[64], in[0]
	rep := Verify(f, Options{})
	require.Equal(t, []string{"B3"}, checks(rep))
	require.Equal(t, ExitInvalid, rep.ExitCode())
	// A file outside the layout is still unexpected.
	f["q0/mix-1/extra.bin"] = []byte{1}
	rep = Verify(f, Options{})
	require.Equal(t, []string{"B3", "F1"}, checks(rep))
	require.Equal(t, "q0/mix-1/extra.bin", rep.Failures[1].Location)
}

// TestTooFewSharesBlamesEach: with fewer than t valid shares, every share
// that fails is still blamed by name (D1), then D2.
func TestTooFewSharesBlamesEach(t *testing.T) {
	fx := newElection(t, 3, 2, 4)
	f := clone(fx.files)
	for _, i := range []int{1, 3} {
		// Swap the first two decryption factors (doc/threshold.md §2): the
		// share decodes, and its proof fails. Its authority signed it.
		b := f[shareFile(1, i)]
		off := 4 + 1 + 1 + 1 + len(fx.cfg.ElectionID) + 1 + len("q1") + 1 + 2 + 4
		x := bytes.Clone(b[off : off+32])
		copy(b[off:off+32], b[off+32:off+64])
		copy(b[off+32:off+64], x)
		f[shareSigFile(1, i)] = signShare(t, fx, f, 1, i, b)
	}
	rep := Verify(f, Options{})
	require.Equal(t, []string{"D1", "D1", "D2"}, checks(rep), "%+v", rep.Failures)
	require.Equal(t, shareFile(1, 1), rep.Failures[0].Location)
	require.Equal(t, shareFile(1, 3), rep.Failures[1].Location)
	require.Contains(t, rep.Failures[0].Message, "does not verify")
	require.Equal(t, []int{1, 3}, rep.Questions[1].Blamed)
	require.Equal(t, ExitInvalid, rep.ExitCode())
}

// TestBallotLineCount: a final line without '\n' is a line, as the ballot
// rule counts it.
func TestBallotLineCount(t *testing.T) {
	fx := newElection(t, 3, 2, 4)
	rep := Verify(fx.files, Options{})
	q := rep.Questions[0]
	require.Equal(t, 5, q.Ballots)
	require.Equal(t, q.Ballots, q.Accepted+q.Excluded)
	require.Equal(t, []int{1, 2, 3}, q.Shares)
	f := clone(fx.files)
	f["q0/ballots.jsonl"] = bytes.TrimSuffix(f["q0/ballots.jsonl"], []byte{'\n'})
	rep = Verify(f, Options{})
	require.True(t, slices.Contains(checks(rep), "B1"))
	q = rep.Questions[0]
	require.Equal(t, 5, q.Ballots)
	require.Equal(t, q.Ballots, q.Accepted+q.Excluded)
}
