package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eotest"
)

// bench --sweep runs whole elections of tiny sizes and writes a table, or
// JSON, and an SVG plot that parses as XML and draws the reference.
func TestBenchSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("two whole elections")
	}
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	cmd := rootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"bench", "--sweep", "20,40", "--out", dir, "--json"})
	require.NoError(t, cmd.Execute())
	require.Empty(t, errOut.String())
	var rep struct {
		Authorities int `json:"authorities"`
		Points      []struct {
			Ballots int                `json:"ballots"`
			Times   map[string]float64 `json:"times"`
			Peak    uint64             `json:"peak_mem_bytes"`
		} `json:"points"`
		References []struct {
			Seconds float64 `json:"seconds"`
		} `json:"references"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.Equal(t, 2, rep.Authorities)
	require.Len(t, rep.Points, 2)
	require.Equal(t, 40, rep.Points[1].Ballots)
	require.Greater(t, rep.Points[1].Times["tally_s"], 0.0)
	require.Greater(t, rep.Points[1].Peak, uint64(0))
	require.EqualValues(t, 207, rep.References[0].Seconds)

	svg, err := os.ReadFile(filepath.Join(dir, "sweep.svg"))
	require.NoError(t, err)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var root string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	require.Equal(t, "svg", root)
	for _, want := range []string{"eo tally", "old engine (Verificatum): tally 207 s", "peak memory (MB)", "<polyline"} {
		require.True(t, strings.Contains(string(svg), want), want)
	}

	// Without --json, a table.
	out.Reset()
	cmd = rootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"bench", "--sweep", "20", "--out", dir})
	require.NoError(t, cmd.Execute())
	require.Contains(t, out.String(), "ballots   keygen")
	require.Contains(t, out.String(), "reference: old engine")

	cmd = rootCmd()
	cmd.SetArgs([]string{"bench", "--sweep", "0", "--out", dir})
	require.ErrorContains(t, cmd.Execute(), "at least 1")
	cmd = rootCmd()
	cmd.SetArgs([]string{"bench", "--processes"})
	require.ErrorContains(t, cmd.Execute(), "--processes goes with --sweep")
}

// bench --sweep --processes runs each authority in its own process (this
// test binary, as the hidden authority subcommand) and reports each one's
// peak memory, the time per ballot and its slope.
func TestBenchSweepProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("two whole elections")
	}
	if runtime.GOOS == "windows" {
		t.Skip("processes inherit their sockets as file descriptors: Unix only")
	}
	t.Setenv(childEnv, "1")
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	cmd := rootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"bench", "--sweep", "20,40", "--processes", "--memory-budget", "600MiB", "--out", dir, "--json"})
	require.NoError(t, cmd.Execute(), errOut.String())
	var rep eotest.SweepReport
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.True(t, rep.Processes)
	require.Equal(t, int64(600<<20), rep.MemoryBudget)
	require.Len(t, rep.Points, 2)
	for _, p := range rep.Points {
		require.Len(t, p.AuthorityPeakMemBytes, 2, "each authority's peak")
		for _, m := range p.AuthorityPeakMemBytes {
			require.Greater(t, m, int64(1<<20))
		}
		require.InDelta(t, p.Times.Tally*1e6/float64(p.Ballots), p.TallyMicrosPerBallot, 1e-6)
		require.InDelta(t, p.Times.Total*1e6/float64(p.Ballots), p.TotalMicrosPerBallot, 1e-6)
	}
	require.NotNil(t, rep.Slope)
	require.Equal(t, 20, rep.Slope.From)
	require.Equal(t, 40, rep.Slope.To)
	require.InDelta(t, rep.Points[1].TotalMicrosPerBallot/rep.Points[0].TotalMicrosPerBallot, rep.Slope.TotalRatio, 1e-9)
	svg, err := os.ReadFile(filepath.Join(dir, "sweep.svg"))
	require.NoError(t, err)
	require.Contains(t, string(svg), "largest authority")

	var table bytes.Buffer
	rep.WriteTable(&table)
	require.Contains(t, table.String(), "each in its own process (memory_budget 600 MiB)")
	require.Contains(t, table.String(), "time per ballot at 40 against 20")

	cmd = rootCmd()
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"bench", "--sweep", "20", "--memory-budget", "600MiB"})
	require.ErrorContains(t, cmd.Execute(), "--sweep and --processes")
}
