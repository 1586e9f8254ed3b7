package eotest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/eo-mixnet/eo/record"
	"github.com/stretchr/testify/require"
)

func TestFullLocal(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	var log bytes.Buffer
	res, err := Full(context.Background(), Options{Local: 3, Threshold: 2, Questions: 2, Votes: 60, Out: out, Progress: &log})
	require.NoError(t, err)
	require.Len(t, res.Counts, 2)
	for _, c := range res.Counts {
		total := 0
		for _, x := range c {
			total += x.Count
		}
		require.Equal(t, 60, total)
	}
	require.Contains(t, log.String(), "verify")
	// The record on disk and the tarball verify on their own.
	f, err := record.ReadDir(filepath.Join(out, "record"))
	require.NoError(t, err)
	require.True(t, record.Verify(f, record.Options{}).Valid())
	tgz, err := os.ReadFile(filepath.Join(out, "tally.tar.gz"))
	require.NoError(t, err)
	require.Equal(t, res.TallyHash, record.VotesHash(tgz))

	_, err = Full(context.Background(), Options{Local: 2, Votes: 0})
	require.Error(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Full(ctx, Options{Local: 2, Votes: 5})
	require.ErrorIs(t, err, context.Canceled)
}
