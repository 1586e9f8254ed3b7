package eotest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/internal/browsertest"
	"github.com/eo-mixnet/eo/internal/testctx"
	"github.com/eo-mixnet/eo/orchestra"
)

// The status page in a real browser, during real elections on a local
// cluster whose authority 2 shuffles badly: an election with t = 2 of 3
// advances from "created" to "tallied" on a page opened before it was
// created (the page refreshes itself); one with t = 3 fails, and the page shows why; an
// absent and a blamed authority written in the state are shown. The
// screenshots go to $EO_SCREENSHOTS, or the test's temporary directory.
func TestStatusPageInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("a browser and whole elections")
	}
	browsertest.Path(t)
	shots := os.Getenv("EO_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	votes := 400
	if v := os.Getenv("EO_STATUS_VOTES"); v != "" {
		fmt.Sscan(v, &votes)
	}
	ctx := testctx.Context(t)
	cfg := &orchestra.Config{StepTimeout: orchestra.Duration(30 * time.Second), ResendAfter: orchestra.Duration(2 * time.Second),
		RoundTimeout: orchestra.Duration(5 * time.Second)}
	c, err := StartCluster(ctx, ClusterOptions{N: 3, Dir: t.TempDir(), Config: cfg, Adversaries: map[int]string{2: "bad-shuffle"}})
	require.NoError(t, err)
	defer c.Close()
	h, err := NewHarness(HarnessOptions{Dir: c.Dirs[0], Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer h.Close()

	browser := browsertest.Start(t, ctx, 1100, 900)
	require.NoError(t, chromedp.Do(browser, chromedp.Navigate(c.StatusURL(1)+"?refresh=200"), chromedp.WaitVisible(chromedp.CSS("h1"))))

	shot := func(name string) {
		png, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		p := filepath.Join(shots, name)
		require.NoError(t, os.WriteFile(p, png, 0o644))
		t.Logf("screenshot %s", p)
	}
	status := func(id string) string {
		s, _ := chromedp.Run(browser, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector('section[data-election=%q]')||{dataset:{}}).dataset.status||""`, id)))
		return s
	}
	// innerText reads an election's section in one evaluation (the page
	// replaces its nodes as it refreshes).
	innerText := func(id string) string {
		s, _ := chromedp.Run(browser, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector('section[data-election=%q]')||{innerText:""}).innerText`, id)))
		return s
	}
	// waitText waits until the first node sel selects holds want, read in
	// one evaluation: a node read while the page replaces it reads empty
	// (CI: the tallied section's record link read "").
	waitText := func(sel, want string) {
		t.Helper()
		var last string
		for {
			last, _ = chromedp.Run(browser, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{innerText:""}).innerText`, sel)))
			if strings.Contains(last, want) {
				return
			}
			require.NoError(t, ctx.Err(), "%s never held %q; it last held %q", sel, want, last)
			time.Sleep(100 * time.Millisecond)
		}
	}

	// An election that ends well, watched without reloading.
	pks, err := h.Create(ctx, "browser-ok", c.Names, 2, 1)
	require.NoError(t, err)
	v, err := Encrypt("browser-ok", pks, votes, 3)
	require.NoError(t, err)
	// The page, never reloaded, shows the election created; then, as the
	// tally runs, tallying (if it lasts long enough to be seen) and
	// tallied.
	for status("browser-ok") != "created" {
		require.NoError(t, ctx.Err(), "the page never showed the election created")
		time.Sleep(100 * time.Millisecond)
	}
	shot("status-created.png")
	done := make(chan error, 1)
	go func() { _, _, err := h.Tally(ctx, "browser-ok", v.File); done <- err }()
	seen := map[string]bool{}
	midShot := false
	for !seen["tallied"] {
		s := status("browser-ok")
		seen[s] = true
		// The mid-tally shot: once the mixes show their progress.
		if s == "tallying" && !midShot && strings.Contains(innerText("browser-ok"), "mix") {
			shot("status-tallying.png")
			midShot = true
		}
		require.NoError(t, ctx.Err(), "the page never showed the election tallied; it showed %v", seen)
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, <-done)
	waitText(`section[data-election="browser-ok"]`, "tally.tar.gz")
	shot("status-tallied.png")

	// An election that fails: authority 2's shuffle is rejected and
	// fewer than t = 3 mixers are left.
	pks, err = h.Create(ctx, "browser-fail", c.Names, 3, 1)
	require.NoError(t, err)
	v, err = Encrypt("browser-fail", pks, 30, 3)
	require.NoError(t, err)
	_, _, err = h.Tally(ctx, "browser-fail", v.File)
	require.Error(t, err)
	for status("browser-fail") != "failed" {
		require.NoError(t, ctx.Err(), "the page never showed the election failed")
		time.Sleep(100 * time.Millisecond)
	}
	waitText(`section[data-election="browser-fail"] [data-reason]`, "fewer than the threshold")
	shot("status-failed.png")

	// Absent and blamed authorities, as the state names them.
	require.NoError(t, c.Stop(1))
	file := filepath.Join(c.Dirs[0], orchestra.ElectionsDir, "browser-fail", "election.json")
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var st map[string]any
	require.NoError(t, json.Unmarshal(b, &st))
	st["absent"], st["blamed"] = []string{"local-a3"}, []string{"local-a2"}
	b, err = json.Marshal(st)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, b, 0o600))
	require.NoError(t, c.Start(1))
	require.NoError(t, chromedp.Do(browser, chromedp.Navigate(c.StatusURL(1)), chromedp.WaitVisible(chromedp.CSS(`section[data-election="browser-fail"]`))))
	waitText(`section[data-election="browser-fail"] [data-absent]`, "local-a3")
	waitText(`section[data-election="browser-fail"] [data-blamed]`, "local-a2")
	waitText(`table.peers`, "local-a2")
	shot("status-blamed.png")
}
