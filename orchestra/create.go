package orchestra

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/eo-mixnet/eo/eolog"
	"github.com/eo-mixnet/eo/internal/atomicfile"
	"github.com/eo-mixnet/eo/keystore"
	"github.com/eo-mixnet/eo/threshold"
)

// runCreate runs the key generation of every question (one GJKR session
// each, all at once) and stores each authority's share (mode 0600) and the
// transcript before the election is announced as created.
func (e *election) runCreate(ctx context.Context) error {
	su := e.status().Setup
	log := e.log.With(eolog.Phase("keygen"))
	e.sum = newSummary()
	start := time.Now()
	if su.Director == e.srv.Hostname() {
		// Tell every authority, then take part like them. One that cannot
		// be reached takes no part: the key generation disqualifies it
		// (GJKR), and the election is created if t qualify.
		// It waits for each delivery half a round at most (so that the
		// others start with it, and their trustees' notices arrive before
		// its rounds can expire), then goes on: the rounds run without
		// one that was not reached.
		body := (&envelope{Election: e.id, Fields: [][]byte{mustJSON(su)}}).bytes()
		var wg sync.WaitGroup
		for _, i := range e.others() {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				sctx, cancel := context.WithTimeout(ctx, time.Duration(e.srv.cfg.RoundTimeout)/2)
				defer cancel()
				if err := e.sendTo(sctx, i, msgSetup, body); err != nil && ctx.Err() == nil {
					log.Warn("the setup did not reach an authority; the key generation goes on without it", eolog.Peer(e.name(i)), eolog.Err(err))
				}
			}(i)
		}
		wg.Wait()
	}
	if err := e.approve(ctx, TaskCreate, nil, nil); err != nil {
		return err
	}
	if d := e.srv.drill.Late(); d > 0 { // a drill: a starved machine
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	e.garbage(ctx)
	n, q := len(su.Authorities), su.Questions
	dkgs := make([]*threshold.DKG, q)
	wals := make([]*dkgLog, q)
	resumed := false
	for k := range dkgs {
		// The polynomials come from a sealed seed and every input of the
		// machine is logged before it is handled, so a restarted
		// authority rebuilds the same machine and sends the same messages.
		w, err := e.openDKGLog(k)
		if err != nil {
			return err
		}
		wals[k] = w
		d, err := threshold.NewDKG(threshold.DKGConfig{ElectionID: e.id, SessionID: sessionID(k), N: n, T: su.Threshold, Self: e.self, Rand: w.rand(),
			Drill: e.dkgDrill()})
		if err != nil {
			return err
		}
		dkgs[k] = d
		out, err := d.Start()
		if err != nil {
			return err
		}
		if len(w.entries) == 0 {
			e.sendOutbox(ctx, k, out)
			continue
		}
		resumed = true
		for _, en := range w.entries {
			if en.expire {
				_, err = d.Expire()
			} else {
				_, err = d.Handle(en.from, en.data)
				if errors.Is(err, threshold.ErrRejected) {
					err = nil
				}
			}
			if err != nil {
				return fmt.Errorf("key generation of question %d, replaying its log: %w", k, err)
			}
		}
		e.sendOutbox(ctx, k, d.Sent())
	}
	if resumed {
		log.Info("key generation resumed from its log; asking the others for what was lost")
		for _, i := range e.others() {
			e.askDKG(i)
		}
	}
	round := time.Duration(e.srv.cfg.RoundTimeout)
	// An authority may start its rounds up to half a round after the
	// others: the director waits that long for the setup's delivery, and
	// one whose trustee just accepted starts when it learns so. Until
	// every other authority's first message, the rounds wait that much
	// longer, or a late starter would be given up on by some authorities
	// and not others (CI, on a starved machine: the key generation then
	// aborted, "unrecoverable").
	heard := map[int]bool{}
	// Giving up on the silent authorities when that leaves fewer than t
	// can only abort the key generation (threshold.DKG.ExpireWouldAbort):
	// such a round waits up to patience more rounds of silence first, as a
	// live authority on a starved machine is slow, not gone (CI: a1 gave up
	// on a2 with a3 down, "unrecoverable in dkg-reconstruction").
	const patience = 4
	stalls := 0
	for {
		done := true
		for _, d := range dkgs {
			done = done && d.Done()
		}
		if done {
			break
		}
		in, overflow := e.box.take(func(in *inbound) bool {
			return in.typ == msgDKG || in.typ == msgAbort || in.typ == msgResend
		})
		if overflow {
			return errors.New("too many unexpected messages from the other authorities")
		}
		if in == nil {
			wait := round
			if len(heard) < len(e.others()) {
				wait += round / 2
			}
			got, err := e.box.wait(ctx, wait)
			if err != nil {
				return fmt.Errorf("key generation: %w", err)
			}
			if !got && !e.trusteesWaiting() {
				// A round stalled: give up on the silent authorities.
				stalls++
				for k, d := range dkgs {
					if d.Done() {
						continue
					}
					if d.ExpireWouldAbort() && stalls <= patience {
						log.Warn("round stalled; giving up on the silent authorities would leave fewer than the threshold, waiting longer",
							eolog.Session(sessionID(k)), "round", d.Phase().String(), "waiting", fmt.Sprint(d.Waiting()), "stalls", stalls)
						continue
					}
					log.Warn("round stalled; giving up on the silent authorities", eolog.Session(sessionID(k)), "round", d.Phase().String(), "waiting", fmt.Sprint(d.Waiting()))
					if err := wals[k].append(dkgEntry{expire: true}); err != nil {
						return err
					}
					out, err := d.Expire()
					if err != nil {
						return fmt.Errorf("key generation of question %d: %w", k, err)
					}
					e.sendOutbox(ctx, k, out)
				}
			}
			continue
		}
		switch in.typ {
		case msgAbort:
			if in.env.J == abortRefusal {
				// An authority refuses the setup (its policy forbids
				// it): the owner must hear it (threats.md A13), so the
				// creation ends with its reason.
				return &abortError{from: in.host, reason: string(in.env.Fields[0])}
			}
			// An authority that stops takes no part: its rounds expire
			// and it is disqualified; the others go on while t remain.
			log.Warn("an authority stopped; the key generation goes on without it", eolog.Peer(in.host), "reason", string(in.env.Fields[0]))
			continue
		case msgResend:
			// A restarted authority asks for everything sent to it.
			for k, d := range dkgs {
				e.sendOutboxTo(ctx, k, d.Sent(), in.from)
			}
			continue
		}
		e.sum.addReceived(in.host, in.env)
		heard[in.from] = true
		stalls = 0
		k := int(in.env.Q)
		if k >= q {
			log.Warn("key-generation message for a question that does not exist; dropped", eolog.Peer(in.host))
			continue
		}
		if dkgs[k].Done() {
			continue
		}
		if err := wals[k].append(dkgEntry{from: in.from, data: in.env.Fields[0]}); err != nil {
			return err
		}
		e.srv.crashPoint("dkg-message")
		out, err := dkgs[k].Handle(in.from, in.env.Fields[0])
		if errors.Is(err, threshold.ErrRejected) {
			log.Warn("key-generation message rejected", eolog.Session(sessionID(k)), eolog.Peer(in.host), eolog.Err(err))
			continue
		}
		if err != nil {
			return fmt.Errorf("key generation of question %d: %w", k, err)
		}
		e.sendOutbox(ctx, k, out)
	}
	e.srv.reportProgress(e.id, "keygen", q, q)
	var pks []string
	var quals [][]int
	var hashes []byte // every question's transcript hash
	for k, d := range dkgs {
		res, err := d.Result()
		if err != nil {
			return err
		}
		for _, f := range res.Faults {
			log.Warn("misbehaviour in key generation", eolog.Session(sessionID(k)), eolog.Peer(su.Authorities[f.Party-1].Name), "fault", f.String())
		}
		if err := atomicfile.WriteFile(filepath.Join(e.dir, fileDKG(k)), res.Transcript.Bytes(), 0o600); err != nil {
			return err
		}
		if res.Share != nil {
			var err error
			if slices.Contains(res.Public.Qualified, e.self) { // none for a disqualified authority
				share := res.Share.Bytes()
				err = e.srv.ks.WriteSecret(keystore.KeySharePath(e.id, k), share)
				clear(share)
			}
			res.Share.Wipe()
			if err != nil {
				return err
			}
		}
		// Keep what this authority broadcast (public) to answer a peer
		// that restarts later; the seed and the log of secrets go.
		if err := atomicfile.WriteFile(filepath.Join(e.dir, fileDKGSent(k)), encodeBroadcasts(dkgs[k].Sent()), 0o600); err != nil {
			return err
		}
		h := res.Transcript.Hash()
		hashes = append(hashes, h[:]...)
		pks = append(pks, res.Public.PublicKey.String())
		quals = append(quals, res.Public.Qualified)
	}
	// Every message of the protocol must leave before this phase ends.
	e.sends.Wait()
	if err := e.update(func(st *state) { st.Status, st.PublicKeys, st.Qualified = statusCreated, pks, quals }); err != nil {
		return err
	}
	for _, w := range wals {
		w.remove()
	}
	e.srv.crashPoint("created")
	if su.Director != e.srv.Hostname() {
		// The director asks again (resendCreated) if this is lost.
		body := (&envelope{Election: e.id, J: uint32(e.self), Fields: [][]byte{hashes}}).bytes()
		if err := e.sendTo(ctx, su.index(su.Director), msgCreated, body); err != nil {
			log.Warn("the end of the key generation did not reach the director; it asks again", eolog.Err(err))
		}
	} else if err := e.confirmCreated(ctx); err != nil {
		return err
	}
	e.sum.phase("keygen", time.Since(start))
	e.srv.metrics.phase("keygen", time.Since(start))
	e.srv.metrics.sessionEnded(statusCreated)
	log.Info("election created", "questions", q, "seconds", time.Since(start).Seconds())
	e.sum.log(e.log, "keygen")
	if su.Director == e.srv.Hostname() {
		e.callbackCreated()
	}
	return nil
}

// confirmCreated is the director's last step of a creation: it announces
// the keys once at least t authorities (itself included) hold their share
// of them with the same transcripts — every authority that answers within
// step_timeout; the others are named absent (in the state, the log and
// the callback), not blamed.
func (e *election) confirmCreated(ctx context.Context) error {
	hashes, err := e.transcriptHashes()
	if err != nil {
		return err
	}
	st := e.status()
	cfg := e.srv.cfg
	confirmed := map[int]bool{e.self: true}
	other := map[int]bool{} // ended with other transcripts
	deadline := time.Now().Add(time.Duration(cfg.StepTimeout))
	var lastAsk time.Time
	for len(confirmed)+len(other) < e.n() {
		in, overflow := e.box.take(func(in *inbound) bool { return in.typ == msgCreated })
		if overflow {
			return errors.New("too many unexpected messages from the other authorities")
		}
		if in != nil {
			if confirmed[in.from] || other[in.from] {
				continue
			}
			if bytes.Equal(in.env.Fields[0], hashes) {
				confirmed[in.from] = true
			} else {
				other[in.from] = true
				e.log.Error("an authority ended the key generation with other transcripts; it is left out", eolog.Phase("keygen"), eolog.Peer(in.host))
			}
			continue
		}
		now := time.Now()
		deadline = e.holdDeadline(now, deadline)
		if now.After(deadline) {
			break
		}
		if now.Sub(lastAsk) >= time.Duration(cfg.ResendAfter) {
			lastAsk = now
			ask := (&envelope{Election: e.id, Fields: [][]byte{[]byte(resendCreated)}}).bytes()
			for _, i := range e.others() {
				if !confirmed[i] && !other[i] {
					go func(i int) {
						sctx, cancel := context.WithTimeout(ctx, time.Duration(cfg.ResendAfter))
						defer cancel()
						e.srv.send(sctx, e.name(i), msgResend, ask)
					}(i)
				}
			}
		}
		if _, err := e.box.wait(ctx, min(time.Until(deadline), time.Duration(cfg.ResendAfter))); err != nil {
			return err
		}
	}
	var absent []int
	for i := 1; i <= e.n(); i++ {
		if !confirmed[i] {
			absent = append(absent, i)
		}
	}
	if len(confirmed) < st.Setup.Threshold {
		return fmt.Errorf("only %d authorities ended the key generation with the same transcripts, fewer than the threshold %d; missing: %s",
			len(confirmed), st.Setup.Threshold, strings.Join(e.names(absent), ", "))
	}
	if len(absent) > 0 {
		e.log.Warn("election created without some authorities; they are absent", eolog.Phase("keygen"), "absent", strings.Join(e.names(absent), ","))
	}
	return e.update(func(st *state) { st.Absent = e.names(absent) })
}

// sendOutbox sends a key-generation outbox in the background: the state
// machine keeps every message it sent and a lost one ends in a complaint
// or a stalled round, never in a blocked loop.
func (e *election) sendOutbox(ctx context.Context, q int, out *threshold.DKGOutbox) {
	e.sendOutboxTo(ctx, q, out, 0)
}

// sendOutboxTo sends an outbox to one authority only (to > 0) or to all.
func (e *election) sendOutboxTo(ctx context.Context, q int, out *threshold.DKGOutbox, to int) {
	if out == nil || out.Empty() {
		return
	}
	for _, b := range out.Broadcast {
		body := (&envelope{Election: e.id, Q: uint32(q), Fields: [][]byte{b.Bytes()}}).bytes()
		for _, i := range e.others() {
			if to == 0 || i == to {
				e.sendAsync(i, body)
			}
		}
	}
	for _, p := range out.Private {
		if to == 0 || p.To() == to {
			body := (&envelope{Election: e.id, Q: uint32(q), Fields: [][]byte{append([]byte(nil), p.Bytes()...)}}).bytes()
			e.sendAsync(p.To(), body)
		}
	}
}

// askDKG asks authority i to send again every key-generation message it
// sent this one (after a restart of this one).
func (e *election) askDKG(i int) {
	body := (&envelope{Election: e.id, Fields: [][]byte{[]byte(resendDKG)}}).bytes()
	e.sends.Add(1)
	go func() {
		defer e.sends.Done()
		ctx, cancel := context.WithTimeout(e.srv.ctx, time.Duration(e.srv.cfg.StepTimeout))
		defer cancel()
		e.srv.send(ctx, e.name(i), msgResend, body)
	}()
}

// sendAsync sends a key-generation message in the background, bounded by
// the daemon's life and a step's timeout, not by the phase that made it
// (the last messages of a phase must leave after it ends); runCreate waits
// for all of them.
func (e *election) sendAsync(i int, body []byte) {
	e.sends.Add(1)
	go func() {
		defer e.sends.Done()
		ctx, cancel := context.WithTimeout(e.srv.ctx, time.Duration(e.srv.cfg.StepTimeout))
		defer cancel()
		if err := e.sendTo(ctx, i, msgDKG, body); err != nil && e.srv.ctx.Err() == nil {
			e.log.Warn("key-generation message not delivered", eolog.Peer(e.name(i)), eolog.Err(err))
		}
	}()
}

// loadKeys reads the public part and this authority's share of question q.
func (e *election) loadKeys(q int) (*threshold.DKGPublic, *threshold.KeyShare, error) {
	tb, err := os.ReadFile(filepath.Join(e.dir, fileDKG(q)))
	if err != nil {
		return nil, nil, err
	}
	tr, err := threshold.DecodeDKGTranscript(tb)
	if err != nil {
		return nil, nil, err
	}
	pub, _, err := threshold.VerifyDKGTranscript(tr)
	if err != nil {
		return nil, nil, err
	}
	sb, err := e.srv.ks.ReadSecret(keystore.KeySharePath(e.id, q))
	if errors.Is(err, os.ErrNotExist) && !slices.Contains(pub.Qualified, e.self) {
		return pub, nil, nil // disqualified: mixes, does not decrypt
	}
	if err != nil {
		return nil, nil, err
	}
	defer clear(sb)
	ks, err := threshold.DecodeKeyShare(sb)
	if err != nil {
		return nil, nil, err
	}
	if ks.Index() != e.self {
		return nil, nil, fmt.Errorf("question %d: the stored key share is authority %d's", q, ks.Index())
	}
	return pub, ks, nil
}

// rel is the path of an election's file relative to the authority
// directory: the name a sealed file is bound to.
func (e *election) rel(name string) string {
	return filepath.Join(ElectionsDir, e.id, name)
}

// transcriptHashes returns the concatenated transcript hashes of every
// question, from the stored transcripts: the body of msgCreated.
func (e *election) transcriptHashes() ([]byte, error) {
	var out []byte
	for q := 0; q < e.st.Setup.Questions; q++ {
		b, err := os.ReadFile(filepath.Join(e.dir, fileDKG(q)))
		if err != nil {
			return nil, err
		}
		tr, err := threshold.DecodeDKGTranscript(b)
		if err != nil {
			return nil, err
		}
		h := tr.Hash()
		out = append(out, h[:]...)
	}
	return out, nil
}
