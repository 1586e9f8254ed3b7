// Package testctx gives a test the context of its whole run, bounded by
// the test binary's deadline and not by a clock of the test's own.
//
// A test that ran an election under a one-minute context failed on a
// loaded machine (the race tier took longer than the minute, and the
// authorities stopped under it): a bound chosen for this machine's speed
// is a wall-clock dependency. Context ends when the test ends, or a
// margin before go test's -timeout, so that a test that hangs still fails
// with its own error and its logs rather than the binary's panic.
package testctx

import (
	"context"
	"testing"
	"time"
)

// margin is how long before the binary's deadline Context ends, at most
// (a tenth of what is left, where less than ten margins are).
const margin = 30 * time.Second

// deadliner is *testing.T; a *testing.B or *testing.F has no deadline.
type deadliner interface {
	Deadline() (time.Time, bool)
}

// Context returns a context that ends when t ends (t.Context) or a margin
// before the test binary's deadline, whichever is first.
func Context(t testing.TB) context.Context {
	ctx := t.Context()
	d, ok := t.(deadliner)
	if !ok {
		return ctx
	}
	end, ok := d.Deadline()
	if !ok {
		return ctx // go test -timeout 0
	}
	end = end.Add(-min(margin, time.Until(end)/10))
	ctx, cancel := context.WithDeadline(ctx, end)
	t.Cleanup(cancel)
	return ctx
}
