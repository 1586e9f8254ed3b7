package orchestra_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eotest"
	"github.com/eo-mixnet/eo/orchestra"
)

// A restarted authority keeps its elections: keys made before the restart
// tally after it, and a tally interrupted in the middle resumes (the
// stored votes, signatures and mixes are reused, the others are asked to
// send again what the authority lost).
func TestRestartResumes(t *testing.T) {
	t.Parallel()
	// A restarted authority validates its ballots again before it answers:
	// on a loaded machine in the race tier that took over 40 s, two steps
	// of newEnv's. The step is a bound, not a speed: it is wide here.
	e := newEnvConfig(t, 2, &orchestra.Config{StepTimeout: orchestra.Duration(2 * time.Minute), ResendAfter: orchestra.Duration(2 * time.Second),
		RoundTimeout: orchestra.Duration(5 * time.Second)})
	pks, err := e.h.Create(e.ctx, "r1", e.c.Names, 2, 1)
	require.NoError(t, err)
	require.NoError(t, e.c.Stop(2))
	require.NoError(t, e.c.Start(2))
	votes, err := eotest.Encrypt("r1", pks, 50, 3)
	require.NoError(t, err)
	url, hash, err := e.h.Tally(e.ctx, "r1", votes.File)
	require.NoError(t, err)
	e.check(t, "r1", url, hash, votes)

	// Stop authority 2 once it has stored its parameters signature, in
	// the middle of the tally. Either it resumes the tally at its restart,
	// or — when a1's signature came first — it completed its record and
	// stopped before its own signature left its send queue: then it
	// answers a1's asks from its tally store (this hung a1 until it
	// stopped, "no signature from local-a2", when only a running machine
	// answered).
	pks, err = e.h.Create(e.ctx, "r2", e.c.Names, 2, 1)
	require.NoError(t, err)
	votes, err = eotest.Encrypt("r2", pks, 3000, 3)
	require.NoError(t, err)
	require.NoError(t, e.h.RequestTally(e.ctx, "r2", votes.File, "", ""))
	sig := filepath.Join(e.c.Dirs[1], "elections", "r2", "tally", "params-2.msg")
	for {
		if _, err := os.Stat(sig); err == nil {
			break
		}
		require.NoError(t, e.ctx.Err())
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, e.c.Stop(2))
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, e.c.Start(2))
	url, hash, err = e.h.WaitTally(e.ctx, "r2")
	require.NoError(t, err)
	e.check(t, "r2", url, hash, votes)
}

// An authority that stays down ends the tally with an error callback that
// names it.
func TestPeerDownFailsWithReason(t *testing.T) {
	t.Parallel()
	e := newEnvConfig(t, 2, &orchestra.Config{StepTimeout: orchestra.Duration(3 * time.Second), ResendAfter: orchestra.Duration(time.Second)})
	pks, err := e.h.Create(e.ctx, "d1", e.c.Names, 2, 1)
	require.NoError(t, err)
	require.NoError(t, e.c.Stop(2))
	votes, err := eotest.Encrypt("d1", pks, 10, 3)
	require.NoError(t, err)
	_, _, err = e.h.Tally(e.ctx, "d1", votes.File)
	require.ErrorContains(t, err, "only 1 mixes stand, fewer than the threshold 2; no mix from local-a2")
	require.NoError(t, e.c.Start(2)) // for a clean Close
}
