package threshold

import (
	"bytes"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"slices"
	"testing"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/stretchr/testify/require"
)

// testList encrypts n random plaintexts of width w under pk.
func testList(t testing.TB, pk *elgamal.PublicKey, n, w int, seed uint64) (*elgamal.List, [][]*group.Element) {
	r := testRand(seed)
	cts := make([]*elgamal.Ciphertext, n)
	pts := make([][]*group.Element, n)
	for j := range cts {
		pts[j] = make([]*group.Element, w)
		for k := range pts[j] {
			pts[j][k] = randElement(t, r)
		}
		var err error
		cts[j], err = elgamal.Encrypt(r, pk, pts[j])
		require.NoError(t, err)
	}
	l, err := elgamal.NewList(cts)
	require.NoError(t, err)
	return l, pts
}

func requirePlaintexts(t testing.TB, want, got [][]*group.Element) {
	require.Len(t, got, len(want))
	for j := range want {
		require.Len(t, got[j], len(want[j]))
		for k := range want[j] {
			require.Equal(t, 1, want[j][k].Equal(got[j][k]), "ciphertext %d pair %d", j, k)
		}
	}
}

// subsets returns the size-t subsets of idx, or, when there are more than
// limit, limit of them drawn at random (always with the first and last).
func subsets(idx []int, t, limit int, r *mrand.Rand) [][]int {
	var all [][]int
	var rec func(start int, cur []int)
	rec = func(start int, cur []int) {
		if len(cur) == t {
			all = append(all, slices.Clone(cur))
			return
		}
		for i := start; i < len(idx); i++ {
			rec(i+1, append(cur, idx[i]))
		}
	}
	rec(0, nil)
	if len(all) <= limit {
		return all
	}
	out := [][]int{all[0], all[len(all)-1]}
	for _, k := range r.Perm(len(all))[:limit-2] {
		out = append(out, all[k])
	}
	return out
}

// requireDecrypts checks that every t-subset of the authorities in res
// decrypts a list under pub to the same plaintexts.
func requireDecrypts(t testing.TB, pub *DKGPublic, res map[int]*DKGResult, seed uint64) {
	l, want := testList(t, pub.PublicKey, 3, 2, seed)
	verified := map[int]*VerifiedDecryptionShare{}
	var idx []int
	for i, r := range res {
		m, err := r.Share.DecryptionShare(pub, l, testRand(seed+uint64(i)))
		require.NoError(t, err)
		dm, err := DecodeMessage(m.Bytes())
		require.NoError(t, err)
		v, err := VerifyDecryptionShare(pub, l, dm.(*DecryptionShareMessage))
		require.NoError(t, err)
		verified[i] = v
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for _, S := range subsets(idx, pub.T, 40, mrand.New(testRand(seed))) {
		vs := make([]*VerifiedDecryptionShare, len(S))
		for a, i := range S {
			vs[a] = verified[i]
		}
		got, used, err := CombineDecryptionShares(pub, l, vs)
		require.NoError(t, err, "subset %v", S)
		require.Equal(t, S, used)
		requirePlaintexts(t, want, got)
		if len(S) > 1 {
			_, _, err = CombineDecryptionShares(pub, l, vs[1:])
			var tf *TooFewSharesError
			require.ErrorAs(t, err, &tf)
		}
	}
}

// testKeys runs a key generation on a perfect network.
func testKeys(t testing.TB, n, tt int, seed uint64) (*DKGPublic, []*KeyShare) {
	nw := newNetwork(t, n, tt, seed)
	nw.run()
	res := nw.results()
	shares := make([]*KeyShare, n+1)
	for i, r := range res {
		shares[i] = r.Share
	}
	return res[1].Public, shares
}

func TestThresholdDecryptBlame(t *testing.T) {
	pub, keys := testKeys(t, 5, 3, 30)
	l, want := testList(t, pub.PublicKey, 4, 3, 31)
	msgs := make([]*DecryptionShareMessage, 6)
	for i := 1; i <= 5; i++ {
		var err error
		msgs[i], err = keys[i].DecryptionShare(pub, l, testRand(uint64(i)))
		require.NoError(t, err)
	}
	// Authority 2 publishes one wrong factor; authority 4 the factors of
	// authority 5 under its own name.
	bad2 := rewrite(t, msgs[2].Bytes(), func(m *DecryptionShareMessage) {
		m.Factors[5] = randElement(t, testRand(7))
		m.enc = nil
	})
	bad4 := rewrite(t, msgs[5].Bytes(), func(m *DecryptionShareMessage) { m.Sender = 4 })
	s, err := NewDecryptionSession(pub, l)
	require.NoError(t, err)
	require.NoError(t, s.Handle(1, msgs[1].Bytes()))
	require.ErrorIs(t, s.Handle(2, bad2), ErrInvalidProof)
	require.ErrorIs(t, s.Handle(4, bad4), ErrInvalidProof)
	require.False(t, s.Ready())
	// t − 1 valid shares fail cleanly, naming the authorities that failed.
	_, err = s.Result()
	var tf *TooFewSharesError
	require.ErrorAs(t, err, &tf)
	require.ErrorIs(t, err, ErrTooFewShares)
	require.Equal(t, []int{1}, tf.Valid)
	require.Equal(t, []int{2, 4}, tf.Failed())
	require.Contains(t, err.Error(), "authority 2")
	require.Contains(t, err.Error(), "authority 4")

	require.NoError(t, s.Handle(5, msgs[5].Bytes()))
	require.NoError(t, s.Handle(5, msgs[5].Bytes())) // duplicate
	require.NoError(t, s.Handle(3, msgs[3].Bytes()))
	require.True(t, s.Ready())
	dec, err := s.Result()
	require.NoError(t, err)
	requirePlaintexts(t, want, dec.Plaintexts)
	require.Equal(t, []int{1, 3, 5}, dec.Valid)
	require.Equal(t, []int{1, 3, 5}, dec.Used)
	require.True(t, hasFault(dec.Faults, 2, FaultInvalidDecryptionShare))
	require.True(t, hasFault(dec.Faults, 4, FaultInvalidDecryptionShare))

	// The same through ThresholdDecrypt.
	dec, err = ThresholdDecrypt(pub, l, []*DecryptionShareMessage{msgs[1], mustDecodeShare(t, bad2), msgs[3], msgs[5]})
	require.NoError(t, err)
	requirePlaintexts(t, want, dec.Plaintexts)
	require.Equal(t, []int{2}, faultParties(dec.Faults))
}

func mustDecodeShare(t testing.TB, b []byte) *DecryptionShareMessage {
	m, err := DecodeMessage(b)
	require.NoError(t, err)
	return m.(*DecryptionShareMessage)
}

func TestDecryptionShareBinding(t *testing.T) {
	// threats A1, A3, A5: a share verifies only for its own election,
	// session, key generation, list, position and authority.
	pub, keys := testKeys(t, 3, 2, 32)
	l, _ := testList(t, pub.PublicKey, 3, 1, 33)
	m, err := keys[2].DecryptionShare(pub, l, testRand(1))
	require.NoError(t, err)
	_, err = VerifyDecryptionShare(pub, l, m)
	require.NoError(t, err)

	// Another list (same ciphertexts in another order; one ciphertext
	// changed).
	cts := slices.Clone(l.Ciphertexts())
	cts[0], cts[1] = cts[1], cts[0]
	swapped, err := elgamal.NewList(cts)
	require.NoError(t, err)
	_, err = VerifyDecryptionShare(pub, swapped, m)
	require.ErrorIs(t, err, ErrInvalidProof)
	// The factors swapped too: ciphertext i's proof attached to j.
	ms := mustDecodeShare(t, m.Bytes())
	ms.Factors[0], ms.Factors[1] = ms.Factors[1], ms.Factors[0]
	ms.enc = nil
	_, err = VerifyDecryptionShare(pub, swapped, mustDecodeShare(t, ms.Bytes()))
	require.ErrorIs(t, err, ErrInvalidProof)

	// Another authority's index with the same factors and proof.
	for _, i := range []int{1, 3} {
		mi := mustDecodeShare(t, m.Bytes())
		mi.Sender = i
		_, err = VerifyDecryptionShare(pub, l, mi)
		require.ErrorIs(t, err, ErrInvalidProof)
	}
	// Another election, session, key generation, threshold.
	for name, mod := range map[string]func(p *DKGPublic){
		"election":   func(p *DKGPublic) { p.ElectionID = "other" },
		"session":    func(p *DKGPublic) { p.SessionID = "other" },
		"transcript": func(p *DKGPublic) { p.TranscriptHash[0] ^= 1 },
		"t":          func(p *DKGPublic) { p.T = 3 },
		"public key": func(p *DKGPublic) { p.PublicKey = keysPublic(t, 9) },
	} {
		p2 := *pub
		mod(&p2)
		mm := mustDecodeShare(t, m.Bytes())
		mm.ElectionID, mm.SessionID = p2.ElectionID, p2.SessionID
		_, err = VerifyDecryptionShare(&p2, l, mm)
		require.ErrorIs(t, err, ErrInvalidProof, name)
	}
	// The header must match even if the proof would.
	mm := mustDecodeShare(t, m.Bytes())
	mm.SessionID = "other"
	_, err = VerifyDecryptionShare(pub, l, mm)
	require.ErrorIs(t, err, ErrMalformed)
	// A forged factor with a proof recomputed under a wrong key share.
	forged := newKeyShare(2, randScalar(t, testRand(4)))
	_, err = forged.DecryptionShare(pub, l, nil)
	require.Error(t, err)
	// A stored challenge is never trusted (A2): a random one fails.
	mc := mustDecodeShare(t, m.Bytes())
	mc.Proof.Challenge = randScalar(t, testRand(5))
	_, err = VerifyDecryptionShare(pub, l, mc)
	require.ErrorIs(t, err, ErrInvalidProof)
}

func keysPublic(t testing.TB, seed uint64) *elgamal.PublicKey {
	k, err := elgamal.GenerateKey(testRand(seed))
	require.NoError(t, err)
	return k.Public()
}

func TestDecryptionSessionRejects(t *testing.T) {
	pub, keys := testKeys(t, 3, 2, 34)
	l, want := testList(t, pub.PublicKey, 2, 1, 35)
	s, err := NewDecryptionSession(pub, l)
	require.NoError(t, err)
	m1, err := keys[1].DecryptionShare(pub, l, testRand(1))
	require.NoError(t, err)

	// Another session's share (same authority, same list).
	mo := mustDecodeShare(t, m1.Bytes())
	mo.SessionID = "question-1"
	require.ErrorIs(t, s.Handle(1, mo.Bytes()), ErrRejected)
	// Delivered by another peer, out of range, or not a share at all.
	require.ErrorIs(t, s.Handle(2, m1.Bytes()), ErrRejected)
	require.ErrorIs(t, s.Handle(4, m1.Bytes()), ErrRejected)
	d, err := NewDKG(DKGConfig{ElectionID: testElection, SessionID: testSession, N: 3, T: 2, Self: 1})
	require.NoError(t, err)
	out, err := d.Start()
	require.NoError(t, err)
	require.ErrorIs(t, s.Handle(1, out.Broadcast[0].Bytes()), ErrRejected)
	require.ErrorIs(t, s.Handle(1, m1.Bytes()[:100]), ErrRejected)
	// And a DKG rejects a decryption share.
	_, err = d.Handle(2, rewrite(t, m1.Bytes(), func(m *DecryptionShareMessage) { m.Sender = 2 }))
	require.ErrorIs(t, err, ErrRejected)
	require.Empty(t, s.Valid())

	// A second share of authority 1 with a fresh proof but the same
	// factors (a restart) is accepted; one with other factors bans it.
	require.NoError(t, s.Handle(1, m1.Bytes()))
	again, err := keys[1].DecryptionShare(pub, l, testRand(2))
	require.NoError(t, err)
	require.False(t, bytes.Equal(again.Bytes(), m1.Bytes()))
	require.NoError(t, s.Handle(1, again.Bytes()))
	require.Equal(t, []int{1}, s.Valid())
	m3, err := keys[3].DecryptionShare(pub, l, testRand(3))
	require.NoError(t, err)
	require.NoError(t, s.Handle(3, m3.Bytes()))
	dec, err := s.Result()
	require.NoError(t, err)
	requirePlaintexts(t, want, dec.Plaintexts)
	require.Equal(t, []int{1, 3}, dec.Used)

	bad := rewrite(t, m3.Bytes(), func(m *DecryptionShareMessage) {
		m.Factors[0] = randElement(t, testRand(8))
		m.enc = nil
	})
	require.Error(t, s.Handle(3, bad))
	require.Equal(t, []int{1}, s.Valid())
	_, err = s.Result()
	require.ErrorIs(t, err, ErrTooFewShares)
}

func TestCombineSubsetChoice(t *testing.T) {
	// Integer Lagrange coefficients when t consecutive indices are
	// available, and correct results with fractional ones too.
	pub, keys := testKeys(t, 6, 2, 37)
	l, want := testList(t, pub.PublicKey, 5, 2, 38)
	v := map[int]*VerifiedDecryptionShare{}
	for i := 1; i <= 6; i++ {
		m, err := keys[i].DecryptionShare(pub, l, nil)
		require.NoError(t, err)
		v[i], err = VerifyDecryptionShare(pub, l, m)
		require.NoError(t, err)
	}
	for _, c := range []struct {
		have, used []int
		small      bool
	}{
		{[]int{1, 2}, []int{1, 2}, true},
		{[]int{1, 3}, []int{1, 3}, false},
		{[]int{2, 4}, []int{2, 4}, true},
		{[]int{1, 3, 4}, []int{3, 4}, true},
		{[]int{1, 3, 6}, []int{3, 6}, true},
		{[]int{1, 4, 6}, []int{4, 6}, true},
		{[]int{1, 3, 5}, []int{1, 3}, false},
	} {
		vs := []*VerifiedDecryptionShare{}
		for _, i := range c.have {
			vs = append(vs, v[i])
		}
		_, nums, D, _ := chooseSubset(c.have, 2)
		require.NotNil(t, nums)
		require.Equal(t, c.small, D.Cmp(big.NewInt(1)) == 0, "%v", c.have)
		got, used, err := CombineDecryptionShares(pub, l, vs)
		require.NoError(t, err)
		require.Equal(t, c.used, used)
		requirePlaintexts(t, want, got)
	}
	// Duplicates and foreign shares are refused.
	_, _, err := CombineDecryptionShares(pub, l, []*VerifiedDecryptionShare{v[1], v[1]})
	require.ErrorIs(t, err, ErrMalformed)
	l2, _ := testList(t, pub.PublicKey, 5, 2, 39)
	_, _, err = CombineDecryptionShares(pub, l2, []*VerifiedDecryptionShare{v[1], v[2]})
	require.ErrorIs(t, err, ErrMalformed)
}

func TestLagrangeIntegers(t *testing.T) {
	// Any t consecutive indices have integer coefficients, and Σ λ = 1.
	for tt := 1; tt <= 12; tt++ {
		for k := 1; k+tt-1 <= MaxAuthorities; k++ {
			lam := lagrange(seq(k, k+tt-1))
			sum := new(big.Rat)
			for _, l := range lam {
				require.True(t, l.IsInt(), "t=%d k=%d", tt, k)
				sum.Add(sum, l)
			}
			require.Equal(t, "1", sum.RatString())
		}
	}
}

// alphaEncodings collects the encodings of p's α's, as the transcript
// reads them.
func alphaEncodings(p *prepared) []byte {
	var out []byte
	for i := 0; i < p.alphas.N; i++ {
		out = append(out, p.alphas.Enc[i*p.alphas.EncStride:][:group.ElementSize]...)
	}
	return out
}

// prepare takes the α's and their encodings from any list, decoded or
// made, without encoding them again; the decryption functions refuse a
// missing list.
func TestPrepare(t *testing.T) {
	pub, keys := testKeys(t, 2, 1, 40)
	l, _ := testList(t, pub.PublicKey, 3, 2, 41)
	var alphas []*group.Element
	for _, c := range l.Ciphertexts() {
		alphas = append(alphas, c.Alpha...)
	}
	want := group.EncodeElements(alphas)
	back, err := elgamal.DecodeListN(l.Bytes(), 2, 3)
	require.NoError(t, err)
	enc, err := elgamal.NewListEncoded(l.Ciphertexts(), l.Bytes())
	require.NoError(t, err)
	for _, list := range []*elgamal.List{l, back, enc} {
		p, err := prepare(list)
		require.NoError(t, err)
		require.Equal(t, 6, p.alphas.N)
		require.Equal(t, want, alphaEncodings(p))
		for i := range alphas {
			require.Equal(t, 1, alphas[i].Equal(p.alpha(i, new(group.Element))))
		}
	}
	_, err = prepare(nil)
	require.ErrorIs(t, err, ErrMalformed)
	_, err = keys[1].DecryptionShare(pub, nil, nil)
	require.ErrorIs(t, err, ErrMalformed)
	_, err = VerifyDecryptionShare(pub, nil, &DecryptionShareMessage{})
	require.ErrorIs(t, err, ErrMalformed)
	_, err = NewDecryptionSession(pub, nil)
	require.ErrorIs(t, err, ErrMalformed)
	_, _, err = CombineDecryptionShares(pub, nil, nil)
	require.ErrorIs(t, err, ErrMalformed)
	_, err = ThresholdDecrypt(pub, nil, nil)
	require.ErrorIs(t, err, ErrMalformed)
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("no randomness") }

var _ io.Reader = errReader{}

func TestDKGRandomnessFailure(t *testing.T) {
	d, err := NewDKG(DKGConfig{ElectionID: testElection, SessionID: testSession, N: 2, T: 1, Self: 1, Rand: errReader{}})
	require.NoError(t, err)
	_, err = d.Start()
	require.Error(t, err)
	require.Error(t, d.Err())
	_, err = d.Handle(2, []byte("x"))
	require.Error(t, err)
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []DKGConfig{
		{ElectionID: "", SessionID: "s", N: 1, T: 1, Self: 1},
		{ElectionID: "e", SessionID: string(make([]byte, 256)), N: 1, T: 1, Self: 1},
		{ElectionID: "e", SessionID: "s", N: 0, T: 1, Self: 1},
		{ElectionID: "e", SessionID: "s", N: 33, T: 1, Self: 1},
		{ElectionID: "e", SessionID: "s", N: 3, T: 4, Self: 1},
		{ElectionID: "e", SessionID: "s", N: 3, T: 0, Self: 1},
		{ElectionID: "e", SessionID: "s", N: 3, T: 2, Self: 4},
		{ElectionID: "e\xff", SessionID: "s", N: 3, T: 2, Self: 1},
	} {
		_, err := NewDKG(c)
		require.ErrorIs(t, err, ErrMalformed, fmt.Sprintf("%+v", c))
	}
}

// TestThresholdSpec rebuilds, from doc/threshold.md alone and with
// nothing but SHA-512 and group arithmetic, the challenge of a decryption
// proof, the echo digests and the transcript hash of a key generation.
func TestThresholdSpec(t *testing.T) {
	c := getCorpus(t)
	m := mustDecodeShare(t, c.dshare)
	pub, l := c.pub, c.list
	var T []byte
	item := func(tag byte, label string, value []byte) {
		T = append(T, tag)
		T = binary.BigEndian.AppendUint32(T, uint32(len(label)))
		T = append(T, label...)
		T = binary.BigEndian.AppendUint64(T, uint64(len(value)))
		T = append(T, value...)
	}
	u64 := func(v int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
	list := func(es []byte) []byte { return append(u64(len(es)/32), es...) }
	var alphas, factors []byte
	for _, ct := range l.Ciphertexts() {
		for k := range ct.Alpha {
			alphas = append(alphas, ct.Alpha[k].Bytes()...)
		}
	}
	for _, d := range m.Factors {
		factors = append(factors, d.Bytes()...)
	}
	nw := len(m.Factors)
	item('P', "eo-transcript-v1", []byte("eo/threshold-decryption/v1"))
	item('S', "group", []byte("ristretto255"))
	item('S', "election", []byte(pub.ElectionID))
	item('S', "session", []byte(pub.SessionID))
	item('U', "n", u64(pub.N))
	item('U', "t", u64(pub.T))
	item('B', "public-key", pub.PublicKey.Bytes())
	item('B', "dkg-transcript", pub.TranscriptHash[:])
	item('U', "width", u64(l.Width()))
	item('U', "count", u64(l.Len()))
	var cts []byte
	for _, c := range l.Ciphertexts() {
		cts, _ = c.AppendBinary(cts)
	}
	item('B', "ciphertexts", cts)
	item('U', "authority", u64(m.Sender))
	item('S', "proof", []byte("batch-dleq"))
	item('U', "n", u64(nw))
	item('L', "H", list(alphas))
	item('L', "Y", list(factors))
	item('V', "weights", append(u64(nw), u64(128)...))
	seed := sha512.Sum512(T)
	Hs, Ys := group.NewIdentityElement(), group.NewIdentityElement()
	for i := 0; i < nw; i++ {
		d := sha512.Sum512(append(seed[:], u64(i)...))
		var wide [64]byte
		copy(wide[:16], d[:16])
		e, err := group.NewScalar().SetUniformBytes(wide[:])
		require.NoError(t, err)
		a, err := group.DecodeElement(alphas[32*i : 32*i+32])
		require.NoError(t, err)
		Hs.Add(Hs, new(group.Element).ScalarMult(e, a))
		Ys.Add(Ys, new(group.Element).ScalarMult(e, m.Factors[i]))
	}
	item('S', "proof", []byte("dleq"))
	item('E', "G", group.NewGeneratorElement().Bytes())
	item('E', "X", pub.VerificationKey(m.Sender).Bytes())
	item('E', "H", Hs.Bytes())
	item('E', "Y", Ys.Bytes())
	item('E', "R1", m.Proof.Commitment1.Bytes())
	item('E', "R2", m.Proof.Commitment2.Bytes())
	item('C', "c", nil)
	digest := sha512.Sum512(T)
	cc, err := group.NewScalar().SetUniformBytes(digest[:])
	require.NoError(t, err)
	require.Equal(t, 1, cc.Equal(m.Proof.Challenge))

	// Echoes: SHA-512/256 of each message received in the phase before.
	deals := map[int][]byte{}
	for _, p := range c.toOne {
		if phaseOf(p.data) == PhaseDKGDeal {
			deals[p.from] = p.data
		}
	}
	for _, p := range c.toOne {
		if phaseOf(p.data) != PhaseDKGComplaints {
			continue
		}
		cm, err := DecodeMessage(p.data)
		require.NoError(t, err)
		echo := cm.(*ComplaintsMessage).echo
		for k, d := range deals {
			require.Equal(t, Digest(sha512.Sum512_256(d)), echo[k-1])
		}
	}
	// The transcript hash is SHA-512 of its encoding, and the confirmations
	// carry it.
	require.Equal(t, sha512.Sum512(c.tr), pub.TranscriptHash)
	for _, p := range c.toOne {
		if phaseOf(p.data) == PhaseDKGConfirm {
			cm, err := DecodeMessage(p.data)
			require.NoError(t, err)
			require.Equal(t, pub.TranscriptHash, cm.(*ConfirmMessage).transcriptHash)
		}
	}
}

// A session that forgot its factors after combining them goes on judging
// the shares that arrive later — valid, invalid, the same factors with a
// fresh proof, other factors (a conflict) — as before, and Result fails.
func TestDecryptionSessionForget(t *testing.T) {
	pub, keys := testKeys(t, 4, 2, 36)
	l, want := testList(t, pub.PublicKey, 3, 2, 37)
	s, err := NewDecryptionSession(pub, l)
	require.NoError(t, err)
	share := func(i int, seed uint64) []byte {
		m, err := keys[i].DecryptionShare(pub, l, testRand(seed))
		require.NoError(t, err)
		return m.Bytes()
	}
	m1 := share(1, 1)
	require.NoError(t, s.Handle(1, m1))
	require.NoError(t, s.Handle(2, share(2, 2)))
	dec, err := s.Result()
	require.NoError(t, err)
	requirePlaintexts(t, want, dec.Plaintexts)
	s.Forget()
	for _, v := range s.valid {
		require.Nil(t, v.factors)
	}
	_, err = s.Result()
	require.ErrorContains(t, err, "Forget")

	require.NoError(t, s.Handle(1, share(1, 3)), "the same factors, a fresh proof")
	require.NoError(t, s.Handle(3, share(3, 4)))
	require.Nil(t, s.valid[3].factors, "kept after Forget")
	bad := rewrite(t, share(4, 5), func(m *DecryptionShareMessage) {
		m.Factors[1] = randElement(t, testRand(9))
		m.enc = nil
	})
	require.ErrorIs(t, s.Handle(4, bad), ErrInvalidProof)
	other := rewrite(t, m1, func(m *DecryptionShareMessage) {
		m.Factors[0] = randElement(t, testRand(10))
		m.enc = nil
	})
	require.Error(t, s.Handle(1, other), "other factors: a conflict")
	require.Equal(t, []int{2, 3}, s.Valid())
	require.True(t, s.Ready())
	require.Len(t, s.Faults(), 2)
}
