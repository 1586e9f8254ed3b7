package orchestra_test

import (
	"testing"

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
