package peers

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// serveHTTPS starts b's HTTPS API on 127.0.0.1 and returns its URL.
func serveHTTPS(t *testing.T, b *authority) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := NewHTTPServer("", b.id, b.store, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, ok := PeerFromContext(r.Context())
		if !ok {
			http.Error(w, "no peer", 500)
			return
		}
		fmt.Fprintf(w, "hello %s over %s", peer, r.Proto)
	}))
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go srv.ServeTLS(l, "", "")
	t.Cleanup(func() { srv.Close() })
	return "https://" + l.Addr().String() + "/"
}

func get(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func TestHTTPSPinned(t *testing.T) {
	a, b := newAuthority(t, "a"), newAuthority(t, "b")
	mutualTrust(t, a, b)
	url := serveHTTPS(t, b)

	c := NewHTTPClient(a.id, a.store, "b")
	code, body, err := get(c, url)
	require.NoError(t, err)
	require.Equal(t, 200, code)
	require.Equal(t, "hello a over HTTP/2.0", body)

	// Pinning by fingerprint alone, as for the web server.
	pc := NewPinnedHTTPClient(a.id, b.id.Fingerprint(), "b")
	code, _, err = get(pc, url)
	require.NoError(t, err)
	require.Equal(t, 200, code)
	_, _, err = get(NewPinnedHTTPClient(a.id, a.id.Fingerprint(), "b"), url)
	require.ErrorIs(t, err, ErrUntrusted)

	// An ordinary client that trusts system CAs cannot talk to b, nor can
	// one that skips verification but has no client certificate.
	_, _, err = get(http.DefaultClient, url)
	require.Error(t, err)
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	_, _, err = get(insecure, url)
	require.Error(t, err)

	// The operator uninstalls a on b: a's kept-alive connection is refused
	// at its next request.
	_, err = b.store.Uninstall("a")
	require.NoError(t, err)
	code, _, err = get(c, url)
	if err == nil {
		require.Equal(t, http.StatusForbidden, code)
	}
	// A new connection fails the handshake.
	_, _, err = get(NewHTTPClient(a.id, a.store, "b"), url)
	require.Error(t, err)
}

func TestHTTPSUnknownServer(t *testing.T) {
	a, b := newAuthority(t, "a"), newAuthority(t, "b")
	b.trust(t, a)
	url := serveHTTPS(t, b)
	// a has not installed b.
	_, _, err := get(NewHTTPClient(a.id, a.store, "b"), url)
	require.ErrorIs(t, err, ErrNotInstalled)
	// a has installed another certificate for b.
	other := newIdentity(t, "b", 1)
	op, err := other.Package(false)
	require.NoError(t, err)
	_, err = a.store.Install(op, false)
	require.NoError(t, err)
	_, _, err = get(NewHTTPClient(a.id, a.store, "b"), url)
	require.ErrorIs(t, err, ErrUntrusted)
}

func TestRequirePeerWithoutTLS(t *testing.T) {
	a := newAuthority(t, "a")
	h := RequirePeer(a.store, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Fatal("served") }))
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, &http.Request{})
	require.Equal(t, http.StatusForbidden, rec.code)
}

type recorder struct {
	header http.Header
	code   int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(c int)           { r.code = c }

func TestSelfTrustAndAnyPeerClient(t *testing.T) {
	dir := t.TempDir()
	a, err := InitIdentity(filepath.Join(dir, "a"), InitOptions{Hostname: "prod-a1", IPAddress: "127.0.0.1", Port: 5000})
	require.NoError(t, err)
	b, err := InitIdentity(filepath.Join(dir, "b"), InitOptions{Hostname: "prod-a2", IPAddress: "127.0.0.1", Port: 5000})
	require.NoError(t, err)
	sa, err := a.OpenStore()
	require.NoError(t, err)
	sb, err := b.OpenStore()
	require.NoError(t, err)

	// An authority trusts its own certificate, without listing it.
	host, ok := sa.Lookup(a.Fingerprint())
	require.True(t, ok)
	require.Equal(t, "prod-a1", host)
	require.True(t, sa.Trusted("PROD-A1", a.Fingerprint()))
	require.False(t, sa.Trusted("prod-a1", b.Fingerprint()))
	list, err := sa.List()
	require.NoError(t, err)
	require.Empty(t, list)
	_, ok = sa.Lookup(b.Fingerprint())
	require.False(t, ok)

	// a serves; a client with a's own identity gets in, b's does not until
	// installed; b's any-peer client accepts a only once a is installed.
	srv := httptest.NewUnstartedServer(RequirePeer(sa, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, _ := PeerFromContext(r.Context())
		io.WriteString(w, h)
	})))
	srv.TLS = ServerTLSConfig(a, sa, HTTPSProtocols...)
	srv.StartTLS()
	defer srv.Close()
	get := func(c *http.Client) (string, error) {
		resp, err := c.Get(srv.URL)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body), nil
	}
	got, err := get(NewAnyPeerHTTPClient(a, sa))
	require.NoError(t, err)
	require.Equal(t, "prod-a1", got)

	_, err = get(NewAnyPeerHTTPClient(b, sb))
	require.Error(t, err, "b has not installed a")
	pa, err := a.Package(false)
	require.NoError(t, err)
	_, err = sb.Install(pa, false)
	require.NoError(t, err)
	_, err = get(NewAnyPeerHTTPClient(b, sb))
	require.Error(t, err, "a has not installed b")
	pb, err := b.Package(false)
	require.NoError(t, err)
	_, err = sa.Install(pb, false)
	require.NoError(t, err)
	got, err = get(NewAnyPeerHTTPClient(b, sb))
	require.NoError(t, err)
	require.Equal(t, "prod-a2", got)
}
