package peers

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestStoreInstallListGetUninstall(t *testing.T) {
	a := newAuthority(t, "a")
	b := newAuthority(t, "b")
	c := newAuthority(t, "c.example.org")

	r, err := a.store.Install(c.pkg(t), false)
	require.NoError(t, err)
	require.Equal(t, Installed, r)
	r, err = a.store.Install(b.pkg(t), false)
	require.NoError(t, err)
	require.Equal(t, Installed, r)

	list, err := a.store.List()
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "b", list[0].Hostname)
	require.Equal(t, "c.example.org", list[1].Hostname)

	p, err := a.store.Get("C.Example.Org")
	require.NoError(t, err)
	require.Equal(t, c.id.Fingerprint(), p.Fingerprint())
	host, ok := a.store.Lookup(b.id.Fingerprint())
	require.True(t, ok)
	require.Equal(t, "b", host)
	require.True(t, a.store.Trusted("b", b.id.Fingerprint()))
	require.False(t, a.store.Trusted("b", c.id.Fingerprint()))

	fi, err := os.Stat(filepath.Join(a.store.Dir(), "b.pkg"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
	raw, err := os.ReadFile(filepath.Join(a.store.Dir(), "b.pkg"))
	require.NoError(t, err)
	require.Equal(t, append(b.pkg(t).Marshal(), '\n'), raw)

	old, err := a.store.Uninstall("B")
	require.NoError(t, err)
	require.Equal(t, "b", old.Hostname)
	_, err = a.store.Get("b")
	require.ErrorIs(t, err, ErrNotInstalled)
	_, ok = a.store.Lookup(b.id.Fingerprint())
	require.False(t, ok)
	_, err = a.store.Uninstall("b")
	require.ErrorIs(t, err, ErrNotInstalled)
	_, err = a.store.Uninstall("../x")
	require.Error(t, err)
}

func TestStoreReinstall(t *testing.T) {
	a := newAuthority(t, "a")
	b := newAuthority(t, "b")
	pkg := b.pkg(t)
	_, err := a.store.Install(pkg, false)
	require.NoError(t, err)

	r, err := a.store.Install(pkg, false)
	require.NoError(t, err)
	require.Equal(t, Unchanged, r)

	moved := *pkg
	moved.IPAddress = "127.0.0.2"
	r, err = a.store.Install(&moved, false)
	require.NoError(t, err)
	require.Equal(t, Updated, r)
	got, err := a.store.Get("b")
	require.NoError(t, err)
	require.Equal(t, "127.0.0.2", got.IPAddress)

	// Same host name, new certificate: refused without force, and the old
	// certificate stays the only one trusted.
	impostor := newIdentity(t, "b", 5000)
	ip, err := impostor.Package(false)
	require.NoError(t, err)
	_, err = a.store.Install(ip, false)
	require.ErrorIs(t, err, ErrCertificateChanged)
	require.ErrorContains(t, err, "--force")
	require.True(t, a.store.Trusted("b", b.id.Fingerprint()))
	require.False(t, a.store.Trusted("b", impostor.Fingerprint()))

	// With force: the new one replaces the old, which is no longer trusted.
	r, err = a.store.Install(ip, true)
	require.NoError(t, err)
	require.Equal(t, Replaced, r)
	require.True(t, a.store.Trusted("b", impostor.Fingerprint()))
	require.False(t, a.store.Trusted("b", b.id.Fingerprint()))
	_, ok := a.store.Lookup(b.id.Fingerprint())
	require.False(t, ok)
	list, err := a.store.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
}

func TestStoreHostnameCase(t *testing.T) {
	a := newAuthority(t, "a")
	b := newAuthority(t, "b")
	_, err := a.store.Install(b.pkg(t), false)
	require.NoError(t, err)
	p := b.pkg(t)
	p.Hostname = "B"
	r, err := a.store.Install(p, false)
	require.NoError(t, err)
	require.Equal(t, Updated, r, "same host in other case, same certificate")
	list, err := a.store.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
}

func TestStoreRefusesCertificateUnderTwoNames(t *testing.T) {
	a := newAuthority(t, "a")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{"b", "b2"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	_, err = a.store.Install(&Package{Certificate: certPEM, Hostname: "b", Port: 1, Version: PackageVersion}, false)
	require.NoError(t, err)
	_, err = a.store.Install(&Package{Certificate: certPEM, Hostname: "b2", Port: 1, Version: PackageVersion}, true)
	require.ErrorIs(t, err, ErrDuplicateCertificate)
	require.ErrorContains(t, err, "already installed for b")

	// Written by hand, two files with one certificate: neither is trusted.
	raw := fmt.Sprintf(`{"ssl_certificate":%q,"hostname":"b2","port":1,"version":2}`, certPEM)
	require.NoError(t, os.WriteFile(filepath.Join(a.store.Dir(), "b2.pkg"), []byte(raw), 0o644))
	a.store.Refresh()
	fp := FingerprintOf(der)
	require.False(t, a.store.Trusted("b", fp))
	require.False(t, a.store.Trusted("b2", fp))
	_, ok := a.store.Lookup(fp)
	require.False(t, ok)
	require.NotEmpty(t, a.store.Problems())
}

func TestStoreSeesOtherProcessChanges(t *testing.T) {
	a := newAuthority(t, "a")
	b := newAuthority(t, "b")
	c := newAuthority(t, "c")
	// A second Store on the same directory plays "eopeers" in another
	// process.
	cli, err := OpenStore(a.store.Dir())
	require.NoError(t, err)
	gen := a.store.Generation()

	_, err = cli.Install(b.pkg(t), false)
	require.NoError(t, err)
	require.True(t, a.store.Trusted("b", b.id.Fingerprint()), "install seen without restart")
	require.Greater(t, a.store.Generation(), gen)

	_, err = cli.Uninstall("b")
	require.NoError(t, err)
	require.False(t, a.store.Trusted("b", b.id.Fingerprint()), "uninstall seen at once")

	// Install then force-replace within one timestamp tick.
	_, err = cli.Install(c.pkg(t), false)
	require.NoError(t, err)
	require.True(t, a.store.Trusted("c", c.id.Fingerprint()))
	impostor := newIdentity(t, "c", 1)
	ip, err := impostor.Package(false)
	require.NoError(t, err)
	_, err = cli.Install(ip, true)
	require.NoError(t, err)
	require.False(t, a.store.Trusted("c", c.id.Fingerprint()))
	require.True(t, a.store.Trusted("c", impostor.Fingerprint()))
}

func TestStoreRefreshIsCheap(t *testing.T) {
	a := newAuthority(t, "a")
	b := newAuthority(t, "b")
	a.trust(t, b)
	// Pretend the last read was long after the last change: then a check
	// with no change reads no file.
	a.store.mu.Lock()
	a.store.checkedAt = time.Now().Add(time.Hour)
	a.store.mu.Unlock()
	changed, err := a.store.Refresh()
	require.NoError(t, err)
	require.False(t, changed)
	allocs := testing.AllocsPerRun(100, func() { a.store.Trusted("b", b.id.Fingerprint()) })
	require.Less(t, allocs, 10.0, "a check with no change is a stat, not a read")
}

func TestStoreBadFiles(t *testing.T) {
	a := newAuthority(t, "a")
	b := newAuthority(t, "b")
	c := newAuthority(t, "c")
	a.trust(t, b)
	dir := a.store.Dir()
	// A corrupt package, a package under the wrong name, temporary and
	// unrelated files.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.pkg"), []byte("{nope"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "y.pkg"), append(c.pkg(t).Marshal(), '\n'), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".z.pkg.tmp-1"), []byte("junk"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README"), []byte("junk"), 0o644))
	_, err := a.store.Refresh()
	require.NoError(t, err)
	list, err := a.store.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Len(t, a.store.Problems(), 2)
	require.False(t, a.store.Trusted("y", c.id.Fingerprint()))
	require.False(t, a.store.Trusted("c", c.id.Fingerprint()))
	gen := a.store.Generation()
	for range 3 {
		a.store.Refresh()
	}
	require.Equal(t, gen, a.store.Generation(), "bad files do not count as changes each time")
	// Uninstall removes even a bad file.
	_, err = a.store.Uninstall("x")
	require.NoError(t, err)
	require.Len(t, a.store.Problems(), 1)
}

func TestStoreDuplicateCertificateOnDisk(t *testing.T) {
	a := newAuthority(t, "a")
	b := newAuthority(t, "b")
	a.trust(t, b)
	// Someone copies b.pkg by hand to another name whose certificate
	// matches (the certificate says "b", so use the same hostname in
	// another case-variant file is impossible; copy under its own name).
	raw, err := os.ReadFile(filepath.Join(a.store.Dir(), "b.pkg"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(a.store.Dir(), "B.pkg"), raw, 0o644))
	a.store.Refresh()
	// "B.pkg" does not match its lower-case host name, so it is a bad file,
	// and b stays trusted.
	require.True(t, a.store.Trusted("b", b.id.Fingerprint()))
	require.NotEmpty(t, a.store.Problems())
}

func TestOpenStoreRefusesWritableDir(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o777))
	_, err := OpenStore(dir)
	require.ErrorContains(t, err, "writable by others")
	_, err = OpenStore(filepath.Join(dir, "nope"))
	require.Error(t, err)
}

func TestStoreConcurrentInstalls(t *testing.T) {
	a := newAuthority(t, "a")
	var others []*Package
	for _, h := range []string{"p1", "p2", "p3", "p4"} {
		others = append(others, newIdentityPackage(t, h))
	}
	s2, err := OpenStore(a.store.Dir())
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i, p := range others {
		s := a.store
		if i%2 == 1 {
			s = s2
		}
		wg.Go(func() {
			_, err := s.Install(p, false)
			require.NoError(t, err)
		})
	}
	wg.Wait()
	list, err := a.store.List()
	require.NoError(t, err)
	require.Len(t, list, 4)
}

func newIdentityPackage(t *testing.T, host string) *Package {
	id := newIdentity(t, host, 5000)
	p, err := id.Package(false)
	require.NoError(t, err)
	return p
}

func TestInstallRefusesExpired(t *testing.T) {
	a := newAuthority(t, "a")
	old, err := InitIdentity(t.TempDir()+"/o", InitOptions{Hostname: "old", IPAddress: "127.0.0.1", Port: 1,
		Now: time.Now().Add(-48 * time.Hour), Validity: time.Hour})
	require.NoError(t, err)
	p, err := old.Package(false)
	require.NoError(t, err)
	_, err = a.store.Install(p, false)
	require.ErrorContains(t, err, "expired")
}
