package orchestra

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeystore(t *testing.T) {
	dir := t.TempDir()
	ks, err := openKeystore(dir, []byte("pass"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "elections/e"), 0o700))
	secret := []byte("a key share, 32 bytes long......")
	require.NoError(t, ks.writeSecret("elections/e/q0.share", append([]byte(nil), secret...)))
	path := filepath.Join(dir, "elections/e/q0.share")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(raw), string(secret))

	// The same passphrase opens it after a restart; another does not.
	ks2, err := openKeystore(dir, []byte("pass"))
	require.NoError(t, err)
	got, err := ks2.readSecret("elections/e/q0.share")
	require.NoError(t, err)
	require.Equal(t, secret, got)
	_, err = openKeystore(dir, []byte("Pass"))
	require.ErrorIs(t, err, ErrWrongPassphrase)

	// A sealed file is bound to its name.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "elections/e/q1.share"), raw, 0o600))
	_, err = ks2.readSecret("elections/e/q1.share")
	require.ErrorContains(t, err, "altered or moved")
	// Altered bytes, a truncated file, a file others may read.
	bad := append([]byte(nil), raw...)
	bad[len(bad)-1] ^= 1
	require.NoError(t, os.WriteFile(path, bad, 0o600))
	_, err = ks2.readSecret("elections/e/q0.share")
	require.Error(t, err)
	require.NoError(t, os.WriteFile(path, raw[:20], 0o600))
	_, err = ks2.readSecret("elections/e/q0.share")
	require.ErrorContains(t, err, "not a sealed file")
	require.NoError(t, os.WriteFile(path, raw, 0o600))
	require.NoError(t, os.Chmod(path, 0o640))
	_, err = ks2.readSecret("elections/e/q0.share")
	require.ErrorContains(t, err, "mode")

	// A damaged keystore.json is said to be damaged, not a wrong passphrase.
	require.NoError(t, os.WriteFile(filepath.Join(dir, KeystoreFile), []byte("{"), 0o600))
	_, err = openKeystore(dir, []byte("pass"))
	require.ErrorContains(t, err, "damaged")
}

func TestPassphraseSources(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(PassphraseEnv, "")
	_, err := passphrase(dir, &Config{})
	require.ErrorContains(t, err, "no passphrase")
	t.Setenv(PassphraseEnv, "from env")
	p, err := passphrase(dir, &Config{})
	require.NoError(t, err)
	require.Equal(t, "from env", string(p))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p"), []byte("from file\n"), 0o600))
	p, err = passphrase(dir, &Config{PassphraseFile: "p"})
	require.NoError(t, err)
	require.Equal(t, "from file", string(p), "the file wins; a final newline is not part of it")
	require.NoError(t, os.Chmod(filepath.Join(dir, "p"), 0o644))
	_, err = passphrase(dir, &Config{PassphraseFile: "p"})
	require.ErrorContains(t, err, "mode")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty"), nil, 0o600))
	_, err = passphrase(dir, &Config{PassphraseFile: "empty"})
	require.ErrorContains(t, err, "empty")
}
