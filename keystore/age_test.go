package keystore

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"
)

// A file of the keystore is an age file with an scrypt recipient: age's
// own Decrypt and ScryptIdentity open it with the passphrase, and its
// plaintext is the line naming the file, then the secret.
func TestAgeLibraryOpensSecret(t *testing.T) {
	dir := t.TempDir()
	ks, err := Open(dir, []byte("pass phrase"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "elections/e"), 0o700))
	secret := []byte("a key share, 32 bytes long......")
	require.NoError(t, ks.WriteSecret("elections/e/q0.share", secret))

	f, err := os.Open(filepath.Join(dir, "elections/e/q0.share"))
	require.NoError(t, err)
	defer f.Close()
	id, err := age.NewScryptIdentity("pass phrase")
	require.NoError(t, err)
	r, err := age.Decrypt(f, id)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, "eo-secret elections/e/q0.share\n"+string(secret), string(got))

	f.Seek(0, io.SeekStart)
	wrong, err := age.NewScryptIdentity("wrong")
	require.NoError(t, err)
	_, err = age.Decrypt(f, wrong)
	require.Error(t, err)

	// And a file that age wrote (a restored backup, re-encrypted by a
	// trustee with the same passphrase and age's default work factor)
	// opens in the keystore, if it names its file.
	rec, err := age.NewScryptRecipient("pass phrase")
	require.NoError(t, err)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rec)
	require.NoError(t, err)
	io.WriteString(w, "eo-secret elections/e/q1.share\nrestored")
	require.NoError(t, w.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "elections/e/q1.share"), buf.Bytes(), 0o600))
	b, err := ks.ReadSecret("elections/e/q1.share")
	require.NoError(t, err)
	require.Equal(t, "restored", string(b))
}

// The age tool itself (built from the module cache, with its batchpass
// plugin so that the passphrase needs no terminal) decrypts a key share.
func TestAgeToolOpensSecret(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the age tool")
	}
	if runtime.GOOS == "windows" {
		t.Skip("plugins by PATH")
	}
	bin := t.TempDir()
	for _, pkg := range []string{"filippo.io/age/cmd/age", "filippo.io/age/cmd/age-plugin-batchpass"} {
		// The version this module requires, installed outside it.
		cmd := exec.Command("go", "install", pkg+"@"+ageVersion(t))
		cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=")
		cmd.Dir = bin
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Skipf("cannot build %s: %v\n%s", pkg, err, out)
		}
	}
	dir := t.TempDir()
	ks, err := Open(dir, []byte("operator's passphrase"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ElectionsDir, "e1"), 0o700))
	require.NoError(t, ks.WriteSecret(KeySharePath("e1", 0), []byte("share bytes")))

	cmd := exec.Command(filepath.Join(bin, "age"), "-d", "-j", "batchpass", filepath.Join(dir, KeySharePath("e1", 0)))
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "AGE_PASSPHRASE=operator's passphrase")
	out, err := cmd.Output()
	require.NoError(t, err)
	require.Equal(t, "eo-secret elections/e1/q0.share\nshare bytes", string(out))

	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "AGE_PASSPHRASE=wrong")
	cmd.Stdout = nil
	_, err = cmd.Output()
	require.Error(t, err)
}

// copyFixture copies a checked-in directory to a temporary one with the
// modes a keystore wants (git keeps none).
func copyFixture(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o600)
	}))
	return dir
}

// testdata/v1 is a keystore written by the previous format's code (before
// age): it opens, every sealed file is migrated to age in place, mode
// 0600, and it opens again afterwards, without the old code.
func TestMigrateFromV1(t *testing.T) {
	dir := copyFixture(t, "testdata/v1")
	pass := []byte("correct horse battery staple")

	_, err := Open(dir, []byte("wrong"))
	require.ErrorIs(t, err, ErrWrongPassphrase)
	old, err := os.ReadFile(filepath.Join(dir, KeySharePath("e1", 0)))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(old), sealMagic), "the wrong passphrase migrated nothing")

	ks, err := Open(dir, pass)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"elections/e1/q0.share", "elections/e1/q0.dkgseed", "elections/e1/q0.dkglog"}, ks.Migrated())
	for _, rel := range ks.Migrated() {
		path := filepath.Join(dir, rel)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(string(b), ageMagic), rel)
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), rel)
	}
	b, err := os.ReadFile(filepath.Join(dir, "elections/e1/election.json"))
	require.NoError(t, err)
	require.Equal(t, "{\"public\":true}\n", string(b), "a file that is not sealed is left alone")

	ks2, err := Open(dir, pass)
	require.NoError(t, err)
	require.Empty(t, ks2.Migrated())
	seed, err := ks2.ReadSecret("elections/e1/q0.dkgseed")
	require.NoError(t, err)
	require.Equal(t, "0123456789abcdef0123456789abcdef", string(seed))
	logb, err := ks2.ReadSecret("elections/e1/q0.dkglog")
	require.NoError(t, err)
	require.Equal(t, "a key generation's log", string(logb))
	share, err := OpenKeyShare(dir, pass, "e1", 0)
	require.NoError(t, err)
	require.Equal(t, 2, share.Index())
	_, err = Open(dir, []byte("wrong"))
	require.ErrorIs(t, err, ErrWrongPassphrase)

	// A file of the old format restored later (from a backup) still opens.
	require.NoError(t, os.WriteFile(filepath.Join(dir, KeySharePath("e1", 0)), old, 0o600))
	_, err = OpenKeyShare(dir, pass, "e1", 0)
	require.NoError(t, err)
}

// A migration cut short (a crash after some files) finishes at the next
// Open: old and new files side by side open, keystore.json is still of
// version 1 until every file is done.
func TestMigrateResumes(t *testing.T) {
	dir := copyFixture(t, "testdata/v1")
	pass := []byte("correct horse battery staple")
	ks, err := Open(copyFixture(t, "testdata/v1"), pass)
	require.NoError(t, err)
	// Migrate one file by hand, as a cut-short migration would have.
	pt, err := ks.legacy.open("elections/e1/q0.dkgseed", mustRead(t, filepath.Join(dir, "elections/e1/q0.dkgseed")))
	require.NoError(t, err)
	k2, err := newKeystore(dir, pass)
	require.NoError(t, err)
	require.NoError(t, k2.WriteSecret("elections/e1/q0.dkgseed", pt))

	ks, err = Open(dir, pass)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"elections/e1/q0.share", "elections/e1/q0.dkglog"}, ks.Migrated())
	seed, err := ks.ReadSecret("elections/e1/q0.dkgseed")
	require.NoError(t, err)
	require.Equal(t, "0123456789abcdef0123456789abcdef", string(seed))
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// ageVersion is the version of filippo.io/age this module requires.
func ageVersion(t *testing.T) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "filippo.io/age").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// A log written with WriteLog opens with the keystore's identity, which
// opens with the passphrase: age -d -i keystore.age.
func TestAgeLibraryOpensLog(t *testing.T) {
	dir := t.TempDir()
	ks, err := Open(dir, []byte("pass phrase"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "elections/e"), 0o700))
	require.NoError(t, ks.WriteLog("elections/e/q0.dkglog", []byte("log")))
	b, err := ks.ReadSecret("elections/e/q0.dkglog")
	require.NoError(t, err)
	require.Equal(t, "log", string(b))

	f, err := os.Open(filepath.Join(dir, IdentityFile))
	require.NoError(t, err)
	defer f.Close()
	pass, err := age.NewScryptIdentity("pass phrase")
	require.NoError(t, err)
	r, err := age.Decrypt(f, pass)
	require.NoError(t, err)
	ids, err := age.ParseIdentities(r)
	require.NoError(t, err)
	lf, err := os.Open(filepath.Join(dir, "elections/e/q0.dkglog"))
	require.NoError(t, err)
	defer lf.Close()
	r, err = age.Decrypt(lf, ids...)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, "eo-secret elections/e/q0.dkglog\nlog", string(got))

	// Another keystore's identity does not open it.
	other, err := Open(t.TempDir(), []byte("pass phrase"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "elections/e/q1.dkglog"), mustRead(t, filepath.Join(dir, "elections/e/q0.dkglog")), 0o600))
	other.dir = dir
	_, err = other.ReadSecret("elections/e/q0.dkglog")
	require.ErrorContains(t, err, "does not open")
	_, err = ks.ReadSecret("elections/e/q1.dkglog")
	require.ErrorContains(t, err, "altered or moved")
}
