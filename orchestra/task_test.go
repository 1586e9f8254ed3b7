package orchestra

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// newTestTask writes a pending task of election id into the authority
// directory dir, expiring after d.
func newTestTask(t *testing.T, dir, id, kind string, d time.Duration) *Task {
	t.Helper()
	now := time.Now().UTC().Round(time.Millisecond)
	task := &Task{ID: TaskID(id, kind), Election: id, Kind: kind, Authority: "prod-a2", Director: "prod-a1",
		Owner: TaskPeer{Name: "web.example.org", Fingerprint: "sha256:00"}, Threshold: 2,
		Authorities: []TaskPeer{{Name: "prod-a1", Fingerprint: "sha256:01"}, {Name: "prod-a2", Fingerprint: "sha256:02"}},
		Questions:   1, Widths: []int{1}, Created: now, Expires: now.Add(d), Status: TaskPending}
	if kind == TaskTally {
		task.VotesURL, task.VotesHash, task.Lines = "https://web.example.org/votes", "ni:///sha-256;x", 3
		task.Ballots = []TaskQuestion{{Question: 0, Width: 1, Accepted: 2, Excluded: 1}}
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, TasksDir), 0o700))
	require.NoError(t, writeTask(dir, task))
	return task
}

// Task files: written 0600, read back equal, listed oldest first; a
// decision is recorded once, by a user, at a time; unknown and malformed
// ids, decided and expired tasks, and rejections without a reason are
// refused.
func TestTaskFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tasks, err := ReadTasks(dir)
	require.NoError(t, err)
	require.Empty(t, tasks, "no tasks directory is no task")

	c := newTestTask(t, dir, "e-1", TaskCreate, time.Hour)
	time.Sleep(2 * time.Millisecond)
	tl := newTestTask(t, dir, "e-1", TaskTally, time.Hour)
	fi, err := os.Stat(taskPath(dir, c.ID))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	got, err := ReadTask(dir, "e-1-tally")
	require.NoError(t, err)
	require.Equal(t, tl, got)
	tasks, err = ReadTasks(dir)
	require.NoError(t, err)
	require.Equal(t, []*Task{c, tl}, tasks)

	// Accept, then decide again.
	before := time.Now()
	d, err := DecideTask(dir, "e-1-create", true, "")
	require.NoError(t, err)
	require.Equal(t, TaskAccepted, d.Status)
	require.NotEmpty(t, d.DecidedBy)
	require.WithinRange(t, *d.DecidedAt, before.Add(-time.Second), time.Now().Add(time.Second))
	got, err = ReadTask(dir, "e-1-create")
	require.NoError(t, err)
	require.Equal(t, d, got)
	_, err = DecideTask(dir, "e-1-create", false, "changed my mind")
	require.ErrorIs(t, err, ErrTaskDecided)
	require.ErrorContains(t, err, "task e-1-create is accepted")
	_, err = DecideTask(dir, "e-1-create", true, "")
	require.ErrorIs(t, err, ErrTaskDecided)

	// A rejection needs its reason.
	_, err = DecideTask(dir, "e-1-tally", false, "  ")
	require.ErrorContains(t, err, "a rejection needs a reason")
	d, err = DecideTask(dir, "e-1-tally", false, " the polls are still open ")
	require.NoError(t, err)
	require.Equal(t, TaskRejected, d.Status)
	require.Equal(t, "the polls are still open", d.Reason)

	// Unknown and malformed ids.
	for _, id := range []string{"e-2-tally", "e-1", "e-1-mix", "../e-1-tally", ".e-1-tally", ""} {
		_, err = DecideTask(dir, id, true, "")
		require.ErrorIs(t, err, ErrNoTask, id)
		_, err = ReadTask(dir, id)
		require.ErrorIs(t, err, ErrNoTask, id)
	}

	// A task past its expiry can no longer be decided by the trustee; the
	// daemon marks it expired.
	newTestTask(t, dir, "old", TaskTally, -time.Second)
	_, err = DecideTask(dir, "old-tally", true, "")
	require.ErrorIs(t, err, ErrTaskDecided)
	require.ErrorContains(t, err, "expired at")
	d, err = decideTask(dir, "old-tally", TaskExpired, "expired", "eorchestra", time.Now())
	require.NoError(t, err)
	require.Equal(t, TaskExpired, d.Status)
	require.Equal(t, "eorchestra", d.DecidedBy)
	// The daemon never overrides the trustee.
	_, err = decideTask(dir, "e-1-create", TaskExpired, "expired", "eorchestra", time.Now())
	require.ErrorIs(t, err, ErrTaskDecided)

	// No temporary or lock file is left behind.
	ents, err := os.ReadDir(filepath.Join(dir, TasksDir))
	require.NoError(t, err)
	for _, e := range ents {
		require.False(t, strings.HasPrefix(e.Name(), "."), e.Name())
	}
}

// The trustee and the daemon racing: exactly one decision stands.
func TestTaskDecideRace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	newTestTask(t, dir, "r", TaskCreate, time.Hour)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			switch i % 3 {
			case 0:
				_, err = DecideTask(dir, "r-create", true, "")
			case 1:
				_, err = DecideTask(dir, "r-create", false, "no")
			default:
				_, err = decideTask(dir, "r-create", TaskExpired, "expired", "eorchestra", time.Now())
			}
			if err == nil {
				wins.Add(1)
			} else {
				require.ErrorIs(t, err, ErrTaskDecided)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, int32(1), wins.Load())
}

// A lock left by a crashed eotasks is broken once stale.
func TestTaskStaleLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	newTestTask(t, dir, "s", TaskCreate, time.Hour)
	lock := filepath.Join(dir, TasksDir, ".s-create.lock")
	require.NoError(t, os.WriteFile(lock, nil, 0o600))
	old := time.Now().Add(-2 * staleLock)
	require.NoError(t, os.Chtimes(lock, old, old))
	_, err := DecideTask(dir, "s-create", true, "")
	require.NoError(t, err)
	_, err = os.Stat(lock)
	require.ErrorIs(t, err, os.ErrNotExist)
}

// Task files are parsed strictly.
func TestTaskParseStrict(t *testing.T) {
	t.Parallel()
	good := `{"id":"e-create","election_id":"e","kind":"create","authority":"a","director":"a","owner":{"name":"a","fingerprint":"f"},
		"threshold":1,"authorities":[],"questions":1,"widths":[1],"created":"2026-01-01T00:00:00Z","expires":"2026-01-02T00:00:00Z","status":"pending"}`
	_, err := ParseTask([]byte(good))
	require.NoError(t, err)
	for name, tc := range map[string]struct{ in, want string }{
		"unknown field": {strings.Replace(good, `"status"`, `"approved":true,"status"`, 1), "unknown field"},
		"trailing":      {good + "{}", "data after"},
		"id":            {strings.Replace(good, `"e-create"`, `"f-create"`, 1), "is not <election_id>-<kind>"},
		"kind":          {strings.ReplaceAll(strings.ReplaceAll(good, `"create"`, `"mix"`), `e-create`, `e-mix`), "is not"},
		"status":        {strings.Replace(good, `"pending"`, `"maybe"`, 1), "unknown status"},
	} {
		_, err := ParseTask([]byte(tc.in))
		require.ErrorContains(t, err, tc.want, name)
	}
}

// A stored task is reused only for the same request.
func TestTaskSameRequest(t *testing.T) {
	t.Parallel()
	a := newTestTask(t, t.TempDir(), "q", TaskTally, time.Hour)
	b := *a
	b.Created, b.Status, b.Reason = b.Created.Add(time.Hour), TaskAccepted, "ok"
	require.True(t, sameRequest(a, &b))
	b.VotesHash = "ni:///sha-256;y"
	require.False(t, sameRequest(a, &b))
	c := *a
	c.Ballots = []TaskQuestion{{Question: 0, Width: 1, Accepted: 3}}
	require.False(t, sameRequest(a, &c))
}

// The session clock stands still while a trustee decides, and runs out
// otherwise.
func TestApprovalSessionClock(t *testing.T) {
	t.Parallel()
	s := &Server{cfg: Config{SessionTimeout: Duration(300 * time.Millisecond)}.withDefaults()}
	e := &election{srv: s}
	e.approvals.self = true
	ctx, cancel := e.sessionContext(context.Background())
	defer cancel()
	select {
	case <-ctx.Done():
		t.Fatal("the session ended while the trustee decided")
	case <-time.After(1500 * time.Millisecond):
	}
	e.approvals.mu.Lock()
	e.approvals.self = false
	e.approvals.mu.Unlock()
	select {
	case <-ctx.Done():
		require.ErrorContains(t, context.Cause(ctx), "session_timeout")
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not end")
	}
}

// Another authority's notices hold the waits while they are fresh, and
// no longer than the local approval_timeout.
func TestApprovalNotices(t *testing.T) {
	t.Parallel()
	s := &Server{cfg: Config{Policy: Policy{ApprovalTimeout: Duration(time.Hour)}}.withDefaults()}
	e := &election{srv: s}
	require.False(t, e.trusteesWaiting())
	now := time.Now()
	e.approvals.others = map[approvalKey]*peerWaits{{2, TaskTally}: {first: now, last: now}}
	require.True(t, e.trusteesWaiting())
	d := e.holdDeadline(now, now.Add(time.Second))
	require.Equal(t, now.Add(time.Duration(s.cfg.StepTimeout)), d)

	e.approvals.others[approvalKey{2, TaskTally}].last = now.Add(-approvalFresh)
	require.False(t, e.trusteesWaiting(), "a stale notice: the authority died")
	e.approvals.others[approvalKey{2, TaskTally}] = &peerWaits{first: now.Add(-2 * time.Hour), last: now}
	require.False(t, e.trusteesWaiting(), "waiting longer than approval_timeout")
	e.approvals.others[approvalKey{2, TaskTally}] = &peerWaits{first: now, last: now, done: true}
	require.False(t, e.trusteesWaiting())
	require.Equal(t, now.Add(time.Second), e.holdDeadline(now, now.Add(time.Second)))
}
