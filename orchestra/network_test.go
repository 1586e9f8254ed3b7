package orchestra_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eotest"
	"github.com/eo-mixnet/eo/internal/memnet"
	"github.com/eo-mixnet/eo/orchestra"
)

// A network that loses, duplicates, delays and reorders whole messages
// between the authorities slows a tally down but does not change its
// outcome.
//
// Key generation has no way to ask again for a lost round message: a loss
// there aborts it, blaming the sender for equivocation. So the election is
// created over a network that only duplicates and delays, and the loss
// starts with the tally, whose waits ask again for what they miss. The
// generator is reseeded there, so that the 3rd message sent from then on
// is lost and the 14th duplicated, however many the creation sent.
func TestLossyNetwork(t *testing.T) {
	t.Parallel()
	nw := memnet.New(memnet.Options{Seed: 1, Duplicate: 0.1, MaxDelay: 15 * time.Millisecond})
	e := newEnvCluster(t, eotest.ClusterOptions{N: 3, Network: nw,
		Config: &orchestra.Config{StepTimeout: orchestra.Duration(3 * time.Minute), ResendAfter: orchestra.Duration(2 * time.Second)}})
	pks, err := e.h.Create(e.ctx, "n1", e.c.Names, 2, 2)
	require.NoError(t, err)
	nw.Reseed(1)
	nw.SetFaults(0.05, 0.1, 15*time.Millisecond)
	dropped := nw.Dropped()
	votes, err := eotest.Encrypt("n1", pks, 300, 4)
	require.NoError(t, err)
	url, hash, err := e.h.Tally(e.ctx, "n1", votes.File)
	require.NoError(t, err)
	e.check(t, "n1", url, hash, votes)
	t.Logf("memnet: %d delivered, %d dropped, %d duplicated", nw.Delivered(), nw.Dropped(), nw.Duplicated())
	require.Greater(t, nw.Dropped(), dropped)
	require.Positive(t, nw.Duplicated())
}

// The same over QUIC, through a UDP proxy that drops, duplicates and
// delays datagrams.
func TestLossyQUIC(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("QUIC through a lossy proxy: slow")
	}
	e := newEnvCluster(t, eotest.ClusterOptions{N: 3,
		Config: &orchestra.Config{StepTimeout: orchestra.Duration(3 * time.Minute), ResendAfter: orchestra.Duration(2 * time.Second)},
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

// An authority cut off in the middle of a tally ends it, with a reason
// that names it (a tally that hung would end with the test's context, and
// a reason that does not).
func TestPartitionFailsWithReason(t *testing.T) {
	t.Parallel()
	nw := memnet.New(memnet.Options{Seed: 1, Duplicate: 0.1, MaxDelay: 15 * time.Millisecond})
	e := newEnvCluster(t, eotest.ClusterOptions{N: 2, Network: nw,
		Config: &orchestra.Config{StepTimeout: orchestra.Duration(20 * time.Second), ResendAfter: orchestra.Duration(time.Second)}})
	pks, err := e.h.Create(e.ctx, "p1", e.c.Names, 2, 1)
	require.NoError(t, err)
	votes, err := eotest.Encrypt("p1", pks, 50, 3)
	require.NoError(t, err)
	nw.Isolate("local-a2")
	_, _, err = e.h.Tally(e.ctx, "p1", votes.File)
	require.ErrorContains(t, err, "local-a2")
}
