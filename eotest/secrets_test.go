package eotest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eolog"
	"github.com/eo-mixnet/eo/internal/testctx"
	"github.com/eo-mixnet/eo/keystore"
	"github.com/eo-mixnet/eo/threshold"
)

// No secret byte leaves an authority: after a whole election, nothing it
// wrote (state, record, logs at debug level, the harness's output) holds
// any authority's key share, in binary, hex or base64; nor do the status
// pages.
func TestNoSecretInAnythingWritten(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	logf, err := os.Create(filepath.Join(root, "events.jsonl"))
	require.NoError(t, err)
	defer logf.Close()
	// The authorities log (and the harness reports) from their own
	// goroutines while the test reads.
	text := &syncWriter{w: &bytes.Buffer{}}
	logger := slog.New(eolog.Tee(eolog.NewJSONHandler(logf, &eolog.Options{Level: slog.LevelDebug}),
		eolog.NewTextHandler(text, &eolog.Options{Level: slog.LevelDebug})))
	ctx := testctx.Context(t)
	c, err := StartCluster(ctx, ClusterOptions{N: 3, Dir: filepath.Join(root, "authorities"), Logger: logger})
	require.NoError(t, err)
	defer c.Close()
	progress := &syncWriter{w: &bytes.Buffer{}}
	h, err := NewHarness(HarnessOptions{Dir: c.Dirs[0], Listen: "127.0.0.1:0", Progress: progress})
	require.NoError(t, err)
	defer h.Close()
	pks, err := h.Create(ctx, "s1", c.Names, 2, 2)
	require.NoError(t, err)
	votes, err := Encrypt("s1", pks, 40, 3)
	require.NoError(t, err)
	url, hash, err := h.Tally(ctx, "s1", votes.File)
	require.NoError(t, err)
	tgz, err := h.Download(ctx, url, hash)
	require.NoError(t, err)
	require.NoError(t, WriteOut(filepath.Join(root, "out"), tgz))
	// A failing request (another vote file for a tallied election), so
	// that errors are written too.
	_, _, err = h.Tally(ctx, "s1", votes.File[:bytes.IndexByte(votes.File, '\n')+1])
	require.Error(t, err)
	errText := err.Error()

	var shares []*threshold.KeyShare
	for _, d := range c.Dirs {
		pass, err := os.ReadFile(filepath.Join(d, "passphrase"))
		require.NoError(t, err)
		for q := range 2 {
			k, err := keystore.OpenKeyShare(d, bytes.TrimSpace(pass), "s1", q)
			require.NoError(t, err)
			shares = append(shares, k)
		}
	}
	require.Len(t, shares, 6)
	var needles [][]byte
	for _, k := range shares {
		x := k.Bytes()[len(k.Bytes())-32:]
		needles = append(needles, x, []byte(hex.EncodeToString(x)), []byte(base64.StdEncoding.EncodeToString(x)[:40]),
			[]byte(base64.RawURLEncoding.EncodeToString(x)[:40]))
	}
	haystacks := map[string][]byte{"text log": []byte(text.String()), "progress": []byte(progress.String()), "error": []byte(errText)}
	// The status pages, as HTML and JSON.
	for i := range c.Dirs {
		base := c.StatusURL(i + 1)
		for _, u := range []string{base, base + ".json"} {
			resp, err := http.Get(u)
			require.NoError(t, err)
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			haystacks[u] = b
		}
	}
	c.Close()
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		haystacks[path] = b
		return err
	}))
	require.Greater(t, len(haystacks), 20)
	for name, hay := range haystacks {
		for _, n := range needles {
			require.False(t, bytes.Contains(hay, n), "a key share's bytes are in %s", name)
		}
	}
}
