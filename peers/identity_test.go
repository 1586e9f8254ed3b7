package peers

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestInitIdentity(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "eo")
	id, err := InitIdentity(dir, InitOptions{Hostname: "prod-a1", IPAddress: "203.0.113.7", PrivateIPAddress: "10.0.0.7", Port: 5000})
	require.NoError(t, err)
	require.Equal(t, 5000, id.Config.QUICPort)

	mode := func(name string) os.FileMode {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		return fi.Mode().Perm()
	}
	require.Equal(t, os.FileMode(0o600), mode(KeyFile))
	require.Equal(t, os.FileMode(0o644), mode(CertFile))
	require.Equal(t, os.FileMode(0o644), mode(ConfigFile))
	require.Equal(t, os.FileMode(0o700), mode(PeersDir))
	require.Equal(t, os.FileMode(0o700), mode("."))

	leaf := id.Certificate.Leaf
	require.Equal(t, []string{"prod-a1"}, leaf.DNSNames)
	require.Len(t, leaf.IPAddresses, 2)
	require.True(t, leaf.IPAddresses[0].Equal(net.ParseIP("203.0.113.7")))
	require.True(t, leaf.IPAddresses[1].Equal(net.ParseIP("10.0.0.7")))
	require.Greater(t, time.Until(leaf.NotAfter), 9*365*24*time.Hour)
	require.NoError(t, leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature), "self-signed")

	store, err := id.OpenStore()
	require.NoError(t, err)
	list, err := store.List()
	require.NoError(t, err)
	require.Empty(t, list)

	again, err := LoadIdentity(dir)
	require.NoError(t, err)
	require.Equal(t, id.Fingerprint(), again.Fingerprint())
	require.Equal(t, id.Config, again.Config)

	pub, err := id.Package(false)
	require.NoError(t, err)
	require.Equal(t, "203.0.113.7", pub.IPAddress)
	priv, err := id.Package(true)
	require.NoError(t, err)
	require.Equal(t, "10.0.0.7", priv.IPAddress)
	for _, p := range []*Package{pub, priv} {
		_, err := ParsePackage(p.Marshal(), time.Now())
		require.NoError(t, err)
	}
}

func TestInitIdentityRefusesExisting(t *testing.T) {
	dir := t.TempDir()
	opts := InitOptions{Hostname: "a", IPAddress: "127.0.0.1", Port: 5000}
	_, err := InitIdentity(dir, opts)
	require.NoError(t, err)
	before, err := os.ReadFile(filepath.Join(dir, KeyFile))
	require.NoError(t, err)
	_, err = InitIdentity(dir, opts)
	require.ErrorContains(t, err, "already initialized")
	after, err := os.ReadFile(filepath.Join(dir, KeyFile))
	require.NoError(t, err)
	require.Equal(t, before, after)
}

func TestInitIdentityBadOptions(t *testing.T) {
	for _, o := range []InitOptions{
		{Hostname: "", IPAddress: "127.0.0.1", Port: 1},
		{Hostname: "a/b", IPAddress: "127.0.0.1", Port: 1},
		{Hostname: "a", IPAddress: "nope", Port: 1},
		{Hostname: "a", IPAddress: "127.0.0.1", PrivateIPAddress: "nope", Port: 1},
		{Hostname: "a", IPAddress: "127.0.0.1", Port: 0},
		{Hostname: "a", IPAddress: "127.0.0.1", Port: 1, QUICPort: 65536},
	} {
		dir := filepath.Join(t.TempDir(), "d")
		_, err := InitIdentity(dir, o)
		require.Error(t, err, "%+v", o)
		_, statErr := os.Stat(dir)
		require.True(t, os.IsNotExist(statErr), "nothing is created for bad options")
	}
}

func TestLoadIdentityRefusesLooseKey(t *testing.T) {
	id := newIdentity(t, "a", 5000)
	key := filepath.Join(id.Dir, KeyFile)
	for _, m := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		require.NoError(t, os.Chmod(key, m))
		_, err := LoadIdentity(id.Dir)
		require.ErrorContains(t, err, "readable by others", "mode %o", m)
	}
	require.NoError(t, os.Chmod(key, 0o400))
	_, err := LoadIdentity(id.Dir)
	require.NoError(t, err)
}

func TestLoadIdentityRefusesSymlinkKey(t *testing.T) {
	id := newIdentity(t, "a", 5000)
	key := filepath.Join(id.Dir, KeyFile)
	moved := filepath.Join(t.TempDir(), "k")
	require.NoError(t, os.Rename(key, moved))
	require.NoError(t, os.Symlink(moved, key))
	_, err := LoadIdentity(id.Dir)
	require.ErrorContains(t, err, "not a regular file")
}

func TestLoadIdentityErrors(t *testing.T) {
	_, err := LoadIdentity(t.TempDir())
	require.ErrorIs(t, err, ErrNotInitialized)

	id := newIdentity(t, "a", 5000)
	other := newIdentity(t, "a", 5000)
	// A certificate that does not match the key.
	cert, err := os.ReadFile(filepath.Join(other.Dir, CertFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(id.Dir, CertFile), cert, 0o644))
	_, err = LoadIdentity(id.Dir)
	require.ErrorContains(t, err, "private key does not match")

	require.NoError(t, os.WriteFile(filepath.Join(id.Dir, ConfigFile), []byte("{"), 0o644))
	_, err = LoadIdentity(id.Dir)
	require.ErrorContains(t, err, ConfigFile)
}

func TestPackageWithoutPrivateIP(t *testing.T) {
	id := newIdentity(t, "a", 5000)
	_, err := id.Package(true)
	require.ErrorContains(t, err, "no private ip address")
}
