package orchestra_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eotest"
	"github.com/eo-mixnet/eo/orchestra"
	"github.com/eo-mixnet/eo/peers"
	"github.com/eo-mixnet/eo/record"
)

// Any t finish (issue #14, doc/daemon.md "Liveness"): three authorities,
// t = 2. One authority down before the creation, before the tally, in the
// middle of the mixes or of the decryption: the election still ends with
// a record that verifies and decrypts to the votes cast, naming the absent
// one. The director's death is survived by asking another authority. Two
// down stop the tally with a reason that names both.
func TestAnyTwoOfThree(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("six elections with authorities stopped and started")
	}
	// A round stalls after 6 s of silence: down-before-create waits that
	// out, and a shorter one can give up on a live authority that a
	// loaded machine starves (CI saw a 2 s round abort the creation).
	e := newEnvConfig(t, 3, &orchestra.Config{StepTimeout: orchestra.Duration(4 * time.Second), ResendAfter: orchestra.Duration(500 * time.Millisecond),
		RoundTimeout: orchestra.Duration(6 * time.Second)})
	election := func(t *testing.T, id string) ([]string, *eotest.Votes) {
		t.Helper()
		pks, err := e.h.Create(e.ctx, id, e.c.Names, 2, 1)
		require.NoError(t, err)
		votes, err := eotest.Encrypt(id, pks, 20, 3)
		require.NoError(t, err)
		return pks, votes
	}
	// tallied checks the record and returns its report.
	tallied := func(t *testing.T, id string, votes *eotest.Votes) *record.Report {
		t.Helper()
		url, hash, err := e.h.WaitTally(e.ctx, id)
		require.NoError(t, err)
		tgz := e.check(t, id, url, hash, votes)
		f, err := record.ReadTarGz(bytes.NewReader(tgz))
		require.NoError(t, err)
		rep := record.Verify(f, record.Options{})
		require.True(t, rep.Valid(), "%+v", rep.Failures)
		require.Empty(t, rep.Blame, "nobody misbehaved")
		return rep
	}
	// waitFile waits until authority i has stored a file of the election
	// matching pattern (in its tally store).
	waitFile := func(t *testing.T, i int, id, pattern string) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute) // a bound against hangs
		for {
			require.True(t, time.Now().Before(deadline), "authority %d never stored %s", i, pattern)
			if m, _ := filepath.Glob(filepath.Join(e.c.Dirs[i-1], "elections", id, "tally", pattern)); len(m) > 0 {
				return
			}
			require.NoError(t, e.ctx.Err(), "waiting for %s at authority %d", pattern, i)
			time.Sleep(2 * time.Millisecond)
		}
	}

	t.Run("down-before-create", func(t *testing.T) {
		require.NoError(t, e.c.Stop(3))
		up := false
		defer func() { // the later cases need a3, even after a failure here
			if !up {
				require.NoError(t, e.c.Start(3))
			}
		}()
		_, votes := election(t, "any-1")
		cb := e.h.CreationCallback("any-1")
		require.NotNil(t, cb)
		require.Equal(t, []any{"local-a3"}, cb.Data["absent"])
		require.NoError(t, e.c.Start(3))
		up = true
		url, hash, err := e.h.Tally(e.ctx, "any-1", votes.File)
		require.NoError(t, err)
		e.check(t, "any-1", url, hash, votes)
	})
	t.Run("down-before-tally", func(t *testing.T) {
		_, votes := election(t, "any-2")
		require.NoError(t, e.c.Stop(3))
		defer func() { require.NoError(t, e.c.Start(3)) }()
		require.NoError(t, e.h.RequestTally(e.ctx, "any-2", votes.File, "", ""))
		rep := tallied(t, "any-2", votes)
		require.Len(t, rep.Signers, 2)
	})
	t.Run("killed-mid-mix", func(t *testing.T) {
		_, votes := election(t, "any-3")
		require.NoError(t, e.h.RequestTally(e.ctx, "any-3", votes.File, "", ""))
		// a3 verified another's mix (on a loaded machine a2 may take
		// position 1 before a1: a slot is a bound, not an order).
		waitFile(t, 3, "any-3", "q0.mix-[12]-at-*.msg")
		require.NoError(t, e.c.Stop(3))
		defer func() { require.NoError(t, e.c.Start(3)) }()
		tallied(t, "any-3", votes)
	})
	t.Run("killed-mid-decryption", func(t *testing.T) {
		_, votes := election(t, "any-4")
		require.NoError(t, e.h.RequestTally(e.ctx, "any-4", votes.File, "", ""))
		waitFile(t, 3, "any-4", "q0.dec-3-*")
		require.NoError(t, e.c.Stop(3))
		defer func() { require.NoError(t, e.c.Start(3)) }()
		tallied(t, "any-4", votes)
	})
	t.Run("two-down-stop", func(t *testing.T) {
		_, votes := election(t, "any-6")
		require.NoError(t, e.c.Stop(2))
		require.NoError(t, e.c.Stop(3))
		defer func() { require.NoError(t, e.c.Start(2)); require.NoError(t, e.c.Start(3)) }()
		_, _, err := e.h.Tally(e.ctx, "any-6", votes.File)
		require.ErrorContains(t, err, "only 1 mixes stand, fewer than the threshold 2; no mix from local-a2, local-a3")
		_, err = os.Stat(filepath.Join(e.c.Dirs[0], "elections", "any-6", "tally.tar.gz"))
		require.ErrorIs(t, err, os.ErrNotExist, "nothing published")
	})
}

// The owner's web server fails over: the director dies in the middle of
// the tally, the owner asks another authority for the same tally, and
// that one calls back with the record (issue #14: no single point of
// failure).
func TestOwnerFailsOver(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("an election with its director stopped")
	}
	e := newEnvConfig(t, 3, &orchestra.Config{StepTimeout: orchestra.Duration(4 * time.Second), ResendAfter: orchestra.Duration(500 * time.Millisecond),
		RoundTimeout: orchestra.Duration(20 * time.Second)}) // nobody is down during the creation
	// A web server, local-s1, installed at every authority (and they at
	// it); its harness asks local-a1 first.
	port := func(i int) int {
		id, err := peers.LoadIdentity(e.c.Dirs[i-1])
		require.NoError(t, err)
		return id.Config.Port
	}
	webDir := t.TempDir()
	web, err := peers.InitIdentity(webDir, peers.InitOptions{Hostname: "local-s1", IPAddress: "127.0.0.1", Port: port(1), Role: peers.RoleWebServer})
	require.NoError(t, err)
	wpkg, err := web.Package(false)
	require.NoError(t, err)
	wstore, err := web.OpenStore()
	require.NoError(t, err)
	for _, d := range e.c.Dirs {
		a, err := peers.LoadIdentity(d)
		require.NoError(t, err)
		ast, err := a.OpenStore()
		require.NoError(t, err)
		_, err = ast.Install(wpkg, false)
		require.NoError(t, err)
		apkg, err := a.Package(false)
		require.NoError(t, err)
		_, err = wstore.Install(apkg, false)
		require.NoError(t, err)
	}
	h, err := eotest.NewHarness(eotest.HarnessOptions{Dir: webDir, Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { h.Close() })

	pks, err := h.Create(e.ctx, "fo-1", e.c.Names, 2, 1)
	require.NoError(t, err)
	votes, err := eotest.Encrypt("fo-1", pks, 20, 3)
	require.NoError(t, err)
	require.NoError(t, h.RequestTally(e.ctx, "fo-1", votes.File, "", ""))
	for { // local-a2 heard of the tally
		if _, err := os.Stat(filepath.Join(e.c.Dirs[1], "elections", "fo-1", "tally", "started")); err == nil {
			break
		}
		require.NoError(t, e.ctx.Err())
		time.Sleep(2 * time.Millisecond)
	}
	require.NoError(t, e.c.Stop(1))
	defer func() { require.NoError(t, e.c.Start(1)) }()
	body := fmt.Sprintf(`{"election_id":"fo-1","votes_url":%q,"votes_hash":%q,"callback_url":%q}`,
		h.VotesURL("fo-1"), record.VotesHash(votes.File), h.CallbackURL("fo-1", "tally"))
	code, msg, err := h.PostTo(e.ctx, fmt.Sprintf("https://127.0.0.1:%d", port(2)), "/public_api/tally", []byte(body))
	require.NoError(t, err)
	require.Equal(t, 202, code, msg)
	url, hash, err := h.WaitTally(e.ctx, "fo-1")
	require.NoError(t, err)
	require.Contains(t, url, fmt.Sprintf(":%d/", port(2)), "local-a2 calls back")
	tgz, err := h.Download(e.ctx, url, hash)
	require.NoError(t, err)
	_, err = eotest.Check(tgz, "fo-1", e.c.Names, votes.Want)
	require.NoError(t, err)
}

// A director that starts its key generation late — a starved machine —
// is not given up on: the others wait one and a half rounds for every
// authority's first message, since it may start half a round after them by design
// (it waits that long for the setup's delivery). With one round, as
// before, the director was expired at some authorities and not others
// and the key generation aborted ("unrecoverable in dkg-reconstruction").
func TestLateDirector(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a creation with a director a round late")
	}
	const round = 8 * time.Second // the director comes 1 s after a round, 3 s before the wait ends
	e := newEnvCluster(t, eotest.ClusterOptions{N: 3, Config: &orchestra.Config{StepTimeout: orchestra.Duration(4 * time.Second),
		ResendAfter: orchestra.Duration(500 * time.Millisecond), RoundTimeout: orchestra.Duration(round)},
		LateStart: map[int]time.Duration{1: round + round/8}})
	pks, err := e.h.Create(e.ctx, "late-1", e.c.Names, 2, 1)
	require.NoError(t, err)
	require.Empty(t, e.h.CreationCallback("late-1").Data["absent"], "nobody given up on")
	votes, err := eotest.Encrypt("late-1", pks, 10, 3)
	require.NoError(t, err)
	url, hash, err := e.h.Tally(e.ctx, "late-1", votes.File)
	require.NoError(t, err)
	e.check(t, "late-1", url, hash, votes)
}
