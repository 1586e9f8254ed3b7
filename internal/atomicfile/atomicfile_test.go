package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteFileCreatesWithMode(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "key.pem")
	require.NoError(t, WriteFile(name, []byte("secret"), 0o600))
	got, err := os.ReadFile(name)
	require.NoError(t, err)
	require.Equal(t, "secret", string(got))
	fi, err := os.Stat(name)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	assertNoTemp(t, dir)
}

func TestWriteFileModeIgnoresUmask(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "cert.pem")
	require.NoError(t, WriteFile(name, []byte("x"), 0o644))
	fi, err := os.Stat(name)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o644), fi.Mode().Perm())
}

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	require.NoError(t, WriteFile(name, []byte("old old old"), 0o644))
	require.NoError(t, WriteFile(name, []byte("new"), 0o600))
	got, err := os.ReadFile(name)
	require.NoError(t, err)
	require.Equal(t, "new", string(got))
	fi, err := os.Stat(name)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	assertNoTemp(t, dir)
}

func TestWriteErrorLeavesOldContent(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	require.NoError(t, WriteFile(name, []byte("old"), 0o644))
	boom := errors.New("boom")
	err := Write(name, 0o644, func(w io.Writer) error {
		if _, err := w.Write([]byte("half-written")); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	got, err := os.ReadFile(name)
	require.NoError(t, err)
	require.Equal(t, "old", string(got))
	assertNoTemp(t, dir)
}

func TestWriteMissingDir(t *testing.T) {
	err := WriteFile(filepath.Join(t.TempDir(), "no", "such", "f"), nil, 0o644)
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestWriteNoName(t *testing.T) {
	require.Error(t, WriteFile(t.TempDir()+"/", nil, 0o644))
}

func TestWriteRelativeName(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, WriteFile("rel", []byte("r"), 0o644))
	got, err := os.ReadFile(filepath.Join(dir, "rel"))
	require.NoError(t, err)
	require.Equal(t, "r", string(got))
}

// Concurrent writers never leave a torn file: every read sees one complete
// version.
func TestConcurrentWritersAndReaders(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	versions := make([][]byte, 8)
	for i := range versions {
		versions[i] = bytes.Repeat([]byte{byte('a' + i)}, 64<<10)
	}
	require.NoError(t, WriteFile(name, versions[0], 0o644))
	var wg sync.WaitGroup
	for i := range versions {
		wg.Go(func() {
			for range 5 {
				if err := WriteFile(name, versions[i], 0o644); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			got, err := os.ReadFile(name)
			if err != nil {
				t.Error(err)
				return
			}
			if len(got) != 64<<10 || !bytes.Equal(got, bytes.Repeat(got[:1], len(got))) {
				t.Errorf("torn read: %d bytes starting %q", len(got), got[:1])
				return
			}
		}
	})
	wg.Wait()
	assertNoTemp(t, dir)
}

func TestRemove(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	require.NoError(t, WriteFile(name, []byte("x"), 0o644))
	require.NoError(t, Remove(name))
	_, err := os.Stat(name)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorIs(t, Remove(name), fs.ErrNotExist)
}

func TestSyncDirMissing(t *testing.T) {
	require.ErrorIs(t, SyncDir(filepath.Join(t.TempDir(), "nope")), fs.ErrNotExist)
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.NotRegexp(t, `\.tmp-`, e.Name(), fmt.Sprintf("temporary file left in %s", dir))
	}
}
