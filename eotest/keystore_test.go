package eotest

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eolog"
	"github.com/eo-mixnet/eo/internal/testctx"
	"github.com/eo-mixnet/eo/keystore"
)

// An authority whose directory an earlier eo wrote (keystore version 1,
// eo's own sealed files) starts, migrates its keystore to age, and tallies
// with the key shares it made before.
func TestDaemonMigratesOldKeystore(t *testing.T) {
	t.Parallel()
	ctx := testctx.Context(t)
	log := &syncWriter{w: &bytes.Buffer{}}
	c, err := StartCluster(ctx, ClusterOptions{N: 2, Dir: t.TempDir(), Logger: slog.New(eolog.NewJSONHandler(log, nil))})
	require.NoError(t, err)
	defer c.Close()
	h, err := NewHarness(HarnessOptions{Dir: c.Dirs[0], Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer h.Close()
	pks, err := h.Create(ctx, "old-ks", c.Names, 2, 1)
	require.NoError(t, err)

	require.NoError(t, c.Stop(2))
	pass, err := os.ReadFile(filepath.Join(c.Dirs[1], "passphrase"))
	require.NoError(t, err)
	require.NoError(t, keystore.TestingOnlyWriteV1(c.Dirs[1], bytes.TrimSpace(pass)))
	share := filepath.Join(c.Dirs[1], keystore.KeySharePath("old-ks", 0))
	b, err := os.ReadFile(share)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b, []byte("eo-sealed-v1\n")))
	require.NoError(t, c.Start(2))

	votes, err := Encrypt("old-ks", pks, 20, 3)
	require.NoError(t, err)
	url, hash, err := h.Tally(ctx, "old-ks", votes.File)
	require.NoError(t, err)
	tgz, err := h.Download(ctx, url, hash)
	require.NoError(t, err)
	_, err = Check(tgz, "old-ks", c.Names, votes.Want)
	require.NoError(t, err)

	b, err = os.ReadFile(share)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b, []byte("age-encryption.org/v1\n")), "the key share was migrated to age")
	fi, err := os.Stat(share)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	c.Close()
	require.True(t, strings.Contains(log.String(), "keystore migrated to age"), "the migration is logged")
}

// syncWriter serializes the writes of the authorities' loggers.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
