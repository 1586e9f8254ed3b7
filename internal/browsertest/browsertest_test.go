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
	_, _, err := start(context.Background(), path, 100, 100, func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) })
	require.Error(t, err)
	require.Contains(t, err.Error(), "no display")
	require.Equal(t, attempts, starts(t, count))
	require.Len(t, logged, attempts)
}

// A browser that fails its first start is started again, and works.
func TestStartRetries(t *testing.T) {
	real := Path(t)
	path, count := launcher(t, 1, real)
	var logged []string
	ctx, stop, err := start(context.Background(), path, 800, 600, func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) })
	require.NoError(t, err)
	defer stop()
	require.Equal(t, 2, starts(t, count))
	require.Len(t, logged, 1)
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.innerWidth`))
	require.NoError(t, err)
	require.Equal(t, 800, width)
}
