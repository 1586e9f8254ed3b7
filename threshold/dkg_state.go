package threshold

import (
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/proofs"
)

// This file holds the public part of the key generation: everything a
// party decides from the broadcasts alone. The state machine (DKG) and the
// transcript verifier (VerifyDKGTranscript) run the very same code, so that
// a verifier reaches the parties' QUAL, public key and verification keys.

// The stages of the key generation, one broadcast message per party each.
// The first six go into the transcript; the seventh confirms it.
const (
	stageDeal = iota
	stageComplaints
	stageJustifications
	stageExtraction
	stageExtractionComplaints
	stageReconstruction
	stageConfirm
	numStages
)

// DKGTranscriptPhases is the number of broadcast phases a DKGTranscript
// records: deal, complaints, justifications, extraction, extraction
// complaints and reconstruction.
const DKGTranscriptPhases = stageConfirm

var stagePhase = [numStages]Phase{
	PhaseDKGDeal, PhaseDKGComplaints, PhaseDKGJustifications, PhaseDKGExtraction,
	PhaseDKGExtractionComplaints, PhaseDKGReconstruction, PhaseDKGConfirm,
}

// stageOf returns the stage whose broadcast has phase p, or -1.
func stageOf(p Phase) int {
	for s, q := range stagePhase {
		if q == p {
			return s
		}
	}
	return -1
}

// DKGGeneratorDomain returns the domain from which the Pedersen generator
// H of a key generation is derived: "eo/dkg/v1" followed by the
// length-prefixed (4 bytes, big endian) election and session identifiers.
// H = proofs.DeriveGenerators(DKGGeneratorDomain(e, s), 1)[0]; nobody knows
// log_B H.
func DKGGeneratorDomain(electionID, sessionID string) string {
	b := []byte("eo/dkg/v1")
	b = binary.BigEndian.AppendUint32(b, uint32(len(electionID)))
	b = append(b, electionID...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(sessionID)))
	b = append(b, sessionID...)
	return string(b)
}

// dkgParams are the public parameters of one key generation.
type dkgParams struct {
	election, session string
	n, t              int
	h                 *group.Element
	hTable            func() *group.FixedBase
	powers            [][]*group.Scalar // powers[j][k] = j^k, j = 1 … n, k < t
}

func checkID(what, id string) error {
	if len(id) == 0 || len(id) > MaxIDLength || !utf8.ValidString(id) {
		return malformed("%s must be 1 to %d bytes of UTF-8", what, MaxIDLength)
	}
	return nil
}

func checkNT(n, t int) error {
	if n < 1 || n > MaxAuthorities {
		return malformed("n = %d out of range (1 to %d)", n, MaxAuthorities)
	}
	if t < 1 || t > n {
		return malformed("t = %d out of range (1 to n = %d)", t, n)
	}
	return nil
}

func newDKGParams(election, session string, n, t int) (*dkgParams, error) {
	if err := checkID("election id", election); err != nil {
		return nil, err
	}
	if err := checkID("session id", session); err != nil {
		return nil, err
	}
	if err := checkNT(n, t); err != nil {
		return nil, err
	}
	hs, err := proofs.DeriveGenerators(DKGGeneratorDomain(election, session), 1)
	if err != nil {
		return nil, fmt.Errorf("threshold: deriving the Pedersen generator: %w", err)
	}
	p := &dkgParams{election: election, session: session, n: n, t: t, h: hs[0]}
	p.hTable = sync.OnceValue(func() *group.FixedBase { return group.NewFixedBase(p.h) })
	p.powers = make([][]*group.Scalar, n+1)
	for j := 1; j <= n; j++ {
		p.powers[j] = powers(j, t)
	}
	return p, nil
}

// powers returns 1, j, j², …, j^(t−1) modulo ℓ.
func powers(j, t int) []*group.Scalar {
	out := make([]*group.Scalar, t)
	x := group.ScalarFromUint64(uint64(j))
	out[0] = group.ScalarFromUint64(1)
	for k := 1; k < t; k++ {
		out[k] = group.NewScalar().Multiply(out[k-1], x)
	}
	return out
}

// evalPoly returns Σ_k c_k·j^k.
func (p *dkgParams) evalPoly(c []group.Scalar, j int) *group.Scalar {
	out := group.NewScalar()
	for k := range c {
		out.MultiplyAdd(&c[k], p.powers[j][k], out)
	}
	return out
}

// commitAt returns Σ_k j^k·C_k, the value the commitments C fix for
// party j (variable time: C is public).
func (p *dkgParams) commitAt(C []*group.Element, j int) *group.Element {
	return new(group.Element).VarTimeMultiScalarMult(p.powers[j], C)
}

// pedersenOK checks GJKR's equation (4), s·B + s'·H = Σ_k j^k·C_ik, for
// public s and s' (variable time).
func (p *dkgParams) pedersenOK(C []*group.Element, j int, s, sp *group.Scalar) bool {
	sc := make([]*group.Scalar, 0, p.t+2)
	pts := make([]*group.Element, 0, p.t+2)
	sc = append(sc, s, sp)
	pts = append(pts, group.NewGeneratorElement(), p.h)
	for k := range C {
		sc = append(sc, group.NewScalar().Negate(p.powers[j][k]))
		pts = append(pts, C[k])
	}
	return new(group.Element).VarTimeMultiScalarMult(sc, pts).IsIdentity() == 1
}

// feldmanOK checks GJKR's equation (5), s·B = Σ_k j^k·A_ik, for a public s.
func (p *dkgParams) feldmanOK(A []*group.Element, j int, s *group.Scalar) bool {
	lhs := new(group.Element).ScalarBaseMult(s)
	return lhs.Equal(p.commitAt(A, j)) == 1
}

// checkShape checks what a message's shape must be in this session: its
// sender and every index it names lie in 1 … n, its echo has n digests, a
// deal holds t commitments and an extraction none or t. A message failing
// it is rejected on receipt.
func (p *dkgParams) checkShape(m Message) error {
	h := m.MessageHeader()
	if h.ElectionID != p.election || h.SessionID != p.session {
		return fmt.Errorf("%w: message for election %q session %q", ErrMalformed, h.ElectionID, h.SessionID)
	}
	if h.Sender > p.n {
		return malformed("sender %d out of range (1 to %d)", h.Sender, p.n)
	}
	echo := func(e []Digest) error {
		if len(e) != p.n {
			return malformed("echo of %d digests, want %d", len(e), p.n)
		}
		return nil
	}
	entries := func(rs []revealedShare) error {
		for _, r := range rs {
			if r.Party > p.n {
				return malformed("index %d out of range (1 to %d)", r.Party, p.n)
			}
		}
		return nil
	}
	switch m := m.(type) {
	case *DealMessage:
		if len(m.commitments) != p.t {
			return malformed("deal of %d commitments, want t = %d", len(m.commitments), p.t)
		}
		return nil
	case *ShareMessage:
		if m.recipient > p.n {
			return malformed("recipient %d out of range (1 to %d)", m.recipient, p.n)
		}
		return nil
	case *ComplaintsMessage:
		if len(m.accused) > 0 && m.accused[len(m.accused)-1] > p.n {
			return malformed("accused dealer out of range (1 to %d)", p.n)
		}
		return echo(m.echo)
	case *JustificationsMessage:
		if err := echo(m.echo); err != nil {
			return err
		}
		return entries(m.entries)
	case *ExtractionMessage:
		if len(m.commitments) != 0 && len(m.commitments) != p.t {
			return malformed("extraction of %d values, want 0 or t = %d", len(m.commitments), p.t)
		}
		return echo(m.echo)
	case *ExtractionComplaintsMessage:
		if err := echo(m.echo); err != nil {
			return err
		}
		return entries(m.entries)
	case *ReconstructionMessage:
		if err := echo(m.echo); err != nil {
			return err
		}
		return entries(m.entries)
	case *ConfirmMessage:
		return echo(m.echo)
	}
	return malformed("%s is not a key-generation message", h.Phase)
}

// slot is one received (or sent) broadcast.
type slot struct {
	data   []byte
	msg    Message
	digest Digest
}

func newSlot(data []byte, m Message) *slot {
	return &slot{data: data, msg: m, digest: sha512.Sum512_256(data)}
}

// dkgState is the public state of a key generation: the broadcasts of
// every stage and what follows from them.
type dkgState struct {
	p    *dkgParams
	self int // the party holding this state; 0 in the verifier
	msgs [numStages][]*slot

	C         [][]*group.Element // [dealer] Pedersen commitments
	accusedBy [][]int            // [dealer] complainers, increasing
	opened    []map[int]revealedShare
	qual      []bool
	A         [][]*group.Element // [dealer] Feldman values (after reconstruction: all of QUAL)
	recon     []bool
	faults    []Fault

	Y  *group.Element   // the joint public key
	VK []*group.Element // VK[j] = x_j·B, j = 1 … n
}

func newDKGState(p *dkgParams, self int) *dkgState {
	s := &dkgState{p: p, self: self}
	for i := range s.msgs {
		s.msgs[i] = make([]*slot, p.n+1)
	}
	s.C = make([][]*group.Element, p.n+1)
	s.accusedBy = make([][]int, p.n+1)
	s.opened = make([]map[int]revealedShare, p.n+1)
	s.qual = make([]bool, p.n+1)
	s.A = make([][]*group.Element, p.n+1)
	s.recon = make([]bool, p.n+1)
	return s
}

func (s *dkgState) fault(f Fault) { s.faults = append(s.faults, f) }

func (s *dkgState) abort(fs ...Fault) error {
	return &AbortError{Faults: fs}
}

// present reports whether j sent a broadcast in stage st.
func (s *dkgState) present(st, j int) bool { return s.msgs[st][j] != nil }

// checkEchoes compares the echo each message of stage st carries with the
// digests of stage st−1 as this state holds them (GJKR assumes a broadcast
// channel; over point-to-point links this echo is what makes a dealer who
// shows different messages to different parties visible). A mismatch about
// party k reported by j names k as equivocating, with j as witness; if k is
// this state's own party, j misreports it and is named instead.
func (s *dkgState) checkEchoes(st int) error {
	for j := 1; j <= s.p.n; j++ {
		sl := s.msgs[st][j]
		if sl == nil {
			continue
		}
		echo := echoOf(sl.msg)
		for k := 1; k <= s.p.n; k++ {
			var want Digest
			if prev := s.msgs[st-1][k]; prev != nil {
				want = prev.digest
			}
			if echo[k-1] == want {
				continue
			}
			f := Fault{Party: k, Kind: FaultEquivocation, Phase: stagePhase[st-1], Witness: j,
				Detail: fmt.Sprintf("authority %d received a different %s message from %d than this party", j, stagePhase[st-1], k)}
			switch {
			case s.self != 0 && k == s.self:
				f = Fault{Party: j, Kind: FaultEquivocation, Phase: stagePhase[st-1],
					Detail: fmt.Sprintf("misreports this party's %s message", stagePhase[st-1])}
			case k == j:
				f.Witness, f.Detail = 0, fmt.Sprintf("its echo of its own %s message differs from the message", stagePhase[st-1])
			case want == Digest{}:
				f.Detail = fmt.Sprintf("authority %d received a %s message from %d that never reached this party", j, stagePhase[st-1], k)
			}
			return s.abort(f)
		}
	}
	return nil
}

func echoOf(m Message) []Digest {
	switch m := m.(type) {
	case *ComplaintsMessage:
		return m.echo
	case *JustificationsMessage:
		return m.echo
	case *ExtractionMessage:
		return m.echo
	case *ExtractionComplaintsMessage:
		return m.echo
	case *ReconstructionMessage:
		return m.echo
	case *ConfirmMessage:
		return m.echo
	}
	panic("threshold: internal error: echo of a message without one")
}

// echo returns the digests of stage st as this state holds them.
func (s *dkgState) echo(st int) []Digest {
	out := make([]Digest, s.p.n)
	for k := 1; k <= s.p.n; k++ {
		if sl := s.msgs[st][k]; sl != nil {
			out[k-1] = sl.digest
		}
	}
	return out
}

// endDeal records the commitments of every dealer heard from (GJKR step
// 1(a)); a dealer not heard from deals nothing and is not in QUAL.
func (s *dkgState) endDeal() error {
	for i := 1; i <= s.p.n; i++ {
		if sl := s.msgs[stageDeal][i]; sl != nil {
			s.C[i] = sl.msg.(*DealMessage).commitments
		}
	}
	return nil
}

// endComplaints records the complaints (GJKR step 1(b)).
func (s *dkgState) endComplaints() error {
	if err := s.checkEchoes(stageComplaints); err != nil {
		return err
	}
	for j := 1; j <= s.p.n; j++ {
		sl := s.msgs[stageComplaints][j]
		if sl == nil {
			continue
		}
		for _, i := range sl.msg.(*ComplaintsMessage).accused {
			if s.C[i] == nil {
				return s.abort(Fault{Party: j, Kind: FaultProtocol, Phase: PhaseDKGComplaints,
					Detail: fmt.Sprintf("complains against %d, who dealt nothing", i)})
			}
			s.accusedBy[i] = append(s.accusedBy[i], j)
		}
	}
	return nil
}

// endJustifications checks the dealers' answers and builds QUAL (GJKR
// steps 1(c), 1(d) and 2). A dealer is disqualified if it left a complaint
// unanswered or answered one with a share that falsifies equation (4).
// GJKR also disqualifies a dealer with more than t complaints; that rule
// needs an honest majority (n ≥ 2t+1), which eo does not assume, and a
// dealer that answers every complaint validly has dealt a consistent
// sharing to everyone, so eo keeps only the second rule (doc/threshold.md).
func (s *dkgState) endJustifications() error {
	if err := s.checkEchoes(stageJustifications); err != nil {
		return err
	}
	var disq []Fault
	for i := 1; i <= s.p.n; i++ {
		if s.C[i] == nil {
			continue
		}
		s.qual[i] = true
		reason := ""
		if sl := s.msgs[stageJustifications][i]; sl == nil {
			if len(s.accusedBy[i]) > 0 {
				reason = "did not answer the complaints of " + fmt.Sprint(s.accusedBy[i])
			}
		} else {
			entries := sl.msg.(*JustificationsMessage).entries
			answered := make([]int, len(entries))
			for k, e := range entries {
				answered[k] = e.Party
			}
			if !slices.Equal(answered, s.accusedBy[i]) {
				reason = fmt.Sprintf("answered %v, but the complaints came from %v", answered, s.accusedBy[i])
			} else {
				for _, e := range entries {
					if !s.p.pedersenOK(s.C[i], e.Party, e.Share, e.Blinding) {
						reason = fmt.Sprintf("opened a share for %d that does not match its commitments", e.Party)
						break
					}
				}
			}
			if reason == "" && len(entries) > 0 {
				s.opened[i] = make(map[int]revealedShare, len(entries))
				for _, e := range entries {
					s.opened[i][e.Party] = e
					s.fault(Fault{Party: e.Party, Kind: FaultComplaintRefuted, Phase: PhaseDKGComplaints,
						Detail: fmt.Sprintf("dealer %d opened a valid share", i)})
				}
			}
		}
		if reason != "" {
			s.qual[i] = false
			f := Fault{Party: i, Kind: FaultDisqualified, Phase: PhaseDKGJustifications, Detail: reason}
			s.fault(f)
			disq = append(disq, f)
		}
	}
	if !slices.Contains(s.qual, true) {
		return s.abort(append(disq, Fault{Kind: FaultUnrecoverable, Phase: PhaseDKGJustifications, Detail: "no dealer qualified"})...)
	}
	return nil
}

// endExtraction records the Feldman values of QUAL (GJKR step 4(a)); a
// qualified dealer that sent none is reconstructed.
func (s *dkgState) endExtraction() error {
	if err := s.checkEchoes(stageExtraction); err != nil {
		return err
	}
	for i := 1; i <= s.p.n; i++ {
		sl := s.msgs[stageExtraction][i]
		var A []*group.Element
		if sl != nil {
			A = sl.msg.(*ExtractionMessage).commitments
		}
		switch {
		case !s.qual[i] && len(A) > 0:
			return s.abort(Fault{Party: i, Kind: FaultProtocol, Phase: PhaseDKGExtraction,
				Detail: "sent Feldman values although it is not in QUAL"})
		case s.qual[i] && len(A) == 0:
			s.recon[i] = true
			s.fault(Fault{Party: i, Kind: FaultBadExtraction, Phase: PhaseDKGExtraction, Detail: "sent no Feldman values"})
		case s.qual[i]:
			s.A[i] = A
		}
	}
	return nil
}

// endExtractionComplaints checks the complaints against Feldman values: a
// complaint is valid if its opened share satisfies equation (4) and not
// equation (5) (GJKR step 4(b)); the dealer is then reconstructed.
func (s *dkgState) endExtractionComplaints() error {
	if err := s.checkEchoes(stageExtractionComplaints); err != nil {
		return err
	}
	for j := 1; j <= s.p.n; j++ {
		sl := s.msgs[stageExtractionComplaints][j]
		if sl == nil {
			continue
		}
		for _, e := range sl.msg.(*ExtractionComplaintsMessage).entries {
			i := e.Party
			if !s.qual[i] || s.A[i] == nil {
				return s.abort(Fault{Party: j, Kind: FaultProtocol, Phase: PhaseDKGExtractionComplaints,
					Detail: fmt.Sprintf("complains against %d, who has no Feldman values", i)})
			}
			if s.p.pedersenOK(s.C[i], j, e.Share, e.Blinding) && !s.p.feldmanOK(s.A[i], j, e.Share) {
				if !s.recon[i] {
					s.fault(Fault{Party: i, Kind: FaultBadExtraction, Phase: PhaseDKGExtraction, Witness: j,
						Detail: fmt.Sprintf("its Feldman values do not match the share of %d", j)})
				}
				s.recon[i] = true
			} else {
				s.fault(Fault{Party: j, Kind: FaultFalseComplaint, Phase: PhaseDKGExtractionComplaints,
					Detail: fmt.Sprintf("its complaint against %d does not prove a mismatch", i)})
			}
		}
	}
	return nil
}

// endReconstruction reconstructs every dealer in the clear that needs it
// (GJKR step 4(c), the reconstruction phase of Pedersen's VSS: any t shares
// that satisfy equation (4) determine f_i), then computes the public key
// Y = Σ_{i∈QUAL} A_i0 and every verification key
// VK_j = Σ_{i∈QUAL} Σ_k j^k·A_ik = x_j·B.
func (s *dkgState) endReconstruction() error {
	if err := s.checkEchoes(stageReconstruction); err != nil {
		return err
	}
	valid := make([][]revealedShare, s.p.n+1)
	for j := 1; j <= s.p.n; j++ {
		sl := s.msgs[stageReconstruction][j]
		if sl == nil {
			continue
		}
		for _, e := range sl.msg.(*ReconstructionMessage).entries {
			i := e.Party
			if !s.recon[i] {
				return s.abort(Fault{Party: j, Kind: FaultProtocol, Phase: PhaseDKGReconstruction,
					Detail: fmt.Sprintf("sent a reconstruction share of %d, who is not being reconstructed", i)})
			}
			if !s.p.pedersenOK(s.C[i], j, e.Share, e.Blinding) {
				s.fault(Fault{Party: j, Kind: FaultBadReconstruction, Phase: PhaseDKGReconstruction,
					Detail: fmt.Sprintf("its share of %d does not match the commitments", i)})
				continue
			}
			valid[i] = append(valid[i], revealedShare{Party: j, Share: e.Share, Blinding: e.Blinding})
		}
	}
	for i := 1; i <= s.p.n; i++ {
		if !s.recon[i] {
			continue
		}
		if len(valid[i]) < s.p.t {
			return s.abort(Fault{Party: i, Kind: FaultUnrecoverable, Phase: PhaseDKGReconstruction,
				Detail: fmt.Sprintf("only %d valid shares to reconstruct it, %d needed", len(valid[i]), s.p.t)})
		}
		xs := make([]int, s.p.t)
		ys := make([]*group.Scalar, s.p.t)
		for k := range xs {
			xs[k], ys[k] = valid[i][k].Party, valid[i][k].Share
		}
		a := interpolate(xs, ys)
		s.A[i] = make([]*group.Element, s.p.t)
		for k := range a {
			s.A[i][k] = new(group.Element).ScalarBaseMult(a[k])
		}
	}
	present := 0
	for j := 1; j <= s.p.n; j++ {
		if s.present(stageReconstruction, j) {
			present++
		}
	}
	if present < s.p.t {
		var fs []Fault
		for j := 1; j <= s.p.n; j++ {
			if !s.present(stageReconstruction, j) {
				fs = append(fs, Fault{Party: j, Kind: FaultUnrecoverable, Phase: PhaseDKGReconstruction,
					Detail: fmt.Sprintf("absent: only %d authorities took part to the end, %d needed", present, s.p.t)})
			}
		}
		return s.abort(fs...)
	}
	// E_k = Σ_{i∈QUAL} A_ik; Y = E_0; VK_j = Σ_k j^k·E_k.
	E := make([]*group.Element, s.p.t)
	for k := range E {
		E[k] = group.NewIdentityElement()
		for i := 1; i <= s.p.n; i++ {
			if s.qual[i] {
				E[k].Add(E[k], s.A[i][k])
			}
		}
	}
	if E[0].IsIdentity() == 1 {
		return s.abort(Fault{Kind: FaultUnrecoverable, Phase: PhaseDKGReconstruction, Detail: "the joint public key is the identity"})
	}
	s.Y = E[0]
	s.VK = make([]*group.Element, s.p.n+1)
	for j := 1; j <= s.p.n; j++ {
		s.VK[j] = s.p.commitAt(E, j)
	}
	return nil
}

// interpolate returns the coefficients a_0 … a_{t−1} of the polynomial of
// degree below t = len(xs) through the points (xs[m], ys[m]) (Lagrange:
// f(z) = Σ_m ys[m]·Π_{q≠m} (z − xs[q])/(xs[m] − xs[q])). The xs must be
// distinct.
func interpolate(xs []int, ys []*group.Scalar) []*group.Scalar {
	t := len(xs)
	x := make([]*group.Scalar, t)
	for m := range xs {
		x[m] = group.ScalarFromUint64(uint64(xs[m]))
	}
	// P(z) = Π_q (z − x_q), coefficients P[0 … t].
	P := make([]*group.Scalar, t+1)
	for k := range P {
		P[k] = group.NewScalar()
	}
	P[0] = group.ScalarFromUint64(1)
	tmp := group.NewScalar()
	for q := 0; q < t; q++ {
		for k := q + 1; k >= 1; k-- {
			tmp.Multiply(P[k], x[q])
			P[k].Subtract(P[k-1], tmp)
		}
		P[0].Multiply(P[0], tmp.Negate(x[q]))
	}
	a := make([]*group.Scalar, t)
	for k := range a {
		a[k] = group.NewScalar()
	}
	N := make([]*group.Scalar, t)
	for k := range N {
		N[k] = group.NewScalar()
	}
	for m := 0; m < t; m++ {
		// N(z) = P(z)/(z − x_m) by synthetic division, top coefficient first.
		N[t-1].Set(P[t])
		for k := t - 2; k >= 0; k-- {
			N[k].MultiplyAdd(N[k+1], x[m], P[k+1])
		}
		// d = N(x_m) = Π_{q≠m} (x_m − x_q).
		d := group.NewScalar()
		for k := t - 1; k >= 0; k-- {
			d.MultiplyAdd(d, x[m], N[k])
		}
		w := group.NewScalar().Multiply(ys[m], d.Invert(d))
		for k := 0; k < t; k++ {
			a[k].MultiplyAdd(w, N[k], a[k])
		}
	}
	return a
}

// qualified returns QUAL as a sorted list.
func (s *dkgState) qualified() []int {
	var out []int
	for i := 1; i <= s.p.n; i++ {
		if s.qual[i] {
			out = append(out, i)
		}
	}
	return out
}
