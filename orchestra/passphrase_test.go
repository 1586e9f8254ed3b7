package orchestra

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

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
