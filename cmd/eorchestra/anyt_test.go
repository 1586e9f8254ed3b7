package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

	"github.com/eo-mixnet/eo/eotest"
	"github.com/eo-mixnet/eo/internal/drill"
	"github.com/eo-mixnet/eo/internal/testctx"
	"github.com/eo-mixnet/eo/record"
)

// anytStep is the step_timeout of TestAnyTwoOfThreeProcesses' authorities.
const anytStep = 6 * time.Second

// anytSettings are crashSettings with the short timeouts of the any-t
// test: a silent mixer is skipped after one step, a silent dealer after
// its rounds expire.
const anytSettings = `{"log_level":"warn","passphrase_file":"pass","step_timeout":"6s","resend_after":"500ms","round_timeout":"5s"}`

// anytElection is one `eotest full` run against the deployment.
type anytElection struct {
	cmd            *exec.Cmd
	out            string
	stdout, stderr bytes.Buffer
	done           chan error
	started        time.Time
}

// TestAnyTwoOfThreeProcesses is issue #14's "Done when" on real
// processes (doc/daemon.md "Liveness"): three eorchestra daemons, t = 2.
// Killing any one authority — before the creation, when its tally starts,
// in the middle of its mix, in the middle of its decryption — still ends
// in a record that verifies and decrypts to the votes cast (eotest checks
// both, and so does this test), naming the dead one absent where it took
// no part. Restarted, the dead one catches up with the others' outcome.
// Killing two stops the election cleanly with a reason naming both,
// within a bound of the step timeout, and publishes nothing.
func TestAnyTwoOfThreeProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and runs five elections with authorities killed")
	}
	bin := buildBinaries(t, "drill")
	ds := deploy(t, bin, 3, anytSettings)
	for _, d := range ds {
		d.start(t, bin)
	}
	a1 := ds[0]

	// elect starts an election directed by prod-a1 with prod-a2 and
	// prod-a3, t = 2.
	elect := func(t *testing.T, ctx context.Context) *anytElection {
		t.Helper()
		e := &anytElection{out: t.TempDir(), done: make(chan error, 1)}
		e.cmd = exec.CommandContext(ctx, filepath.Join(bin, "eotest"), "full", "--dir", a1.dir, "--peers", "prod-a2,prod-a3",
			"--threshold", "2", "--vcount", "40", "--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t))),
			"--out", e.out, "--json")
		e.cmd.Stdout, e.cmd.Stderr = &e.stdout, &e.stderr
		e.started = time.Now()
		require.NoError(t, e.cmd.Start())
		go func() { e.done <- e.cmd.Wait() }()
		return e
	}
	logs := func() string {
		return "\na1: " + ds[0].log.String() + "\na2: " + ds[1].log.String() + "\na3: " + ds[2].log.String()
	}
	// events is the event log of d.
	events := func(d *daemon) string {
		b, _ := os.ReadFile(filepath.Join(d.dir, "log", "events.jsonl"))
		return string(b)
	}
	// killed requires that the daemon died of SIGKILL (the drill's).
	killed := func(t *testing.T, d *daemon, err error) {
		t.Helper()
		var ee *exec.ExitError
		require.True(t, errors.As(err, &ee), "%v: %s", err, d.log)
		require.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal(), "%s", d.log)
		d.cmd = nil
	}
	// caughtUp waits until the restarted d has ended election id, and
	// requires that its record verifies and has the parameters of the
	// record the owner got (own): the same lists, shares and counts. It
	// reports whether it is that very record (the tally hash the owner
	// got), signatures included.
	caughtUp := func(t *testing.T, d *daemon, id, hash string, own record.Files) bool {
		t.Helper()
		start := time.Now()
		var st struct {
			Status    string `json:"status"`
			TallyHash string `json:"tally_hash"`
		}
		for {
			b, err := os.ReadFile(filepath.Join(d.dir, "elections", id, "election.json"))
			if err == nil && json.Unmarshal(b, &st) == nil && st.Status != "tallying" {
				break
			}
			require.Less(t, time.Since(start), 4*anytStep, "%s did not catch up with election %s: %s\n%s", filepath.Base(d.dir), id, d.log, events(d))
			time.Sleep(50 * time.Millisecond)
		}
		require.Equal(t, "tallied", st.Status, "%s", events(d))
		tgz, err := os.ReadFile(filepath.Join(d.dir, "elections", id, "tally.tar.gz"))
		require.NoError(t, err)
		f, err := record.ReadTarGz(bytes.NewReader(tgz))
		require.NoError(t, err)
		rep := record.Verify(f, record.Options{Threshold: 2})
		require.True(t, rep.Valid(), "%+v", rep.Failures)
		require.JSONEq(t, string(own[record.FileParameters]), string(f[record.FileParameters]), "%s joins the others' outcome", filepath.Base(d.dir))
		// The same record but for the signatures: one that signs later
		// may hold more of them (doc/daemon.md, "Liveness").
		for name, b := range f {
			if !strings.HasPrefix(name, "signatures/") {
				require.Equal(t, own[name], b, "%s: %s differs from the owner's record", filepath.Base(d.dir), name)
			}
		}
		for name := range own {
			if !strings.HasPrefix(name, "signatures/") {
				require.Contains(t, f, name)
			}
		}
		t.Logf("%s caught up in %.1f s: signers %v, shares %v", filepath.Base(d.dir), time.Since(start).Seconds(), rep.Signers, rep.Questions[0].Shares)
		return st.TallyHash == hash
	}
	// electionDir is the directory of the election that prod-a1 directed
	// last (the one not among before).
	electionDir := func(t *testing.T, before []string) string {
		t.Helper()
		after, _ := filepath.Glob(filepath.Join(a1.dir, "elections", "*"))
		var dirs []string
		for _, e := range after {
			if !slices.Contains(before, e) {
				dirs = append(dirs, e)
			}
		}
		require.Len(t, dirs, 1, "one new election at prod-a1")
		return dirs[0]
	}

	for _, tc := range []struct {
		name   string
		who    int    // the authority killed
		point  string // its crash point; "" kills it before the creation
		absent []int  // the record's absent authorities
	}{
		{"a3-down-before-create", 3, "", []int{3}},
		{"a3-killed-tally-start", 3, "votes", []int{3}},
		// prod-a3 mixes last: it dies with prod-a2's mix in hand.
		{"a3-killed-mid-mix", 3, "mix-start", []int{3}},
		// prod-a3, the last mixer, closes the chain in the step of its
		// mix and starts decrypting at once: killed there, its mix never
		// leaves, and it is absent like a mixer killed mid-mix.
		{"a3-killed-share-start", 3, "share-start", []int{3}},
		// prod-a2's mix went out a step before it closes the chain on
		// prod-a3's mix: killed as it starts decrypting, it is on the
		// chain, and prod-a1 and prod-a3 decrypt.
		{"a2-killed-mid-decryption", 2, "share-start", []int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ds[tc.who-1]
			name := filepath.Base(d.dir)
			ctx := testctx.Context(t)
			before, _ := filepath.Glob(filepath.Join(a1.dir, "elections", "*"))
			if tc.point == "" {
				require.NoError(t, d.cmd.Process.Kill())
				killed(t, d, <-d.done)
			} else {
				d.stop(t)
				d.start(t, bin, drill.Env+"="+tc.point)
			}
			e := elect(t, ctx)
			var err error
			if tc.point != "" {
				// The authority dies at its crash point, and stays dead.
				select {
				case err = <-d.done:
					killed(t, d, err)
				case err = <-e.done:
					t.Fatalf("the election ended (%v) before %s reached %s: %s%s", err, name, tc.point, e.stderr.String(), logs())
				case <-ctx.Done():
					t.Fatalf("%s never reached %s: %s%s", name, tc.point, e.stderr.String(), logs())
				}
			}
			select {
			case err = <-e.done:
			case <-ctx.Done():
				t.Fatalf("the election did not end: %s%s", e.stderr.String(), logs())
			}
			took := time.Since(e.started)
			require.NoError(t, err, "eotest: %s%s", e.stderr.String(), logs())
			var res eotest.Result
			require.NoError(t, json.Unmarshal(e.stdout.Bytes(), &res), "%s", e.stdout.String())
			require.Equal(t, 2, res.Threshold)
			require.Len(t, res.Counts, 1)
			sum := 0
			for _, c := range res.Counts[0] {
				sum += c.Count
			}
			require.Equal(t, 40, sum, "every vote cast is counted")

			f, err := record.ReadDir(filepath.Join(e.out, "record"))
			require.NoError(t, err)
			rep := record.Verify(f, record.Options{Threshold: 2})
			require.True(t, rep.Valid(), "%+v", rep.Failures)
			require.Empty(t, rep.Blame, "nobody misbehaved")
			require.Equal(t, tc.absent, rep.Absent, "%s's events: %s", name, events(d))
			require.NotContains(t, rep.Signers, tc.who, "%s died before it could sign", name)
			require.Len(t, rep.Questions, 1)
			require.NotContains(t, rep.Questions[0].Shares, tc.who, "%s died before it could decrypt", name)
			require.Equal(t, res.Counts[0], rep.Questions[0].Counts)

			// prod-a1's state names the dead one absent: from the key
			// generation when it was down before the creation, else from
			// the tally it took no part in.
			var st struct {
				Absent []string `json:"absent"`
			}
			b, err := os.ReadFile(filepath.Join(electionDir(t, before), "election.json"))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &st))
			if len(tc.absent) > 0 {
				require.Equal(t, []string{name}, st.Absent)
			} else {
				require.Empty(t, st.Absent)
			}
			t.Logf("%s: election ended in %.1f s (key generation %.1f s, tally %.1f s), absent %v, signers %v, shares %v, mixes %d",
				tc.name, took.Seconds(), res.Times.KeyGeneration, res.Times.Tally, rep.Absent, rep.Signers, rep.Questions[0].Shares, rep.Questions[0].Mixes)

			// Restarted without a crash point, the authority catches up
			// (or, down before the creation, knows nothing of the
			// election): the next case starts with all three, and its
			// crash point is passed in its own election.
			d.start(t, bin)
			if tc.point != "" {
				caughtUp(t, d, res.ElectionID, res.TallyHash, f)
			}
		})
	}

	t.Run("a2-a3-killed-tally-start", func(t *testing.T) {
		a2, a3 := ds[1], ds[2]
		ctx := testctx.Context(t)
		before, _ := filepath.Glob(filepath.Join(a1.dir, "elections", "*"))
		for _, d := range []*daemon{a2, a3} {
			d.stop(t)
			d.start(t, bin, drill.Env+"=votes")
		}
		e := elect(t, ctx)
		var last time.Time // when the second one died
		for dead := 0; dead < 2; {
			select {
			case err := <-a2.done:
				killed(t, a2, err)
				dead, last = dead+1, time.Now()
			case err := <-a3.done:
				killed(t, a3, err)
				dead, last = dead+1, time.Now()
			case err := <-e.done:
				t.Fatalf("the election ended (%v) before prod-a2 and prod-a3 reached votes: %s%s", err, e.stderr.String(), logs())
			case <-ctx.Done():
				t.Fatalf("prod-a2 and prod-a3 did not both reach votes: %s%s", e.stderr.String(), logs())
			}
		}
		var err error
		select {
		case err = <-e.done:
		case <-ctx.Done():
			t.Fatalf("the election did not stop: %s%s", e.stderr.String(), logs())
		}
		stopped := time.Since(last)
		require.Error(t, err, "eotest: %s", e.stdout.String())
		msg := e.stderr.String()
		require.Contains(t, msg, "fewer than the threshold 2", "%s", logs())
		require.Contains(t, msg, "prod-a2")
		require.Contains(t, msg, "prod-a3")
		require.Less(t, stopped, 10*anytStep, "the stop is bounded by the step timeout")
		dir := electionDir(t, before)
		_, err = os.Stat(filepath.Join(dir, "tally.tar.gz"))
		require.ErrorIs(t, err, os.ErrNotExist, "nothing published")
		t.Logf("stopped %.1f s after the second death (%.1f s in all): %s", stopped.Seconds(), time.Since(e.started).Seconds(), bytes.TrimSpace(e.stderr.Bytes()))

		a2.start(t, bin)
		a3.start(t, bin)
	})
}
