package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/eo-mixnet/eo/record"
	"github.com/stretchr/testify/require"
)

const corpus = "../../../testdata/records"

// TestCorpusUpToDate: the checked-in corpus is exactly what the generator
// makes (everything in it is derived from fixed seeds), so a change to the
// record format or to a mutation must come with a regenerated corpus.
func TestCorpusUpToDate(t *testing.T) {
	records, err := generate()
	require.NoError(t, err)
	var want []string
	for i, m := range mutations {
		want = append(want, m.name, m.name+".expect.json")
		got, err := record.ReadDir(filepath.Join(corpus, m.name))
		require.NoError(t, err, "run go run ./record/internal/mkcorpus")
		require.Equal(t, records[i], got, "%s is stale: run go run ./record/internal/mkcorpus", m.name)
		exp, err := os.ReadFile(filepath.Join(corpus, m.name+".expect.json"))
		require.NoError(t, err)
		require.Equal(t, string(canonicalJSON(m.expect)), string(exp))
	}
	entries, err := os.ReadDir(corpus)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(want)
	require.Equal(t, want, names, "files in %s that the generator does not make", corpus)
}
