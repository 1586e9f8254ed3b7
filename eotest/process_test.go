package eotest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eolog"
	"github.com/eo-mixnet/eo/internal/testctx"
)

// childEnv, set, makes this test binary an authority's process
// (ServeAuthority) instead of running the tests: what eotest's hidden
// authority subcommand is in the eotest program.
const childEnv = "EOTEST_AUTHORITY_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := ServeAuthority(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "eotest:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A --processes election: each authority in its own process (this test
// binary as the child), the election verifies, and each authority's peak
// memory and the harness's are reported. An authority stopped and started
// again (a new process on the same sockets) still tallies.
func TestFullProcesses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("processes inherit their sockets as file descriptors: Unix only")
	}
	t.Setenv(childEnv, "1")
	var log syncWriter
	log.w = &bytes.Buffer{}
	res, err := Full(context.Background(), Options{Local: 2, Votes: 20, Processes: true, AuthorityCommand: []string{os.Args[0]},
		Timeout: 3 * time.Minute, Logger: slog.New(eolog.NewTextHandler(&log, &eolog.Options{Level: slog.LevelInfo}))})
	require.NoError(t, err)
	t.Logf("peak memory: authorities %v, harness %d", res.PeakMemBytes, res.HarnessPeakMemBytes)
	require.Len(t, res.PeakMemBytes, 2)
	for _, m := range res.PeakMemBytes {
		require.Greater(t, m, int64(1<<20), "peak resident memory of an authority process")
	}
	require.Greater(t, res.HarnessPeakMemBytes, int64(1<<20))
	total := 0
	for _, c := range res.Counts[0] {
		total += c.Count
	}
	require.Equal(t, 20, total)
	// The children's events reached the logger, named by authority.
	require.Contains(t, log.String(), "authority starting")
	require.Contains(t, log.String(), "local-a2")
	t.Log(strings.Join(strings.SplitN(log.String(), "\n", 6)[:5], "\n"))

	_, err = Full(context.Background(), Options{Local: 2, Votes: 5, Processes: true, Adversaries: map[int]string{2: "bad-shuffle"}})
	require.ErrorContains(t, err, "--processes")
}

// A cluster of processes: a stopped authority restarts on its sockets,
// its status page answers, and one whose process fails to start says why.
func TestClusterProcesses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix only")
	}
	t.Setenv(childEnv, "1")
	ctx := testctx.Context(t)
	c, err := StartCluster(ctx, ClusterOptions{N: 2, Dir: t.TempDir(), Processes: true, Command: []string{os.Args[0]}})
	require.NoError(t, err)
	defer c.Close()
	require.Equal(t, "local-a2", c.Status(2).Authority)
	require.NoError(t, c.Stop(2))
	require.NoError(t, c.Start(2))
	require.Equal(t, "local-a2", c.Status(2).Authority)
	require.NoError(t, c.Close())
	peaks := c.PeakMemory()
	require.Len(t, peaks, 2)
	require.Positive(t, peaks[0])
	require.Positive(t, peaks[1])

	_, err = StartCluster(ctx, ClusterOptions{N: 1, Dir: t.TempDir(), Processes: true, Command: []string{os.Args[0], "--no-such-flag"}})
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "no-such-flag"), err)
}
