package orchestra_test

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/orchestra"
)

// TestConfigRefusesAdversary checks that the drills are not settings: the
// strict parser refuses the old adversary key as unknown.
func TestConfigRefusesAdversary(t *testing.T) {
	t.Parallel()
	_, err := orchestra.ParseConfig([]byte(`{"adversary":"bad-shuffle"}`))
	require.ErrorContains(t, err, `unknown field "adversary"`)
	_, err = orchestra.ParseConfig([]byte(`{"log_level":"warn"}`))
	require.NoError(t, err)
}

// TestMemoryBudget checks memory_budget: parsed in bytes, negative
// refused, and by default sized to the machine (half its memory, at least
// MinMemoryBudget) where the machine's memory is known.
func TestMemoryBudget(t *testing.T) {
	c, err := orchestra.ParseConfig([]byte(`{"memory_budget": 3221225472}`))
	require.NoError(t, err)
	require.Equal(t, int64(3<<30), c.MemoryBudget)
	require.Equal(t, int64(3<<30), c.MemoryLimit())
	_, err = orchestra.ParseConfig([]byte(`{"memory_budget": -1}`))
	require.ErrorContains(t, err, "memory_budget is negative")
	_, err = orchestra.ParseConfig([]byte(`{"memory_budget": "2GiB"}`))
	require.Error(t, err, "a number of bytes, as max_votes_bytes")

	def := (&orchestra.Config{}).MemoryLimit()
	if runtime.GOOS == "linux" {
		require.GreaterOrEqual(t, def, int64(orchestra.MinMemoryBudget))
	} else {
		require.True(t, def == 0 || def >= orchestra.MinMemoryBudget, def)
	}

	// ApplyMemoryBudget sets the runtime's soft limit, unless $GOMEMLIMIT
	// is set: then that stays.
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	t.Setenv("GOMEMLIMIT", "")
	limit, env := orchestra.ApplyMemoryBudget(c)
	require.False(t, env)
	require.Equal(t, int64(3<<30), limit)
	require.Equal(t, int64(3<<30), debug.SetMemoryLimit(-1))
	debug.SetMemoryLimit(1 << 40)
	t.Setenv("GOMEMLIMIT", "1TiB")
	limit, env = orchestra.ApplyMemoryBudget(c)
	require.True(t, env)
	require.Equal(t, int64(1<<40), limit)
	require.Equal(t, int64(1<<40), debug.SetMemoryLimit(-1))
}

// TestConfigRoundTrip checks that a Config marshals to what ParseConfig
// reads back (eotest writes its authorities' eorchestra.json that way).
func TestConfigRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range []orchestra.Config{
		{},
		{Listen: "127.0.0.1:1234", StatusListen: "off", PassphraseFile: "passphrase", LogLevel: "warn",
			MaxVotesBytes: 1 << 20, MemoryBudget: 1 << 30, RoundTimeout: orchestra.Duration(5 * time.Second),
			StepTimeout: orchestra.Duration(10 * time.Second), SessionTimeout: orchestra.Duration(time.Hour),
			ResendAfter: orchestra.Duration(time.Second), CallbackTimeout: orchestra.Duration(time.Minute),
			Policy: orchestra.Policy{MinThreshold: 1, MinBallots: 3, Owners: []string{"web"}, Approval: "manual", ApprovalTimeout: orchestra.Duration(time.Hour)}},
	} {
		b, err := json.Marshal(c)
		require.NoError(t, err)
		got, err := orchestra.ParseConfig(b)
		require.NoError(t, err, string(b))
		require.Equal(t, c, *got)
	}
}
