package orchestra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/eo-mixnet/eo/internal/atomicfile"
)

// TasksDir is the directory of the trustee's tasks under the authority
// directory. With the policy's approval "manual", the daemon writes a task
// there before it creates or tallies an election, and waits until the
// trustee decides it (eotasks --accept or --reject). Each task is one file,
// <election>-<kind>.json, mode 0600, written atomically.
const TasksDir = "tasks"

// The kinds of task.
const (
	TaskCreate = "create" // the key generation of a new election
	TaskTally  = "tally"  // the mixing and decryption of its ballots
)

// The statuses of a task. Only a pending task can be decided; the others
// are final.
const (
	TaskPending   = "pending"
	TaskAccepted  = "accepted"  // by the trustee: the daemon proceeds
	TaskRejected  = "rejected"  // by the trustee, with a reason: the election ends
	TaskExpired   = "expired"   // not decided within the policy's approval_timeout: the election ends
	TaskCancelled = "cancelled" // the election ended elsewhere before the trustee decided
)

// Task is what a trustee must see to decide whether its authority creates
// or tallies an election, and the decision: the file
// tasks/<election>-<kind>.json. doc/daemon.md describes it.
type Task struct {
	ID       string `json:"id"` // <election>-<kind>, the file's name without .json
	Election string `json:"election_id"`
	Kind     string `json:"kind"` // TaskCreate or TaskTally
	// Authority is this authority, whose trustee decides.
	Authority string `json:"authority"`
	Director  string `json:"director"`
	// Owner is the client that created the election and may ask for its
	// tally: a web server, or an authority's operator.
	Owner       TaskPeer   `json:"owner"`
	Threshold   int        `json:"threshold"`   // t
	Authorities []TaskPeer `json:"authorities"` // n of them, in the election's order
	Questions   int        `json:"questions"`
	Widths      []int      `json:"widths"` // one per question

	// A tally's: the vote file, downloaded and checked against votes_hash,
	// and its ballots as every authority validated them.
	VotesURL  string         `json:"votes_url,omitempty"`
	VotesHash string         `json:"votes_hash,omitempty"`
	Lines     int            `json:"lines,omitempty"` // lines of the vote file
	Ballots   []TaskQuestion `json:"ballots,omitempty"`
	Created   time.Time      `json:"created"`
	Expires   time.Time      `json:"expires"`
	Status    string         `json:"status"`
	Reason    string         `json:"reason,omitempty"` // of a rejection, expiry or cancellation
	DecidedAt *time.Time     `json:"decided_at,omitempty"`
	DecidedBy string         `json:"decided_by,omitempty"` // the OS user that ran eotasks, or "eorchestra"
}

// TaskPeer is a host and the fingerprint of its certificate.
type TaskPeer struct {
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint"` // sha256:<hex>
}

// TaskQuestion is one question's ballots in a tally task.
type TaskQuestion struct {
	Question int `json:"question"` // 0-based
	Width    int `json:"width"`
	Accepted int `json:"accepted"` // ballots that will be mixed and decrypted
	Excluded int `json:"excluded"` // lines the ballot rule excluded
}

// Errors of DecideTask.
var (
	ErrNoTask      = errors.New("no such task")
	ErrTaskDecided = errors.New("the task is already decided")
)

// TaskID is the id (and file name, without .json) of an election's task.
func TaskID(election, kind string) string { return election + "-" + kind }

func taskPath(dir, id string) string { return filepath.Join(dir, TasksDir, id+".json") }

// checkTaskID accepts the ids TaskID makes.
func checkTaskID(id string) error {
	for _, k := range []string{TaskCreate, TaskTally} {
		if e, ok := strings.CutSuffix(id, "-"+k); ok && checkID(e) == nil {
			return nil
		}
	}
	return fmt.Errorf("task id %q: want <election id>-create or <election id>-tally", id)
}

// ParseTask parses a task file strictly.
func ParseTask(data []byte) (*Task, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var t Task
	if err := dec.Decode(&t); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the task object")
	}
	switch {
	case t.ID != TaskID(t.Election, t.Kind) || checkTaskID(t.ID) != nil:
		return nil, fmt.Errorf("task id %q is not <election_id>-<kind>", t.ID)
	case !slices.Contains([]string{TaskPending, TaskAccepted, TaskRejected, TaskExpired, TaskCancelled}, t.Status):
		return nil, fmt.Errorf("task %s: unknown status %q", t.ID, t.Status)
	}
	return &t, nil
}

// ReadTask reads the task id of the authority directory dir.
func ReadTask(dir, id string) (*Task, error) {
	if err := checkTaskID(id); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoTask, err)
	}
	b, err := os.ReadFile(taskPath(dir, id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoTask, id)
	}
	if err != nil {
		return nil, err
	}
	t, err := ParseTask(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", taskPath(dir, id), err)
	}
	if t.ID != id {
		return nil, fmt.Errorf("%s holds task %s", taskPath(dir, id), t.ID)
	}
	return t, nil
}

// ReadTasks reads every task of the authority directory dir, oldest first;
// no tasks directory is no task.
func ReadTasks(dir string) ([]*Task, error) {
	ents, err := os.ReadDir(filepath.Join(dir, TasksDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Task
	for _, de := range ents {
		id, ok := strings.CutSuffix(de.Name(), ".json")
		if !ok || strings.HasPrefix(de.Name(), ".") || de.IsDir() {
			continue
		}
		t, err := ReadTask(dir, id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	slices.SortStableFunc(out, func(a, b *Task) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// DecideTask records the trustee's decision of a pending task: accepted,
// or rejected with a reason, at this time, by the OS user running it.
// Deciding an unknown task is ErrNoTask, a decided one ErrTaskDecided.
// The daemon notices the decision within a second or so.
func DecideTask(dir, id string, accept bool, reason string) (*Task, error) {
	status := TaskAccepted
	if !accept {
		status = TaskRejected
		if strings.TrimSpace(reason) == "" {
			return nil, errors.New("a rejection needs a reason")
		}
	}
	return decideTask(dir, id, status, strings.TrimSpace(reason), osUser(), time.Now())
}

// decideTask moves a pending task to status, under the task's lock so that
// the trustee and the daemon (which expires and cancels tasks) never both
// decide it.
func decideTask(dir, id, status, reason, by string, now time.Time) (*Task, error) {
	if err := checkTaskID(id); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoTask, err)
	}
	var t *Task
	err := withTaskLock(dir, id, func() error {
		var err error
		if t, err = ReadTask(dir, id); err != nil {
			return err
		}
		if t.Status != TaskPending {
			return fmt.Errorf("%w: task %s is %s", ErrTaskDecided, id, t.Status)
		}
		if (status == TaskAccepted || status == TaskRejected) && !now.Before(t.Expires) {
			return fmt.Errorf("%w: task %s expired at %s", ErrTaskDecided, id, t.Expires.Format(time.RFC3339))
		}
		at := now.UTC().Round(time.Millisecond)
		t.Status, t.Reason, t.DecidedAt, t.DecidedBy = status, reason, &at, by
		return writeTask(dir, t)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// writeTask writes a task file atomically, mode 0600, keeping the owner of
// the file it replaces (a trustee who runs eotasks as root must not make
// the task unreadable to the daemon's user).
func writeTask(dir string, t *Task) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteKeepingOwner(taskPath(dir, t.ID), 0o600, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// withTaskLock runs f holding the lock file tasks/.<id>.lock, made with
// O_EXCL. A lock older than staleLock is a crashed holder's and is broken.
func withTaskLock(dir, id string, f func() error) error {
	lock := filepath.Join(dir, TasksDir, "."+id+".lock")
	deadline := time.Now().Add(10 * time.Second)
	for {
		l, err := os.OpenFile(lock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			l.Close()
			break
		}
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNoTask, id) // no tasks directory
		}
		if !errors.Is(err, fs.ErrExist) {
			return err
		}
		if fi, err := os.Stat(lock); err == nil && time.Since(fi.ModTime()) > staleLock {
			os.Remove(lock)
			continue
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("task %s is locked (%s); try again", id, lock)
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer os.Remove(lock)
	return f()
}

const staleLock = 30 * time.Second

// osUser names the user deciding a task: the login name, and the user
// that sudo ran as if it did.
func osUser() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if s := os.Getenv("SUDO_USER"); s != "" && s != name {
		return s + " (sudo as " + name + ")"
	}
	return name
}

// sameRequest reports whether two tasks ask the same thing, whatever
// their status: a stored task is reused only for the request it was made
// for (a stale file of an earlier election with the same id never
// approves a new one).
func sameRequest(a, b *Task) bool {
	strip := func(t *Task) []byte {
		c := *t
		c.Created, c.Expires, c.Status, c.Reason, c.DecidedAt, c.DecidedBy = time.Time{}, time.Time{}, "", "", nil, ""
		return mustJSON(&c)
	}
	return bytes.Equal(strip(a), strip(b))
}
