// Package browsertest starts headless Chromium for the tests that drive
// a page with chromedp (the booth's and the status page's).
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// attempts is how many times Start starts the browser. Once in CI a
// Chromium exited before it listened, with nothing in its output to say
// why, and the next test's browser started well: a start is retried, and
// every failed one is logged.
const attempts = 3

// Path returns the path of the browser, or skips the test (fails it
// under CI, whose .ci/run installs one) when there is none.
func Path(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium or chromium-browser on PATH: .ci/run installs Debian's chromium")
	}
	t.Skip("no chromium or chromium-browser on PATH (apt-get install chromium)")
	return ""
}

// Start starts headless Chromium under parent with a window of width ×
// height and returns the context of its first tab. The browser is
// closed when the test ends (or parent is done).
func Start(t testing.TB, parent context.Context, width, height int) context.Context {
	t.Helper()
	path := Path(t)
	ctx, stop, err := start(parent, path, width, height, attempts, t.Logf)
	if err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	t.Cleanup(stop)
	return ctx
}

// start starts the browser at path, up to tries times, and logs each
// failed start with logf.
func start(parent context.Context, path string, width, height, tries int, logf func(string, ...any)) (context.Context, func(), error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // as root, in a container
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(width, height),
	)
	var err error
	for i := 1; i <= tries; i++ {
		actx, cancelAlloc := chromedp.NewExecAllocator(parent, opts...)
		ctx, cancel := chromedp.NewContext(actx)
		if err = chromedp.Do(ctx); err == nil {
			return ctx, func() { cancel(); cancelAlloc() }, nil
		}
		cancel()
		cancelAlloc()
		logf("starting %s (attempt %d of %d): %v", path, i, tries, err)
		if parent.Err() != nil {
			break
		}
	}
	return nil, nil, err
}
