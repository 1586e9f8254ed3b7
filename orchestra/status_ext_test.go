package orchestra_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eotest"
	"github.com/eo-mixnet/eo/orchestra"
	"github.com/eo-mixnet/eo/peers"
)

func get(t *testing.T, c *http.Client, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b), resp.Header
}

// The status page, on status_listen and through the HTTPS API: an
// election's state, its record, the peers; the API serves it to this
// authority's operator and web servers only.
func TestStatusPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	pks, err := e.h.Create(e.ctx, "st-1", e.c.Names, 2, 2)
	require.NoError(t, err)
	votes, err := eotest.Encrypt("st-1", pks, 20, 3)
	require.NoError(t, err)
	_, _, err = e.h.Tally(e.ctx, "st-1", votes.File)
	require.NoError(t, err)

	url := e.c.StatusURL(1)
	require.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), url)
	code, body, hdr := get(t, http.DefaultClient, strings.TrimSuffix(url, "/status")+"/status.json")
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, "application/json", hdr.Get("Content-Type"))
	var r orchestra.StatusReport
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	require.Equal(t, "local-a1", r.Authority)
	require.Len(t, r.Elections, 1)
	el := r.Elections[0]
	require.Equal(t, "st-1", el.ID)
	require.Equal(t, "tallied", el.Status)
	require.Equal(t, []string{"local-a1", "local-a2"}, el.Authorities)
	require.Len(t, el.Questions, 2)
	require.Equal(t, "/public_data/st-1/tally.tar.gz", el.Record)
	var names []string
	for _, p := range el.Phases { // every phase ended, none left hanging
		names = append(names, p.Name)
		require.NotNil(t, p.Finished, "phase %s", p.Name)
		require.Equal(t, p.Total, p.Done, "phase %s", p.Name)
	}
	require.Subset(t, names, []string{"keygen", "validate", "mix", "decrypt"})
	require.Len(t, r.Peers, 1)
	require.Equal(t, "local-a2", r.Peers[0].Name)
	require.NotNil(t, r.Peers[0].LastSeen, "a message came from local-a2")

	code, html, hdr := get(t, http.DefaultClient, url)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, hdr.Get("Content-Security-Policy"), "script-src 'self'")
	for _, want := range []string{`data-election="st-1"`, `data-status="tallied"`, `href="/public_data/st-1/tally.tar.gz"`, `data-peer="local-a2"`, `<script src="status.js">`} {
		require.Contains(t, html, want)
	}
	code, js, _ := get(t, http.DefaultClient, strings.TrimSuffix(url, "/status")+"/status.js")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, js, "setInterval")
	code, _, _ = get(t, http.DefaultClient, strings.TrimSuffix(url, "/status")+"/public_data/st-1/tally.tar.gz")
	require.Equal(t, http.StatusOK, code)

	// Through the HTTPS API: this authority's own certificate (its
	// operator) may read it, another authority may not.
	for i, want := range []int{http.StatusOK, http.StatusForbidden} {
		id, st, err := peers.Open(e.c.Dirs[i])
		require.NoError(t, err)
		a1, err := peers.LoadIdentity(e.c.Dirs[0])
		require.NoError(t, err)
		code, body, _ := get(t, peers.NewAnyPeerHTTPClient(id, st), fmt.Sprintf("https://127.0.0.1:%d/status.json", a1.Config.Port))
		require.Equal(t, want, code, body)
	}
}

func TestStatusListenOff(t *testing.T) {
	t.Parallel()
	e := newEnvConfig(t, 1, &orchestra.Config{StatusListen: "off"})
	require.Empty(t, e.c.StatusURL(1))
	_, err := orchestra.ParseConfig([]byte(`{"status_listen":"nonsense"}`))
	require.ErrorContains(t, err, "status_listen")
	c, err := orchestra.ParseConfig([]byte(`{"status_listen":"127.0.0.1:9100"}`))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9100", c.StatusListen)
}
