package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/peers"
)

// TestRoles: the role of an identity (--init --role) goes into its package
// (--show-mine); --install takes the package's role, or --role's; the role
// shows in --install's output, --list and --show; a role change needs
// --force.
func TestRoles(t *testing.T) {
	tmp := t.TempDir()
	a1, a2, s1 := filepath.Join(tmp, "a1"), filepath.Join(tmp, "a2"), filepath.Join(tmp, "s1")
	initAuthority(t, a1, "prod-a1")
	initAuthority(t, a2, "prod-a2")
	out := ok(t, eopeers(t, "", "--dir", s1, "--init", "--hostname", "prod-s1", "--ip", "127.0.0.1", "--port", "443", "--role", "webserver"))
	require.Contains(t, out, "initialized prod-s1 (webserver)")

	pkgS1 := ok(t, eopeers(t, "", "--dir", s1, "--show-mine"))
	require.Contains(t, pkgS1, `"role":"webserver"}`)
	pkgA2 := ok(t, eopeers(t, "", "--dir", a2, "--show-mine"))
	require.Contains(t, pkgA2, `"role":"authority"}`)
	fp := regexp.MustCompile(`sha256:[0-9a-f]{64}`)

	out = ok(t, eopeers(t, pkgS1, "--dir", a1, "--install", "-"))
	require.Regexp(t, `^installed prod-s1 as webserver, certificate sha256:[0-9a-f]{64}\n$`, out)
	out = ok(t, eopeers(t, pkgA2, "--dir", a1, "--install", "-"))
	require.Regexp(t, `^installed prod-a2 as authority, certificate sha256:[0-9a-f]{64}\n$`, out)

	list := ok(t, eopeers(t, "", "--dir", a1, "--list"))
	require.Regexp(t, `^prod-a2 +authority +127\.0\.0\.1 +5000 +5000 +sha256:[0-9a-f]{64}\nprod-s1 +webserver +127\.0\.0\.1 +443 +443 +sha256:[0-9a-f]{64}\n$`, list)
	require.Equal(t, pkgS1, ok(t, eopeers(t, "", "--dir", a1, "--show", "prod-s1")))

	// A web server initialized without --role (so its package says
	// authority), installed as a web server with --role: the output says
	// that --role overrode the package.
	s2 := filepath.Join(tmp, "s2")
	initAuthority(t, s2, "prod-s2")
	pkgS2 := ok(t, eopeers(t, "", "--dir", s2, "--show-mine"))
	out = ok(t, eopeers(t, pkgS2, "--dir", a1, "--install", "--role", "webserver", "-"))
	require.Regexp(t, `^installed prod-s2 as webserver \(--role overrides the package's authority\), certificate sha256:[0-9a-f]{64}\n$`, out)
	require.Contains(t, ok(t, eopeers(t, "", "--dir", a1, "--show", "prod-s2")), `"role":"webserver"}`)

	// The same package again without --role would make it an authority:
	// refused, with the two ways out.
	r := eopeers(t, pkgS2, "--dir", a1, "--install", "-")
	fails(t, r, 1, "prod-s2 is installed as webserver, the package would make it authority; use --force to change its role, or --role webserver to keep it")
	out = ok(t, eopeers(t, pkgS2, "--dir", a1, "--install", "--role", "webserver", "-"))
	require.Contains(t, out, "prod-s2 is already installed with this package, as webserver (--role overrides the package's authority)")
	out = ok(t, eopeers(t, pkgS2, "--dir", a1, "--install", "--force", "-"))
	require.Equal(t, "updated prod-s2: role webserver is now authority, certificate unchanged "+fp.FindString(out)+"\n", out)
	store, err := peers.OpenStore(filepath.Join(a1, peers.PeersDir))
	require.NoError(t, err)
	role, err := store.Role("prod-s2")
	require.NoError(t, err)
	require.Equal(t, peers.RoleAuthority, role)

	// A package of the old eopeers (no role) installs as an authority, and
	// --show shows the role.
	s3 := filepath.Join(tmp, "s3")
	initAuthority(t, s3, "prod-s3")
	legacy := strings.Replace(ok(t, eopeers(t, "", "--dir", s3, "--show-mine")), `,"role":"authority"`, "", 1)
	require.NotContains(t, legacy, "role")
	require.Contains(t, ok(t, eopeers(t, legacy, "--dir", a1, "--install", "-")), "installed prod-s3 as authority")
	// A store file written by the old eopeers, without a role.
	require.NoError(t, os.WriteFile(filepath.Join(a1, peers.PeersDir, "prod-s3.pkg"), []byte(legacy), 0o644))
	require.Contains(t, ok(t, eopeers(t, "", "--dir", a1, "--show", "prod-s3")), `"role":"authority"}`)
	require.Regexp(t, `(?m)^prod-s3 +authority `, ok(t, eopeers(t, "", "--dir", a1, "--list")))

	// A bad role in a package names the field.
	bad := strings.Replace(pkgS1, `"role":"webserver"`, `"role":"owner"`, 1)
	fails(t, eopeers(t, bad, "--dir", a2, "--install", "-"), 1, `invalid package: role "owner" is not "authority" or "webserver"`)
	fails(t, eopeers(t, "", "--dir", filepath.Join(tmp, "x"), "--init", "--hostname", "x", "--ip", "127.0.0.1", "--role", "admin"), 2, `--role is "authority" or "webserver", not "admin"`)
}

// TestRemoveAlias: --remove is --uninstall, as the old guide says.
func TestRemoveAlias(t *testing.T) {
	tmp := t.TempDir()
	a1, a2 := filepath.Join(tmp, "a1"), filepath.Join(tmp, "a2")
	initAuthority(t, a1, "prod-a1")
	initAuthority(t, a2, "prod-a2")
	ok(t, eopeers(t, ok(t, eopeers(t, "", "--dir", a2, "--show-mine")), "--dir", a1, "--install", "-"))
	out := ok(t, eopeers(t, "", "--dir", a1, "--remove", "PROD-A2"))
	require.Regexp(t, `^uninstalled prod-a2 \(authority\), certificate sha256:[0-9a-f]{64} is no longer trusted\n$`, out)
	require.Empty(t, ok(t, eopeers(t, "", "--dir", a1, "--list")))
	fails(t, eopeers(t, "", "--dir", a1, "--remove", "prod-a2"), 1, "prod-a2 is not installed")
	fails(t, eopeers(t, "", "--dir", a1, "--remove"), 2, "--uninstall needs at least one host name")
	fails(t, eopeers(t, "", "--dir", a1, "--remove", "--list"), 2, "give exactly one of")
	require.Contains(t, eopeers(t, "", "--help").stdout, "--remove")
}
