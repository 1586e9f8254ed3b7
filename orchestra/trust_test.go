package orchestra_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eotest"
	"github.com/eo-mixnet/eo/orchestra"
	"github.com/eo-mixnet/eo/peers"
	"github.com/eo-mixnet/eo/record"
)

// Attack 1 (threats.md A12): an authority's operator, alone, asks for the
// tally of an election it does not own, with a vote file it serves itself
// holding one voter's line. Every honest authority refuses, with a reason,
// and nothing is decrypted; the owner's real tally then works.
func TestTallyHijackRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3)
	pks, err := e.h.Create(e.ctx, "h1", e.c.Names, 2, 1)
	require.NoError(t, err)
	votes, err := eotest.Encrypt("h1", pks, 10, 3)
	require.NoError(t, err)
	one := votes.File[:indexNewline(votes.File)+1] // voter 0's line only

	// Authority 2's operator, with its certificate, at its own authority
	// and at the director.
	attacker, err := eotest.NewHarness(eotest.HarnessOptions{Dir: e.c.Dirs[1], Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { attacker.Close() })
	err = attacker.RequestTally(e.ctx, "h1", one, "", "")
	require.ErrorContains(t, err, "403")
	require.ErrorContains(t, err, "only its owner local-a1 may ask for its tally, not local-a2")
	code, msg, err := attacker.PostTo(e.ctx, e.h.DirectorURL(), "/public_api/tally", tallyBody(t, "h1", one, attacker))
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, code, msg)
	require.Contains(t, msg, "is installed here as authority; only web servers")

	// Nothing was started: the owner's real tally works.
	url, hash, err := e.h.Tally(e.ctx, "h1", votes.File)
	require.NoError(t, err)
	e.check(t, "h1", url, hash, votes)

	// A vote file on another host: refused before anything is fetched
	// when the host differs; here every host is 127.0.0.1, so it is the
	// pinning to the owner's certificate that refuses the attacker's
	// server, and the tally ends with that reason, nothing decrypted.
	pks, err = e.h.Create(e.ctx, "h2", e.c.Names, 2, 1)
	require.NoError(t, err)
	votes2, err := eotest.Encrypt("h2", pks, 4, 5)
	require.NoError(t, err)
	err = e.h.RequestTally(e.ctx, "h2", votes2.File, "", "https://203.0.113.9:8000/votes")
	require.ErrorContains(t, err, "not on the owner's host")
	attacker.Serve("h2", votes2.File)
	require.NoError(t, e.h.RequestTally(e.ctx, "h2", votes2.File, "", attacker.VotesURL("h2")))
	_, _, err = e.h.WaitTally(e.ctx, "h2")
	require.ErrorContains(t, err, "downloading the votes from the owner local-a1")
}

// A client installed as an authority may not create elections at another
// authority; its own operator may, for a test election.
func TestAPIForWebServersOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	other, err := eotest.NewHarness(eotest.HarnessOptions{Dir: e.c.Dirs[1], Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })
	code, msg, err := other.PostTo(e.ctx, e.h.DirectorURL(), "/public_api/election", []byte(`{"id":"w1"}`))
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, code)
	require.Contains(t, msg, "local-a2 is installed here as authority")
}

// Attack 2 (threats.md A13): a director whose own policy allows t = 1
// turns the owner's election into 1-of-3. Every authority whose policy
// forbids it refuses, naming the rule; with t = 2 the callback reports t
// and every authority's fingerprint, which eotest checks.
func TestThresholdRewriteRefused(t *testing.T) {
	t.Parallel()
	lax := &orchestra.Config{StepTimeout: orchestra.Duration(20 * time.Second), ResendAfter: orchestra.Duration(2 * time.Second),
		RoundTimeout: orchestra.Duration(5 * time.Second), Policy: orchestra.Policy{MinThreshold: 1}}
	e := newEnvCluster(t, eotest.ClusterOptions{N: 3, Configs: map[int]*orchestra.Config{1: lax}})
	_, err := e.h.Create(e.ctx, "r1", e.c.Names, 1, 1)
	require.ErrorContains(t, err, "refused the election: threshold 1 of 3 authorities is below this authority's min_threshold 2")

	// The director's own policy refuses at once.
	strict := newEnv(t, 3)
	_, err = strict.h.Create(strict.ctx, "r2", strict.c.Names, 1, 1)
	require.ErrorContains(t, err, "400")
	require.ErrorContains(t, err, "min_threshold 2")

	// What the owner asked is what the callback reports (checked by the
	// harness: t and each fingerprint).
	_, err = strict.h.Create(strict.ctx, "r3", strict.c.Names, 2, 1)
	require.NoError(t, err)
	cb := strict.h.CreationCallback("r3")
	require.NotNil(t, cb)
	require.EqualValues(t, 2, cb.Data["threshold"])
	auths := cb.Data["authorities"].([]any)
	require.Len(t, auths, 3)
	id, err := peers.LoadIdentity(strict.c.Dirs[2])
	require.NoError(t, err)
	require.Equal(t, id.Fingerprint().String(), auths[2].(map[string]any)["fingerprint"])
}

func indexNewline(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return len(b)
}

func tallyBody(t *testing.T, id string, votes []byte, h *eotest.Harness) []byte {
	t.Helper()
	return []byte(`{"election_id":"` + id + `","votes_url":"` + h.VotesURL(id) + `","votes_hash":"` + votesHash(votes) +
		`","callback_url":"` + h.VotesURL(id) + `"}`)
}

func votesHash(b []byte) string { return record.VotesHash(b) }

// A tally of fewer accepted ballots than an authority's min_ballots (2 by
// default) is refused: no tally is the decryption of one voter's ballot.
func TestMinBallotsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	pks, err := e.h.Create(e.ctx, "m1", e.c.Names, 2, 1)
	require.NoError(t, err)
	votes, err := eotest.Encrypt("m1", pks, 1, 3)
	require.NoError(t, err)
	_, _, err = e.h.Tally(e.ctx, "m1", votes.File)
	require.ErrorContains(t, err, "refuses to decrypt 1 accepted ballots: its policy's min_ballots is 2")
}
