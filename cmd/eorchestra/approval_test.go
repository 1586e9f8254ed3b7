package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/internal/testctx"
	"github.com/eo-mixnet/eo/orchestra"
)

// approvalSettings are the eorchestra.json of authorities whose trustees
// approve every task.
const approvalSettings = `{"log_level":"warn","passphrase_file":"pass","step_timeout":"60s","resend_after":"1s",
	"policy":{"approval":"manual"}}`

// TestApprovalMultiProcess runs elections on two eorchestra processes
// whose trustees approve every task with eotasks, as the test plays them:
// it waits for each task in eotasks --json and accepts it. The elections
// are created and tallied only then, and the record verifies (eotest
// checks it). A second election's tally, rejected by prod-a2's trustee,
// ends in an error that carries the trustee's reason. The event logs hold
// every decision.
func TestApprovalMultiProcess(t *testing.T) {
	bin := buildBinaries(t)
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	out, err := exec.Command(goBin, "build", "-o", bin, "github.com/eo-mixnet/eo/cmd/eotasks").CombinedOutput()
	require.NoError(t, err, "%s", out)

	ds := deploy(t, bin, 2, approvalSettings)
	for _, d := range ds {
		d.start(t, bin)
	}
	ctx := testctx.Context(t)
	listen := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
	logs := func() string { return ds[0].log.String() + "\n" + ds[1].log.String() }

	// eotasks at authority d, as its trustee runs it.
	eotasks := func(d *daemon, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "eotasks"), append([]string{"--dir", d.dir}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "eotasks %v: %s", args, stderr.String())
		return stdout.String()
	}
	// pending waits until authority d lists the pending task id.
	pending := func(d *daemon, id string) orchestra.Task {
		t.Helper()
		for {
			var tasks []orchestra.Task
			require.NoError(t, json.Unmarshal([]byte(eotasks(d, "--json")), &tasks))
			for _, task := range tasks {
				if task.ID == id {
					require.Equal(t, orchestra.TaskPending, task.Status)
					return task
				}
			}
			if ctx.Err() != nil {
				t.Fatalf("task %s never came\n%s", id, logs())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// eotest runs an eotest command in the background.
	eotest := func(args ...string) func() (string, error) {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "eotest"), append(args, "--dir", ds[0].dir, "--listen", listen)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Start())
		return func() (string, error) {
			err := cmd.Wait()
			if err != nil {
				return stderr.String(), err
			}
			return stdout.String(), nil
		}
	}
	create := func(id string) {
		t.Helper()
		wait := eotest("create", "--peers", "prod-a2", "--id", id, "--questions", "2")
		for i, d := range ds {
			task := pending(d, id+"-create")
			require.Equal(t, ds[i].dirName(), task.Authority)
			require.Equal(t, "prod-a1", task.Director)
			require.Equal(t, "prod-a1", task.Owner.Name)
			require.Equal(t, 2, task.Threshold)
			require.Equal(t, []string{"prod-a1", "prod-a2"}, []string{task.Authorities[0].Name, task.Authorities[1].Name})
			require.Equal(t, []int{1, 1}, task.Widths)
			require.Contains(t, eotasks(d, "--accept", id+"-create"), "accepted")
		}
		msg, err := wait()
		if err != nil {
			t.Fatalf("eotest create: %v: %s\n%s", err, msg, logs())
		}
		var created struct {
			PublicKeys []string `json:"public_keys"`
		}
		require.NoError(t, json.Unmarshal([]byte(msg), &created))
		require.Len(t, created.PublicKeys, 2)
	}
	const vcount = 12
	encrypt := func(id string) string {
		t.Helper()
		vdir := t.TempDir()
		msg, err := eotest("encrypt", id, "--vcount", strconv.Itoa(vcount), "--out", vdir)()
		require.NoError(t, err, "eotest encrypt: %s", msg)
		return filepath.Join(vdir, "votes.jsonl")
	}

	// The first election: every task accepted.
	create("ap1")
	wait := eotest("tally", "ap1", "--vfile", encrypt("ap1"))
	for _, d := range ds {
		task := pending(d, "ap1-tally")
		require.Equal(t, vcount, task.Lines)
		require.Equal(t, []orchestra.TaskQuestion{{Question: 0, Width: 1, Accepted: vcount}, {Question: 1, Width: 1, Accepted: vcount}}, task.Ballots)
		require.True(t, strings.HasPrefix(task.VotesHash, "ni:///sha-256;"), task.VotesHash)
		list := eotasks(d)
		for _, want := range []string{"task ap1-tally: tally election ap1", "votes_hash   " + task.VotesHash, "vote lines   12",
			"question 0: 12 accepted, 0 excluded", "question 1: 12 accepted, 0 excluded", "1 prod-a1  sha256:"} {
			require.Contains(t, list, want)
		}
		eotasks(d, "--accept", "ap1-tally")
	}
	msg, err := wait()
	if err != nil {
		t.Fatalf("eotest tally: %v: %s\n%s", err, msg, logs())
	}
	var tallied struct {
		Checks          int  `json:"checks"`
		MultisetChecked bool `json:"multiset_checked"`
	}
	require.NoError(t, json.Unmarshal([]byte(msg), &tallied))
	require.True(t, tallied.MultisetChecked)
	require.Positive(t, tallied.Checks)
	require.Equal(t, "no pending task\n", eotasks(ds[1]))

	// The second election: prod-a2's trustee rejects the tally.
	create("ap2")
	wait = eotest("tally", "ap2", "--vfile", encrypt("ap2"))
	pending(ds[0], "ap2-tally")
	pending(ds[1], "ap2-tally")
	eotasks(ds[1], "--reject", "ap2-tally", "--reason", "the polls are still open")
	msg, err = wait()
	require.Error(t, err)
	require.Contains(t, msg, "prod-a2's trustee rejected the tally: the polls are still open")
	// prod-a1's task is cancelled by the end of the election.
	for !strings.Contains(eotasks(ds[0], "--all"), "cancelled") {
		if ctx.Err() != nil {
			t.Fatalf("prod-a1's task never cancelled\n%s", logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.Contains(t, eotasks(ds[1], "--all"), "rejected")

	for _, d := range ds {
		ev := runBin(t, bin, "eolog", "--dir", d.dir, "-n", "1000", "--phase", "approval")
		for _, want := range []string{"task created", "task accepted"} {
			require.Contains(t, ev, want)
		}
	}
	ev := runBin(t, bin, "eolog", "--dir", ds[1].dir, "-n", "1000", "--election", "ap2", "--phase", "approval")
	require.Contains(t, ev, "task rejected by the trustee")
	require.Contains(t, ev, "the polls are still open")
	ev = runBin(t, bin, "eolog", "--dir", ds[0].dir, "-n", "1000", "--election", "ap2", "--phase", "approval")
	require.Contains(t, ev, "task cancelled")
}

func (d *daemon) dirName() string { return filepath.Base(d.dir) }

// runBin runs a command of bin and returns its standard output.
func runBin(t *testing.T, bin, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(bin, name), args...).Output()
	require.NoError(t, err, "%s %v", name, args)
	return string(out)
}
