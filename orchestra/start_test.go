package orchestra

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func testElection() (*election, *Server) {
	s := &Server{log: slog.New(slog.DiscardHandler), cfg: Config{}.withDefaults(), metrics: newMetrics()}
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	return &election{srv: s, id: "e", log: s.log}, s
}

// A phase asked for while another runs — a tally requested the moment the
// creation's callback left, before the creation's goroutine returned —
// runs after it; it used to be dropped, and the tally never ran.
func TestStartQueuesAPhase(t *testing.T) {
	e, s := testElection()
	release := make(chan struct{})
	var mu sync.Mutex
	var order []string
	did := func(name string) { mu.Lock(); order = append(order, name); mu.Unlock() }
	require.True(t, e.start(func(context.Context) error { <-release; did("create"); return nil }))
	require.True(t, e.start(func(context.Context) error { did("tally"); return nil }))
	require.False(t, e.start(func(context.Context) error { did("third"); return nil }), "one phase is queued at most")
	close(release)
	s.wg.Wait()
	require.Equal(t, []string{"create", "tally"}, order)
	require.False(t, e.running)
}

// A phase that fails does not run the queued one.
func TestStartDropsQueueOnFailure(t *testing.T) {
	e, s := testElection()
	e.st.Status = statusCreating
	release := make(chan struct{})
	ran := false
	require.True(t, e.start(func(context.Context) error { <-release; return errors.New("boom") }))
	require.True(t, e.start(func(context.Context) error { ran = true; return nil }))
	s.cancel(errors.New("stop")) // fail() then only logs: no state to write, no peers
	close(release)
	s.wg.Wait()
	require.False(t, ran)
	require.False(t, e.running)
}
