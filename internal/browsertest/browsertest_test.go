package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// launcher writes a script that counts its starts in a file and fails
// its first fail starts; after those it runs real.
func launcher(t *testing.T, fail int, real string) (path, count string) {
	dir := t.TempDir()
	count = filepath.Join(dir, "starts")
	path = filepath.Join(dir, "browser")
	script := fmt.Sprintf("#!/bin/sh\necho x >> %q\nif [ $(wc -l < %q) -le %d ]; then echo 'no display' >&2; exit 1; fi\nexec %q \"$@\"\n", count, count, fail, real)
	require.NoError(t, os.WriteFile(path, []byte(script), 0o755))
	return path, count
}

func starts(t *testing.T, count string) int {
	b, err := os.ReadFile(count)
	require.NoError(t, err)
	return strings.Count(string(b), "\n")
}

// A browser that never starts is tried attempts times, and each failure
// is logged with what the browser printed.
func TestStartGivesUp(t *testing.T) {
	path, count := launcher(t, attempts, "/bin/false")
	var logged []string
	_, _, err := start(context.Background(), path, 100, 100, attempts, func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) })
	require.Error(t, err)
	require.Contains(t, err.Error(), "no display")
	require.Equal(t, attempts, starts(t, count))
	require.Len(t, logged, attempts)
}

// A browser that fails its first start is started again, and works.
// The real Chromium behind the launcher may itself fail a start (that is
// why Start retries; it happened in CI), so the test asserts that every
// start but the last was a logged failure and that the first was the
// launcher's, not that exactly two were needed. The real browser gets as
// many tries as Start gives it.
func TestStartRetries(t *testing.T) {
	real := Path(t)
	path, count := launcher(t, 1, real)
	var logged []string
	ctx, stop, err := start(context.Background(), path, 800, 600, 1+attempts, func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) })
	for _, l := range logged {
		t.Log(l)
	}
	require.NoError(t, err)
	defer stop()
	n := starts(t, count)
	require.GreaterOrEqual(t, n, 2, "the launcher's failed start was not retried")
	require.Len(t, logged, n-1, "every start but the last failed and was logged")
	require.Contains(t, logged[0], "no display")
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.innerWidth`))
	require.NoError(t, err)
	require.Equal(t, 800, width)
}
