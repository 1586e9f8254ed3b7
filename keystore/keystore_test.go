package keystore

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeystore(t *testing.T) {
	dir := t.TempDir()
	ks, err := Open(dir, []byte("pass"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "elections/e"), 0o700))
	secret := []byte("a key share, 32 bytes long......")
	require.NoError(t, ks.WriteSecret("elections/e/q0.share", append([]byte(nil), secret...)))
	path := filepath.Join(dir, "elections/e/q0.share")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(raw), string(secret))

	// The same passphrase opens it after a restart; another does not.
	ks2, err := Open(dir, []byte("pass"))
	require.NoError(t, err)
	got, err := ks2.ReadSecret("elections/e/q0.share")
	require.NoError(t, err)
	require.Equal(t, secret, got)
	_, err = Open(dir, []byte("Pass"))
	require.ErrorIs(t, err, ErrWrongPassphrase)

	// A sealed file is bound to its name.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "elections/e/q1.share"), raw, 0o600))
	_, err = ks2.ReadSecret("elections/e/q1.share")
	require.ErrorContains(t, err, "altered or moved")
	// Altered bytes, a truncated file, a file others may read.
	bad := append([]byte(nil), raw...)
	bad[len(bad)-1] ^= 1
	require.NoError(t, os.WriteFile(path, bad, 0o600))
	_, err = ks2.ReadSecret("elections/e/q0.share")
	require.Error(t, err)
	require.NoError(t, os.WriteFile(path, raw[:20], 0o600))
	_, err = ks2.ReadSecret("elections/e/q0.share")
	require.ErrorContains(t, err, "not a sealed file")
	require.NoError(t, os.WriteFile(path, raw, 0o600))
	require.NoError(t, os.Chmod(path, 0o640))
	_, err = ks2.ReadSecret("elections/e/q0.share")
	require.ErrorContains(t, err, "mode")

	// A damaged keystore.json is said to be damaged, not a wrong passphrase.
	require.NoError(t, os.WriteFile(filepath.Join(dir, File), []byte("{"), 0o600))
	_, err = Open(dir, []byte("pass"))
	require.ErrorContains(t, err, "damaged")
}

// TestOpenKeyShare: a key share written where the daemon keeps it opens
// with the passphrase, and only with it.
func TestOpenKeyShare(t *testing.T) {
	dir := t.TempDir()
	ks, err := Open(dir, []byte("pass"))
	require.NoError(t, err)
	share := append([]byte{2}, make([]byte, 32)...)
	share[1] = 7
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ElectionsDir, "e1"), 0o700))
	require.NoError(t, ks.WriteSecret(KeySharePath("e1", 0), share))
	ksh, err := OpenKeyShare(dir, []byte("pass"), "e1", 0)
	require.NoError(t, err)
	require.Equal(t, 2, ksh.Index())
	_, err = OpenKeyShare(dir, []byte("wrong"), "e1", 0)
	require.ErrorIs(t, err, ErrWrongPassphrase)
	_, err = OpenKeyShare(dir, []byte("pass"), "e1", 1)
	require.ErrorIs(t, err, fs.ErrNotExist)
}
