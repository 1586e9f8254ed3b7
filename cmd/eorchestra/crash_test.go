package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/internal/drill"
	"github.com/eo-mixnet/eo/internal/testctx"
	"github.com/eo-mixnet/eo/record"
)

// buildBinaries builds the commands once per test into a temporary
// directory, with the build tags given: "drill" for the daemon of the
// crash drill (drill.go), none for the production binaries.
func buildBinaries(t *testing.T, tags ...string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binaries")
	}
	bin := t.TempDir()
	args := []string{"build", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	build := exec.Command(goBin, append(args, "github.com/eo-mixnet/eo/cmd/eopeers", "github.com/eo-mixnet/eo/cmd/eorchestra",
		"github.com/eo-mixnet/eo/cmd/eotest", "github.com/eo-mixnet/eo/cmd/eolog")...)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// daemon is one eorchestra process of a test deployment.
type daemon struct {
	dir  string
	port int
	cmd  *exec.Cmd
	log  *bytes.Buffer
	done chan error
}

func (d *daemon) start(t *testing.T, bin string, env ...string) {
	t.Helper()
	d.cmd = exec.Command(filepath.Join(bin, "eorchestra"), "serve", "--dir", d.dir)
	d.cmd.Env = append(os.Environ(), env...)
	d.log = &bytes.Buffer{}
	d.cmd.Stderr = d.log
	require.NoError(t, d.cmd.Start())
	d.done = make(chan error, 1)
	go func() { d.done <- d.cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(d.port)))
		if err == nil {
			c.Close()
			return
		}
		select {
		case err := <-d.done:
			d.done <- err
			return // died at once (a crash point at start): the caller sees it
		default:
		}
		require.True(t, time.Now().Before(deadline), "daemon did not start: %s", d.log)
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *daemon) stop(t *testing.T) {
	if d.cmd == nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
	}
	d.cmd = nil
}

// deploy makes n authorities prod-a1 … with eopeers, each trusting the
// others, and returns their daemons (not started).
func deploy(t *testing.T, bin string, n int, settings string) []*daemon {
	root := t.TempDir()
	run := func(args ...string) string {
		out, err := exec.Command(filepath.Join(bin, "eopeers"), args...).Output()
		require.NoError(t, err, "eopeers %v", args)
		return string(out)
	}
	ds := make([]*daemon, n)
	for i := range ds {
		name := fmt.Sprintf("prod-a%d", i+1)
		ds[i] = &daemon{dir: filepath.Join(root, name), port: freePort(t)}
		run("--dir", ds[i].dir, "--init", "--hostname", name, "--ip", "127.0.0.1", "--port", strconv.Itoa(ds[i].port))
		require.NoError(t, os.WriteFile(filepath.Join(root, name+".pkg"), []byte(run("--dir", ds[i].dir, "--show-mine")), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(ds[i].dir, "pass"), []byte("passphrase of "+name), 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(ds[i].dir, "eorchestra.json"), []byte(settings), 0o644))
	}
	for i := range ds {
		for j := range ds {
			if i != j {
				run("--dir", ds[i].dir, "--install", filepath.Join(root, fmt.Sprintf("prod-a%d.pkg", j+1)))
			}
		}
	}
	t.Cleanup(func() {
		for _, d := range ds {
			d.stop(t)
		}
	})
	return ds
}

// crashSettings are the eorchestra.json of the crash tests' authorities.
const crashSettings = `{"log_level":"warn","passphrase_file":"pass","step_timeout":"60s","resend_after":"500ms","round_timeout":"20s"}`

// TestCrashResume kills an authority with SIGKILL at every step boundary
// of an election and in the middle of the steps (every key-generation
// message, each mix before and after it is published, verification,
// decryption, the record), restarts it, and requires the election to end
// correctly: the record verifies and decrypts to the votes cast (eotest
// checks both), and a mix stored before the crash is the one in the
// record — never shuffled again with fresh randomness.
func TestCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and runs a dozen elections")
	}
	bin := buildBinaries(t, "drill")
	ds := deploy(t, bin, 2, crashSettings)
	ds[0].start(t, bin)
	ds[1].start(t, bin)
	for _, tc := range []struct {
		who   int // 1-based authority that crashes
		point string
	}{
		{2, "dkg-message:1"}, {2, "dkg-message:3"}, {1, "dkg-message:2"}, {2, "created"}, {1, "created"},
		{2, "votes"}, {2, "params-stored"}, {1, "params-published"},
		{1, "mix-start"}, {2, "mix-start"}, {1, "mix-stored"}, {1, "mix-published"}, {2, "mix-verified"}, {2, "mix-stored"}, {2, "mix-published"},
		{1, "mix-verified"}, {1, "share-start"}, {2, "share-stored"}, {1, "share-published"}, {2, "record"}, {1, "record"},
	} {
		t.Run(fmt.Sprintf("a%d-%s", tc.who, strings.ReplaceAll(tc.point, ":", "-")), func(t *testing.T) {
			d := ds[tc.who-1]
			before, _ := filepath.Glob(filepath.Join(d.dir, "elections", "*"))
			d.stop(t)
			d.start(t, bin, drill.Env+"="+tc.point)
			ctx := testctx.Context(t)
			out := t.TempDir()
			eotest := exec.CommandContext(ctx, filepath.Join(bin, "eotest"), "full", "--dir", ds[0].dir, "--peers", "prod-a2",
				"--vcount", "60", "--questions", "2", "--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t))), "--out", out, "--json")
			var stdout, stderr bytes.Buffer
			eotest.Stdout, eotest.Stderr = &stdout, &stderr
			require.NoError(t, eotest.Start())
			eotestDone := make(chan error, 1)
			go func() { eotestDone <- eotest.Wait() }()

			// The authority dies at its crash point.
			var err error
			select {
			case err = <-d.done:
			case err = <-eotestDone:
				t.Fatalf("the election ended (%v) without reaching the crash point: %s %s", err, stderr.String(), d.log)
			case <-ctx.Done():
				t.Fatalf("no crash: %s", d.log)
			}
			var ee *exec.ExitError
			require.True(t, errors.As(err, &ee), "%v", err)
			require.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal())
			after, _ := filepath.Glob(filepath.Join(d.dir, "elections", "*"))
			var stored []string
			for _, e := range after {
				if !slices.Contains(before, e) {
					stored, _ = filepath.Glob(filepath.Join(e, "tally", "q0.mix-*-at-*.msg"))
				}
			}
			mixes := map[string][]byte{}
			for _, f := range stored {
				mixes[filepath.Base(f)], _ = os.ReadFile(f)
			}
			d.cmd = nil
			d.start(t, bin) // no crash point now

			select {
			case err = <-eotestDone:
			case <-ctx.Done():
				t.Fatalf("the election did not end after the restart: %s\n%s\n%s", stderr.String(), ds[0].log, ds[1].log)
			}
			require.NoError(t, err, "eotest: %s\na1: %s\na2: %s", stderr.String(), ds[0].log, ds[1].log)
			f, err := record.ReadDir(filepath.Join(out, "record"))
			require.NoError(t, err)
			for name, msg := range mixes {
				var j, p int
				_, err := fmt.Sscanf(name, "q0.mix-%d-at-%d.msg", &j, &p)
				require.NoError(t, err)
				require.True(t, bytes.Contains(msg, f[fmt.Sprintf("q0/mix-%d/output.bin", p)]), "mix %d of %d changed after the crash", p, j)
			}
		})
	}
}

// TestCrashDrillNeedsTag runs an election on the production binaries
// (built without -tags drill) with $EO_CRASH_AT naming points that every
// election passes: no daemon dies, because only the drill build reads it.
func TestCrashDrillNeedsTag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and runs an election")
	}
	bin := buildBinaries(t)
	ds := deploy(t, bin, 2, crashSettings)
	ds[0].start(t, bin, drill.Env+"=dkg-message:1")
	ds[1].start(t, bin, drill.Env+"=created")
	ctx := testctx.Context(t)
	eotest := exec.CommandContext(ctx, filepath.Join(bin, "eotest"), "full", "--dir", ds[0].dir, "--peers", "prod-a2",
		"--vcount", "30", "--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t))), "--json")
	var stderr bytes.Buffer
	eotest.Stderr = &stderr
	require.NoError(t, eotest.Run(), "eotest: %s\na1: %s\na2: %s", stderr.String(), ds[0].log, ds[1].log)
	for i, d := range ds {
		select {
		case err := <-d.done:
			t.Fatalf("authority %d died (%v): %s", i+1, err, d.log)
		default:
		}
	}
}
