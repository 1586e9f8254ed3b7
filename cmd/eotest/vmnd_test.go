package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFullVmndFlag: the old eotest's --vmnd is accepted, says once on
// stderr that it does nothing, and changes nothing else.
func TestFullVmndFlag(t *testing.T) {
	const note = "eotest: --vmnd is accepted for compatibility and does nothing\n"
	run := func(args ...string) (stdout, stderr string, err error) {
		var out, errOut bytes.Buffer
		cmd := rootCmd()
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		cmd.SetArgs(args)
		err = cmd.Execute()
		return out.String(), errOut.String(), err
	}
	stdout, stderr, err := run("full", "--vmnd")
	require.ErrorContains(t, err, "--local N, or --peers", "the flag alone runs nothing")
	require.True(t, strings.HasPrefix(stderr, note), "stderr %q", stderr)
	require.Equal(t, 1, strings.Count(stderr, "--vmnd"))
	require.Empty(t, stdout)

	_, stderr, err = run("full", "--vmnd=false", "--local", "2", "--peers", "prod-a2")
	require.ErrorContains(t, err, "exclude")
	require.NotContains(t, stderr, "--vmnd")

	_, _, err = run("full", "--vmnd", "x")
	require.Error(t, err, "--vmnd takes no value")
}
