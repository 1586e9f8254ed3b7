package tally

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// An authority that reads its vote file only for the record (the even
// ones of every simulated seed do, and their records verify alike) stops
// its tally with the reason when the file cannot be read.
func TestLoadVotesFails(t *testing.T) {
	simLoadVotesErr = errors.New("the disk is gone")
	defer func() { simLoadVotesErr = nil }()
	stopped := 0
	for seed := uint64(1); seed <= 40 && stopped == 0; seed++ {
		r := simulate(seed, false)
		for _, a := range r.auths[1:] {
			if a.i%2 == 0 && a.err != nil && strings.Contains(a.err.Error(), "tally: the vote file: the disk is gone") {
				require.Nil(t, a.result, "seed %d a%d", seed, a.i)
				stopped++
			}
		}
	}
	require.Positive(t, stopped, "no even authority reached its record")
}
