package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eotest"
)

// childEnv, set, lets this test binary be an authority's process of a
// --processes election (the hidden authority subcommand, as the eotest
// program is), when the cluster starts it with that subcommand.
const childEnv = "EOTEST_CLI_AUTHORITY_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" && len(os.Args) > 1 && os.Args[1] == eotest.AuthorityCommand {
		cmd := rootCmd()
		cmd.AddCommand(authorityCmd()) // as main does
		cmd.SetArgs(os.Args[1:])
		if err := cmd.Execute(); err != nil {
			fmt.Fprintln(os.Stderr, "eotest:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

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

// TestFullDownFlag checks --down's parsing; the drills themselves are
// eotest's TestDown.
func TestFullDownFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--local", "3", "--down", "0@mix"}, `--down "0@mix": AUTHORITY is 2 … 3`},
		{[]string{"--local", "3", "--down", "9@mix"}, `--down "9@mix": AUTHORITY is 2 … 3`},
		{[]string{"--local", "3", "--down", "x@mix"}, `AUTHORITY is 2 … 3`},
		{[]string{"--local", "3", "--down", "1@mix"}, "authority 1 directs the election in eotest; down another"},
		{[]string{"--local", "3", "--down", "3@nowhere"}, "PHASE is one of create, tally, mix, decrypt"},
		{[]string{"--local", "3", "--down", "3@mix:xyz"}, "RESTART is a positive duration"},
		{[]string{"--local", "3", "--down", "3@mix:-1s"}, "RESTART is a positive duration"},
		{[]string{"--local", "3", "--down", "3mix"}, "want AUTHORITY@PHASE[:RESTART]"},
		{[]string{"--local", "3", "--down", "2@mix", "--down", "2@tally"}, "authority 2 twice"},
		{[]string{"--peers", "prod-a2", "--down", "3@mix"}, "--down needs --local"},
		{[]string{"--peers", "prod-a2", "--step-timeout", "5s"}, "--step-timeout is a positive duration, with --local"},
	} {
		var out bytes.Buffer
		cmd := rootCmd()
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append([]string{"full", "--vcount", "4"}, c.args...))
		require.ErrorContains(t, cmd.Execute(), c.want, "%v", c.args)
	}
}

// A drill from the command line: its JSON names the authority down and
// the record's absent; the other fields keep their names.
func TestFullDownJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("an election with an authority down")
	}
	var out, errOut bytes.Buffer
	cmd := rootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"full", "--local", "3", "--threshold", "2", "--vcount", "6", "--down", "3@tally", "--step-timeout", "4s", "--json"})
	require.NoError(t, cmd.Execute(), errOut.String())
	var res map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	require.EqualValues(t, 6, res["votes"])
	require.Contains(t, res, "times")
	require.Contains(t, res, "counts")
	require.Equal(t, []any{"local-a3@tally"}, res["down"])
	require.Equal(t, []any{"local-a3"}, res["absent"])
}

// --memory-budget gives each authority process its memory_budget, which
// it applies and logs; it needs --processes and a size.
func TestFullMemoryBudget(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--local", "2", "--memory-budget", "600MiB"}, "and --processes"},
		{[]string{"--local", "2", "--processes", "--memory-budget", "6x"}, "want a size"},
		{[]string{"--local", "2", "--processes", "--memory-budget", "-1"}, "want a size"},
		{[]string{"--local", "2", "--processes", "--memory-budget", "GiB"}, "want a size"},
	} {
		cmd := rootCmd()
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		cmd.SetArgs(append([]string{"full", "--vcount", "4"}, c.args...))
		require.ErrorContains(t, cmd.Execute(), c.want, "%v", c.args)
	}
	for s, want := range map[string]int64{"1000": 1000, "600MiB": 600 << 20, "2GiB": 2 << 30} {
		n, err := parseBytes(s)
		require.NoError(t, err)
		require.Equal(t, want, n)
	}
	if testing.Short() || runtime.GOOS == "windows" {
		return
	}
	t.Setenv(childEnv, "1")
	var out, errOut bytes.Buffer
	cmd := rootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"full", "--local", "2", "--processes", "--memory-budget", "600MiB", "--vcount", "4", "-v"})
	require.NoError(t, cmd.Execute(), errOut.String())
	require.Equal(t, 2, strings.Count(errOut.String(), "memory budget"), errOut.String())
	require.Equal(t, 2, strings.Count(errOut.String(), "bytes=629145600"), errOut.String())
}
