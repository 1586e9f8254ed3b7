package testctx

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The context ends a margin before the binary's deadline, where there is
// one, and with the test.
func TestContext(t *testing.T) {
	var ctx context.Context
	t.Run("inner", func(t *testing.T) {
		ctx = Context(t)
		require.NoError(t, ctx.Err())
		end, ok := t.Deadline()
		got, has := ctx.Deadline()
		require.Equal(t, ok, has)
		if ok {
			require.True(t, got.Before(end), "the context ends before the binary's deadline")
			require.False(t, got.Before(end.Add(-margin-time.Second)), "and not more than the margin before")
		}
	})
	require.ErrorIs(t, ctx.Err(), context.Canceled, "the context ends with its test")
}
