package threshold

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"slices"
	"testing"

	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/drill"
	"github.com/stretchr/testify/require"
)

func testRand(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	for i := 0; i < 8; i++ {
		s[i] = byte(seed >> (8 * i))
	}
	return mrand.NewChaCha8(s)
}

func randScalar(t testing.TB, r io.Reader) *group.Scalar {
	s, err := group.RandomScalar(r)
	require.NoError(t, err)
	return s
}

func randElement(t testing.TB, r io.Reader) *group.Element {
	return new(group.Element).ScalarBaseMult(randScalar(t, r))
}

const (
	testElection = "election-42"
	testSession  = "question-0"
)

// packet is one message in flight.
type packet struct {
	from, to int
	data     []byte
}

// network is an in-memory transport between DKG state machines that can
// drop, duplicate and reorder messages; like a real driver it retransmits
// everything a node has sent when the network goes quiet, and calls Expire
// on the nodes that stay stuck.
type network struct {
	t       testing.TB
	n       int
	nodes   []*DKG // 1-based
	rng     *mrand.Rand
	queue   []packet
	drop    float64 // probability that a delivery is lost
	dup     float64 // probability that a delivery is repeated
	reorder bool
	silent  map[int]bool // nodes that never run
	// beforeExpire, if set, sees each node the network is about to expire.
	beforeExpire func(i int, d *DKG)
	// tamper, if set, rewrites each message on the wire (also on
	// retransmission); returning nil drops it.
	tamper func(from, to int, data []byte) []byte
	// expireAfter is the number of retransmission rounds without progress
	// after which stuck nodes expire their phase (0: never).
	expireAfter int
	rejected    []error
	delivered   int
}

func newNetwork(t testing.TB, n, tt int, seed uint64) *network {
	nw := &network{t: t, n: n, nodes: make([]*DKG, n+1), rng: mrand.New(testRand(seed)), silent: map[int]bool{}}
	for i := 1; i <= n; i++ {
		d, err := NewDKG(DKGConfig{ElectionID: testElection, SessionID: testSession, N: n, T: tt, Self: i, Rand: testRand(seed*1000 + uint64(i))})
		require.NoError(t, err)
		nw.nodes[i] = d
	}
	return nw
}

func (nw *network) send(from int, out *DKGOutbox) {
	if out == nil {
		return
	}
	for _, b := range out.Broadcast {
		for to := 1; to <= nw.n; to++ {
			if to != from {
				nw.enqueue(from, to, b.Bytes())
			}
		}
	}
	for _, p := range out.Private {
		nw.enqueue(from, p.To(), p.Bytes())
	}
}

func (nw *network) enqueue(from, to int, data []byte) {
	if nw.silent[to] {
		return
	}
	if nw.tamper != nil {
		if data = nw.tamper(from, to, data); data == nil {
			return
		}
	}
	nw.queue = append(nw.queue, packet{from, to, data})
}

func (nw *network) live(i int) bool {
	return !nw.silent[i] && nw.nodes[i].Err() == nil
}

func (nw *network) finished() bool {
	for i := 1; i <= nw.n; i++ {
		if nw.live(i) && !nw.nodes[i].Done() {
			return false
		}
	}
	return true
}

func (nw *network) state() string {
	var s string
	for i := 1; i <= nw.n; i++ {
		s += fmt.Sprintf("[%d %s waiting %v err %v] ", i, nw.nodes[i].Phase(), nw.nodes[i].Waiting(), nw.nodes[i].Err())
	}
	return s
}

// run drives the protocol until every live node is done or has failed.
func (nw *network) run() {
	order := nw.rng.Perm(nw.n)
	for _, k := range order {
		i := k + 1
		if nw.silent[i] {
			continue
		}
		out, err := nw.nodes[i].Start()
		nw.check(err)
		nw.send(i, out)
	}
	quiet := 0
	for round := 0; round < 200; round++ {
		progress := false
		for len(nw.queue) > 0 {
			k := 0
			if nw.reorder {
				k = nw.rng.IntN(len(nw.queue))
			}
			p := nw.queue[k]
			nw.queue = append(nw.queue[:k], nw.queue[k+1:]...)
			if nw.rng.Float64() < nw.drop {
				continue
			}
			if nw.rng.Float64() < nw.dup {
				nw.queue = append(nw.queue, p)
			}
			before := nw.nodes[p.to].Phase()
			out, err := nw.nodes[p.to].Handle(p.from, p.data)
			nw.delivered++
			nw.check(err)
			if !out.Empty() || nw.nodes[p.to].Phase() != before || nw.nodes[p.to].Done() {
				progress = true
			}
			nw.send(p.to, out)
		}
		if nw.finished() {
			return
		}
		if progress {
			quiet = 0
		} else {
			quiet++
		}
		if nw.expireAfter > 0 && quiet >= nw.expireAfter {
			for i := 1; i <= nw.n; i++ {
				if nw.live(i) && !nw.nodes[i].Done() && len(nw.nodes[i].Waiting()) > 0 {
					if nw.beforeExpire != nil {
						nw.beforeExpire(i, nw.nodes[i])
					}
					out, err := nw.nodes[i].Expire()
					nw.check(err)
					nw.send(i, out)
				}
			}
			quiet = 0
			continue
		}
		// Retransmit everything every live node has sent.
		for i := 1; i <= nw.n; i++ {
			if !nw.silent[i] {
				nw.send(i, nw.nodes[i].Sent())
			}
		}
	}
	nw.t.Fatalf("protocol did not finish: %s", nw.state())
}

func (nw *network) check(err error) {
	if err == nil {
		return
	}
	if errors.Is(err, ErrRejected) {
		nw.rejected = append(nw.rejected, err)
		return
	}
	require.ErrorIs(nw.t, err, ErrAborted)
}

// results returns the results of the live nodes and checks that they
// agree, that every share matches its verification key and that the
// transcript verifies to the same public values.
func (nw *network) results() map[int]*DKGResult {
	t := nw.t
	out := map[int]*DKGResult{}
	var first *DKGResult
	for i := 1; i <= nw.n; i++ {
		if nw.silent[i] {
			continue
		}
		r, err := nw.nodes[i].Result()
		require.NoError(t, err, "node %d", i)
		out[i] = r
		require.Equal(t, i, r.Share.Index())
		require.Equal(t, 1, r.Share.VerificationKey().Equal(r.Public.VerificationKey(i)))
		if first == nil {
			first = r
			continue
		}
		requireSamePublic(t, first.Public, r.Public)
		require.Equal(t, first.Transcript.Bytes(), r.Transcript.Bytes())
	}
	require.NotNil(t, first)
	pub, _, err := VerifyDKGTranscript(first.Transcript)
	require.NoError(t, err)
	requireSamePublic(t, first.Public, pub)
	return out
}

func requireSamePublic(t testing.TB, a, b *DKGPublic) {
	require.Equal(t, a.PublicKey.Bytes(), b.PublicKey.Bytes())
	require.Equal(t, a.Qualified, b.Qualified)
	require.Equal(t, a.TranscriptHash, b.TranscriptHash)
	require.Len(t, b.VerificationKeys, len(a.VerificationKeys))
	for i := range a.VerificationKeys {
		require.Equal(t, 1, a.VerificationKeys[i].Equal(b.VerificationKeys[i]), "VK_%d", i+1)
	}
}

// abortedBy runs nw and checks that every live honest node (those not
// in cheaters) aborted with an error naming culprit.
func (nw *network) requireAbortNaming(culprit int, kind FaultKind, cheaters ...int) {
	t := nw.t
	for i := 1; i <= nw.n; i++ {
		if nw.silent[i] || slices.Contains(cheaters, i) {
			continue
		}
		_, err := nw.nodes[i].Result()
		var ae *AbortError
		require.ErrorAs(t, err, &ae, "node %d: %v", i, err)
		require.ErrorIs(t, err, ErrAborted)
		require.Contains(t, ae.Parties(), culprit, "node %d: %v", i, err)
		found := false
		for _, f := range ae.Faults {
			found = found || (f.Party == culprit && f.Kind == kind)
		}
		require.True(t, found, "node %d: %v", i, err)
	}
}

func hasFault(fs []Fault, party int, kind FaultKind) bool {
	for _, f := range fs {
		if f.Party == party && f.Kind == kind {
			return true
		}
	}
	return false
}

func TestDKGSingleAuthority(t *testing.T) {
	nw := newNetwork(t, 1, 1, 1)
	nw.run()
	r := nw.results()[1]
	// With n = t = 1 the share is the key.
	require.Equal(t, 1, r.Share.VerificationKey().Equal(r.Public.PublicKey.Element()))
	requireDecrypts(t, r.Public, nw.results(), 11)
}

func TestDKGEveryThreshold(t *testing.T) {
	for n := 1; n <= 7; n++ {
		for tt := 1; tt <= n; tt++ {
			t.Run(fmt.Sprintf("n=%d/t=%d", n, tt), func(t *testing.T) {
				nw := newNetwork(t, n, tt, uint64(100*n+tt))
				nw.run()
				res := nw.results()
				pub := res[1].Public
				require.Equal(t, seq(1, n), pub.Qualified)
				for _, r := range res {
					require.Empty(t, r.Faults)
				}
				requireDecrypts(t, pub, res, uint64(n*10+tt))
			})
		}
	}
}

func seq(lo, hi int) []int {
	var out []int
	for i := lo; i <= hi; i++ {
		out = append(out, i)
	}
	return out
}

// rewrite decodes a message, lets f change it and re-encodes it.
func rewrite[M Message](t testing.TB, data []byte, f func(m M)) []byte {
	m, err := DecodeMessage(data)
	require.NoError(t, err)
	mm, ok := m.(M)
	if !ok {
		return data
	}
	f(mm)
	return mm.Bytes()
}

func phaseOf(data []byte) Phase { return Phase(data[5]) }

func TestDKGBadShareDisqualified(t *testing.T) {
	// Dealer 2 sends party 3 a bad share and answers the complaint with
	// the same bad share: it is disqualified, and the key of the others works.
	nw := newNetwork(t, 5, 3, 2)
	bad := randScalar(t, testRand(99))
	nw.nodes[2].cheat = func(to int, m Message) {
		switch m := m.(type) {
		case *ShareMessage:
			if to == 3 {
				m.share = bad
			}
		case *JustificationsMessage:
			require.Len(t, m.entries, 1)
			require.Equal(t, 3, m.entries[0].Party)
			m.entries[0].Share = bad
		}
	}
	nw.run()
	res := nw.results()
	pub := res[1].Public
	require.Equal(t, []int{1, 3, 4, 5}, pub.Qualified)
	for i, r := range res {
		require.True(t, hasFault(r.Faults, 2, FaultDisqualified), "node %d: %v", i, r.Faults)
	}
	requireDecrypts(t, pub, res, 21)
}

func TestDKGBadShareUnanswered(t *testing.T) {
	// Dealer 2 sends a bad share to 4 and then sends no justification.
	nw := newNetwork(t, 4, 2, 3)
	nw.nodes[2].cheat = func(to int, m Message) {
		switch m := m.(type) {
		case *ShareMessage:
			if to == 4 {
				m.blinding = group.NewScalar()
			}
		case *JustificationsMessage:
			m.entries = nil
		}
	}
	nw.run()
	res := nw.results()
	require.Equal(t, []int{1, 3, 4}, res[1].Public.Qualified)
	require.True(t, hasFault(res[1].Faults, 2, FaultDisqualified))
	requireDecrypts(t, res[1].Public, res, 22)
}

func TestDKGShareCorruptedInTransitIsJustified(t *testing.T) {
	// Party 3's share from 2 is corrupted on the way; 3 complains, the
	// honest dealer 2 opens the share, 3 uses it and 2 stays in QUAL.
	nw := newNetwork(t, 4, 3, 4)
	nw.tamper = func(from, to int, data []byte) []byte {
		if from == 2 && to == 3 && phaseOf(data) == PhaseDKGShare {
			return rewrite(t, data, func(m *ShareMessage) { m.share = group.ScalarFromUint64(7) })
		}
		return data
	}
	nw.run()
	res := nw.results()
	require.Equal(t, seq(1, 4), res[1].Public.Qualified)
	require.True(t, hasFault(res[1].Faults, 3, FaultComplaintRefuted))
	requireDecrypts(t, res[1].Public, res, 23)
}

func TestDKGFalseComplaintRefuted(t *testing.T) {
	// Party 4 complains against 1 although its share was fine.
	nw := newNetwork(t, 4, 2, 5)
	nw.nodes[4].cheat = falseComplaint
	nw.run()
	res := nw.results()
	require.Equal(t, seq(1, 4), res[1].Public.Qualified)
	for _, r := range res {
		require.True(t, hasFault(r.Faults, 4, FaultComplaintRefuted))
		require.False(t, hasFault(r.Faults, 1, FaultDisqualified))
	}
	requireDecrypts(t, res[1].Public, res, 24)
}

// falseComplaint makes a party complain against dealer 1.
func falseComplaint(to int, m Message) {
	if m, ok := m.(*ComplaintsMessage); ok {
		m.accused = []int{1}
	}
}

func TestDKGEquivocatingDealer(t *testing.T) {
	// Dealer 2 shows party 3 other commitments (and matching shares) than
	// it shows everyone else: the echoes disagree and every honest party
	// aborts naming 2.
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprint("n=", n), func(t *testing.T) {
			nw := newNetwork(t, n, 2, uint64(6+n))
			evil, err := NewDKG(DKGConfig{ElectionID: testElection, SessionID: testSession, N: n, T: 2, Self: 2, Rand: testRand(77)})
			require.NoError(t, err)
			evilOut, err := evil.Start()
			require.NoError(t, err)
			nw.tamper = func(from, to int, data []byte) []byte {
				if from != 2 || to != 3 {
					return data
				}
				switch phaseOf(data) {
				case PhaseDKGDeal:
					return evilOut.Broadcast[0].Bytes()
				case PhaseDKGShare:
					for _, p := range evilOut.Private {
						if p.To() == 3 {
							return p.Bytes()
						}
					}
				}
				return data
			}
			nw.run()
			nw.requireAbortNaming(2, FaultEquivocation, 2)
		})
	}
}

func TestDKGEquivocatingComplaint(t *testing.T) {
	// Party 3 sends its complaint against 1 to party 2 only.
	nw := newNetwork(t, 4, 2, 8)
	nw.tamper = func(from, to int, data []byte) []byte {
		if from == 3 && to == 2 && phaseOf(data) == PhaseDKGComplaints {
			return rewrite(t, data, func(m *ComplaintsMessage) { m.accused = []int{1} })
		}
		return data
	}
	nw.run()
	nw.requireAbortNaming(3, FaultEquivocation, 3)
}

func TestDKGBadExtractionReconstructed(t *testing.T) {
	// Dealer 2 publishes a wrong A_21 (the same to everyone): everyone's
	// Feldman check fails, they complain with their shares, 2's polynomial
	// is reconstructed in the clear and the key still works.
	nw := newNetwork(t, 5, 3, 9)
	junk := randElement(t, testRand(5))
	nw.nodes[2].cheat = func(to int, m Message) {
		if m, ok := m.(*ExtractionMessage); ok {
			m.commitments[1] = junk
		}
	}
	nw.run()
	res := nw.results()
	require.Equal(t, seq(1, 5), res[1].Public.Qualified)
	for _, r := range res {
		require.True(t, hasFault(r.Faults, 2, FaultBadExtraction))
	}
	requireDecrypts(t, res[1].Public, res, 25)
}

func TestDKGMissingExtractionReconstructed(t *testing.T) {
	nw := newNetwork(t, 4, 2, 10)
	nw.nodes[4].cheat = func(to int, m Message) {
		if m, ok := m.(*ExtractionMessage); ok {
			m.commitments = nil
		}
	}
	nw.run()
	res := nw.results()
	require.True(t, hasFault(res[1].Faults, 4, FaultBadExtraction))
	requireDecrypts(t, res[1].Public, res, 26)
}

func TestDKGFalseExtractionComplaint(t *testing.T) {
	// Party 3 complains against 1's Feldman values with its (valid) share.
	nw := newNetwork(t, 4, 2, 11)
	nw.nodes[3].cheat = func(to int, m Message) {
		if m, ok := m.(*ExtractionComplaintsMessage); ok {
			m.entries = []revealedShare{{Party: 1, Share: group.ScalarFromUint64(1), Blinding: group.ScalarFromUint64(2)}}
		}
	}
	nw.run()
	res := nw.results()
	require.True(t, hasFault(res[1].Faults, 3, FaultFalseComplaint))
	require.False(t, hasFault(res[1].Faults, 1, FaultBadExtraction))
	requireDecrypts(t, res[1].Public, res, 27)
}

func TestDKGAbsentAuthority(t *testing.T) {
	// Authority 4 of 4 never runs: the others expire it and make a 2-of-4
	// key that authorities 1 … 3 can use.
	nw := newNetwork(t, 4, 2, 12)
	nw.silent[4] = true
	nw.expireAfter = 2
	expired := 0
	nw.beforeExpire = func(i int, d *DKG) {
		require.False(t, d.ExpireWouldAbort(), "three of four go on with t = 2")
		expired++
	}
	nw.run()
	require.Positive(t, expired)
	res := nw.results()
	require.Equal(t, []int{1, 2, 3}, res[1].Public.Qualified)
	require.True(t, hasFault(res[1].Faults, 4, FaultAbsent))
	requireDecrypts(t, res[1].Public, res, 28)
}

func TestDKGTooFewLeft(t *testing.T) {
	nw := newNetwork(t, 3, 3, 13)
	nw.silent[3] = true
	nw.expireAfter = 1
	expired := 0
	nw.beforeExpire = func(i int, d *DKG) {
		require.True(t, d.ExpireWouldAbort(), "two of three cannot go on with t = 3")
		expired++
	}
	nw.run()
	require.Positive(t, expired)
	for i := 1; i <= 2; i++ {
		_, err := nw.nodes[i].Result()
		var ae *AbortError
		require.ErrorAs(t, err, &ae)
		require.Contains(t, ae.Parties(), 3)
	}
}

// The case CI met (n = 3, t = 2): authority 3 never runs and is given up
// on, which leaves t; then authority 2 falls silent after QUAL is fixed.
// Giving up on it too could only abort — its dealing needs t shares to be
// reconstructed — and ExpireWouldAbort says so, so that a daemon waits
// longer instead.
func TestDKGExpireWouldAbort(t *testing.T) {
	nw := newNetwork(t, 3, 2, 14)
	nw.silent[3] = true
	nw.expireAfter = 1
	nw.tamper = func(from, to int, data []byte) []byte {
		if from == 2 && nw.nodes[2].Phase() >= PhaseDKGExtraction {
			return nil
		}
		return data
	}
	var early, late int
	nw.beforeExpire = func(i int, d *DKG) {
		if d.Phase() < PhaseDKGExtraction {
			require.False(t, d.ExpireWouldAbort(), "1 and 2 remain, t = 2: phase %s", d.Phase())
			early++
		} else {
			require.True(t, d.ExpireWouldAbort(), "authority %d alone in %s", i, d.Phase())
			late++
		}
	}
	nw.run()
	require.Positive(t, early)
	require.Positive(t, late)
	_, err := nw.nodes[1].Result()
	var ae *AbortError
	require.ErrorAs(t, err, &ae, "expired anyway, it aborts")
}

func TestDKGUnreliableNetwork(t *testing.T) {
	// Drops (with retransmission), duplicates and reordering: every
	// party ends with the same key as on a perfect network.
	for _, seed := range []uint64{14, 15, 16} {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			perfect := newNetwork(t, 5, 3, seed)
			perfect.run()
			want := perfect.results()[1].Public

			nw := newNetwork(t, 5, 3, seed)
			nw.drop, nw.dup, nw.reorder = 0.3, 0.3, true
			nw.rng = mrand.New(testRand(seed + 1000))
			nw.run()
			res := nw.results()
			for _, r := range res {
				requireSamePublic(t, want, r.Public)
				require.Empty(t, r.Faults)
			}
			require.Greater(t, nw.delivered, 5*4*8)
			requireDecrypts(t, want, res, seed)
		})
	}
}

func TestDKGRejectsOutOfPlace(t *testing.T) {
	// Capture every message of a run of session A.
	var captured []packet
	nw := newNetwork(t, 3, 2, 17)
	nw.tamper = func(from, to int, data []byte) []byte {
		captured = append(captured, packet{from, to, bytes.Clone(data)})
		return data
	}
	nw.run()
	nw.results()

	other := func(session string) *DKG {
		d, err := NewDKG(DKGConfig{ElectionID: testElection, SessionID: session, N: 3, T: 2, Self: 1, Rand: testRand(1)})
		require.NoError(t, err)
		_, err = d.Start()
		require.NoError(t, err)
		return d
	}
	// Session B rejects every message of session A, and so does election B.
	b := other("question-1")
	for _, p := range captured {
		if p.to != 1 {
			continue
		}
		_, err := b.Handle(p.from, p.data)
		require.ErrorIs(t, err, ErrRejected)
	}
	require.Nil(t, b.Err())
	require.Equal(t, PhaseDKGDeal, b.Phase())

	fresh := other(testSession)
	for _, p := range captured {
		if p.to != 1 {
			continue
		}
		// Delivered by the wrong peer.
		_, err := fresh.Handle(3-p.from+2, p.data)
		if p.from != 3-p.from+2 {
			require.ErrorIs(t, err, ErrRejected)
		}
		// Relabelled with a phase the key generation does not have.
		for _, ph := range []Phase{0, 9, PhaseDecryptionShare, 255} {
			mod := bytes.Clone(p.data)
			mod[5] = byte(ph)
			_, err := fresh.Handle(p.from, mod)
			require.ErrorIs(t, err, ErrRejected, "phase %s as %s", phaseOf(p.data), ph)
		}
		// Addressed to someone else.
		if phaseOf(p.data) == PhaseDKGShare {
			_, err := fresh.Handle(p.from, rewrite(t, p.data, func(m *ShareMessage) { m.recipient = 5 - p.from }))
			require.Error(t, err)
		}
	}
	require.Nil(t, fresh.Err())
	// A message claiming to come from ourselves is rejected.
	own := rewrite(t, captured[0].data, func(m *DealMessage) { m.hdr.Sender = 1 })
	_, err := fresh.Handle(1, own)
	require.ErrorIs(t, err, ErrRejected)
	require.Nil(t, fresh.Err())

	// Replaying every message of the finished run to a finished node
	// changes nothing: identical duplicates are ignored.
	for _, p := range captured {
		out, err := nw.nodes[p.to].Handle(p.from, p.data)
		require.NoError(t, err)
		require.True(t, out.Empty())
	}
	nw.results()
}

func TestDKGConflictingMessageAborts(t *testing.T) {
	nw := newNetwork(t, 3, 2, 18)
	d := nw.nodes[1]
	_, err := d.Start()
	require.NoError(t, err)
	e2, err := NewDKG(DKGConfig{ElectionID: testElection, SessionID: testSession, N: 3, T: 2, Self: 2, Rand: testRand(5)})
	require.NoError(t, err)
	out, err := e2.Start()
	require.NoError(t, err)
	deal := out.Broadcast[0].Bytes()
	_, err = d.Handle(2, deal)
	require.NoError(t, err)
	_, err = d.Handle(2, deal) // identical: ignored
	require.NoError(t, err)
	other := rewrite(t, deal, func(m *DealMessage) { m.commitments[0] = randElement(t, testRand(3)) })
	_, err = d.Handle(2, other)
	var ae *AbortError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, []int{2}, ae.Parties())
	require.Equal(t, FaultConflict, ae.Faults[0].Kind)
	_, err = d.Handle(3, deal)
	require.ErrorIs(t, err, ErrAborted)
}

func TestDKGTranscriptTampering(t *testing.T) {
	nw := newNetwork(t, 4, 2, 19)
	nw.nodes[4].cheat = falseComplaint
	nw.run()
	tr := nw.results()[1].Transcript
	enc := tr.Bytes()
	back, err := DecodeDKGTranscript(enc)
	require.NoError(t, err)
	require.Equal(t, enc, back.Bytes())
	pub, faults, err := VerifyDKGTranscript(back)
	require.NoError(t, err)
	require.True(t, hasFault(faults, 4, FaultComplaintRefuted))
	require.Equal(t, tr.Hash(), pub.TranscriptHash)

	// Drop a justification: the dealer is then disqualified, which
	// contradicts the echoes recorded after it.
	mod := *back
	mod.Messages[stageJustifications] = slices.Clone(mod.Messages[stageJustifications])
	mod.Messages[stageJustifications][0] = nil
	_, _, err = VerifyDKGTranscript(&mod)
	require.Error(t, err)
	// Swap two messages of one phase.
	mod = *back
	row := slices.Clone(mod.Messages[stageDeal])
	row[0], row[1] = row[1], row[0]
	mod.Messages[stageDeal] = row
	_, _, err = VerifyDKGTranscript(&mod)
	require.ErrorIs(t, err, ErrMalformed)
	// Every truncation and extension of the encoding is rejected.
	for i := 0; i < len(enc); i += 7 {
		_, err := DecodeDKGTranscript(enc[:i])
		require.ErrorIs(t, err, ErrMalformed)
	}
	_, err = DecodeDKGTranscript(append(bytes.Clone(enc), 0))
	require.ErrorIs(t, err, ErrMalformed)
}

func TestKeyShareRedaction(t *testing.T) {
	nw := newNetwork(t, 2, 2, 20)
	nw.run()
	k := nw.results()[1].Share
	secret := k.Bytes()
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %x %d", k, k, k, k, k, k), k.String(), k.GoString()} {
		require.NotContains(t, s, fmt.Sprintf("%x", secret[1:]))
		require.Contains(t, s, "[redacted]")
	}
	require.Equal(t, "[redacted]", k.LogValue().String())
	back, err := DecodeKeyShare(secret)
	require.NoError(t, err)
	require.Equal(t, secret, back.Bytes())
	k.Wipe()
	require.Panics(t, func() { k.Bytes() })
	require.Equal(t, "[redacted]", fmt.Sprint(k))
	_, err = DecodeKeyShare(secret[:32])
	require.ErrorIs(t, err, ErrMalformed)
}

func TestShareMessageRedaction(t *testing.T) {
	d, err := NewDKG(DKGConfig{ElectionID: testElection, SessionID: testSession, N: 3, T: 2, Self: 1, Rand: testRand(1)})
	require.NoError(t, err)
	out, err := d.Start()
	require.NoError(t, err)
	require.Len(t, out.Private, 2)
	for _, p := range out.Private {
		m, err := DecodeMessage(p.Bytes())
		require.NoError(t, err)
		sm := m.(*ShareMessage)
		hex := fmt.Sprintf("%x", sm.share.Bytes())
		for _, s := range []string{fmt.Sprint(p), fmt.Sprintf("%v %+v %#v %x", p, p, p, p), fmt.Sprint(sm),
			fmt.Sprintf("%v %+v %#v %x %s", sm, sm, sm, sm, sm), sm.LogValue().String(), p.LogValue().String()} {
			require.NotContains(t, s, hex)
			require.Contains(t, s, "[redacted]")
		}
	}
	// The machine itself never prints its polynomials or shares.
	for _, p := range out.Private {
		sm, err := DecodeMessage(p.Bytes())
		require.NoError(t, err)
		hex := fmt.Sprintf("%x", sm.(*ShareMessage).share.Bytes())
		s := fmt.Sprintf("%v %+v %#v %x %s", d, d, d, d, d)
		require.NotContains(t, s, hex)
		require.Contains(t, s, "authority 1 of 3")
		require.NotContains(t, d.LogValue().String(), hex)
	}
	// A private message has no Phase: it cannot be mistaken for a broadcast.
	require.Len(t, out.Broadcast, 1)
	require.Equal(t, PhaseDKGDeal, out.Broadcast[0].Phase())
}

func TestDKGDrills(t *testing.T) {
	// The drills of DKGConfig.Drill (eotest --adversary): a bad dealer is
	// disqualified, a false complaint is refuted, and the others' key works.
	for _, tc := range []struct {
		kind            string
		cheater, victim int
	}{
		{drill.BadDealer, 2, 3},
		{drill.FalseComplaint, 4, 1},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			nw := newNetwork(t, 4, 2, 31)
			d, err := NewDKG(DKGConfig{ElectionID: testElection, SessionID: testSession, N: 4, T: 2, Self: tc.cheater,
				Rand: testRand(32), Drill: &drill.DKG{Kind: tc.kind, Victim: tc.victim}})
			require.NoError(t, err)
			nw.nodes[tc.cheater] = d
			nw.run()
			res := nw.results()
			pub := res[1].Public
			for i, r := range res {
				switch tc.kind {
				case drill.BadDealer:
					require.True(t, hasFault(r.Faults, tc.cheater, FaultDisqualified), "node %d: %v", i, r.Faults)
				case drill.FalseComplaint:
					require.True(t, hasFault(r.Faults, tc.cheater, FaultComplaintRefuted), "node %d: %v", i, r.Faults)
					require.False(t, hasFault(r.Faults, tc.victim, FaultDisqualified), "node %d: %v", i, r.Faults)
				}
			}
			if tc.kind == drill.BadDealer {
				require.Equal(t, []int{1, 3, 4}, pub.Qualified)
			} else {
				require.Equal(t, seq(1, 4), pub.Qualified)
			}
			requireDecrypts(t, pub, res, 33)
		})
	}
}

func TestDKGDrillRefused(t *testing.T) {
	for name, dr := range map[string]*drill.DKG{
		"victim self":    {Kind: drill.BadDealer, Victim: 2},
		"victim zero":    {Kind: drill.FalseComplaint},
		"victim above n": {Kind: drill.BadDealer, Victim: 4},
		"not in the DKG": {Kind: drill.BadShuffle, Victim: 1},
		"unknown":        {Kind: "bad", Victim: 1},
	} {
		_, err := NewDKG(DKGConfig{ElectionID: testElection, SessionID: testSession, N: 3, T: 2, Self: 2, Drill: dr})
		require.Error(t, err, name)
	}
}
