package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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
}
