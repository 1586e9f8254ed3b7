package orchestra_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eotest"
	"github.com/eo-mixnet/eo/internal/testctx"
)

// Each adversary of the drill list against three authorities with t = 2:
// the election survives, and the record blames the adversary.
func TestAdversaries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind  string
		who   int
		phase string // of the blame the record must hold; "" for none
	}{
		{"bad-dealer", 2, "keygen"},
		{"false-complaint", 3, ""}, // refuted: an event, not proven misbehaviour (a lost share looks the same)
		{"garbage-messages", 2, ""},
		{"bad-shuffle", 2, "mix"},
		{"bad-shuffle", 1, "mix"},
		{"bad-decryption", 3, "decryption"},
	} {
		t.Run(fmt.Sprintf("%s:%d", tc.kind, tc.who), func(t *testing.T) {
			ctx := testctx.Context(t)
			res, err := eotest.Full(ctx, eotest.Options{Local: 3, Threshold: 2, Questions: 2, Votes: 80, Adversaries: map[int]string{tc.who: tc.kind}})
			require.NoError(t, err)
			if tc.phase == "" {
				require.Empty(t, res.Blame)
				if tc.kind == "false-complaint" {
					require.NotEmpty(t, res.Events)
					require.Equal(t, tc.who, res.Events[0].Authority, "%+v", res.Events)
				}
				return
			}
			require.NotEmpty(t, res.Blame)
			for _, b := range res.Blame {
				require.Equal(t, tc.who, b.Authority, "%+v", b)
				require.Equal(t, tc.phase, b.Phase)
				require.True(t, strings.HasPrefix(b.Name, "local-a"))
			}
		})
	}
}

// With fewer than t mixers left, a bad shuffle stops the tally, with a
// reason that names the blamed mixer.
func TestBadShuffleBelowThreshold(t *testing.T) {
	t.Parallel()
	ctx := testctx.Context(t)
	_, err := eotest.Full(ctx, eotest.Options{Local: 2, Votes: 30, Adversaries: map[int]string{2: "bad-shuffle"}})
	// The honest authority names local-a2 as rejected, or (when local-a2's
	// stop overtook its mix) as missing.
	require.ErrorContains(t, err, "only 1 mixes stand, fewer than the threshold 2")
	require.Regexp(t, `no mix from none \(rejected: local-a2\)|no mix from local-a2 \(rejected: none\)`, err.Error())
}
