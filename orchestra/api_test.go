package orchestra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eo-mixnet/eo/ballot"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eotest"
	"github.com/eo-mixnet/eo/internal/testctx"
	"github.com/eo-mixnet/eo/orchestra"
	"github.com/eo-mixnet/eo/peers"
	"github.com/eo-mixnet/eo/record"
)

type env struct {
	c   *eotest.Cluster
	h   *eotest.Harness
	ctx context.Context
}

func newEnv(t *testing.T, n int) *env {
	return newEnvConfig(t, n, &orchestra.Config{StepTimeout: orchestra.Duration(20 * time.Second), ResendAfter: orchestra.Duration(2 * time.Second),
		RoundTimeout: orchestra.Duration(5 * time.Second)})
}

func newEnvConfig(t *testing.T, n int, cfg *orchestra.Config) *env {
	return newEnvCluster(t, eotest.ClusterOptions{N: n, Config: cfg})
}

// newEnvCluster starts a cluster (in a temporary directory) and a harness
// with its first authority's identity.
func newEnvCluster(t *testing.T, o eotest.ClusterOptions) *env {
	t.Helper()
	// Bounded by the test binary's deadline, not by a clock of its own:
	// the race tier on a loaded 2-core machine ran one of these for over
	// 3 minutes.
	ctx := testctx.Context(t)
	o.Dir = t.TempDir()
	c, err := eotest.StartCluster(ctx, o)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	h, err := eotest.NewHarness(eotest.HarnessOptions{Dir: c.Dirs[0], Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { h.Close() })
	return &env{c: c, h: h, ctx: ctx}
}

// check downloads the tally of a callback and checks it completely
// against the votes cast.
func (e *env) check(t *testing.T, id, url, hash string, votes *eotest.Votes) []byte {
	t.Helper()
	tgz, err := e.h.Download(e.ctx, url, hash)
	require.NoError(t, err)
	_, err = eotest.Check(tgz, id, e.c.Names, votes.Want)
	require.NoError(t, err)
	return tgz
}

func (e *env) certs(t *testing.T) []map[string]string {
	var out []map[string]string
	for i, d := range e.c.Dirs {
		id, err := peers.LoadIdentity(d)
		require.NoError(t, err)
		out = append(out, map[string]string{"name": e.c.Names[i], "orchestra_url": "https://127.0.0.1", "ssl_cert": string(id.CertificatePEM)})
	}
	return out
}

func (e *env) post(t *testing.T, path string, body any) (int, string) {
	t.Helper()
	b, ok := body.([]byte)
	if !ok {
		var err error
		b, err = json.Marshal(body)
		require.NoError(t, err)
	}
	code, msg, err := e.h.Post(e.ctx, path, b)
	require.NoError(t, err)
	return code, msg
}

func TestBadElectionRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	auths := e.certs(t)
	cb := e.h.CallbackURL("x", "create")
	good := func() map[string]any {
		return map[string]any{"id": 7, "questions": []any{map[string]any{"title": "q"}}, "authorities": auths, "callback_url": cb,
			"title": "an old field, ignored"}
	}
	with := func(k string, v any) map[string]any {
		m := good()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	other := e.certs(t)
	other[1] = map[string]string{"name": "prod-unknown", "ssl_cert": auths[1]["ssl_cert"]}
	swapped := e.certs(t)
	swapped[1]["ssl_cert"] = auths[0]["ssl_cert"]
	for _, tc := range []struct {
		name string
		body any
		code int
		want string
	}{
		{"not json", []byte("{"), 400, "not a JSON object"},
		{"trailing data", []byte(`{"id":1} {}`), 400, "data after"},
		{"missing id", with("id", nil), 400, "missing election id"},
		{"bad id", with("id", "../etc"), 400, "election id"},
		{"negative id", with("id", -3), 400, "non-negative"},
		{"no questions", with("questions", []any{}), 400, "missing questions"},
		{"no authorities", with("authorities", nil), 400, "missing authorities"},
		{"no callback", with("callback_url", nil), 400, "callback_url"},
		{"http callback", with("callback_url", "http://127.0.0.1/x"), 400, "callback_url"},
		{"threshold too high", with("threshold", 3), 400, "threshold"},
		{"unknown authority", with("authorities", other), 400, "not installed"},
		{"wrong certificate", with("authorities", swapped), 400, "not the one installed"},
		{"without this authority", with("authorities", auths[1:]), 400, "not among"},
		{"garbage certificate", with("authorities", []map[string]string{{"name": "local-a1", "ssl_cert": "x"}}), 400, "ssl_cert"},
		{"question not an object", with("questions", []any{map[string]any{"title": "q"}, "q2"}), 400, "question 1: ballot: the question is not a JSON object"},
		{"answers not a list", with("questions", []any{map[string]any{"answers": "a, b"}}), 400, `question 0: ballot: the question's \"answers\" is not a list`},
		{"max over answers", with("questions", []any{map[string]any{"answers": []string{"a", "b"}, "max": 3}}), 400, "more than its 2 answers"},
		{"negative max", with("questions", []any{map[string]any{"answers": []string{"a", "b"}, "max": -1}}), 400, "not a non-negative integer"},
		{"width 0", with("questions", []any{map[string]any{"width": 0}}), 400, `question 0: ballot: the question's \"width\" 0 is not an integer in 1 … 1024`},
		{"width 1025", with("questions", []any{map[string]any{"width": 2}, map[string]any{"width": 1025}}), 400, `question 1: ballot: the question's \"width\" 1025`},
		{"votes too wide", with("questions", []any{map[string]any{"answers": make([]int, 15000), "max": 14746}}), 400, "need width 1025, more than 1024"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := e.post(t, "/public_api/election", tc.body)
			require.Equal(t, tc.code, code, msg)
			require.Contains(t, msg, tc.want)
		})
	}

	// A good request is accepted once; the same id again is a conflict.
	body := with("id", "dup")
	body["callback_url"] = e.h.CallbackURL("dup", "create")
	code, msg := e.post(t, "/public_api/election", body)
	require.Equal(t, http.StatusAccepted, code, msg)
	code, msg = e.post(t, "/public_api/election", body)
	require.Equal(t, http.StatusConflict, code, msg)
	got, err := e.h.WaitCallback(e.ctx, "dup", "create")
	require.NoError(t, err)
	require.Equal(t, "finished", got.Status)
	require.Len(t, got.SessionData, 1)
}

// The director derives each question's width from the request
// (ballot.QuestionWidth) and every authority stores the same widths.
func TestElectionWidths(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	body := map[string]any{"id": "w1", "authorities": e.certs(t), "callback_url": e.h.CallbackURL("w1", "create"),
		"questions": []any{
			map[string]any{"title": "eo's width", "width": 3},
			map[string]any{"title": "25 of 98 answers: 75 digits", "answers": make([]int, 98), "max": 25},
			map[string]any{"title": "the old default"},
		}}
	code, msg := e.post(t, "/public_api/election", body)
	require.Equal(t, http.StatusAccepted, code, msg)
	got, err := e.h.WaitCallback(e.ctx, "w1", "create")
	require.NoError(t, err)
	require.Equal(t, "finished", got.Status, got.Data)
	require.Len(t, got.SessionData, 3)
	for _, d := range e.c.Dirs {
		b, err := os.ReadFile(filepath.Join(d, orchestra.ElectionsDir, "w1", "election.json"))
		require.NoError(t, err)
		var st struct {
			Setup struct {
				Widths []int `json:"widths"`
			} `json:"setup"`
		}
		require.NoError(t, json.Unmarshal(b, &st))
		require.Equal(t, []int{3, 2, 1}, st.Setup.Widths, d)
	}
}

func TestBadTallyRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	_, err := e.h.Create(e.ctx, "t1", e.c.Names, 2, 2)
	require.NoError(t, err)
	hash := record.VotesHash([]byte("x"))
	url := e.h.CallbackURL("t1", "tally")
	for _, tc := range []struct {
		name string
		body any
		code int
		want string
	}{
		{"unknown election", map[string]any{"election_id": "nope", "votes_url": url, "votes_hash": hash, "callback_url": url}, 404, "does not exist"},
		{"missing votes_url", map[string]any{"election_id": "t1", "votes_hash": hash, "callback_url": url}, 400, "votes_url"},
		{"bad votes_hash", map[string]any{"election_id": "t1", "votes_url": url, "votes_hash": "sha256:abc", "callback_url": url}, 400, "votes_hash"},
		{"missing callback", map[string]any{"election_id": "t1", "votes_url": url, "votes_hash": hash}, 400, "callback_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := e.post(t, "/public_api/tally", tc.body)
			require.Equal(t, tc.code, code, msg)
			require.Contains(t, msg, tc.want)
		})
	}

	// A wrong hash ends the tally with an error callback naming it, at
	// every authority; the election cannot be tallied again.
	pks, err := e.h.PublicKeys(e.ctx, "t1")
	require.NoError(t, err)
	votes, err := eotest.Encrypt("t1", pks, 20, 3)
	require.NoError(t, err)
	require.NoError(t, e.h.RequestTally(e.ctx, "t1", votes.File, record.VotesHash([]byte("other")), ""))
	_, _, err = e.h.WaitTally(e.ctx, "t1")
	require.ErrorContains(t, err, "do not match votes_hash")
	code, msg := e.post(t, "/public_api/tally", map[string]any{"election_id": "t1", "votes_url": url, "votes_hash": hash, "callback_url": url})
	require.Equal(t, http.StatusConflict, code, msg)

	// An unreachable votes_url.
	_, err = e.h.Create(e.ctx, "t2", e.c.Names, 2, 1)
	require.NoError(t, err)
	require.NoError(t, e.h.RequestTally(e.ctx, "t2", nil, hash, "https://127.0.0.1:1/votes"))
	_, _, err = e.h.WaitTally(e.ctx, "t2")
	require.ErrorContains(t, err, "downloading the votes")

	// Nothing but garbage: no valid ballot.
	_, err = e.h.Create(e.ctx, "t3", e.c.Names, 2, 1)
	require.NoError(t, err)
	require.NoError(t, e.h.RequestTally(e.ctx, "t3", []byte("garbage\n{}\n"), "", ""))
	_, _, err = e.h.WaitTally(e.ctx, "t3")
	require.ErrorContains(t, err, "no valid ballot")
}

func TestGarbageBallotsExcluded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3)
	pks, err := e.h.Create(e.ctx, "g1", e.c.Names, 2, 2)
	require.NoError(t, err)
	votes, err := eotest.Encrypt("g1", pks, 30, 3)
	require.NoError(t, err)
	lines := bytes.SplitAfter(votes.File, []byte("\n"))
	file := append([]byte("garbage\n\n"), votes.File...)
	file = append(file, lines[4]...) // a replayed line (line 7 again): a duplicate, it cancels nothing
	tallyURL, tallyHash, err := func() (string, string, error) {
		if err := e.h.RequestTally(e.ctx, "g1", file, "", ""); err != nil {
			return "", "", err
		}
		return e.h.WaitTally(e.ctx, "g1")
	}()
	require.NoError(t, err)
	tgz, err := e.h.Download(e.ctx, tallyURL, tallyHash)
	require.NoError(t, err)
	rep, err := eotest.Check(tgz, "g1", e.c.Names, votes.Want)
	require.NoError(t, err)
	require.True(t, rep.Valid())
	f, err := record.ReadTarGz(bytes.NewReader(tgz))
	require.NoError(t, err)
	for q := range 2 {
		var excl []map[string]any
		require.NoError(t, json.Unmarshal(f[fmt.Sprintf("q%d/excluded.json", q)], &excl))
		require.Len(t, excl, 3)
		require.Equal(t, "malformed", excl[0]["reason"])
		require.Equal(t, "empty line", excl[1]["reason"])
		require.Equal(t, ballot.ReasonDuplicate, excl[2]["reason"])
		require.EqualValues(t, 33, excl[2]["line"])
	}
	// Every authority wrote the same tally.tar.gz.
	for _, d := range e.c.Dirs {
		b, err := os.ReadFile(filepath.Join(d, orchestra.ElectionsDir, "g1", "tally.tar.gz"))
		require.NoError(t, err)
		require.Equal(t, tgz, b)
	}
}

func TestUntrustedClientRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	dir := t.TempDir()
	stranger, err := peers.InitIdentity(dir, peers.InitOptions{Hostname: "stranger", IPAddress: "127.0.0.1", Port: 1})
	require.NoError(t, err)
	st, err := stranger.OpenStore()
	require.NoError(t, err)
	id, err := peers.LoadIdentity(e.c.Dirs[0])
	require.NoError(t, err)
	p, err := id.Package(false)
	require.NoError(t, err)
	_, err = st.Install(p, false)
	require.NoError(t, err)
	c := peers.NewAnyPeerHTTPClient(stranger, st)
	_, err = c.Post(fmt.Sprintf("https://127.0.0.1:%d/public_api/election", id.Config.Port), "application/json", strings.NewReader("{}"))
	require.Error(t, err, "the handshake fails: the stranger is not installed")
}

func TestConfigStrict(t *testing.T) {
	t.Parallel()
	_, err := orchestra.ParseConfig([]byte(`{"log_level":"info","bogus":1}`))
	require.ErrorContains(t, err, "bogus")
	_, err = orchestra.ParseConfig([]byte(`{"step_timeout":"-1s"}`))
	require.Error(t, err)
	_, err = orchestra.ParseConfig([]byte(`{"step_timeout":5}`))
	require.Error(t, err)
	_, err = orchestra.ParseConfig([]byte(`{} {}`))
	require.Error(t, err)
	_, err = orchestra.ParseConfig([]byte(`{"log_level":"loud"}`))
	require.Error(t, err)
	c, err := orchestra.ParseConfig([]byte(`{"step_timeout":"90s","max_votes_bytes":1000}`))
	require.NoError(t, err)
	require.Equal(t, orchestra.Duration(90*time.Second), c.StepTimeout)
	c, err = orchestra.LoadConfig(filepath.Join(t.TempDir(), "missing.json"))
	require.NoError(t, err)
	require.Equal(t, orchestra.Config{}, *c)
}

// Elections run independently: two at once, each with its own tally, and
// the metrics count them.
func TestConcurrentElectionsAndMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3)
	errs := make(chan error, 2)
	for _, id := range []string{"c1", "c2"} {
		go func() {
			pks, err := e.h.Create(e.ctx, id, e.c.Names, 2, 1)
			if err != nil {
				errs <- err
				return
			}
			votes, err := eotest.Encrypt(id, pks, 200, 5)
			if err != nil {
				errs <- err
				return
			}
			url, hash, err := e.h.Tally(e.ctx, id, votes.File)
			if err != nil {
				errs <- err
				return
			}
			tgz, err := e.h.Download(e.ctx, url, hash)
			if err == nil {
				_, err = eotest.Check(tgz, id, e.c.Names, votes.Want)
			}
			errs <- err
		}()
	}
	require.NoError(t, <-errs)
	require.NoError(t, <-errs)

	id, st, err := peers.Open(e.c.Dirs[0])
	require.NoError(t, err)
	resp, err := peers.NewAnyPeerHTTPClient(id, st).Get(fmt.Sprintf("https://127.0.0.1:%d/metrics", id.Config.Port))
	require.NoError(t, err)
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	m := body.String()
	require.Contains(t, m, `eo_sessions_started_total{kind="tally"} 2`)
	require.Contains(t, m, `eo_sessions_ended_total{status="tallied"} 2`)
	require.Contains(t, m, `eo_phase_seconds_count{phase="mix"} 2`)
	require.Contains(t, m, `eo_messages_received_total{peer="local-a2",type="tally-msg"}`)
}
