package eotest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/internal/testctx"
	"github.com/eo-mixnet/eo/orchestra"
)

// downConfig are short steps, so that a drill's election ends soon. No
// drill stops an authority during the creation, so its rounds never
// stall but on a starved machine: they get a long timeout.
func downConfig() *orchestra.Config {
	return &orchestra.Config{StepTimeout: orchestra.Duration(4 * time.Second), ResendAfter: orchestra.Duration(500 * time.Millisecond),
		RoundTimeout: orchestra.Duration(20 * time.Second)}
}

// downElection runs a whole local election of three authorities, t = 2,
// 20 voters, with the --down drills given as the flag takes them.
func downElection(t *testing.T, downs ...string) (*Result, string, error) {
	t.Helper()
	var ds []Down
	for _, s := range downs {
		d, err := ParseDown(s, 3)
		require.NoError(t, err)
		ds = append(ds, d)
	}
	var log bytes.Buffer
	ctx := testctx.Context(t)
	res, err := Full(ctx, Options{Local: 3, Threshold: 2, Votes: 20, Config: downConfig(), Down: ds, Progress: &log})
	t.Log(log.String())
	return res, log.String(), err
}

// finished checks an election that ended with a verified record (Full
// checks it, and the decrypted multiset) and 20 votes counted.
func finished(t *testing.T, res *Result, err error, log string) {
	t.Helper()
	require.NoError(t, err, log)
	require.Len(t, res.Counts, 1)
	total := 0
	for _, c := range res.Counts[0] {
		total += c.Count
	}
	require.Equal(t, 20, total)
	require.Positive(t, res.Checks)
	require.Empty(t, res.Blame, "nobody misbehaved")
}

// An authority killed in the middle of the mixes (it verified local-a1's
// mix, it has not mixed): the election ends with the other two, and the
// record lacks its signature.
func TestDownMix(t *testing.T) {
	t.Parallel()
	res, log, err := downElection(t, "3@mix")
	finished(t, res, err, log)
	require.Equal(t, []string{"local-a3@mix"}, res.Down)
	require.Contains(t, log, "down: local-a3 stopped at mix")
	require.Contains(t, append(res.Absent, res.Unsigned...), "local-a3")

	_, err = Full(context.Background(), Options{Dir: t.TempDir(), Votes: 5, Down: []Down{{Authority: 2, Phase: "mix"}}})
	require.ErrorContains(t, err, "--down needs --local")
	_, err = Full(context.Background(), Options{Local: 3, Votes: 5, Down: []Down{{Authority: 2, Phase: "mix"}, {Authority: 2, Phase: "tally"}}})
	require.ErrorContains(t, err, "authority 2 twice")
}

// The other drills: down before the tally request, once its decryption
// share is stored, in the middle of the mixes and back 2 s later; two of
// three down stop the tally cleanly.
func TestDown(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("four elections with authorities stopped")
	}
	t.Run("tally", func(t *testing.T) {
		res, log, err := downElection(t, "3@tally")
		finished(t, res, err, log)
		require.Equal(t, []string{"local-a3@tally"}, res.Down)
		require.Contains(t, log, "down: local-a3 stopped at tally")
		require.Contains(t, append(res.Absent, res.Unsigned...), "local-a3")
	})
	t.Run("decrypt", func(t *testing.T) {
		res, log, err := downElection(t, "3@decrypt")
		finished(t, res, err, log)
		require.Equal(t, []string{"local-a3@decrypt"}, res.Down)
		require.Contains(t, log, "down: local-a3 stopped at decrypt")
	})
	t.Run("mix-restart", func(t *testing.T) {
		res, log, err := downElection(t, "2@mix:2s")
		finished(t, res, err, log)
		require.Equal(t, []string{"local-a2@mix:2s"}, res.Down)
		require.Contains(t, log, "down: local-a2 stopped at mix")
		require.Contains(t, log, "down: local-a2 restarted after 2s")
	})
	t.Run("two-down", func(t *testing.T) {
		res, log, err := downElection(t, "2@tally", "3@tally")
		require.ErrorContains(t, err, "fewer than the threshold")
		require.ErrorContains(t, err, "down: local-a2@tally, local-a3@tally")
		require.Contains(t, log, "the election cannot finish")
		require.NotNil(t, res)
		require.Equal(t, []string{"local-a2@tally", "local-a3@tally"}, res.Down)
	})
}
