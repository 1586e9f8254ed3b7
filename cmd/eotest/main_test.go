package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBenchJSON(t *testing.T) {
	var out bytes.Buffer
	cmd := rootCmd()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"bench", "--n", "20", "--procs", "1", "--json", "--record", "10"})
	require.NoError(t, cmd.Execute())
	var rep map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	for _, k := range []string{"sm_ns", "n", "width", "procs", "shuffle_ns_per_ct", "prove_ns_per_ct", "verify_ns_per_ct", "proof_bytes_per_ct",
		"keygen_n3_t2_sm", "decrypt_share_sm_per_ct", "verify_share_sm_per_ct", "combine_t2_sm_per_ct", "record_verify_sm_per_ballot"} {
		require.Contains(t, rep, k)
	}
	require.EqualValues(t, 20, rep["n"])

	cmd = rootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"bench", "--n", "0"})
	require.Error(t, cmd.Execute())
}

// TestFullCommand checks the command's flags and its JSON; the election
// itself is eotest's TestFullLocal.
func TestFullCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	cmd := rootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"full", "--local", "2", "--threshold", "2", "--vcount", "4", "--json"})
	require.NoError(t, cmd.Execute())
	var res map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	require.EqualValues(t, 4, res["votes"])
	require.Contains(t, res, "times")

	cmd = rootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"full", "--peers", "prod-a2", "--dir", t.TempDir()})
	require.ErrorContains(t, cmd.Execute(), "eopeers --init", "no local authority there")

	cmd = rootCmd()
	cmd.SetArgs([]string{"full", "--peers", "prod-a2", "--local", "2"})
	require.ErrorContains(t, cmd.Execute(), "exclude")
	cmd = rootCmd()
	cmd.SetArgs([]string{"full"})
	require.ErrorContains(t, cmd.Execute(), "--local N, or --peers")
}

func TestFullWidthsFlag(t *testing.T) {
	cmd := rootCmd()
	cmd.SetArgs([]string{"full", "--local", "2", "--questions", "3", "--widths", "1,3"})
	require.ErrorContains(t, cmd.Execute(), "2 widths for 3 questions")
	cmd = rootCmd()
	cmd.SetArgs([]string{"full", "--local", "2", "--widths", "0"})
	require.ErrorContains(t, cmd.Execute(), "width 0 out of 1 … 1024")
	cmd = rootCmd()
	cmd.SetArgs([]string{"full", "--local", "2", "--widths", "x"})
	require.ErrorContains(t, cmd.Execute(), "--widths")
}
