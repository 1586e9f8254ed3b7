package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/internal/testctx"
	"github.com/eo-mixnet/eo/peers"
)

func TestMain(m *testing.M) {
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	os.Exit(m.Run())
}

type result struct {
	code           int
	stdout, stderr string
}

// eopeers runs the command in-process with EO_DIR unset.
func eopeers(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb, func(string) string { return "" })
	r := result{code, out.String(), errb.String()}
	if code != 0 {
		// Errors are one line, prefixed, lower case, no final period.
		require.Regexp(t, `^eopeers: [^A-Z\n][^\n]*[^.\n]\n$`, r.stderr, "args %q", args)
	}
	return r
}

func ok(t *testing.T, r result) string {
	t.Helper()
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.Empty(t, r.stderr)
	return r.stdout
}

func fails(t *testing.T, r result, code int, want string) {
	t.Helper()
	require.Equal(t, code, r.code, "stdout %q stderr %q", r.stdout, r.stderr)
	require.Contains(t, r.stderr, want)
}

func initAuthority(t *testing.T, dir, host string, extra ...string) {
	t.Helper()
	args := append([]string{"--dir", dir, "--init", "--hostname", host, "--ip", "127.0.0.1"}, extra...)
	out := ok(t, eopeers(t, "", args...))
	require.Regexp(t, `^initialized `+host+` \((authority|webserver)\) in .*, certificate sha256:[0-9a-f]{64}\n$`, out)
}

func TestDeploymentSequence(t *testing.T) {
	tmp := t.TempDir()
	a1, a2 := filepath.Join(tmp, "a1"), filepath.Join(tmp, "a2")
	initAuthority(t, a1, "prod-a1", "--private-ip", "10.0.0.1")
	initAuthority(t, a2, "prod-a2", "--port", "5001", "--quic-port", "6001")

	pkg1 := ok(t, eopeers(t, "", "--dir", a1, "--show-mine"))
	pkg2 := ok(t, eopeers(t, "", "--dir", a2, "--show-mine"))
	require.Equal(t, 1, strings.Count(pkg1, "\n"), "one line")
	require.Contains(t, pkg2, `"port":5001,"version":2,"quic_port":6001,"role":"authority"}`)
	f1, f2 := filepath.Join(tmp, "prod-a1.pkg"), filepath.Join(tmp, "prod-a2.pkg")
	require.NoError(t, os.WriteFile(f1, []byte(pkg1), 0o644))
	require.NoError(t, os.WriteFile(f2, []byte(pkg2), 0o644))

	priv := ok(t, eopeers(t, "", "--dir", a1, "--show-mine", "--private-ip"))
	require.Contains(t, priv, `"ip_address":"10.0.0.1"`)
	fails(t, eopeers(t, "", "--dir", a2, "--show-mine", "--private-ip"), 1, "no private ip address")

	require.Regexp(t, `^installed prod-a2 as authority, certificate sha256:[0-9a-f]{64}\n$`, ok(t, eopeers(t, "", "--dir", a1, "--install", f2)))
	require.Contains(t, ok(t, eopeers(t, "", "--dir", a2, "--install", f1)), "installed prod-a1")
	require.Contains(t, ok(t, eopeers(t, "", "--dir", a2, "--install", f1)), "already installed")

	list := ok(t, eopeers(t, "", "--dir", a1, "--list"))
	require.Regexp(t, `^prod-a2 +authority +127\.0\.0\.1 +5001 +6001 +sha256:[0-9a-f]{64}\n$`, list)
	require.Equal(t, pkg2, ok(t, eopeers(t, "", "--dir", a1, "--show", "prod-a2")))
	require.Equal(t, pkg2, ok(t, eopeers(t, "", "--dir", a1, "--show", "PROD-A2")))

	require.Contains(t, ok(t, eopeers(t, "", "--dir", a1, "--uninstall", "prod-a2")), "uninstalled prod-a2")
	require.Empty(t, ok(t, eopeers(t, "", "--dir", a1, "--list")))
	fails(t, eopeers(t, "", "--dir", a1, "--show", "prod-a2"), 1, "prod-a2 is not installed")
	fails(t, eopeers(t, "", "--dir", a1, "--uninstall", "prod-a2"), 1, "prod-a2 is not installed")
	// --remove, as the old guide says.
	ok(t, eopeers(t, "", "--dir", a2, "--remove", "prod-a1"))
	require.Empty(t, ok(t, eopeers(t, "", "--dir", a2, "--list")))

	// Standard input.
	require.Contains(t, ok(t, eopeers(t, pkg2, "--dir", a1, "--install", "-")), "installed prod-a2")
}

func TestEODirAndDefault(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "eo")
	var out, errb bytes.Buffer
	env := func(k string) string {
		if k == "EO_DIR" {
			return dir
		}
		return ""
	}
	code := run([]string{"--init", "--hostname", "h", "--ip", "127.0.0.1"}, nil, &out, &errb, env)
	require.Equal(t, 0, code, errb.String())
	_, err := os.Stat(filepath.Join(dir, peers.KeyFile))
	require.NoError(t, err)
	// Without EO_DIR and --dir, the directory is /etc/eo.
	r := eopeers(t, "", "--list")
	if r.code != 0 {
		require.Contains(t, r.stderr, "/etc/eo")
	}
}

func TestReinstallAndForce(t *testing.T) {
	tmp := t.TempDir()
	a1, a2, fake := filepath.Join(tmp, "a1"), filepath.Join(tmp, "a2"), filepath.Join(tmp, "fake")
	initAuthority(t, a1, "prod-a1")
	initAuthority(t, a2, "prod-a2")
	initAuthority(t, fake, "prod-a2") // another machine claiming to be prod-a2
	real := ok(t, eopeers(t, "", "--dir", a2, "--show-mine"))
	impostor := ok(t, eopeers(t, "", "--dir", fake, "--show-mine"))
	ok(t, eopeers(t, real, "--dir", a1, "--install", "-"))

	r := eopeers(t, impostor, "--dir", a1, "--install", "-")
	fails(t, r, 1, "prod-a2 is installed with a different certificate")
	require.Contains(t, r.stderr, "use --force")
	require.Equal(t, real, ok(t, eopeers(t, "", "--dir", a1, "--show", "prod-a2")), "the old package stays")

	out := ok(t, eopeers(t, impostor, "--dir", a1, "--install", "--force", "-"))
	require.Regexp(t, `^replaced prod-a2 as authority: certificate sha256:\w+ is no longer trusted, sha256:\w+ is\n$`, out)
	require.Equal(t, impostor, ok(t, eopeers(t, "", "--dir", a1, "--show", "prod-a2")))
	// Only one certificate is trusted for prod-a2: the list has one line.
	require.Equal(t, 1, strings.Count(ok(t, eopeers(t, "", "--dir", a1, "--list")), "\n"))

	// Own package.
	own := ok(t, eopeers(t, "", "--dir", a1, "--show-mine"))
	fails(t, eopeers(t, own, "--dir", a1, "--install", "-"), 1, "this authority itself")
}

func TestInstallErrors(t *testing.T) {
	tmp := t.TempDir()
	a1, a2 := filepath.Join(tmp, "a1"), filepath.Join(tmp, "a2")
	initAuthority(t, a1, "prod-a1")
	initAuthority(t, a2, "prod-a2")
	good := strings.TrimSpace(ok(t, eopeers(t, "", "--dir", a2, "--show-mine")))
	write := func(name, content string) string {
		p := filepath.Join(tmp, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	goodFile := write("good.pkg", good)
	cases := []struct{ name, content, want string }{
		{"bad-json.pkg", `{"hostname": "prod-a2",`, "bad-json.pkg: invalid package: not JSON"},
		{"empty.pkg", "\n", "empty.pkg: empty file"},
		{"huge.pkg", strings.Replace(good, `"prod-a2"`, `"`+strings.Repeat("a", 70000)+`"`, 1), "more than the limit of 65536"},
		{"huge-host.pkg", strings.Replace(good, `"hostname":"prod-a2"`, `"hostname":"`+strings.Repeat("a", 300)+`"`, 1), `field "hostname" is longer than 253`},
		{"bad-pem.pkg", regexp.MustCompile(`"ssl_certificate":"[^"]*"`).ReplaceAllString(good, `"ssl_certificate":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"`), "not an X.509 certificate"},
		{"no-pem.pkg", regexp.MustCompile(`"ssl_certificate":"[^"]*"`).ReplaceAllString(good, `"ssl_certificate":"hello"`), "ssl_certificate: no PEM block"},
		{"v1.pkg", strings.Replace(good, `"version":2`, `"version":1`, 1), "version 1 is an election-orchestra package"},
		{"v9.pkg", strings.Replace(good, `"version":2`, `"version":9`, 1), "version 9 is newer"},
		{"port.pkg", strings.Replace(good, `"port":5000`, `"port":0`, 1), "port 0 is out of range"},
		{"host.pkg", strings.Replace(good, `"hostname":"prod-a2"`, `"hostname":"prod-a3"`, 1), `not for hostname "prod-a3"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := write(c.name, c.content)
			// A bad file among good ones installs nothing.
			fails(t, eopeers(t, "", "--dir", a1, "--install", goodFile, f), 1, c.want)
			require.Empty(t, ok(t, eopeers(t, "", "--dir", a1, "--list")))
		})
	}
	fails(t, eopeers(t, "", "--dir", a1, "--install", filepath.Join(tmp, "missing.pkg")), 1, "missing.pkg: no such file or directory")
}

func TestUsageErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a")
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "give exactly one of"},
		{[]string{"--list", "--show", "x"}, "give exactly one of"},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"--init"}, "--init needs --hostname and --ip"},
		{[]string{"--init", "--hostname", "h", "--ip", "127.0.0.1", "extra"}, `unexpected argument "extra"`},
		{[]string{"--init", "--hostname", "h", "--ip", "127.0.0.1", "--private-ip"}, "--private-ip needs an address"},
		{[]string{"--install"}, "--install needs at least one file"},
		{[]string{"--uninstall"}, "--uninstall needs at least one host name"},
		{[]string{"--show"}, "--show needs one host name"},
		{[]string{"--list", "--force"}, "--force goes with --install"},
		{[]string{"--list", "--private-ip=1.2.3.4"}, "--private-ip takes no value"},
		{[]string{"--port", "x", "--list"}, "invalid argument"},
		{[]string{"--list", "--role", "webserver"}, "--role goes with --init or --install"},
		{[]string{"--install", "--role", "owner", "f"}, `--role is "authority" or "webserver", not "owner"`},
		{[]string{"--list", "--keystore", "k.jks"}, "--keystore goes with --install or --uninstall"},
		{[]string{"--install", "--keystore-password-file", "pw", "f"}, "--keystore-password-file goes with --keystore"},
	} {
		fails(t, eopeers(t, "", append([]string{"--dir", dir}, c.args...)...), 2, c.want)
	}
	r := eopeers(t, "", "--help")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "--uninstall")
}

func TestInitErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a")
	fails(t, eopeers(t, "", "--dir", dir, "--init", "--hostname", "bad_name", "--ip", "127.0.0.1"), 1, `hostname "bad_name" contains "_"`)
	fails(t, eopeers(t, "", "--dir", dir, "--init", "--hostname", "h", "--ip", "nope"), 1, `ip address "nope" is not an IP address`)
	fails(t, eopeers(t, "", "--dir", dir, "--init", "--hostname", "h", "--ip", "127.0.0.1", "--port", "70000"), 1, "port 70000 is out of range")
	initAuthority(t, dir, "h", "--private-ip=10.1.1.1")
	fails(t, eopeers(t, "", "--dir", dir, "--init", "--hostname", "h", "--ip", "127.0.0.1"), 1, "already initialized")
	fails(t, eopeers(t, "", "--dir", filepath.Join(dir, "nope"), "--list"), 1, "no config.json (run eopeers --init)")

	require.NoError(t, os.Chmod(filepath.Join(dir, peers.KeyFile), 0o640))
	fails(t, eopeers(t, "", "--dir", dir, "--show-mine"), 1, "readable by others")
}

// TestDaemonSeesChanges: a running endpoint sees eopeers' installs and
// uninstalls without a restart, and an uninstall cuts the open connection.
func TestDaemonSeesChanges(t *testing.T) {
	tmp := t.TempDir()
	type auth struct {
		dir  string
		conn net.PacketConn
		ep   *peers.Endpoint
	}
	mk := func(host string) *auth {
		conn, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		a := &auth{dir: filepath.Join(tmp, host), conn: conn}
		initAuthority(t, a.dir, host, "--quic-port", fmt.Sprint(conn.LocalAddr().(*net.UDPAddr).Port))
		return a
	}
	a1, a2 := mk("prod-a1"), mk("prod-a2")
	for _, a := range []*auth{a1, a2} {
		id, err := peers.LoadIdentity(a.dir)
		require.NoError(t, err)
		store, err := id.OpenStore()
		require.NoError(t, err)
		a.ep, err = peers.Listen(peers.EndpointConfig{Identity: id, Store: store, PacketConn: a.conn, PollInterval: 20 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { a.ep.Close() })
	}
	ctx := testctx.Context(t)
	hello := peers.Message{Type: 1, Body: []byte("hello")}
	require.ErrorIs(t, a1.ep.Send(ctx, "prod-a2", hello), peers.ErrNotInstalled)

	p1 := ok(t, eopeers(t, "", "--dir", a1.dir, "--show-mine"))
	p2 := ok(t, eopeers(t, "", "--dir", a2.dir, "--show-mine"))
	ok(t, eopeers(t, p2, "--dir", a1.dir, "--install", "-"))
	ok(t, eopeers(t, p1, "--dir", a2.dir, "--install", "-"))

	require.NoError(t, a1.ep.Send(ctx, "prod-a2", hello), "installed without restart")
	from, msg, err := a2.ep.Receive(ctx)
	require.NoError(t, err)
	require.Equal(t, "prod-a1", from)
	require.Equal(t, "hello", string(msg.Body))

	ok(t, eopeers(t, "", "--dir", a2.dir, "--uninstall", "prod-a1"))
	require.Eventually(t, func() bool { return len(a1.ep.Peers()) == 0 }, 5*time.Second, 10*time.Millisecond, "connection cut")
	require.Error(t, a1.ep.Send(ctx, "prod-a2", hello))
}

// TestBinary builds eopeers and runs the operator sequence of the
// deployment guide with two directories on this machine.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "eopeers")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	sh := func(dir string, args ...string) (string, string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "EO_DIR="+dir)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return o.String(), e.String(), code
	}
	must := func(dir string, args ...string) string {
		o, e, code := sh(dir, args...)
		require.Equal(t, 0, code, e)
		return o
	}
	a1, a2 := filepath.Join(tmp, "a1"), filepath.Join(tmp, "a2")
	must(a1, "--init", "--hostname", "prod-a1", "--ip", "127.0.0.1")
	must(a2, "--init", "--hostname", "prod-a2", "--ip", "127.0.0.1", "--port", "5001")
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "prod-a1.pkg"), []byte(must(a1, "--show-mine")), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "prod-a2.pkg"), []byte(must(a2, "--show-mine")), 0o644))
	must(a1, "--install", "prod-a2.pkg")
	must(a2, "--install", "prod-a1.pkg")
	require.Contains(t, must(a1, "--list"), "prod-a2")
	require.Contains(t, must(a2, "--show", "prod-a1"), `"hostname":"prod-a1"`)
	must(a1, "--uninstall", "prod-a2")
	_, e, code := sh(a1, "--show", "prod-a2")
	require.Equal(t, 1, code)
	require.Equal(t, "eopeers: prod-a2 is not installed\n", e)
	_, e, code = sh(a1, "--frobnicate")
	require.Equal(t, 2, code)
	require.Equal(t, "eopeers: unknown flag: --frobnicate\n", e)
}
