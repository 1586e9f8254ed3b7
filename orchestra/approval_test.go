package orchestra_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eotest"
	"github.com/eo-mixnet/eo/orchestra"
	"github.com/eo-mixnet/eo/record"
)

// manual is an authority's configuration with the trustee's approval.
func manual(timeout time.Duration) *orchestra.Config {
	return &orchestra.Config{StepTimeout: orchestra.Duration(20 * time.Second), ResendAfter: orchestra.Duration(2 * time.Second),
		RoundTimeout: orchestra.Duration(5 * time.Second),
		Policy:       orchestra.Policy{Approval: "manual", ApprovalTimeout: orchestra.Duration(timeout)}}
}

// pendingTask waits until the authority directory dir holds the pending
// task id, and returns it.
func pendingTask(t *testing.T, ctx context.Context, dir, id string) *orchestra.Task {
	t.Helper()
	for {
		task, err := orchestra.ReadTask(dir, id)
		if err == nil && task.Status == orchestra.TaskPending {
			return task
		}
		if err != nil && !errors.Is(err, orchestra.ErrNoTask) {
			require.NoError(t, err)
		}
		require.NoError(t, ctx.Err(), "task %s never came", id)
		time.Sleep(20 * time.Millisecond)
	}
}

// taskStatus waits until the task id at dir has the status want.
func taskStatus(t *testing.T, ctx context.Context, dir, id, want string) *orchestra.Task {
	t.Helper()
	for {
		task, err := orchestra.ReadTask(dir, id)
		require.NoError(t, err)
		if task.Status == want {
			return task
		}
		require.NoError(t, ctx.Err(), "task %s is %s, never %s", id, task.Status, want)
		time.Sleep(20 * time.Millisecond)
	}
}

func accept(t *testing.T, dir, id string) {
	t.Helper()
	_, err := orchestra.DecideTask(dir, id, true, "")
	require.NoError(t, err)
}

// A trustee slower than every timeout of the others: local-a1 approves
// automatically, local-a2's trustee takes longer than a key-generation
// round and a step may stall. local-a1 waits for it (local-a2 tells it
// that it waits), so nobody is given up on. local-a2 does nothing before
// its trustee accepts: no key generation, no signature, no mix. Its task
// shows what the trustee decides on; a task accepted while the daemon is
// stopped is found accepted at the restart.
func TestApprovalSlowTrustee(t *testing.T) {
	t.Parallel()
	// Rounds of 4 s (6 s before an authority's first message): a 2 s round
	// gave up on local-a2 as it started after its approval, on a loaded
	// machine in CI.
	fast := &orchestra.Config{StepTimeout: orchestra.Duration(4 * time.Second), ResendAfter: orchestra.Duration(time.Second),
		RoundTimeout: orchestra.Duration(4 * time.Second)}
	slow := *fast
	slow.Policy = orchestra.Policy{Approval: "manual"}
	e := newEnvCluster(t, eotest.ClusterOptions{N: 2, Configs: map[int]*orchestra.Config{1: fast, 2: &slow}})
	a2 := e.c.Dirs[1]
	const delay = 7 * time.Second

	type created struct {
		pks []string
		err error
	}
	cc := make(chan created, 1)
	go func() {
		pks, err := e.h.Create(e.ctx, "s1", e.c.Names, 2, 2)
		cc <- created{pks, err}
	}()
	task := pendingTask(t, e.ctx, a2, "s1-create")
	require.Equal(t, "s1", task.Election)
	require.Equal(t, orchestra.TaskCreate, task.Kind)
	require.Equal(t, "local-a2", task.Authority)
	require.Equal(t, "local-a1", task.Director)
	require.Equal(t, "local-a1", task.Owner.Name)
	require.Regexp(t, "^sha256:[0-9a-f]{64}$", task.Owner.Fingerprint)
	require.Equal(t, 2, task.Threshold)
	require.Len(t, task.Authorities, 2)
	for i, a := range task.Authorities {
		require.Equal(t, e.c.Names[i], a.Name)
		require.Regexp(t, "^sha256:[0-9a-f]{64}$", a.Fingerprint)
	}
	require.Equal(t, task.Owner.Fingerprint, task.Authorities[0].Fingerprint)
	require.Equal(t, 2, task.Questions)
	require.Equal(t, []int{1, 1}, task.Widths)
	require.WithinDuration(t, task.Created.Add(24*time.Hour), task.Expires, time.Second)
	time.Sleep(delay)
	seeds, _ := filepath.Glob(filepath.Join(a2, "elections", "s1", "q*.dkg*"))
	require.Empty(t, seeds, "key generation before the trustee's approval")
	accept(t, a2, "s1-create")
	c := <-cc
	require.NoError(t, c.err)
	_, err := os.Stat(filepath.Join(e.c.Dirs[0], orchestra.TasksDir))
	require.ErrorIs(t, err, os.ErrNotExist, "approval auto writes no task")

	votes, err := eotest.Encrypt("s1", c.pks, 30, 3)
	require.NoError(t, err)
	require.NoError(t, e.h.RequestTally(e.ctx, "s1", votes.File, "", ""))
	task = pendingTask(t, e.ctx, a2, "s1-tally")
	require.Equal(t, record.VotesHash(votes.File), task.VotesHash)
	require.Contains(t, task.VotesURL, "/eotest/votes/s1")
	require.Equal(t, 30, task.Lines)
	require.Equal(t, []orchestra.TaskQuestion{{Question: 0, Width: 1, Accepted: 30}, {Question: 1, Width: 1, Accepted: 30}}, task.Ballots)
	time.Sleep(delay)
	tallied, _ := filepath.Glob(filepath.Join(a2, "elections", "s1", "tally", "*"))
	require.Empty(t, tallied, "signed or mixed before the trustee's approval")

	// Accepted while local-a2 is down: it proceeds at its restart.
	require.NoError(t, e.c.Stop(2))
	accept(t, a2, "s1-tally")
	require.NoError(t, e.c.Start(2))
	url, hash, err := e.h.WaitTally(e.ctx, "s1")
	require.NoError(t, err)
	e.check(t, "s1", url, hash, votes)
}

// A trustee's rejection ends the election with its reason, at the
// director (its own trustee) as at another authority; the task the other
// trustee had not decided yet is cancelled.
func TestApprovalRejected(t *testing.T) {
	t.Parallel()
	e := newEnvCluster(t, eotest.ClusterOptions{N: 2, Config: manual(time.Hour)})
	a1, a2 := e.c.Dirs[0], e.c.Dirs[1]

	errc := make(chan error, 1)
	go func() {
		_, err := e.h.Create(e.ctx, "x1", e.c.Names, 2, 1)
		errc <- err
	}()
	pendingTask(t, e.ctx, a2, "x1-create")
	pendingTask(t, e.ctx, a1, "x1-create")
	_, err := orchestra.DecideTask(a1, "x1-create", false, "no election today")
	require.NoError(t, err)
	require.ErrorContains(t, <-errc, "local-a1's trustee rejected the creation: no election today")
	task := taskStatus(t, e.ctx, a2, "x1-create", orchestra.TaskCancelled)
	require.Contains(t, task.Reason, "no election today")
	require.Equal(t, "eorchestra", task.DecidedBy)

	go func() {
		_, err := e.h.Create(e.ctx, "x2", e.c.Names, 2, 1)
		errc <- err
	}()
	accept(t, a1, pendingTask(t, e.ctx, a1, "x2-create").ID)
	accept(t, a2, pendingTask(t, e.ctx, a2, "x2-create").ID)
	require.NoError(t, <-errc)
	pks, err := e.h.PublicKeys(e.ctx, "x2")
	require.NoError(t, err)
	votes, err := eotest.Encrypt("x2", pks, 5, 3)
	require.NoError(t, err)
	require.NoError(t, e.h.RequestTally(e.ctx, "x2", votes.File, "", ""))
	pendingTask(t, e.ctx, a1, "x2-tally")
	_, err = orchestra.DecideTask(a2, pendingTask(t, e.ctx, a2, "x2-tally").ID, false, "the polls are still open")
	require.NoError(t, err)
	_, _, err = e.h.WaitTally(e.ctx, "x2")
	require.ErrorContains(t, err, "local-a2's trustee rejected the tally: the polls are still open")
	taskStatus(t, e.ctx, a1, "x2-tally", orchestra.TaskCancelled)
	_, err = orchestra.DecideTask(a1, "x2-tally", true, "")
	require.ErrorIs(t, err, orchestra.ErrTaskDecided)
}

// A task nobody decides expires after approval_timeout and ends the
// election.
func TestApprovalExpires(t *testing.T) {
	t.Parallel()
	e := newEnvCluster(t, eotest.ClusterOptions{N: 2, Config: manual(1500 * time.Millisecond)})
	_, err := e.h.Create(e.ctx, "t1", e.c.Names, 2, 1)
	require.ErrorContains(t, err, "trustee did not decide the creation in time: expired")
	// The first task to expire ends the election; the other one expires
	// too, or is cancelled by the first one's abort.
	expired := 0
	for _, dir := range e.c.Dirs {
		for {
			task, err := orchestra.ReadTask(dir, "t1-create")
			require.NoError(t, err)
			if task.Status == orchestra.TaskExpired {
				require.Equal(t, "expired", task.Reason)
				expired++
			}
			if task.Status != orchestra.TaskPending {
				require.Contains(t, []string{orchestra.TaskExpired, orchestra.TaskCancelled}, task.Status)
				break
			}
			require.NoError(t, e.ctx.Err())
			time.Sleep(20 * time.Millisecond)
		}
	}
	require.Positive(t, expired)
}
