package orchestra_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eotest"
	"github.com/eo-mixnet/eo/orchestra"
)

// A network that drops, duplicates, delays and reorders datagrams between
// the authorities slows an election down but does not change its outcome.
func TestLossyNetwork(t *testing.T) {
	e := newEnvCluster(t, eotest.ClusterOptions{N: 3, Config: &orchestra.Config{StepTimeout: orchestra.Duration(time.Minute), ResendAfter: orchestra.Duration(2 * time.Second)},
		Impair: &eotest.Impairment{Drop: 0.05, Duplicate: 0.1, MaxDelay: 15 * time.Millisecond}})
	pks, err := e.h.Create(e.ctx, "n1", e.c.Names, 2, 2)
	require.NoError(t, err)
	votes, err := eotest.Encrypt("n1", pks, 300, 4)
	require.NoError(t, err)
	url, hash, err := e.h.Tally(e.ctx, "n1", votes.File)
	require.NoError(t, err)
	e.check(t, "n1", url, hash, votes)
	var dropped, duplicated int64
	for _, p := range e.c.Proxies {
		dropped += p.Dropped.Load()
		duplicated += p.Duplicated.Load()
	}
	require.Positive(t, dropped)
	require.Positive(t, duplicated)
}

// An authority cut off in the middle of a tally ends it, within the step
// timeout, with a reason that names it.
func TestPartitionFailsWithReason(t *testing.T) {
	e := newEnvCluster(t, eotest.ClusterOptions{N: 2, Config: &orchestra.Config{StepTimeout: orchestra.Duration(4 * time.Second), ResendAfter: orchestra.Duration(time.Second)},
		Impair: &eotest.Impairment{}})
	pks, err := e.h.Create(e.ctx, "p1", e.c.Names, 2, 1)
	require.NoError(t, err)
	votes, err := eotest.Encrypt("p1", pks, 50, 3)
	require.NoError(t, err)
	e.c.Proxies[1].Set(eotest.Impairment{Drop: 1})
	start := time.Now()
	_, _, err = e.h.Tally(e.ctx, "p1", votes.File)
	require.ErrorContains(t, err, "local-a2")
	require.Less(t, time.Since(start), 30*time.Second)
}
