package peers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eo-mixnet/eo/internal/testctx"

	"github.com/stretchr/testify/require"
)

func TestParseRole(t *testing.T) {
	for _, r := range []Role{RoleAuthority, RoleWebServer} {
		got, err := ParseRole(string(r))
		require.NoError(t, err)
		require.Equal(t, r, got)
	}
	require.Equal(t, Role("authority"), RoleAuthority)
	require.Equal(t, Role("webserver"), RoleWebServer)
	for _, bad := range []string{"", "Authority", "web-server", "web server", "owner", "authority "} {
		_, err := ParseRole(bad)
		require.ErrorContains(t, err, `is not "authority" or "webserver"`, "%q", bad)
	}
}

func TestPackageRole(t *testing.T) {
	data, id := validPackageJSON(t)
	require.Contains(t, string(data), `"quic_port":5000,"role":"authority"}`, "Identity.Package writes the role after quic_port")
	p, err := ParsePackage(data, time.Now())
	require.NoError(t, err)
	require.Equal(t, RoleAuthority, p.Role)
	require.Equal(t, data, p.Marshal())

	// Without a role (the old eopeers): an authority, and the canonical
	// form stays without one.
	legacy := bytes.Replace(data, []byte(`,"role":"authority"`), nil, 1)
	p, err = ParsePackage(legacy, time.Now())
	require.NoError(t, err)
	require.Equal(t, Role(""), p.Role)
	require.Equal(t, RoleAuthority, p.EffectiveRole())
	require.Equal(t, legacy, p.Marshal())

	// A web server's package, the role anywhere among the fields, and
	// unknown fields kept after it.
	web := fmt.Sprintf(`{"role":"webserver","ssl_certificate":%q,"hostname":"prod-a1","port":443,"version":2,"zone":"eu"}`, id.CertificatePEM)
	p, err = ParsePackage([]byte(web), time.Now())
	require.NoError(t, err)
	require.Equal(t, RoleWebServer, p.EffectiveRole())
	require.True(t, strings.HasSuffix(string(p.Marshal()), `"port":443,"version":2,"role":"webserver","zone":"eu"}`), "%s", p.Marshal())

	for _, c := range []struct{ role, want string }{
		{`"owner"`, `role "owner" is not "authority" or "webserver"`},
		{`""`, `role "" is not "authority" or "webserver"`},
		{`"Authority"`, `role "Authority" is not`},
		{`1`, `field "role" is not a string`},
		{`null`, `field "role" is not a string`},
		{`"` + strings.Repeat("a", 100) + `"`, `field "role" is longer than 64`},
	} {
		bad := bytes.Replace(data, []byte(`"role":"authority"`), []byte(`"role":`+c.role), 1)
		_, err := ParsePackage(bad, time.Now())
		require.ErrorIs(t, err, ErrInvalidPackage, c.role)
		require.ErrorContains(t, err, c.want)
	}
	dup := bytes.Replace(data, []byte(`"role":"authority"`), []byte(`"role":"authority","role":"webserver"`), 1)
	_, err = ParsePackage(dup, time.Now())
	require.ErrorContains(t, err, `field "role" appears twice`)
}

func TestIdentityRole(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s1")
	id, err := InitIdentity(dir, InitOptions{Hostname: "prod-s1", IPAddress: "127.0.0.1", Port: 443, Role: RoleWebServer})
	require.NoError(t, err)
	require.Equal(t, RoleWebServer, id.Role())
	cfg, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	require.NoError(t, err)
	require.Contains(t, string(cfg), `"role": "webserver"`)
	p, err := id.Package(false)
	require.NoError(t, err)
	require.Equal(t, RoleWebServer, p.Role)

	// A configuration without a role (the first eo) is an authority's.
	var m map[string]any
	require.NoError(t, json.Unmarshal(cfg, &m))
	delete(m, "role")
	old, err := json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ConfigFile), old, 0o644))
	id, err = LoadIdentity(dir)
	require.NoError(t, err)
	require.Equal(t, RoleAuthority, id.Role())

	m["role"] = "admin"
	bad, err := json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ConfigFile), bad, 0o644))
	_, err = LoadIdentity(dir)
	require.ErrorContains(t, err, `role "admin" is not`)

	_, err = InitIdentity(filepath.Join(t.TempDir(), "x"), InitOptions{Hostname: "x", IPAddress: "127.0.0.1", Port: 1, Role: "root"})
	require.ErrorContains(t, err, `role "root" is not`)
	id, err = InitIdentity(filepath.Join(t.TempDir(), "y"), InitOptions{Hostname: "y", IPAddress: "127.0.0.1", Port: 1})
	require.NoError(t, err)
	require.Equal(t, RoleAuthority, id.Config.Role, "the default is written")
}

func TestStoreRoles(t *testing.T) {
	a := newAuthority(t, "prod-a1")
	b := newAuthority(t, "prod-a2")
	s := newIdentity(t, "prod-s1", 443)

	// The package says nothing; the store records "authority".
	pb := b.pkg(t)
	pb.Role = ""
	_, err := a.store.Install(pb, false)
	require.NoError(t, err)
	require.Equal(t, Role(""), pb.Role, "Install leaves its argument alone")
	raw, err := os.ReadFile(filepath.Join(a.store.Dir(), "prod-a2.pkg"))
	require.NoError(t, err)
	require.Contains(t, string(raw), `"role":"authority"`)

	// The package says authority; the installer overrides it.
	ps, err := s.Package(false)
	require.NoError(t, err)
	require.Equal(t, RoleAuthority, ps.Role)
	ps.Role = RoleWebServer
	r, err := a.store.Install(ps, false)
	require.NoError(t, err)
	require.Equal(t, Installed, r)

	role, err := a.store.Role("PROD-S1")
	require.NoError(t, err)
	require.Equal(t, RoleWebServer, role)
	role, err = a.store.Role("prod-a2")
	require.NoError(t, err)
	require.Equal(t, RoleAuthority, role)
	role, err = a.store.Role("prod-a1")
	require.NoError(t, err)
	require.Equal(t, RoleAuthority, role, "the authority itself")
	_, err = a.store.Role("prod-s2")
	require.ErrorIs(t, err, ErrNotInstalled)

	require.True(t, a.store.TrustedAs("prod-s1", s.Fingerprint(), RoleWebServer))
	require.False(t, a.store.TrustedAs("prod-s1", s.Fingerprint(), RoleAuthority))
	require.False(t, a.store.TrustedAs("prod-s1", b.id.Fingerprint(), RoleWebServer), "another certificate")
	require.True(t, a.store.Trusted("prod-s1", s.Fingerprint()), "Trusted: any role")
	require.True(t, a.store.TrustedAs("prod-a2", b.id.Fingerprint(), RoleAuthority))
	require.False(t, a.store.TrustedAs("prod-a2", b.id.Fingerprint(), RoleWebServer))
	require.True(t, a.store.TrustedAs("prod-a1", a.id.Fingerprint(), RoleAuthority), "self")
	require.False(t, a.store.TrustedAs("prod-a1", a.id.Fingerprint(), RoleWebServer), "self")
	host, role, ok := a.store.LookupRole(s.Fingerprint())
	require.True(t, ok)
	require.Equal(t, "prod-s1", host)
	require.Equal(t, RoleWebServer, role)
	_, _, ok = a.store.LookupRole(Fingerprint{})
	require.False(t, ok)

	// The same package again, with the role it was installed under:
	// nothing changes.
	r, err = a.store.Install(ps, false)
	require.NoError(t, err)
	require.Equal(t, Unchanged, r)

	// The package as it came (authority) would change the role: refused
	// unless forced, and the role stays.
	pa, err := s.Package(false)
	require.NoError(t, err)
	_, err = a.store.Install(pa, false)
	require.ErrorIs(t, err, ErrRoleChanged)
	require.ErrorContains(t, err, "prod-s1 is installed as webserver, the package would make it authority; use --force")
	require.True(t, a.store.TrustedAs("prod-s1", s.Fingerprint(), RoleWebServer))
	r, err = a.store.Install(pa, true)
	require.NoError(t, err)
	require.Equal(t, Updated, r)
	require.True(t, a.store.TrustedAs("prod-s1", s.Fingerprint(), RoleAuthority))

	// Another process sees the role in the files.
	other, err := OpenStore(a.store.Dir())
	require.NoError(t, err)
	role, err = other.Role("prod-s1")
	require.NoError(t, err)
	require.Equal(t, RoleAuthority, role)
}

// TestStoreWithoutRoles: a trust store written before roles existed (its
// packages have no "role") reads as authorities, and installing the same
// package again makes the role explicit without changing it.
func TestStoreWithoutRoles(t *testing.T) {
	a := newAuthority(t, "prod-a1")
	b := newAuthority(t, "prod-a2")
	pb := b.pkg(t)
	pb.Role = ""
	require.NoError(t, os.WriteFile(filepath.Join(a.store.Dir(), "prod-a2.pkg"), append(pb.Marshal(), '\n'), 0o644))
	require.NotContains(t, string(pb.Marshal()), "role")
	_, err := a.store.Refresh()
	require.NoError(t, err)
	require.Empty(t, a.store.Problems())
	role, err := a.store.Role("prod-a2")
	require.NoError(t, err)
	require.Equal(t, RoleAuthority, role)
	require.True(t, a.store.TrustedAs("prod-a2", b.id.Fingerprint(), RoleAuthority))

	r, err := a.store.Install(pb, false)
	require.NoError(t, err)
	require.Equal(t, Updated, r)
	raw, err := os.ReadFile(filepath.Join(a.store.Dir(), "prod-a2.pkg"))
	require.NoError(t, err)
	require.Equal(t, append(b.pkg(t).Marshal(), '\n'), raw)
}

// TestRequirePeerRole: RequirePeer lets every installed peer through and
// tells the handler its role.
func TestRequirePeerRole(t *testing.T) {
	a := newAuthority(t, "prod-a1")
	s := newIdentity(t, "prod-s1", 443)
	ps, err := s.Package(false)
	require.NoError(t, err)
	ps.Role = RoleWebServer
	_, err = a.store.Install(ps, false)
	require.NoError(t, err)
	ss, err := s.OpenStore()
	require.NoError(t, err)
	_, err = ss.Install(a.pkg(t), false)
	require.NoError(t, err)

	srv := httptest.NewUnstartedServer(RequirePeer(a.store, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, _ := PeerFromContext(r.Context())
		role, _ := PeerRoleFromContext(r.Context())
		fmt.Fprintf(w, "%s %s", h, role)
	})))
	srv.TLS = ServerTLSConfig(a.id, a.store, HTTPSProtocols...)
	srv.StartTLS()
	defer srv.Close()
	for _, c := range []struct {
		id    *Identity
		store *Store
		want  string
	}{{s, ss, "prod-s1 webserver"}, {a.id, a.store, "prod-a1 authority"}} {
		resp, err := NewAnyPeerHTTPClient(c.id, c.store).Get(srv.URL)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, c.want, string(body))
	}
	_, _, err = a.store.AuthenticateRole(nil)
	require.ErrorIs(t, err, ErrUntrusted)
}

// TestWebServerRefusedByTransport: the QUIC transport is the peer protocol,
// for authorities only. A web server installed on both sides can neither
// connect nor be dialed, and an authority whose role is changed to web
// server is cut.
func TestWebServerRefusedByTransport(t *testing.T) {
	a, b := newAuthority(t, "a"), newAuthority(t, "b")
	// a knows b as a web server; b knows a as an authority.
	pb := b.pkg(t)
	pb.Role = RoleWebServer
	_, err := a.store.Install(pb, false)
	require.NoError(t, err)
	b.trust(t, a)
	a.start(t)
	b.start(t)

	err = a.ep.Send(testctx.Context(t), "b", Message{Type: tmsgHello})
	require.ErrorIs(t, err, ErrWrongRole, "a does not dial a web server")
	require.ErrorContains(t, err, "b is installed with another role: webserver, not authority")
	err = assertRefused(t, b, a)
	require.ErrorContains(t, err, "refused the handshake", "a refuses b's handshake")

	// Made an authority (--force): the two talk.
	pb.Role = RoleAuthority
	_, err = a.store.Install(pb, true)
	require.NoError(t, err)
	require.NoError(t, b.ep.Send(testctx.Context(t), "a", Message{Type: tmsgHello, Body: []byte("hi")}))
	from, msg := recv(t, a.ep)
	require.Equal(t, "b", from)
	require.Equal(t, "hi", string(msg.Body))

	// Made a web server again: the open connection is cut.
	pb.Role = RoleWebServer
	_, err = a.store.Install(pb, true)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(a.ep.Peers()) == 0 && len(b.ep.Peers()) == 0 }, 5*time.Second, 10*time.Millisecond)
	assertRefused(t, b, a)
}
