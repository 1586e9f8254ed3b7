package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/peers"
)

// webServerSetup is a web server's eo directory (role webserver) and the
// packages of two authorities, written to files.
type webServerSetup struct {
	tmp, dir   string
	pkg1, pkg2 string // file names
	der1, der2 []byte // the authorities' certificates
}

func newWebServerSetup(t *testing.T) *webServerSetup {
	t.Helper()
	w := &webServerSetup{tmp: t.TempDir()}
	w.dir = filepath.Join(w.tmp, "s1")
	ok(t, eopeers(t, "", "--dir", w.dir, "--init", "--hostname", "prod-s1", "--ip", "127.0.0.1", "--role", "webserver"))
	for i, host := range []string{"prod-a1", "prod-a2"} {
		dir := filepath.Join(w.tmp, host)
		initAuthority(t, dir, host)
		name := filepath.Join(w.tmp, host+".pkg")
		require.NoError(t, os.WriteFile(name, []byte(ok(t, eopeers(t, "", "--dir", dir, "--show-mine"))), 0o644))
		id, err := peers.LoadIdentity(dir)
		require.NoError(t, err)
		if i == 0 {
			w.pkg1, w.der1 = name, id.Certificate.Leaf.Raw
		} else {
			w.pkg2, w.der2 = name, id.Certificate.Leaf.Raw
		}
	}
	return w
}

func loadJKS(t *testing.T, name, password string) keystore.KeyStore {
	t.Helper()
	f, err := os.Open(name)
	require.NoError(t, err)
	defer f.Close()
	ks := keystore.New()
	require.NoError(t, ks.Load(f, []byte(password)))
	return ks
}

func trustedDER(t *testing.T, ks keystore.KeyStore, alias string) []byte {
	t.Helper()
	e, err := ks.GetTrustedCertificateEntry(alias)
	require.NoError(t, err, alias)
	require.Equal(t, "X509", e.Certificate.Type)
	return e.Certificate.Content
}

// existingKeystore writes a JKS file as a web server has it: its own key
// (a private key entry with its certificate) and a CA it trusts.
func existingKeystore(t *testing.T, name, password string) (keyDER, certDER []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	keyDER, err = x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	certDER = []byte("a certificate the web server trusts, opaque to eopeers")
	ks := keystore.New()
	require.NoError(t, ks.SetPrivateKeyEntry("tomcat", keystore.PrivateKeyEntry{
		CreationTime:     time.UnixMilli(1600000000000),
		PrivateKey:       keyDER,
		CertificateChain: []keystore.Certificate{{Type: "X509", Content: []byte("the web server's certificate")}},
	}, []byte("keypass")))
	require.NoError(t, ks.SetTrustedCertificateEntry("some-ca", keystore.TrustedCertificateEntry{
		CreationTime: time.UnixMilli(1600000000000),
		Certificate:  keystore.Certificate{Type: "X509", Content: certDER},
	}))
	var buf bytes.Buffer
	require.NoError(t, ks.Store(&buf, []byte(password)))
	require.NoError(t, os.WriteFile(name, buf.Bytes(), 0o640))
	return keyDER, certDER
}

// TestKeystoreCreate: --install --keystore creates the keystore with the
// default password, changeit, holding the peer's certificate under its host
// name; the trust store has the peer too.
func TestKeystoreCreate(t *testing.T) {
	w := newWebServerSetup(t)
	jks := filepath.Join(w.tmp, "keystore.jks")
	out := ok(t, eopeers(t, "", "--dir", w.dir, "--install", w.pkg1, "--keystore", jks))
	require.Regexp(t, `^installed prod-a1 as authority, certificate (sha256:[0-9a-f]{64})\nadded prod-a1 to keystore `+jks+`, certificate (sha256:[0-9a-f]{64})\n$`, out)
	require.Equal(t, 2, strings.Count(out, peers.FingerprintOf(w.der1).String()))

	ks := loadJKS(t, jks, "changeit")
	require.Equal(t, []string{"prod-a1"}, ks.Aliases())
	require.Equal(t, w.der1, trustedDER(t, ks, "prod-a1"))
	fi, err := os.Stat(jks)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
	require.Contains(t, ok(t, eopeers(t, "", "--dir", w.dir, "--list")), "prod-a1")
	entries, err := os.ReadDir(w.tmp)
	require.NoError(t, err)
	for _, e := range entries {
		require.False(t, strings.HasPrefix(e.Name(), "."), "temporary file left: %s", e.Name())
	}

	// Again: nothing changes, and the file is not rewritten.
	before, err := os.ReadFile(jks)
	require.NoError(t, err)
	out = ok(t, eopeers(t, "", "--dir", w.dir, "--install", w.pkg1, "--keystore", jks))
	require.Contains(t, out, "prod-a1 is already in keystore "+jks+" with this certificate")
	after, err := os.ReadFile(jks)
	require.NoError(t, err)
	require.Equal(t, before, after)

	// A directory that does not exist: a clean error, nothing installed.
	r := eopeers(t, "", "--dir", w.dir, "--install", w.pkg2, "--keystore", filepath.Join(w.tmp, "nope", "k.jks"))
	fails(t, r, 1, "eopeers: --keystore: "+filepath.Join(w.tmp, "nope", "k.jks")+": ")
	require.NotContains(t, ok(t, eopeers(t, "", "--dir", w.dir, "--list")), "prod-a2")
}

// TestKeystoreRoundTrip: an existing keystore keeps its other entries (a
// private key, a trusted CA), its mode, and its password; the peers'
// certificates are added, replaced only with --force, and removed by
// --remove --keystore.
func TestKeystoreRoundTrip(t *testing.T) {
	w := newWebServerSetup(t)
	jks := filepath.Join(w.tmp, "keystore.jks")
	keyDER, caDER := existingKeystore(t, jks, "s3cret-pass")
	pwFile := filepath.Join(w.tmp, "pw")
	require.NoError(t, os.WriteFile(pwFile, []byte("s3cret-pass\n"), 0o600))

	out := ok(t, eopeers(t, "", "--dir", w.dir, "--install", "--keystore", jks, "--keystore-password-file", pwFile, w.pkg1, w.pkg2))
	require.Contains(t, out, "added prod-a1 to keystore")
	require.Contains(t, out, "added prod-a2 to keystore")

	check := func(want map[string][]byte) {
		t.Helper()
		ks := loadJKS(t, jks, "s3cret-pass")
		aliases := ks.Aliases()
		require.Len(t, aliases, 2+len(want))
		pk, err := ks.GetPrivateKeyEntry("tomcat", []byte("keypass"))
		require.NoError(t, err)
		require.Equal(t, keyDER, pk.PrivateKey, "the private key is kept")
		require.Equal(t, []byte("the web server's certificate"), pk.CertificateChain[0].Content)
		require.Equal(t, int64(1600000000000), pk.CreationTime.UnixMilli())
		require.Equal(t, caDER, trustedDER(t, ks, "some-ca"))
		for alias, der := range want {
			require.Equal(t, der, trustedDER(t, ks, alias))
		}
		fi, err := os.Stat(jks)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "the mode is kept")
	}
	check(map[string][]byte{"prod-a1": w.der1, "prod-a2": w.der2})

	// prod-a1 gets a new certificate: refused in the trust store and the
	// keystore unless --force, which replaces it in both.
	re := filepath.Join(w.tmp, "re-a1")
	initAuthority(t, re, "prod-a1")
	reID, err := peers.LoadIdentity(re)
	require.NoError(t, err)
	rePkg := ok(t, eopeers(t, "", "--dir", re, "--show-mine"))
	env := func(k string) string {
		if k == "EO_KEYSTORE_PASSWORD" {
			return "s3cret-pass"
		}
		return ""
	}
	r := runEnv(t, rePkg, env, "--dir", w.dir, "--install", "--keystore", jks, "-")
	fails(t, r, 1, "--keystore: "+jks+": it already trusts another certificate as prod-a1 (CN=prod-a1, sha256:")
	require.Contains(t, r.stderr, "use --force to replace it")
	check(map[string][]byte{"prod-a1": w.der1, "prod-a2": w.der2})
	out = ok(t, runEnv(t, rePkg, env, "--dir", w.dir, "--install", "--force", "--keystore", jks, "-"))
	require.Contains(t, out, "replaced prod-a1 as authority: certificate")
	require.Contains(t, out, "replaced prod-a1 in keystore "+jks+", certificate "+reID.Fingerprint().String())
	check(map[string][]byte{"prod-a1": reID.Certificate.Leaf.Raw, "prod-a2": w.der2})

	// --remove with --keystore: gone from both.
	out = ok(t, runEnv(t, "", env, "--dir", w.dir, "--remove", "prod-a2", "--keystore", jks))
	require.Contains(t, out, "uninstalled prod-a2 (authority)")
	require.Contains(t, out, "removed prod-a2 from keystore "+jks+", certificate "+peers.FingerprintOf(w.der2).String())
	check(map[string][]byte{"prod-a1": reID.Certificate.Leaf.Raw})
	fails(t, runEnv(t, "", env, "--dir", w.dir, "--remove", "prod-a2", "--keystore", jks), 1, "prod-a2 is not installed")

	// Left in the keystore only (a run that failed halfway): --remove
	// removes it there.
	ok(t, runEnv(t, "", env, "--dir", w.dir, "--install", "--keystore", jks, w.pkg2))
	ok(t, eopeers(t, "", "--dir", w.dir, "--remove", "prod-a2"))
	out = ok(t, runEnv(t, "", env, "--dir", w.dir, "--remove", "prod-a2", "--keystore", jks))
	require.Equal(t, "prod-a2 is not installed in the trust store\nremoved prod-a2 from keystore "+jks+", certificate "+peers.FingerprintOf(w.der2).String()+"\n", out)
	check(map[string][]byte{"prod-a1": reID.Certificate.Leaf.Raw})

	// The web server's own key is never touched: not replaced, not removed.
	tomcat := filepath.Join(w.tmp, "tomcat")
	initAuthority(t, tomcat, "tomcat")
	tomcatPkg := ok(t, eopeers(t, "", "--dir", tomcat, "--show-mine"))
	fails(t, runEnv(t, tomcatPkg, env, "--dir", w.dir, "--install", "--force", "--keystore", jks, "-"), 1, `its entry "tomcat" holds a private key; eopeers adds and removes only trusted certificates`)
	require.NotContains(t, ok(t, eopeers(t, "", "--dir", w.dir, "--list")), "tomcat", "nothing installed")
	ok(t, eopeers(t, tomcatPkg, "--dir", w.dir, "--install", "-"))
	fails(t, runEnv(t, "", env, "--dir", w.dir, "--remove", "tomcat", "--keystore", jks), 1, `its entry "tomcat" holds a private key`)
	check(map[string][]byte{"prod-a1": reID.Certificate.Leaf.Raw})
}

// TestKeystoreErrors: a wrong password, a damaged file, or a keystore in
// another format is a clean error that changes nothing: neither the file
// nor the trust store.
func TestKeystoreErrors(t *testing.T) {
	w := newWebServerSetup(t)
	jks := filepath.Join(w.tmp, "keystore.jks")
	existingKeystore(t, jks, "s3cret-pass")
	orig, err := os.ReadFile(jks)
	require.NoError(t, err)
	unchanged := func() {
		t.Helper()
		now, err := os.ReadFile(jks)
		require.NoError(t, err)
		require.Equal(t, orig, now)
		require.Empty(t, ok(t, eopeers(t, "", "--dir", w.dir, "--list")))
	}

	// The default password, changeit, is not this keystore's.
	fails(t, eopeers(t, "", "--dir", w.dir, "--install", "--keystore", jks, w.pkg1), 1,
		"eopeers: --keystore: "+jks+": wrong keystore password, or the file is damaged (its integrity check failed)")
	unchanged()
	pw := filepath.Join(w.tmp, "pw")
	require.NoError(t, os.WriteFile(pw, []byte("wrong\n"), 0o600))
	fails(t, eopeers(t, "", "--dir", w.dir, "--install", "--keystore", jks, "--keystore-password-file", pw, w.pkg1), 1, "wrong keystore password")
	unchanged()
	require.NoError(t, os.WriteFile(pw, []byte("\n"), 0o600))
	fails(t, eopeers(t, "", "--dir", w.dir, "--install", "--keystore", jks, "--keystore-password-file", pw, w.pkg1), 1, "--keystore-password-file: "+pw+" is empty")
	fails(t, eopeers(t, "", "--dir", w.dir, "--install", "--keystore", jks, "--keystore-password-file", pw+"x", w.pkg1), 1, "--keystore-password-file: "+pw+"x: no such file or directory")
	fails(t, runEnv(t, "", func(k string) string {
		if k == "EO_KEYSTORE_PASSWORD" {
			return "пароль"
		}
		return ""
	}, "--dir", w.dir, "--install", "--keystore", jks, w.pkg1), 1, "beyond U+00FF")
	unchanged()
	fails(t, eopeers(t, "", "--dir", w.dir, "--remove", "prod-a1", "--keystore", jks), 1, "wrong keystore password")

	// Damaged files, other formats: every truncation, and a flipped byte.
	require.NoError(t, os.WriteFile(pw, []byte("s3cret-pass"), 0o600))
	bad := filepath.Join(w.tmp, "bad.jks")
	for n := 0; n < len(orig); n++ {
		require.NoError(t, os.WriteFile(bad, orig[:n], 0o644))
		r := eopeers(t, "", "--dir", w.dir, "--install", "--keystore", bad, "--keystore-password-file", pw, w.pkg1)
		require.Equal(t, 1, r.code, "truncated to %d", n)
		require.Contains(t, r.stderr, "eopeers: --keystore: "+bad+": ")
	}
	flipped := bytes.Clone(orig)
	flipped[len(flipped)/2] ^= 1
	require.NoError(t, os.WriteFile(bad, flipped, 0o644))
	fails(t, eopeers(t, "", "--dir", w.dir, "--install", "--keystore", bad, "--keystore-password-file", pw, w.pkg1), 1, "--keystore: "+bad+": ")
	huge := bytes.Clone(orig[:12])
	huge = append(huge, 0, 0, 0, 1, 0xff, 0xff) // an entry with a 64 KiB alias
	require.NoError(t, os.WriteFile(bad, huge, 0o644))
	fails(t, eopeers(t, "", "--dir", w.dir, "--install", "--keystore", bad, "--keystore-password-file", pw, w.pkg1), 1, "truncated or damaged JKS keystore")
	for _, c := range []struct {
		data []byte
		want string
	}{
		{[]byte{0xce, 0xce, 0xce, 0xce, 0, 0, 0, 2}, "a JCEKS keystore; eopeers writes only JKS"},
		{[]byte{0x30, 0x82, 0x01, 0x00}, "looks like a PKCS #12 keystore"},
		{[]byte("hello, world"), "not a JKS keystore (bad magic number)"},
		{[]byte{}, "empty file"},
		{[]byte{0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 3, 0, 0, 0, 0}, "JKS version 3 is not 1 or 2"},
	} {
		require.NoError(t, os.WriteFile(bad, c.data, 0o644))
		fails(t, eopeers(t, "", "--dir", w.dir, "--install", "--keystore", bad, w.pkg1), 1, "eopeers: --keystore: "+bad+": "+c.want)
		now, err := os.ReadFile(bad)
		require.NoError(t, err)
		require.Equal(t, c.data, now)
	}
	require.Empty(t, ok(t, eopeers(t, "", "--dir", w.dir, "--list")), "nothing was installed")

	// A directory in the way of the file.
	fails(t, eopeers(t, "", "--dir", w.dir, "--install", "--keystore", w.tmp, w.pkg1), 1, "--keystore: "+w.tmp+": not a regular file")
}

// TestKeystoreSymlink: a keystore reached by a symbolic link is replaced
// where it is; the link stays.
func TestKeystoreSymlink(t *testing.T) {
	w := newWebServerSetup(t)
	real := filepath.Join(w.tmp, "real.jks")
	existingKeystore(t, real, "changeit")
	link := filepath.Join(w.tmp, "keystore.jks")
	require.NoError(t, os.Symlink(real, link))
	ok(t, eopeers(t, "", "--dir", w.dir, "--install", "--keystore", link, w.pkg1))
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	require.Equal(t, os.ModeSymlink, fi.Mode().Type())
	require.Equal(t, w.der1, trustedDER(t, loadJKS(t, real, "changeit"), "prod-a1"))
}

// TestKeystoreKeytool: the JDK's keytool reads what eopeers writes, and
// eopeers keeps what keytool wrote. Skipped without keytool.
func TestKeystoreKeytool(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	keytool, err := exec.LookPath("keytool")
	if err != nil {
		t.Skip("no keytool")
	}
	w := newWebServerSetup(t)
	jks := filepath.Join(w.tmp, "keystore.jks")
	kt := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(keytool, append(args, "-keystore", jks, "-storetype", "JKS", "-storepass", "changeit")...).CombinedOutput()
		require.NoError(t, err, "%s", out)
		return string(out)
	}
	kt("-genkeypair", "-alias", "tomcat", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=prod-s1", "-keypass", "changeit", "-validity", "30")
	before := kt("-exportcert", "-alias", "tomcat", "-rfc")

	ok(t, eopeers(t, "", "--dir", w.dir, "--install", "--keystore", jks, w.pkg1, w.pkg2))
	list := kt("-list")
	require.Contains(t, list, "Your keystore contains 3 entries")
	require.Contains(t, list, "prod-a1, ")
	require.Contains(t, list, "trustedCertEntry")
	require.Contains(t, list, "tomcat, ")
	require.Contains(t, list, "PrivateKeyEntry")
	for alias, der := range map[string][]byte{"prod-a1": w.der1, "prod-a2": w.der2} {
		block, _ := pem.Decode([]byte(kt("-exportcert", "-alias", alias, "-rfc")))
		require.NotNil(t, block)
		require.Equal(t, der, block.Bytes, alias)
	}
	require.Equal(t, before, kt("-exportcert", "-alias", "tomcat", "-rfc"))

	ok(t, eopeers(t, "", "--dir", w.dir, "--remove", "prod-a1", "--keystore", jks))
	list = kt("-list")
	require.Contains(t, list, "Your keystore contains 2 entries")
	require.NotContains(t, list, "prod-a1")
}

// runEnv runs eopeers in-process with the given environment.
func runEnv(t *testing.T, stdin string, getenv func(string) string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb, getenv)
	r := result{code, out.String(), errb.String()}
	if code != 0 {
		require.Regexp(t, `^eopeers: [^A-Z\n][^\n]*[^.\n]\n$`, r.stderr, "args %q", args)
	}
	return r
}
