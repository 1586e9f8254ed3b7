package orchestra

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/eo-mixnet/eo/eolog"
)

// The trustees' approval (policy "approval": "manual"). An authority that
// accepted a setup does not start its key generation, and one that has
// downloaded and validated a tally's ballots does not sign, mix or
// decrypt, until its trustee accepts the task it wrote in the tasks
// directory (task.go, eotasks). Rejection and expiry after
// approval_timeout end this authority's part, with an abort the others
// hear: they go on without it while enough remain (doc/daemon.md,
// "Liveness"). Another authority's refusal of the setup ends the wait and
// the election.
//
// The others must not give up on an authority while its trustee reads the
// task: it tells them that it waits (msgApproval "waiting <kind>", again
// every approvalHeartbeat) and that it is done ("accepted <kind>"). While
// one of the election's authorities waits, the others expire no key
// generation round, push back the deadline of every step they await, and
// their session clock (session_timeout) stands still. A notice holds for
// approvalFresh, so an authority that dies while it waits is given up on
// as any other, and at most for the local approval_timeout after the
// first notice of the phase, so a peer cannot stall an election longer
// than a trustee may.

const (
	approvalPoll      = time.Second      // how often the waiting daemon reads its task
	approvalHeartbeat = 10 * time.Second // how often it tells the others it still waits
	approvalFresh     = 3*approvalHeartbeat + 5*time.Second
)

// Field 0 of msgApproval: a state and the task's kind.
const (
	approvalWaiting  = "waiting"
	approvalAccepted = "accepted"
)

// approvals is what an election knows of the trustees' approvals.
type approvals struct {
	mu     sync.Mutex
	self   bool                       // this authority waits for its own trustee
	others map[approvalKey]*peerWaits // another authority's notices
}

type approvalKey struct {
	from int // the authority's index
	kind string
}

type peerWaits struct {
	first, last time.Time // its first and last "waiting" notice
	done        bool      // it said "accepted"
	doneAt      time.Time // when
}

// trusteesWaiting reports whether this authority or another one of the
// election waits for its trustee now.
func (e *election) trusteesWaiting() bool {
	a := &e.approvals
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.self {
		return true
	}
	now, limit := time.Now(), time.Duration(e.srv.cfg.Policy.ApprovalTimeout)
	for _, w := range a.others {
		if !w.done && now.Sub(w.last) < approvalFresh && now.Sub(w.first) < limit {
			return true
		}
		// Once accepted, the authority gets a whole round to catch up
		// before a stalled round gives up on it: the others' round may
		// have been waiting for it longer than round_timeout already.
		if w.done && now.Sub(w.doneAt) < time.Duration(e.srv.cfg.RoundTimeout) {
			return true
		}
	}
	return false
}

// holdDeadline returns await's deadline for a step, pushed back to a whole
// step_timeout from now while a trustee of the election decides.
func (e *election) holdDeadline(now, deadline time.Time) time.Time {
	if e.trusteesWaiting() {
		if d := now.Add(time.Duration(e.srv.cfg.StepTimeout)); d.After(deadline) {
			return d
		}
	}
	return deadline
}

// noteApproval handles msgApproval from another authority.
func (s *Server) noteApproval(host string, env *envelope) {
	s.mu.Lock()
	e := s.elections[env.Election]
	s.mu.Unlock()
	if e == nil {
		return // a setup still on its way: the next notice will do
	}
	from := e.st.Setup.index(host)
	state, kind, _ := strings.Cut(string(env.Fields[0]), " ")
	if from == 0 || from == e.self || (kind != TaskCreate && kind != TaskTally) {
		e.log.Warn("malformed approval notice; dropped", eolog.Peer(host))
		return
	}
	log := e.log.With(eolog.Phase("approval"), eolog.Peer(host), "kind", kind)
	a := &e.approvals
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.others == nil {
		a.others = map[approvalKey]*peerWaits{}
	}
	k := approvalKey{from, kind}
	w := a.others[k]
	now := time.Now()
	switch state {
	case approvalWaiting:
		if w == nil {
			w = &peerWaits{first: now}
			a.others[k] = w
			log.Info("another authority waits for its trustee's approval; this one waits with it")
		}
		if !w.done {
			w.last = now
		}
	case approvalAccepted:
		if w != nil && !w.done {
			w.done, w.doneAt = true, now
			log.Info("another authority's trustee accepted")
		}
	default:
		log.Warn("malformed approval notice; dropped")
	}
}

// notify tells every other authority of this election where this one's
// approval stands, in the background.
func (e *election) notify(state, kind string) {
	s := e.srv
	body := (&envelope{Election: e.id, J: uint32(e.self), Fields: [][]byte{[]byte(state + " " + kind)}}).bytes()
	for _, i := range e.others() {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
			defer cancel()
			if err := s.send(ctx, e.name(i), msgApproval, body); err != nil && s.ctx.Err() == nil {
				e.log.Warn("approval notice not delivered", eolog.Phase("approval"), eolog.Peer(e.name(i)), eolog.Err(err))
			}
		}()
	}
}

// taskWhat names a task's kind in reasons.
func taskWhat(kind string) string {
	if kind == TaskCreate {
		return "creation"
	}
	return kind
}

// approve is where a phase waits for this authority's trustee: with the
// policy's approval manual it writes (or, after a restart, finds) the
// phase's task and returns once the trustee accepts it; a rejection, an
// expiry or an abort from another authority is the error that ends the
// election. votes and qs are the tally's downloaded vote file and its
// validated questions (nil for a creation). With approval auto it
// returns at once.
func (e *election) approve(ctx context.Context, kind string, votes []byte, qs []*question) error {
	s := e.srv
	if s.cfg.Policy.Approval != approvalManual {
		return nil
	}
	dir := filepath.Dir(s.dir) // the authority directory
	id := TaskID(e.id, kind)
	log := e.log.With(eolog.Phase("approval"), "task", id)
	if _, err := e.openTask(dir, e.task(kind, votes, qs), log); err != nil {
		return fmt.Errorf("the trustee's task %s: %w", id, err)
	}

	e.approvals.mu.Lock()
	e.approvals.self = true
	e.approvals.mu.Unlock()
	defer func() {
		e.approvals.mu.Lock()
		e.approvals.self = false
		e.approvals.mu.Unlock()
	}()

	var t *Task // read again at once, and every approvalPoll
	var err error
	var next, noticed time.Time
	for {
		// A refusal of the setup ends the election; another authority's
		// failure takes it out, and ends the wait only when too few
		// authorities remain to finish (t for a creation, the tally's
		// quorum for a tally).
		if in, _ := e.box.take(func(in *inbound) bool { return in.typ == msgAbort }); in != nil {
			reason := fmt.Sprintf("%s stopped: %s", in.host, string(in.env.Fields[0]))
			if in.env.J != abortRefusal {
				out := e.noteStopped(in.from, reason)
				su := e.status().Setup
				need := su.Threshold
				if kind == TaskTally {
					need = max(su.Threshold, len(su.Authorities)/2+1)
				}
				if e.n()-out >= need {
					log.Warn("an authority stopped; waiting for the trustee still", eolog.Peer(in.host), "reason", string(in.env.Fields[0]))
					continue
				}
			}
			if _, err := decideTask(dir, id, TaskCancelled, "the election ended: "+reason, "eorchestra", time.Now()); err == nil {
				log.Warn("task cancelled: the election ended before the trustee decided", "reason", reason)
			}
			return &abortError{from: in.host, reason: reason}
		}
		now := time.Now()
		if !now.Before(next) {
			next = now.Add(approvalPoll)
			if t, err = ReadTask(dir, id); err != nil {
				return fmt.Errorf("the trustee's task: %w", err)
			}
			if t.Status == TaskPending && !now.Before(t.Expires) {
				t, err = decideTask(dir, id, TaskExpired, "expired", "eorchestra", now)
				if errors.Is(err, ErrTaskDecided) {
					next = now // decided meanwhile: read it
					continue
				}
				if err != nil {
					return fmt.Errorf("the trustee's task: %w", err)
				}
			}
			switch t.Status {
			case TaskAccepted:
				log.Info("task accepted; proceeding", "by", t.DecidedBy)
				e.notify(approvalAccepted, kind)
				return nil
			case TaskRejected:
				log.Error("task rejected by the trustee", "by", t.DecidedBy, "reason", t.Reason)
				return fmt.Errorf("%s's trustee rejected the %s: %s", s.Hostname(), taskWhat(kind), t.Reason)
			case TaskExpired:
				log.Error("task expired: the trustee did not decide in time", "approval_timeout", t.Expires.Sub(t.Created).String())
				return fmt.Errorf("%s's trustee did not decide the %s in time: expired after %v", s.Hostname(), taskWhat(kind), t.Expires.Sub(t.Created))
			case TaskCancelled:
				return fmt.Errorf("%s's %s task was cancelled: %s", s.Hostname(), taskWhat(kind), t.Reason)
			}
		}
		if now.Sub(noticed) >= approvalHeartbeat {
			noticed = now
			e.notify(approvalWaiting, kind)
		}
		wait := min(time.Until(next), time.Until(noticed.Add(approvalHeartbeat)))
		if _, err := e.box.wait(ctx, max(wait, time.Millisecond)); err != nil {
			return err
		}
	}
}

// openTask returns the stored task of this request, or writes it pending.
func (e *election) openTask(dir string, want *Task, log *slog.Logger) (*Task, error) {
	old, err := ReadTask(dir, want.ID)
	switch {
	case err == nil && sameRequest(old, want):
		if old.Status == TaskPending {
			log.Info("task still pending; waiting for the trustee (eotasks)", "expires", old.Expires.Format(time.RFC3339))
		}
		return old, nil
	case err == nil:
		log.Warn("a task file of another request is replaced", "status", old.Status)
	case !errors.Is(err, ErrNoTask):
		log.Warn("an unreadable task file is replaced", eolog.Err(err))
	}
	if err := os.MkdirAll(filepath.Join(dir, TasksDir), 0o700); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Round(time.Millisecond)
	want.Created, want.Expires, want.Status = now, now.Add(time.Duration(e.srv.cfg.Policy.ApprovalTimeout)), TaskPending
	if err := withTaskLock(dir, want.ID, func() error { return writeTask(dir, want) }); err != nil {
		return nil, err
	}
	attrs := []any{"kind", want.Kind, "expires", want.Expires.Format(time.RFC3339)}
	if want.Kind == TaskTally {
		var acc, exc []int
		for _, b := range want.Ballots {
			acc, exc = append(acc, b.Accepted), append(exc, b.Excluded)
		}
		attrs = append(attrs, "lines", want.Lines, "accepted", fmt.Sprint(acc), "excluded", fmt.Sprint(exc))
	}
	log.Info("task created; waiting for the trustee (eotasks)", attrs...)
	return want, nil
}

// task makes the task of a phase from the election's setup and, for a
// tally, the request, the vote file and the validated questions.
func (e *election) task(kind string, votes []byte, qs []*question) *Task {
	st := e.status()
	su := st.Setup
	t := &Task{ID: TaskID(e.id, kind), Election: e.id, Kind: kind, Authority: e.srv.Hostname(), Director: su.Director,
		Owner: TaskPeer{Name: su.Owner, Fingerprint: su.OwnerFingerprint}, Threshold: su.Threshold,
		Questions: su.Questions, Widths: su.widths()}
	for _, a := range authorityFingerprints(&su) {
		t.Authorities = append(t.Authorities, TaskPeer(a))
	}
	if kind == TaskTally && st.Tally != nil {
		t.VotesURL, t.VotesHash = st.Tally.VotesURL, st.Tally.VotesHash
		for rest := votes; len(rest) > 0; t.Lines++ {
			_, rest, _ = bytes.Cut(rest, []byte{'\n'})
		}
		for _, qu := range qs {
			t.Ballots = append(t.Ballots, TaskQuestion{Question: qu.q, Width: qu.rec.Config.Width,
				Accepted: qu.chain.Current().Len(), Excluded: len(qu.rec.Excluded)})
		}
	}
	return t
}

// sessionContext is the context of one phase of an election: it ends with
// the daemon, or once the phase has run for session_timeout, not counting
// the time during which a trustee of the election decided.
func (e *election) sessionContext(parent context.Context) (context.Context, context.CancelFunc) {
	limit := time.Duration(e.srv.cfg.SessionTimeout)
	ctx, cancel := context.WithCancelCause(parent)
	go func() {
		var used time.Duration
		last := time.Now()
		for {
			t := time.NewTimer(min(limit-used, time.Second))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case now := <-t.C:
				if !e.trusteesWaiting() {
					used += now.Sub(last)
				}
				last = now
				if used >= limit {
					cancel(fmt.Errorf("the session's deadline passed (session_timeout %v, the trustees' time not counted)", limit))
					return
				}
			}
		}
	}()
	return ctx, func() { cancel(context.Canceled) }
}
