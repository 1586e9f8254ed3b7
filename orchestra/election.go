package orchestra

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/eolog"
	"github.com/eo-mixnet/eo/internal/atomicfile"
	"github.com/eo-mixnet/eo/peers"
	"github.com/eo-mixnet/eo/threshold"
)

// election is one election at this authority.
type election struct {
	srv  *Server
	id   string
	dir  string
	self int // this authority's index, 1 … n
	log  *slog.Logger
	box  *mailbox

	mu      sync.Mutex
	st      state
	running bool                            // a goroutine runs a phase
	next    func(ctx context.Context) error // the phase to run after it
	sum     *summary
	sends   sync.WaitGroup // background sends of the key generation

	approvals approvals // the trustees' approvals (approval.go)

	// The tally machine once its tally ended (tallydrive.go), kept a
	// while to answer the authorities that catch up.
	tallyMu     sync.Mutex
	ended       endedMachine
	endedSender *tallySender
	// storedSender answers asks from the tally store once no machine
	// holds the ended tally (answerStored).
	storedSender *tallySender
	heardMu      sync.Mutex
	heardFrom    map[int]bool   // authorities that sent a tally message
	stoppedFrom  map[int]string // authorities that stopped while this one awaited its trustee
}

func sessionID(q int) string { return fmt.Sprintf("q%d", q) }

// newElection makes the in-memory election of a checked state.
func (s *Server) newElection(st *state) (*election, error) {
	self := st.Setup.index(s.Hostname())
	if self == 0 {
		return nil, fmt.Errorf("this authority (%s) is not among the election's authorities", s.Hostname())
	}
	return &election{srv: s, id: st.Setup.ElectionID, dir: s.electionDir(st.Setup.ElectionID), self: self,
		log: s.log.With(eolog.Election(st.Setup.ElectionID)), box: newMailbox(), st: *st}, nil
}

func (su *setup) index(host string) int {
	for i, a := range su.Authorities {
		if strings.EqualFold(a.Name, host) {
			return i + 1
		}
	}
	return 0
}

func (e *election) n() int { return len(e.st.Setup.Authorities) }

func (e *election) name(i int) string { return e.st.Setup.Authorities[i-1].Name }

// check validates a setup against this authority's trust store: every
// authority is installed (or is this one) with exactly the certificate
// named, this authority is one of them, and the numbers are in range.
func (s *Server) checkSetup(su *setup) error {
	if err := s.checkSetupShape(su); err != nil {
		return err
	}
	for _, a := range su.Authorities {
		c, err := peers.ParseCertificatePEM([]byte(a.Certificate))
		if err != nil {
			return fmt.Errorf("authority %s: %w", a.Name, err)
		}
		if !s.store.Trusted(a.Name, c.Fingerprint) {
			if _, err := s.store.Get(a.Name); err != nil && !strings.EqualFold(a.Name, s.Hostname()) {
				return fmt.Errorf("authority %s is not installed here", a.Name)
			}
			return fmt.Errorf("authority %s: the certificate %s is not the one installed here", a.Name, c.Fingerprint)
		}
	}
	if su.index(s.Hostname()) == 0 {
		return fmt.Errorf("this authority (%s) is not among the election's authorities", s.Hostname())
	}
	if err := s.checkOwner(su); err != nil {
		return err
	}
	return s.checkPolicy(su)
}

// checkSetupShape checks what a setup says without the trust store.
func (s *Server) checkSetupShape(su *setup) error {
	if err := checkID(su.ElectionID); err != nil {
		return err
	}
	n := len(su.Authorities)
	if n < 1 || n > threshold.MaxAuthorities {
		return fmt.Errorf("%d authorities: 1 to %d", n, threshold.MaxAuthorities)
	}
	if su.Threshold < 1 || su.Threshold > n {
		return fmt.Errorf("threshold %d out of 1 … %d", su.Threshold, n)
	}
	if su.Questions < 1 || su.Questions > maxQuestions {
		return fmt.Errorf("%d questions: 1 to %d", su.Questions, maxQuestions)
	}
	if len(su.Widths) != su.Questions {
		return fmt.Errorf("%d widths for %d questions", len(su.Widths), su.Questions)
	}
	for q, w := range su.Widths {
		if w < 1 || w > elgamal.MaxWidth {
			return fmt.Errorf("question %d: width %d out of 1 … %d", q, w, elgamal.MaxWidth)
		}
	}
	seen := map[string]bool{}
	for i, a := range su.Authorities {
		if err := peers.CheckHostname(a.Name); err != nil {
			return fmt.Errorf("authority %d: %w", i+1, err)
		}
		if seen[strings.ToLower(a.Name)] {
			return fmt.Errorf("authority %s named twice", a.Name)
		}
		seen[strings.ToLower(a.Name)] = true
	}
	if su.index(su.Director) == 0 {
		return fmt.Errorf("the director %s is not among the election's authorities", su.Director)
	}
	return nil
}

// maxQuestions bounds the questions of one election.
const maxQuestions = 64

// canonicalPEM re-encodes a PEM certificate from its DER, so that every
// authority writes the same bytes into the record.
func canonicalPEM(text string) (string, error) {
	b, _ := pem.Decode([]byte(text))
	if b == nil {
		return "", errors.New("not a PEM certificate")
	}
	if _, err := x509.ParseCertificate(b.Bytes); err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.Bytes})), nil
}

// create registers a new election from a checked setup: its directory and
// state are written before anything is sent.
func (s *Server) create(su *setup, createCB string) (*election, error) {
	st := &state{Setup: *su, Status: statusCreating, CreateCB: createCB}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.elections[su.ElectionID] != nil {
		return nil, errDuplicate
	}
	dir := s.electionDir(su.ElectionID)
	if _, err := os.Stat(dir); err == nil {
		return nil, errDuplicate
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	if err := atomicfile.SyncDir(s.dir); err != nil {
		return nil, err
	}
	e, err := s.newElection(st)
	if err != nil {
		return nil, err
	}
	if err := e.save(); err != nil {
		return nil, err
	}
	s.elections[su.ElectionID] = e
	s.metrics.sessionStarted("create")
	return e, nil
}

var errDuplicate = errors.New("an election with this id exists")

// acceptSetup handles msgSetup from the director.
func (s *Server) acceptSetup(host string, env *envelope) {
	var su setup
	err := json.Unmarshal(env.Fields[0], &su)
	if err == nil && su.ElectionID != env.Election {
		err = errors.New("setup for another election id")
	}
	if err == nil && !strings.EqualFold(su.Director, host) {
		err = fmt.Errorf("setup sent by %s naming %s as director", host, su.Director)
	}
	if err == nil {
		err = s.checkSetup(&su)
	}
	log := s.log.With(eolog.Election(env.Election), eolog.Peer(host))
	if err != nil {
		log.Error("election refused", eolog.Phase("setup"), eolog.Err(err))
		s.sendAbortKind(host, env.Election, abortRefusal, fmt.Sprintf("%s refused the election: %v", s.Hostname(), err))
		return
	}
	s.mu.Lock()
	old := s.elections[su.ElectionID]
	s.mu.Unlock()
	if old != nil {
		old.mu.Lock()
		same := sameSetup(&old.st.Setup, &su)
		old.mu.Unlock()
		if !same {
			log.Error("a second, different setup for an existing election; dropped", eolog.Phase("setup"))
		}
		return
	}
	e, err := s.create(&su, "")
	if errors.Is(err, errDuplicate) {
		return
	}
	if err != nil {
		log.Error("election state not written", eolog.Phase("setup"), eolog.Err(err))
		s.sendAbort(host, env.Election, fmt.Sprintf("%s cannot store the election: %v", s.Hostname(), err))
		return
	}
	log.Info("election accepted", eolog.Phase("setup"), "authorities", len(su.Authorities), "threshold", su.Threshold, "questions", su.Questions)
	for _, o := range s.orphansFor(su.ElectionID) {
		e.deliver(o.host, o.typ, o.env)
	}
	e.start(e.runCreate)
}

func sameSetup(a, b *setup) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// The kinds of an abort (its envelope's j): a failure, or a refusal of
// the setup by the authority's checks or policy — which ends a creation,
// where a failure only takes its authority out.
const (
	abortFailure = 0
	abortRefusal = 1
)

func (s *Server) sendAbort(host, electionID, reason string) {
	s.sendAbortKind(host, electionID, abortFailure, reason)
}

func (s *Server) sendAbortKind(host, electionID string, kind uint32, reason string) {
	env := &envelope{Election: electionID, J: kind, Fields: [][]byte{[]byte(reason)}}
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	if err := s.send(ctx, host, msgAbort, env.bytes()); err != nil {
		s.log.Warn("abort not delivered", eolog.Election(electionID), eolog.Peer(host), eolog.Err(err))
	}
}

// deliver puts a message of a member into the election's mailbox.
func (e *election) deliver(host string, t peers.MessageType, env *envelope) {
	from := e.st.Setup.index(host)
	if from == 0 {
		e.log.Warn("message from an authority that is not in this election; dropped", eolog.Peer(host), "type", msgName(t))
		return
	}
	switch t {
	case msgTally:
		e.startTally(host, env)
		return
	case msgTallyMsg:
		e.heard(from)
		if e.answerEnded(host, env) {
			return // the tally ended here: the machine answers asks
		}
	}
	e.box.put(&inbound{from: from, host: host, typ: t, env: env})
}

func (e *election) save() error {
	return saveJSON(filepath.Join(e.dir, fileState), &e.st, 0o600)
}

// update changes the state under the lock and writes it.
func (e *election) update(f func(*state)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	f(&e.st)
	return e.save()
}

func (e *election) status() state {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st
}

// start runs a phase in the election's goroutine. A phase asked for
// while another runs (a tally requested the moment the creation's callback
// left, before the creation's goroutine returned) runs after it, if it
// ends well; a phase already queued is not queued twice.
func (e *election) start(phase func(ctx context.Context) error) bool {
	e.mu.Lock()
	if e.running {
		queued := e.next == nil
		if queued {
			e.next = phase
		}
		e.mu.Unlock()
		return queued
	}
	e.running = true
	e.mu.Unlock()
	s := e.srv
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for phase != nil {
			err := e.runPhase(phase)
			e.mu.Lock()
			phase, e.next = e.next, nil
			if err != nil {
				phase = nil
			}
			if phase == nil {
				e.running = false
			}
			e.mu.Unlock()
			if err != nil {
				if s.ctx.Err() != nil {
					e.log.Warn("interrupted by shutdown; resumes at the next start", eolog.Err(err))
					return
				}
				e.fail(err)
			}
		}
	}()
	return true
}

// runPhase runs one phase under the session's bound (session_timeout, the
// trustees' time not counted).
func (e *election) runPhase(phase func(ctx context.Context) error) error {
	ctx, cancel := e.sessionContext(e.srv.ctx)
	defer cancel()
	return phase(ctx)
}

// resume continues an election after a restart.
func (e *election) resume() {
	st := e.status()
	switch st.Status {
	case statusCreating:
		e.log.Info("resuming the key generation", eolog.Phase("keygen"))
		e.start(e.runCreate)
	case statusTallying:
		e.log.Info("resuming the tally", eolog.Phase("tally"))
		e.start(e.runTally)
	case statusTallied:
		if st.TallyCB != "" && !st.CallbackSent {
			e.callbackTallied(st.TallyHash)
		}
	case statusCreated:
		if st.CreateCB != "" && !st.CallbackSent {
			e.start(func(ctx context.Context) error {
				if err := e.confirmCreated(ctx); err != nil {
					return err
				}
				e.callbackCreated()
				return nil
			})
		}
	}
}

// abortError is a failure another authority reported.
type abortError struct {
	from   string
	reason string
}

func (a *abortError) Error() string { return a.reason }

// fail ends the election: state, log, the other authorities, the callback.
func (e *election) fail(err error) {
	reason := err.Error()
	var ab *abortError
	remote := errors.As(err, &ab)
	st := e.status()
	if st.Status == statusFailed {
		return
	}
	e.update(func(st *state) { st.Status, st.Reason = statusFailed, reason })
	e.srv.metrics.sessionEnded(statusFailed)
	e.log.Error("election failed", eolog.Err(err))
	if !remote {
		for i := 1; i <= e.n(); i++ {
			if i != e.self {
				go e.srv.sendAbort(e.name(i), e.id, reason)
			}
		}
	}
	e.callbackError(reason)
}

func (e *election) sendTo(ctx context.Context, i int, t peers.MessageType, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(e.srv.cfg.StepTimeout))
	defer cancel()
	if err := e.srv.send(ctx, e.name(i), t, body); err != nil {
		return fmt.Errorf("cannot reach %s: %w", e.name(i), err)
	}
	e.sum.addSent(e.name(i), len(body))
	return nil
}

// resend answers msgResend: the author of a persisted message sends it
// again. Field 0 names the file; only this election's own published
// messages can be named.
func (s *Server) resend(host string, env *envelope) {
	s.mu.Lock()
	e := s.elections[env.Election]
	s.mu.Unlock()
	if e == nil || e.st.Setup.index(host) == 0 {
		return
	}
	name := string(env.Fields[0])
	if name == resendCreated {
		// The director lost this authority's end of key generation.
		if st := e.status(); st.Status != statusCreating && st.Status != statusFailed {
			hashes, err := e.transcriptHashes()
			if err != nil {
				e.log.Error("stored transcripts unreadable", eolog.Err(err))
				return
			}
			body := (&envelope{Election: e.id, J: uint32(e.self), Fields: [][]byte{hashes}}).bytes()
			ctx, cancel := context.WithTimeout(s.ctx, time.Duration(s.cfg.StepTimeout))
			defer cancel()
			s.send(ctx, host, msgCreated, body)
		}
		return
	}
	if name == resendDKG {
		st := e.status()
		if st.Status == statusCreating {
			e.deliver(host, msgResend, env) // the running key generation answers
			return
		}
		// Finished here: send again what this authority broadcast.
		for q := 0; q < st.Setup.Questions; q++ {
			b, err := os.ReadFile(filepath.Join(e.dir, fileDKGSent(q)))
			if err != nil {
				return
			}
			msgs, err := decodeBroadcasts(b)
			if err != nil {
				e.log.Error("stored key-generation messages unreadable", "error", err.Error())
				return
			}
			for _, m := range msgs {
				body := (&envelope{Election: e.id, Q: uint32(q), Fields: [][]byte{m}}).bytes()
				ctx, cancel := context.WithTimeout(s.ctx, time.Duration(s.cfg.StepTimeout))
				s.send(ctx, host, msgDKG, body)
				cancel()
			}
		}
		return
	}
}

// others lists the indices of the other authorities.
func (e *election) others() []int {
	var out []int
	for i := 1; i <= e.n(); i++ {
		if i != e.self {
			out = append(out, i)
		}
	}
	return out
}
