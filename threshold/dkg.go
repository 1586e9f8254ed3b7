// Package threshold is eo's t-of-n threshold ElGamal: the distributed key
// generation that makes the election key with no one holding its secret,
// and the threshold decryption by any t of the key's holders. Both are pure
// state machines: they consume typed messages and emit typed messages and
// a result, and do no I/O, keep no clocks and never log. A transport and
// the daemon (package orchestra) drive them. The two protocols share one
// wire encoding, one set of parties and the key material that the first
// makes and the second uses, so they are one package.
//
// # Key generation (t-of-n)
//
// DKG runs the distributed key generation of Gennaro, Jarecki, Krawczyk and
// Rabin ("Secure distributed key generation for discrete-log based
// cryptosystems", J. Cryptology 20(1), 2007, Fig. 2): Pedersen's verifiable
// secret sharing with commitments C_ik = a_ik·B + b_ik·H in phase 1, so
// that nobody learns or biases the key before the set QUAL of qualified
// dealers is fixed, then Feldman values A_ik = a_ik·B in phase 2 to extract
// the public key Y = Σ_{i∈QUAL} A_i0. Polynomials have degree t−1, so any t
// of the n authorities (1 ≤ t ≤ n ≤ 32) can decrypt. Every step is named in
// the code by its number in Fig. 2; doc/threshold.md lists where eo departs
// from the paper and why (no ">t complaints" rule; echoes in place of a
// broadcast channel; a confirmation round).
//
// GJKR assumes a broadcast channel; eo's transport is point to point. Each
// broadcast therefore carries, in the next phase's message, the sender's
// echo: the digests of every message it received in the phase before. A
// dealer that showed different messages to different parties is caught
// when the echoes disagree, and the run aborts naming it (and the witness).
// A last round confirms the hash of the whole transcript.
//
// # Threshold decryption
//
// Each authority publishes its decryption factors d = x_i·α for every
// pair of a list of ciphertexts with one batched Chaum–Pedersen proof
// against its verification key VK_i (KeyShare.DecryptionShare); anyone
// verifies them (VerifyDecryptionShare) and any t valid shares combine with
// Lagrange coefficients into the plaintexts (CombineDecryptionShares).
// Invalid shares are blamed and left out.
//
// # Messages and time
//
// Messages have one canonical binary encoding (doc/threshold.md) that
// names election, session, phase and sender; decoders are strict and never
// panic. The state machines ignore an identical duplicate, treat a
// conflicting second message for the same slot as cheating, and buffer
// messages of later phases. Secret shares and key shares redact themselves
// in formatted output and logs.
//
// Computations with secrets (dealing, checking one's own shares, the
// decryption factors) are constant time; everything on public data
// (verification, combination) is variable time. Threshold decryption uses
// up to GOMAXPROCS goroutines.
package threshold

import (
	"bytes"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/drill"
)

// DKGConfig is the session configuration of one key generation, the same
// at every authority except Self.
type DKGConfig struct {
	ElectionID string
	SessionID  string
	N          int       // authorities, 1 … MaxAuthorities
	T          int       // threshold: any T of them can decrypt, 1 … N
	Self       int       // this authority's index, 1 … N
	Rand       io.Reader // randomness for the polynomials; crypto/rand if nil
	// Drill, for fault drills only (eotest --adversary), makes this
	// authority a bad dealer or a false complainer against Drill.Victim
	// (see package internal/drill); nil for an honest authority. Its type
	// is internal to this module, so only the module's own tests and
	// harness can set it: a user of the library cannot.
	Drill *drill.DKG
}

// BroadcastMessage is an encoded message for every other authority.
type BroadcastMessage struct {
	phase Phase
	data  []byte
}

// Phase returns the message's phase.
func (m BroadcastMessage) Phase() Phase { return m.phase }

// Bytes returns the encoded message; the caller must not modify it.
func (m BroadcastMessage) Bytes() []byte { return m.data }

// PrivateMessage is an encoded secret share for one authority only: send
// it to To over the authenticated, encrypted transport and nowhere else.
// Its type is distinct from BroadcastMessage so that a share cannot be put
// on the broadcast path by mistake, and it never shows its content in
// formatted output or logs.
type PrivateMessage struct {
	to   int
	data []byte
}

// To returns the index of the only authority that may receive m.
func (m PrivateMessage) To() int { return m.to }

// Bytes returns the secret encoded message. The machine zeroes these bytes
// once its run is done (every peer has then passed the deal); a driver
// that must keep the message longer copies it.
func (m PrivateMessage) Bytes() []byte { return m.data }

func (m PrivateMessage) text() string { return fmt.Sprintf("private message to %d %s", m.to, redacted) }

// String shows the recipient only.
func (m PrivateMessage) String() string { return m.text() }

// GoString is String, for %#v.
func (m PrivateMessage) GoString() string { return m.text() }

// Format writes String for every verb.
func (m PrivateMessage) Format(f fmt.State, verb rune) { io.WriteString(f, m.text()) }

// LogValue logs the recipient and "[redacted]".
func (m PrivateMessage) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("to", m.to), slog.String("data", redacted))
}

// DKGOutbox holds the messages a step of the state machine emits.
type DKGOutbox struct {
	Broadcast []BroadcastMessage // to every other authority
	Private   []PrivateMessage   // each to its To() only
}

// Empty reports whether o holds no message.
func (o *DKGOutbox) Empty() bool { return o == nil || len(o.Broadcast)+len(o.Private) == 0 }

// DKGResult is what a key generation gives one authority.
type DKGResult struct {
	Public     *DKGPublic
	Share      *KeyShare
	Transcript *DKGTranscript
	Faults     []Fault // misbehaviour that did not stop the protocol
}

// DKG is one authority's state machine for a key generation. Drive it
// with Start, then Handle for every message the transport delivers, and
// Expire when the current phase has stalled for too long; send whatever
// they return. When Done, Result gives the outcome. A DKG is not safe for
// concurrent use.
//
// Messages may arrive twice, late, early or out of order: an identical
// duplicate is ignored, a message of a later phase is kept until its phase,
// and a message that differs from an earlier one for the same slot (phase,
// sender) aborts the run naming its sender. Keep every message the machine
// emits (Sent) and retransmit until the peers have it.
type DKG struct {
	p     *dkgParams
	st    *dkgState
	self  int
	rand  io.Reader
	stage int

	started     bool
	sharesGiven bool    // Expire gave up on missing shares
	absent      []bool  // [j] given up on
	shares      []*slot // [dealer] its share to us

	// Our polynomials f (a_k) and f' (b_k), until the extraction is sent.
	f, fp []group.Scalar
	// mine[i] = (s_i,self, s'_i,self) from each dealer, once verified.
	mine  []*revealedShare
	share *KeyShare
	hash  [64]byte
	// drill (DKGConfig.Drill) and cheat (set by this package's tests
	// only) change the messages this party emits before they are encoded
	// and recorded (see tamper): a malicious authority.
	drill  *drill.DKG
	cheat  func(to int, m Message)
	sent   DKGOutbox
	result *DKGResult
	err    error
}

// NewDKG returns the state machine of authority cfg.Self. It derives the
// session's Pedersen generator H from the election and session.
func NewDKG(cfg DKGConfig) (*DKG, error) {
	p, err := newDKGParams(cfg.ElectionID, cfg.SessionID, cfg.N, cfg.T)
	if err != nil {
		return nil, err
	}
	if cfg.Self < 1 || cfg.Self > cfg.N {
		return nil, malformed("self = %d out of range (1 to %d)", cfg.Self, cfg.N)
	}
	if err := checkDrill(cfg.Drill, cfg.N, cfg.Self); err != nil {
		return nil, err
	}
	return &DKG{
		p: p, st: newDKGState(p, cfg.Self), self: cfg.Self, rand: cfg.Rand, drill: cfg.Drill,
		absent: make([]bool, p.n+1), shares: make([]*slot, p.n+1), mine: make([]*revealedShare, p.n+1),
	}, nil
}

// String describes the machine without any secret: its authority, session
// and phase.
func (d *DKG) String() string {
	state := "running"
	switch {
	case d.err != nil:
		state = "aborted"
	case d.result != nil:
		state = "done"
	}
	return fmt.Sprintf("dkg %s/%s authority %d of %d (t = %d) in %s, %s", d.p.election, d.p.session, d.self, d.p.n, d.p.t, d.Phase(), state)
}

// GoString is String, for %#v: the machine holds secret polynomials and
// shares, so no fmt verb prints its fields.
func (d *DKG) GoString() string { return d.String() }

// Format writes String for every verb.
func (d *DKG) Format(f fmt.State, verb rune) { io.WriteString(f, d.String()) }

// LogValue logs the session, authority and phase only.
func (d *DKG) LogValue() slog.Value {
	return slog.GroupValue(slog.String("election", d.p.election), slog.String("session", d.p.session),
		slog.Int("authority", d.self), slog.String("phase", d.Phase().String()))
}

// Phase returns the phase whose messages the machine waits for.
func (d *DKG) Phase() Phase {
	if d.stage >= numStages {
		return stagePhase[numStages-1]
	}
	return stagePhase[d.stage]
}

// Done reports whether the run has a result.
func (d *DKG) Done() bool { return d.result != nil }

// Err returns the error that ended the run, if any.
func (d *DKG) Err() error { return d.err }

// Result returns the outcome once Done, or the error that ended the run.
func (d *DKG) Result() (*DKGResult, error) {
	if d.err != nil {
		return nil, d.err
	}
	if d.result == nil {
		return nil, fmt.Errorf("threshold: key generation still waiting in %s for %v", d.Phase(), d.Waiting())
	}
	return d.result, nil
}

// Sent returns every message emitted so far, for retransmission; once the
// run is done, the private shares are wiped and no longer among them.
func (d *DKG) Sent() *DKGOutbox {
	return &DKGOutbox{Broadcast: append([]BroadcastMessage(nil), d.sent.Broadcast...),
		Private: append([]PrivateMessage(nil), d.sent.Private...)}
}

// Waiting returns the authorities whose message for the current phase is
// missing (in the deal phase: their deal or their share).
func (d *DKG) Waiting() []int {
	if d.result != nil || d.err != nil || !d.started {
		return nil
	}
	var out []int
	for j := 1; j <= d.p.n; j++ {
		if j == d.self || d.absent[j] {
			continue
		}
		if d.st.msgs[d.stage][j] == nil || (d.stage == stageDeal && !d.sharesGiven && d.shares[j] == nil) {
			out = append(out, j)
		}
	}
	return out
}

func (d *DKG) fail(err error) error {
	if d.err == nil {
		d.err = err
		d.wipe(true)
	}
	return d.err
}

// wipe zeroes the polynomials; with all, also every share held.
func (d *DKG) wipe(all bool) {
	for k := range d.f {
		d.f[k].Set(group.NewScalar())
		d.fp[k].Set(group.NewScalar())
	}
	d.f, d.fp = nil, nil
	if !all {
		return
	}
	for _, m := range d.mine {
		if m != nil {
			m.Share.Set(group.NewScalar())
			m.Blinding.Set(group.NewScalar())
		}
	}
	for _, sl := range d.shares {
		if sl != nil {
			m := sl.msg.(*ShareMessage)
			m.share.Set(group.NewScalar())
			m.blinding.Set(group.NewScalar())
			clear(sl.data)
		}
	}
}

// reveal returns a copy of our share from dealer i, to publish.
func (d *DKG) reveal(i int) revealedShare {
	m := d.mine[i]
	return revealedShare{Party: i, Share: group.NewScalar().Set(m.Share), Blinding: group.NewScalar().Set(m.Blinding)}
}

func copyShare(party int, s, sp *group.Scalar) *revealedShare {
	return &revealedShare{Party: party, Share: group.NewScalar().Set(s), Blinding: group.NewScalar().Set(sp)}
}

func (d *DKG) header(ph Phase) Header {
	return Header{ElectionID: d.p.election, SessionID: d.p.session, Phase: ph, Sender: d.self}
}

// broadcast records our own message of stage st and queues it.
func (d *DKG) broadcast(out *DKGOutbox, st int, m Message) {
	d.tamper(0, m)
	data := m.Bytes()
	d.st.msgs[st][d.self] = newSlot(data, m)
	bm := BroadcastMessage{phase: stagePhase[st], data: data}
	out.Broadcast = append(out.Broadcast, bm)
	d.sent.Broadcast = append(d.sent.Broadcast, bm)
}

// Start deals (GJKR Fig. 2, step 1(a)): it draws f_i and f'_i of degree
// t−1, broadcasts C_ik = a_ik·B + b_ik·H and sends s_ij = f_i(j),
// s'_ij = f'_i(j) to each other authority j. Computations with the
// coefficients are constant time.
func (d *DKG) Start() (*DKGOutbox, error) {
	if d.err != nil {
		return nil, d.err
	}
	if d.started {
		return nil, errors.New("threshold: DKG already started")
	}
	d.started = true
	t := d.p.t
	d.f, d.fp = make([]group.Scalar, t), make([]group.Scalar, t)
	for k := 0; k < t; k++ {
		for _, c := range []*group.Scalar{&d.f[k], &d.fp[k]} {
			s, err := group.RandomScalar(d.rand)
			if err != nil {
				return nil, d.fail(fmt.Errorf("threshold: reading randomness: %w", err))
			}
			c.Set(s)
			s.Set(group.NewScalar())
		}
	}
	C := make([]*group.Element, t)
	B, H := baseTable(), d.p.hTable()
	for k := range C {
		bh := new(group.Element).FixedBaseMult(&d.fp[k], H)
		C[k] = new(group.Element).FixedBaseMult(&d.f[k], B)
		C[k].Add(C[k], bh)
	}
	out := &DKGOutbox{}
	d.broadcast(out, stageDeal, &DealMessage{hdr: d.header(PhaseDKGDeal), commitments: C})
	for j := 1; j <= d.p.n; j++ {
		s, sp := d.p.evalPoly(d.f, j), d.p.evalPoly(d.fp, j)
		if j == d.self {
			d.mine[j] = copyShare(j, s, sp)
		} else {
			m := &ShareMessage{hdr: d.header(PhaseDKGShare), recipient: j, share: s, blinding: sp}
			d.tamper(j, m)
			pm := PrivateMessage{to: j, data: m.Bytes()}
			out.Private = append(out.Private, pm)
			d.sent.Private = append(d.sent.Private, pm)
		}
		s.Set(group.NewScalar())
		sp.Set(group.NewScalar())
	}
	adv, err := d.advance()
	out.Broadcast = append(out.Broadcast, adv.Broadcast...)
	return out, err
}

func reject(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrRejected}, args...)...)
}

// Handle processes one message delivered by the transport from the
// authenticated authority from. It returns the messages to send in reply.
// An error wrapping ErrRejected means the message was dropped and the
// state is unchanged; an error wrapping ErrAborted (an *AbortError) ends
// the run, and every later call returns it.
func (d *DKG) Handle(from int, data []byte) (*DKGOutbox, error) {
	if d.err != nil {
		return nil, d.err
	}
	m, err := DecodeMessage(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRejected, err)
	}
	h := m.MessageHeader()
	if from < 1 || from > d.p.n || from == d.self {
		return nil, reject("delivered from authority %d, which is not a peer in this session", from)
	}
	if h.Sender != from {
		return nil, reject("message from authority %d delivered by %d", h.Sender, from)
	}
	if err := d.p.checkShape(m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRejected, err)
	}
	var slotp **slot
	var st int
	if sm, ok := m.(*ShareMessage); ok {
		if sm.recipient != d.self {
			return nil, reject("share from %d addressed to %d, not to this authority", from, sm.recipient)
		}
		slotp, st = &d.shares[from], stageDeal
	} else {
		st = stageOf(h.Phase)
		slotp = &d.st.msgs[st][from]
	}
	if prev := *slotp; prev != nil {
		if prev.digest == sha512.Sum512_256(data) {
			return nil, nil // an identical duplicate
		}
		f := Fault{Party: from, Kind: FaultConflict, Phase: h.Phase, Detail: "sent two different messages for one slot"}
		if d.result != nil {
			return nil, reject("after the result: %s", f)
		}
		return nil, d.fail(&AbortError{Faults: []Fault{f}})
	}
	if d.absent[from] || st < d.stage {
		return nil, reject("late %s message from authority %d, given up on", h.Phase, from)
	}
	*slotp = newSlot(bytes.Clone(data), m)
	if !d.started || d.result != nil {
		return nil, nil
	}
	return d.advance()
}

// Expire gives up on the messages missing in the current phase: their
// senders take no further part (a dealer whose commitments arrived but
// whose share did not is complained against instead). Call it when the
// phase has stalled past the daemon's timer.
func (d *DKG) Expire() (*DKGOutbox, error) {
	if d.err != nil {
		return nil, d.err
	}
	if !d.started || d.result != nil {
		return nil, nil
	}
	for j := 1; j <= d.p.n; j++ {
		if j == d.self || d.absent[j] {
			continue
		}
		if d.st.msgs[d.stage][j] == nil {
			d.absent[j] = true
			for st := d.stage + 1; st < numStages; st++ {
				d.st.msgs[st][j] = nil // early messages of a party given up on
			}
			d.st.fault(Fault{Party: j, Kind: FaultAbsent, Phase: stagePhase[d.stage], Detail: "no message before the deadline"})
		}
	}
	if d.stage == stageDeal {
		d.sharesGiven = true
	}
	return d.advance()
}

// ExpireWouldAbort reports whether Expire now would leave fewer than t
// authorities taking part (this one included): the run could then only
// abort, since reconstructing a dealer and finishing both need t of them
// (GJKR step 4(c)). A daemon waits longer for the silent ones before it
// gives up on them — on a starved machine a live authority is slow, not
// gone — and calls Expire only to end with the reason.
func (d *DKG) ExpireWouldAbort() bool {
	if d.err != nil || d.result != nil || !d.started {
		return false
	}
	left := 0
	for j := 1; j <= d.p.n; j++ {
		if j == d.self || (!d.absent[j] && d.st.msgs[d.stage][j] != nil) {
			left++
		}
	}
	return left < d.p.t
}

func (d *DKG) stageComplete() bool {
	for j := 1; j <= d.p.n; j++ {
		if j == d.self || d.absent[j] {
			continue
		}
		if d.st.msgs[d.stage][j] == nil {
			return false
		}
		if d.stage == stageDeal && !d.sharesGiven && d.shares[j] == nil {
			return false
		}
	}
	return true
}

// advance ends every phase that is complete, in order.
func (d *DKG) advance() (*DKGOutbox, error) {
	out := &DKGOutbox{}
	for d.result == nil && d.stageComplete() {
		if err := d.endStage(out); err != nil {
			return out, d.fail(err)
		}
	}
	return out, nil
}

// endStage runs the public decisions of the current stage, then this
// party's own step, and emits the next broadcast.
func (d *DKG) endStage(out *DKGOutbox) error {
	s := d.st
	switch d.stage {
	case stageDeal:
		// Step 1(b): check every share received against the dealer's
		// commitments; complain about missing and bad ones.
		if err := s.endDeal(); err != nil {
			return err
		}
		var accused []int
		for i := 1; i <= d.p.n; i++ {
			if i == d.self || s.C[i] == nil {
				continue
			}
			if !d.checkOwnShare(i) {
				accused = append(accused, i)
			}
		}
		d.broadcast(out, stageComplaints, &ComplaintsMessage{hdr: d.header(PhaseDKGComplaints),
			echo: s.echo(stageDeal), accused: accused})
	case stageComplaints:
		// Step 1(c): open the shares of those who complained about us.
		if err := s.endComplaints(); err != nil {
			return err
		}
		var entries []revealedShare
		for _, j := range s.accusedBy[d.self] {
			entries = append(entries, revealedShare{Party: j, Share: d.p.evalPoly(d.f, j), Blinding: d.p.evalPoly(d.fp, j)})
		}
		d.broadcast(out, stageJustifications, &JustificationsMessage{hdr: d.header(PhaseDKGJustifications),
			echo: s.echo(stageComplaints), entries: entries})
	case stageJustifications:
		// Steps 1(d), 2: QUAL. Where a dealer answered our complaint, its
		// opened share is ours. Step 4(a): a qualified dealer publishes
		// A_ik = a_ik·B.
		if err := s.endJustifications(); err != nil {
			return err
		}
		for i := 1; i <= d.p.n; i++ {
			if o, ok := s.opened[i][d.self]; ok && s.qual[i] {
				d.mine[i] = copyShare(i, o.Share, o.Blinding)
			}
			if s.qual[i] && d.mine[i] == nil {
				return fmt.Errorf("threshold: internal error: no share from qualified dealer %d", i)
			}
		}
		var A []*group.Element
		if s.qual[d.self] {
			A = make([]*group.Element, d.p.t)
			for k := range A {
				A[k] = new(group.Element).FixedBaseMult(&d.f[k], baseTable())
			}
		}
		d.wipe(false) // the polynomials are no longer needed
		d.broadcast(out, stageExtraction, &ExtractionMessage{hdr: d.header(PhaseDKGExtraction),
			echo: s.echo(stageJustifications), commitments: A})
	case stageExtraction:
		// Step 4(b): check our share from each qualified dealer against its
		// Feldman values; complain with the share itself if it fails.
		if err := s.endExtraction(); err != nil {
			return err
		}
		var entries []revealedShare
		for i := 1; i <= d.p.n; i++ {
			if i == d.self || !s.qual[i] || s.A[i] == nil {
				continue
			}
			lhs := new(group.Element).FixedBaseMult(d.mine[i].Share, baseTable())
			if lhs.Equal(d.p.commitAt(s.A[i], d.self)) != 1 {
				entries = append(entries, d.reveal(i))
			}
		}
		d.broadcast(out, stageExtractionComplaints, &ExtractionComplaintsMessage{hdr: d.header(PhaseDKGExtractionComplaints),
			echo: s.echo(stageExtraction), entries: entries})
	case stageExtractionComplaints:
		// Step 4(c): publish our shares of every dealer to reconstruct.
		if err := s.endExtractionComplaints(); err != nil {
			return err
		}
		var entries []revealedShare
		for i := 1; i <= d.p.n; i++ {
			if s.recon[i] {
				entries = append(entries, d.reveal(i))
			}
		}
		d.broadcast(out, stageReconstruction, &ReconstructionMessage{hdr: d.header(PhaseDKGReconstruction),
			echo: s.echo(stageExtractionComplaints), entries: entries})
	case stageReconstruction:
		// Steps 3 and 4(c): Y, the verification keys, and our share
		// x_self = Σ_{i∈QUAL} s_i,self, which must satisfy x_self·B = VK_self.
		if err := s.endReconstruction(); err != nil {
			return err
		}
		if err := d.keyShare(); err != nil {
			return err
		}
		d.hash = s.transcript().Hash()
		d.broadcast(out, stageConfirm, &ConfirmMessage{hdr: d.header(PhaseDKGConfirm),
			echo: s.echo(stageReconstruction), transcriptHash: d.hash})
	case stageConfirm:
		if err := s.checkEchoes(stageConfirm); err != nil {
			return err
		}
		for j := 1; j <= d.p.n; j++ {
			if sl := s.msgs[stageConfirm][j]; sl != nil && sl.msg.(*ConfirmMessage).transcriptHash != d.hash {
				return s.abort(Fault{Party: j, Kind: FaultTranscriptMismatch, Phase: PhaseDKGConfirm,
					Detail: "confirmed a different transcript hash although its echoes matched"})
			}
		}
		if err := d.finish(); err != nil {
			return err
		}
	}
	d.stage++
	return nil
}

// checkOwnShare verifies dealer i's share to us against its commitments,
// GJKR's equation (4), in constant time in the share, and keeps it if
// valid.
func (d *DKG) checkOwnShare(i int) bool {
	sl := d.shares[i]
	if sl == nil {
		return false
	}
	m := sl.msg.(*ShareMessage)
	lhs := new(group.Element).FixedBaseMult(m.share, baseTable())
	lhs.Add(lhs, new(group.Element).FixedBaseMult(m.blinding, d.p.hTable()))
	if lhs.Equal(d.p.commitAt(d.st.C[i], d.self)) != 1 {
		return false
	}
	d.mine[i] = copyShare(i, m.share, m.blinding)
	return true
}

// keyShare computes x_self = Σ_{i∈QUAL} s_i,self (GJKR step 3) and checks
// it against VK_self.
func (d *DKG) keyShare() error {
	s := d.st
	x := group.NewScalar()
	for i := 1; i <= d.p.n; i++ {
		if s.qual[i] {
			x.Add(x, d.mine[i].Share)
		}
	}
	d.share = newKeyShare(d.self, x)
	x.Set(group.NewScalar())
	if d.share.VerificationKey().Equal(s.VK[d.self]) != 1 {
		d.share.Wipe()
		return errors.New("threshold: internal error: own key share does not match its verification key")
	}
	return nil
}

func (d *DKG) finish() error {
	pub, err := d.st.public(d.hash)
	if err != nil {
		return err
	}
	d.wipe(true)
	// Every peer that took part confirmed, so it has passed the deal: our
	// shares to them are no longer needed for retransmission.
	for _, pm := range d.sent.Private {
		clear(pm.data)
	}
	d.sent.Private = nil
	d.result = &DKGResult{Public: pub, Share: d.share, Transcript: d.st.transcript(), Faults: d.st.faults}
	return nil
}
