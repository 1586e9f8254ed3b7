package eotest

import (
	"testing"

	"github.com/eo-mixnet/eo/internal/testctx"

	"github.com/stretchr/testify/require"
)

// Bad input at scale: 100 000 voters with 1 % of the lines spoiled
// (garbage, repeated voters, broken proofs). Exactly those lines are
// excluded, each with its reason, and the tally is the votes of the
// others (Full checks the multiset, the counts and the exclusions).
func TestSpoiledVotesAtScale(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a 100 000-ballot election")
	}
	ctx := testctx.Context(t)
	res, err := Full(ctx, Options{Local: 2, Votes: 100000, Spoil: 0.01})
	require.NoError(t, err)
	require.Equal(t, 999, res.Excluded, "333 garbage, 333 repeated lines (duplicates), 333 broken proofs")
	total := 0
	for _, c := range res.Counts[0] {
		total += c.Count
	}
	require.Equal(t, 100000-333, total)
}
