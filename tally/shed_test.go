package tally

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A machine whose tally ended lets go of its decoded lists, sessions and
// records (the daemon keeps it a while, #18) and still answers asks for
// the mixes and shares it holds.
func TestEndedMachineSheds(t *testing.T) {
	checked := 0
	for seed := uint64(1); seed <= 40 && checked < 3; seed++ {
		r := simulate(seed, false)
		require.NoError(t, r.err, "seed %d", seed)
		for _, a := range r.auths[1:] {
			if a.result == nil || a.m == nil || a.adversary != "" {
				continue
			}
			m := a.m
			require.True(t, m.shed, "seed %d a%d", seed, a.i)
			for q, qs := range m.qs {
				require.Nil(t, qs.sessions)
				require.Nil(t, qs.Chain)
				for k, nd := range qs.nodes {
					require.Nil(t, nd.c, "seed %d a%d q%d %v", seed, a.i, q, k)
				}
				// Another authority asks for the final list's mixer's
				// mixes, and for the shares of it: the answers come.
				f := qs.final
				out := m.Handle(simEpoch, a.i%m.n+1, &Message{Kind: KindAsk, Q: q, Author: f.mixer, Parent: int(KindMix)})
				require.Contains(t, out.Sends, Send{To: a.i%m.n + 1, Msg: f.msg})
				for i, sr := range qs.shares[f.key] {
					out := m.Handle(simEpoch, a.i%m.n+1, &Message{Kind: KindAsk, Q: q, Author: i, Parent: int(KindShare), Position: f.mixer<<8 | f.pos})
					require.Contains(t, out.Sends, Send{To: a.i%m.n + 1, Msg: sr.msg})
				}
			}
			checked++
			break
		}
	}
	require.Positive(t, checked, "no seed tallied")
}
