package orchestra

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/eo-mixnet/eo/chain"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/eolog"
	"github.com/eo-mixnet/eo/internal/atomicfile"
	"github.com/eo-mixnet/eo/internal/drill"
	"github.com/eo-mixnet/eo/shuffle"
	"github.com/eo-mixnet/eo/tally"
)

// The daemon drives package tally's state machine (the any-t tally,
// doc/daemon.md "Liveness"): messages from the election's mailbox go to
// Handle, its clock to Tick at Wake, its store is a directory of the
// election, and what it sends goes out in the background, one queue per
// peer. Nothing here decides anything: the machine does.

// fileStore is a tally.Store in a directory: each name a file, written
// atomically (0600) before Put returns.
type fileStore struct{ dir string }

func (f fileStore) path(name string) (string, bool) {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return "", false
	}
	return filepath.Join(f.dir, name), true
}

func (f fileStore) Get(name string) ([]byte, bool) {
	p, ok := f.path(name)
	if !ok {
		return nil, false
	}
	b, err := os.ReadFile(p)
	return b, err == nil
}

func (f fileStore) Put(name string, data []byte) error {
	p, ok := f.path(name)
	if !ok {
		return fmt.Errorf("tally store: bad name %q", name)
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(p, data, 0o600)
}

// peerQueue sends one peer's messages in order, in the background. A
// full queue drops the message (the machine asks again for whatever is
// lost); a send that fails is dropped the same way, and logged.
type peerQueue struct {
	ch chan outbound
}

// outbound is a message on its way to a peer: the machine's message (its
// identity) and its encoded body.
type outbound struct {
	msg  *tally.Message
	body []byte
}

const peerQueueLen = 512

// tallySender is the election's outgoing tally messages.
//
// A message already queued or being sent to a peer is not queued for it
// again: the machine answers an ask with the very message it published,
// and an ask that arrived while it was mixing (or while the message was on
// its way) would otherwise send a whole mix twice — twice the bytes on the
// wire and in the peer's memory. A send that fails releases the message,
// and the peer's next ask gets it.
type tallySender struct {
	e        *election
	mu       sync.Mutex
	queues   map[int]*peerQueue
	onItsWay onItsWay
	ctx      context.Context
}

// onItsWay is the set of messages queued or being sent, by peer.
type onItsWay map[sendKey]bool

type sendKey struct {
	to  int
	msg *tally.Message
}

func newTallySender(ctx context.Context, e *election) *tallySender {
	return &tallySender{e: e, queues: map[int]*peerQueue{}, onItsWay: onItsWay{}, ctx: ctx}
}

// send queues msg for peer to, encoded by body (called only then), unless
// it is on its way there already.
func (ts *tallySender) send(to int, msg *tally.Message, body func() []byte) {
	k := sendKey{to, msg}
	ts.mu.Lock()
	if ts.onItsWay[k] {
		ts.mu.Unlock()
		return
	}
	q := ts.queues[to]
	if q == nil {
		q = &peerQueue{ch: make(chan outbound, peerQueueLen)}
		ts.queues[to] = q
		go ts.run(to, q)
	}
	select {
	case q.ch <- outbound{msg, body()}:
		ts.onItsWay[k] = true
	default:
		ts.e.log.Debug("tally message dropped: the queue to the peer is full", eolog.Peer(ts.e.name(to)))
	}
	ts.mu.Unlock()
}

// sent releases a message once its send ended, delivered or not.
func (ts *tallySender) sent(to int, msg *tally.Message) {
	ts.mu.Lock()
	delete(ts.onItsWay, sendKey{to, msg})
	ts.mu.Unlock()
}

func (ts *tallySender) run(to int, q *peerQueue) {
	e := ts.e
	for {
		select {
		case <-ts.ctx.Done():
			return
		case out := <-q.ch:
			ctx, cancel := context.WithTimeout(ts.ctx, time.Duration(e.srv.cfg.StepTimeout))
			err := e.srv.send(ctx, e.name(to), msgTallyMsg, out.body)
			cancel()
			ts.sent(to, out.msg)
			if err != nil {
				if ts.ctx.Err() == nil {
					e.log.Debug("tally message not delivered; it is asked for again", eolog.Peer(e.name(to)), eolog.Err(err))
				}
				continue
			}
			e.sum.addSent(e.name(to), len(out.body))
		}
	}
}

// dispatch does what an output of the machine asks: send, and log.
func (e *election) dispatch(ts *tallySender, out tally.Output) {
	for _, ev := range out.Events {
		e.log.Log(context.Background(), ev.Level, ev.Msg, append([]any{eolog.Phase("tally")}, ev.Attrs...)...)
	}
	for _, s := range out.Sends {
		var enc []byte
		body := func() []byte { // once, for every peer
			if enc == nil {
				enc = (&envelope{Election: e.id, Fields: [][]byte{s.Msg.Bytes()}}).bytes()
			}
			return enc
		}
		if s.To != 0 {
			if s.To != e.self && s.To >= 1 && s.To <= e.n() {
				ts.send(s.To, s.Msg, body)
			}
			continue
		}
		for _, i := range e.others() {
			ts.send(i, s.Msg, body)
		}
	}
}

// tallyClock is the machine's clock: the wall clock, standing still while
// a trustee of the election decides (approval.go), so that nobody is
// skipped for the time its trustee reads a task.
type tallyClock struct {
	e    *election
	held time.Duration
	last time.Time
}

func (c *tallyClock) now() time.Time {
	t := time.Now()
	if !c.last.IsZero() && c.e.trusteesWaiting() {
		c.held += t.Sub(c.last)
	}
	c.last = t
	return t.Add(-c.held)
}

// driveTally runs the machine until its tally ends: the record, or why it
// stopped. An abort from another authority takes that authority out (the
// machine stops waiting for it); it does not end this tally.
func (e *election) driveTally(ctx context.Context, m *tally.Machine, ts *tallySender) (*tally.Result, error) {
	clock := &tallyClock{e: e}
	e.tallyMu.Lock()
	e.dispatch(ts, m.Start(clock.now()))
	for _, i := range e.stoppedSoFar() { // while this one waited for its trustee
		e.dispatch(ts, m.Stopped(clock.now(), i))
	}
	e.tallyMu.Unlock()
	mixesTotal := e.n() * e.status().Setup.Questions
	phase, phaseStart := "mix", time.Now()
	for {
		if p, mixes := m.Progress(); p != phase {
			// The phases of the machine, for the summary and the metrics.
			e.sum.phase(phase, time.Since(phaseStart))
			e.srv.metrics.phase(phase, time.Since(phaseStart))
			if phase == "mix" {
				// The mixing closed: every slot is resolved, mixed or
				// skipped (or the bar would hang at its last mix).
				e.srv.reportProgress(e.id, "mix", mixesTotal, mixesTotal)
			}
			phase, phaseStart = p, time.Now()
			switch p {
			case "decrypt":
				e.srv.reportProgress(e.id, "decrypt", 0, 1)
			case "signing", "tallied":
				e.srv.reportProgress(e.id, "decrypt", 1, 1)
			}
		} else if p == "mix" {
			e.srv.reportProgress(e.id, "mix", mixes, mixesTotal)
		}
		if res, err := m.Result(); res != nil || err != nil {
			return res, err
		}
		in, overflow := e.box.take(func(in *inbound) bool { return in.typ == msgTallyMsg || in.typ == msgAbort })
		if overflow {
			return nil, errors.New("too many unexpected messages from the other authorities")
		}
		if in != nil {
			var out tally.Output
			e.tallyMu.Lock()
			switch in.typ {
			case msgAbort:
				e.log.Warn("an authority stopped; the tally goes on without it", eolog.Peer(in.host), "reason", string(in.env.Fields[0]))
				out = m.Stopped(clock.now(), in.from)
			default:
				e.sum.addReceived(in.host, in.env)
				msg, err := tally.DecodeMessage(in.env.Fields[0])
				if err != nil {
					e.log.Warn("tally message dropped", eolog.Peer(in.host), eolog.Err(err))
				} else {
					if msg.Kind == tally.KindMix && len(msg.Fields) == 3 {
						e.sum.proof(len(msg.Fields[1]))
					}
					out = m.Handle(clock.now(), in.from, msg)
				}
			}
			e.tallyMu.Unlock()
			e.dispatch(ts, out)
			continue
		}
		wait := m.Wake().Sub(clock.now())
		if wait <= 0 {
			e.tallyMu.Lock()
			out := m.Tick(clock.now())
			e.tallyMu.Unlock()
			e.dispatch(ts, out)
			wait = m.Wake().Sub(clock.now())
		}
		// A deadline already past does not spin: the machine is ticked
		// again at the next message or after a little while.
		if _, err := e.box.wait(ctx, min(max(wait, 20*time.Millisecond), time.Second)); err != nil {
			return nil, err
		}
	}
}

// answerEnded lets a machine whose tally ended serve what it holds to an
// authority that catches up (asks only; the machine ignores the rest).
func (e *election) answerEnded(host string, env *envelope) bool {
	e.tallyMu.Lock()
	m, ts := e.ended, e.endedSender
	if m == nil {
		e.tallyMu.Unlock()
		return e.answerStored(host, env)
	}
	msg, err := tally.DecodeMessage(env.Fields[0])
	var out tally.Output
	if err == nil {
		out = m.Handle(time.Now(), e.st.Setup.index(host), msg)
	}
	e.tallyMu.Unlock()
	e.dispatch(ts, out)
	return true
}

// answerStored serves asks from the tally store of an election whose
// tally ended before this process started: no machine runs for it, and
// what this authority published before it stopped may never have left
// (its signature, when it completed its record and stopped at once).
func (e *election) answerStored(host string, env *envelope) bool {
	st := e.status()
	if st.Status != statusTallied && st.Status != statusFailed {
		return false
	}
	dir := filepath.Join(e.dir, dirTally)
	if _, err := os.Stat(dir); err != nil {
		return false
	}
	msg, err := tally.DecodeMessage(env.Fields[0])
	if err != nil || msg.Kind != tally.KindAsk {
		return true // nothing to answer; the tally ended here
	}
	from := st.Setup.index(host)
	e.tallyMu.Lock()
	if e.storedSender == nil {
		e.storedSender = newTallySender(e.srv.ctx, e)
	}
	ts := e.storedSender
	e.tallyMu.Unlock()
	var out tally.Output
	for _, a := range tally.AnswerStored(fileStore{dir: dir}, e.self, e.n(), st.Setup.Questions, msg) {
		out.Sends = append(out.Sends, tally.Send{To: from, Msg: a})
	}
	e.dispatch(ts, out)
	return true
}

// endedMachine is what answerEnded needs of a tally machine.
type endedMachine interface {
	Result() (*tally.Result, error)
	Handle(now time.Time, from int, msg *tally.Message) tally.Output
}

// keepEnded keeps an ended machine to answer late authorities for a
// step_timeout, then lets it go (it holds every list of the chain).
//
// A machine that has not ended (its drive stopped on a cancelled context,
// or on a flood of messages) is not kept: Handle would drive it on, and
// its key shares are wiped by then.
func (e *election) keepEnded(m endedMachine, ts *tallySender, cancel context.CancelFunc) {
	if res, err := m.Result(); res == nil && err == nil {
		cancel()
		return
	}
	e.tallyMu.Lock()
	e.ended, e.endedSender = m, ts
	e.tallyMu.Unlock()
	time.AfterFunc(time.Duration(e.srv.cfg.StepTimeout), func() {
		e.tallyMu.Lock()
		if e.ended == m {
			e.ended, e.endedSender = nil, nil
		}
		e.tallyMu.Unlock()
		cancel()
	})
}

// tallyMix makes this authority's mix with its offline phase when it was
// made for the position the chain now asks for; otherwise from scratch.
func (e *election) tallyMix(qs []*question) func(q int, c *chain.Chain) (*elgamal.List, *shuffle.Proof, error) {
	return func(q int, c *chain.Chain) (*elgamal.List, *shuffle.Proof, error) {
		if pre := qs[q].takePrecomputed(c.Next() == e.self); pre != nil {
			return shuffle.Shuffle(pre, c.Current())
		}
		return shuffle.ShuffleAndProve(nil, c.Context(c.Next()), c.Generators(), c.Current())
	}
}

// tallyDrill is the machine's drill: the adversaries that misbehave in
// the tally itself.
func (e *election) tallyDrill() *drill.Authority {
	switch k := e.adversary(); k {
	case drill.BadShuffle, drill.BadDecryption:
		return &drill.Authority{Kind: k}
	}
	return nil
}

// heard notes that authority i sent a tally message: it tallies.
func (e *election) heard(i int) {
	e.heardMu.Lock()
	if e.heardFrom == nil {
		e.heardFrom = map[int]bool{}
	}
	e.heardFrom[i] = true
	e.heardMu.Unlock()
}

func (e *election) hasHeard(i int) bool {
	e.heardMu.Lock()
	defer e.heardMu.Unlock()
	return e.heardFrom[i]
}

// relayTally tells every other authority of the owner's tally request,
// and tells again every 4 × resend_after those that did not answer with a
// tally message (down, or it was lost), until ctx ends: an authority that
// returns joins the tally. Nobody waits for it.
func (e *election) relayTally(ctx context.Context, body []byte) {
	every := 4 * time.Duration(e.srv.cfg.ResendAfter)
	for _, i := range e.others() {
		go func(i int) {
			for {
				if !e.hasHeard(i) {
					sctx, cancel := context.WithTimeout(ctx, every)
					if err := e.srv.send(sctx, e.name(i), msgTally, body); err != nil && ctx.Err() == nil {
						e.log.Warn("the tally request did not reach an authority; the tally goes on, and tells it again", eolog.Peer(e.name(i)), eolog.Err(err))
					}
					cancel()
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(every):
				}
			}
		}(i)
	}
}

// noteStopped records that authority i stopped (an abort it sent while
// this one could not yet hand it to the tally machine), and returns how
// many have.
func (e *election) noteStopped(i int, reason string) int {
	e.heardMu.Lock()
	defer e.heardMu.Unlock()
	if e.stoppedFrom == nil {
		e.stoppedFrom = map[int]string{}
	}
	e.stoppedFrom[i] = reason
	return len(e.stoppedFrom)
}

// stoppedSoFar returns the authorities noteStopped recorded.
func (e *election) stoppedSoFar() []int {
	e.heardMu.Lock()
	defer e.heardMu.Unlock()
	var out []int
	for i := range e.stoppedFrom {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}
