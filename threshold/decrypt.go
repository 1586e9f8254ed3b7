package threshold

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/bits"
	"slices"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/par"
	"github.com/eo-mixnet/eo/proofs"
)

// decryptionProtocol is the protocol label of the decryption proofs.
const decryptionProtocol = "eo/threshold-decryption/v1"

// prepared is what every decryption share of a list needs: the list, and
// its α's in order (α of pair k of ciphertext j at position j·w + k) with
// their encodings, read where the list holds them (its points α, β, α, β,
// …, and its encoding, 64 bytes a pair): nothing is copied (#18).
type prepared struct {
	list   *elgamal.List
	alphas proofs.AffineList // N·w
}

// prepare checks that l is a list threshold decryption accepts and points
// at its α's. An elgamal.List has no α equal to the identity.
func prepare(l *elgamal.List) (*prepared, error) {
	if l == nil {
		return nil, malformed("missing ciphertext list")
	}
	if l.Len() > MaxCiphertexts {
		return nil, malformed("cannot decrypt %d ciphertexts (1 to %d)", l.Len(), MaxCiphertexts)
	}
	m := l.Len() * l.Width()
	return &prepared{list: l, alphas: proofs.AffineList{P: l.Points(), Stride: 2, Enc: l.Bytes(), EncStride: 2 * group.ElementSize, N: m}}, nil
}

// alpha sets e to α number i of p's list and returns e.
func (p *prepared) alpha(i int, e *group.Element) *group.Element {
	return p.alphas.P[i*p.alphas.Stride].Element(e)
}

func checkPublic(pub *DKGPublic) error {
	if pub == nil || pub.PublicKey == nil {
		return malformed("missing key-generation result")
	}
	if err := checkNT(pub.N, pub.T); err != nil {
		return err
	}
	if len(pub.VerificationKeys) != pub.N {
		return malformed("%d verification keys for n = %d", len(pub.VerificationKeys), pub.N)
	}
	for i, vk := range pub.VerificationKeys {
		if vk == nil {
			return malformed("verification key %d is missing", i+1)
		}
	}
	return nil
}

// decryptionTranscript starts the transcript of authority i's decryption
// proof for list l (doc/threshold.md, Section 5): everything the proof is
// about except the factors, which the batched DLEQ proof absorbs.
func decryptionTranscript(pub *DKGPublic, l *elgamal.List, i int) *proofs.Transcript {
	t := proofs.NewTranscript(decryptionProtocol)
	t.AppendString("group", "ristretto255")
	t.AppendString("election", pub.ElectionID)
	t.AppendString("session", pub.SessionID)
	t.AppendUint64("n", uint64(pub.N))
	t.AppendUint64("t", uint64(pub.T))
	t.AppendBytes("public-key", pub.PublicKey.Bytes())
	t.AppendBytes("dkg-transcript", pub.TranscriptHash[:])
	t.AppendUint64("width", uint64(l.Width()))
	t.AppendUint64("count", uint64(l.Len()))
	t.AppendBytes("ciphertexts", l.Bytes())
	t.AppendUint64("authority", uint64(i))
	return t
}

// minFactorsPerWorker is the number of scalar multiplications below which
// a worker is not worth its start.
const minFactorsPerWorker = 64

// DecryptionShare computes authority k.Index()'s decryption factors
// d_jk = x_i·α_jk for every pair of every ciphertext of l, in constant
// time and on up to GOMAXPROCS goroutines, and proves them with one
// batched Chaum–Pedersen proof (proofs.ProveBatchDLEQ) that
// log_B VK_i = log_α d for all of them, bound to the election, session,
// key generation, list and authority index. rand (crypto/rand if nil)
// hedges the proof's nonce.
func (k *KeyShare) DecryptionShare(pub *DKGPublic, l *elgamal.List, rand io.Reader) (*DecryptionShareMessage, error) {
	k.mustUsable()
	if err := checkPublic(pub); err != nil {
		return nil, err
	}
	pl, err := prepare(l)
	if err != nil {
		return nil, err
	}
	vk := pub.VerificationKey(k.index)
	if vk == nil || k.VerificationKey().Equal(vk) != 1 {
		return nil, fmt.Errorf("threshold: key share %d does not belong to this key generation", k.index)
	}
	n := pl.alphas.N
	elems := make([]group.Element, n)
	factors := make([]*group.Element, n)
	enc := make([]byte, n*group.ElementSize)
	// Each factor is computed as the double of (x/2)·α, so that its
	// encoding needs no square root (group.EncodeDoubled).
	xHalf := group.NewScalar().Multiply(&k.x, group.NewScalar().Invert(group.ScalarFromUint64(2)))
	defer xHalf.Set(group.NewScalar())
	par.For(n, minFactorsPerWorker, func(lo, hi int) {
		const chunk = 256
		halves := make([]group.Element, min(chunk, hi-lo))
		var a group.Element
		for c := lo; c < hi; c += len(halves) {
			m := min(len(halves), hi-c)
			for i := 0; i < m; i++ {
				j := c + i
				halves[i].ScalarMult(xHalf, pl.alpha(j, &a))
				factors[j] = elems[j].Add(&halves[i], &halves[i])
			}
			group.EncodeDoubled(enc[32*c:], halves[:m])
		}
	})
	t := decryptionTranscript(pub, l, k.index)
	proof, err := proofs.ProveBatchDLEQAffine(t, group.NewGeneratorElement(), vk, &pl.alphas, enc, &k.x, rand)
	if err != nil {
		return nil, err
	}
	return &DecryptionShareMessage{
		Header: Header{ElectionID: pub.ElectionID, SessionID: pub.SessionID, Phase: PhaseDecryptionShare, Sender: k.index},
		Width:  l.Width(), Factors: factors, Proof: proof, enc: enc,
	}, nil
}

// VerifiedDecryptionShare is a decryption share that VerifyDecryptionShare
// accepted for one key generation and one list; only those combine.
type VerifiedDecryptionShare struct {
	pub     *DKGPublic
	list    *elgamal.List
	index   int
	factors []group.Affine // 80 bytes each: a list's worth is kept until the combination (#18)
	digest  [32]byte       // SHA-256 of the factors' canonical encodings: equal iff the factors are
}

// Index returns the authority whose share it is.
func (v *VerifiedDecryptionShare) Index() int { return v.index }

// VerifyDecryptionShare checks authority m.Sender's decryption share of l:
// its header names pub's election and session, its shape matches l, and
// its batched proof verifies against VK_i. It uses the factors' encodings
// the message was decoded from and does not encode anything again. Shape
// errors wrap ErrMalformed, a failed proof ErrInvalidProof.
func VerifyDecryptionShare(pub *DKGPublic, l *elgamal.List, m *DecryptionShareMessage) (*VerifiedDecryptionShare, error) {
	if err := checkPublic(pub); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, malformed("missing share")
	}
	pl, err := prepare(l)
	if err != nil {
		return nil, err
	}
	return verifyDecryptionShare(pub, pl, m)
}

// verifyDecryptionShare is VerifyDecryptionShare for a prepared list.
func verifyDecryptionShare(pub *DKGPublic, pl *prepared, m *DecryptionShareMessage) (*VerifiedDecryptionShare, error) {
	l := pl.list
	i := m.Sender
	bad := func(format string, args ...any) error {
		return fmt.Errorf("threshold: decryption share of authority %d: %w", i, malformed(format, args...))
	}
	switch {
	case m.Phase != PhaseDecryptionShare:
		return nil, bad("a %s message is not a decryption share", m.Phase)
	case m.ElectionID != pub.ElectionID || m.SessionID != pub.SessionID:
		return nil, bad("for election %q session %q, not %q %q", m.ElectionID, m.SessionID, pub.ElectionID, pub.SessionID)
	case i < 1 || i > pub.N:
		return nil, bad("authority index out of range (1 to %d)", pub.N)
	case m.Width != l.Width() || m.factorCount() != pl.alphas.N:
		return nil, bad("%d factors of width %d for %d ciphertexts of width %d", m.factorCount(), m.Width, l.Len(), l.Width())
	case m.Proof == nil:
		return nil, bad("no proof")
	}
	factors := m.affine
	if factors == nil {
		for j, f := range m.Factors {
			if f == nil {
				return nil, bad("factor %d is missing", j)
			}
		}
		factors = make([]group.Affine, len(m.Factors))
		group.AffineFromElements(factors, m.Factors)
	}
	t := decryptionTranscript(pub, l, i)
	ys := &proofs.AffineList{P: factors, Stride: 1, Enc: m.FactorBytes(), EncStride: group.ElementSize, N: len(factors)}
	// Chaum–Pedersen on the weighted sums (proofs.VerifyBatchDLEQAffine):
	// log_B VK_i = log_α d for every pair (doc/threshold.md, Section 5).
	err := proofs.VerifyBatchDLEQAffine(t, group.NewGeneratorElement(), pub.VerificationKey(i), &pl.alphas, ys, m.Proof)
	if err != nil {
		return nil, fmt.Errorf("threshold: decryption share of authority %d: %w", i, err)
	}
	return &VerifiedDecryptionShare{pub: pub, list: l, index: i, factors: factors, digest: sha256.Sum256(m.FactorBytes())}, nil
}

// maxSmallBits bounds the integer Lagrange coefficients that
// CombineDecryptionShares applies by additions and doublings.
const maxSmallBits = 62

// lagrange returns the Lagrange coefficients at 0 of the indices S,
// λ_i = Π_{m∈S, m≠i} m/(m − i), as exact rationals.
func lagrange(S []int) []*big.Rat {
	out := make([]*big.Rat, len(S))
	for a, i := range S {
		num, den := big.NewInt(1), big.NewInt(1)
		for _, m := range S {
			if m != i {
				num.Mul(num, big.NewInt(int64(m)))
				den.Mul(den, big.NewInt(int64(m-i)))
			}
		}
		out[a] = new(big.Rat).SetFrac(num, den)
	}
	return out
}

// smallCoefficients writes the λ over their common denominator D,
// λ_i = n_i/D, and returns the n_i and D if every n_i has at most
// maxSmallBits bits.
func smallCoefficients(lam []*big.Rat) ([]int64, *big.Int, bool) {
	D := big.NewInt(1)
	for _, l := range lam {
		g := new(big.Int).GCD(nil, nil, D, l.Denom())
		D.Mul(D, new(big.Int).Quo(l.Denom(), g))
	}
	out := make([]int64, len(lam))
	for a, l := range lam {
		n := new(big.Int).Mul(l.Num(), new(big.Int).Quo(D, l.Denom()))
		if n.BitLen() > maxSmallBits {
			return nil, nil, false
		}
		out[a] = n.Int64()
	}
	return out, D, true
}

// ell is ℓ, the order of the group.
var ell, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)

// ratScalar returns the rational r modulo ℓ.
func ratScalar(r *big.Rat) *group.Scalar {
	v := new(big.Int).Mod(r.Num(), ell)
	v.Mul(v, new(big.Int).ModInverse(new(big.Int).Mod(r.Denom(), ell), ell))
	v.Mod(v, ell)
	var le [32]byte
	v.FillBytes(le[:])
	for i := 0; i < 16; i++ {
		le[i], le[31-i] = le[31-i], le[i]
	}
	s, err := group.DecodeScalar(le[:])
	if err != nil {
		panic("threshold: internal error: " + err.Error())
	}
	return s
}

// chooseSubset picks t of the sorted indices V to combine. All subsets
// give the same plaintexts, but not at the same cost: with λ_i = n_i/D,
// Σ λ_i·d_i is Σ n_i·d_i (a few additions and doublings when the n_i are
// small) times D⁻¹ (one scalar multiplication, unless D = 1). The windows
// of t consecutive entries of V are tried for D = 1 first (t consecutive
// indices always give it), then for small n_i; the first t entries are
// the fallback.
func chooseSubset(V []int, t int) (S []int, nums []int64, D *big.Int, lam []*big.Rat) {
	var fracS []int
	var fracNums []int64
	var fracD *big.Int
	for w := 0; w+t <= len(V); w++ {
		l := lagrange(V[w : w+t])
		c, d, ok := smallCoefficients(l)
		if ok && d.Cmp(big.NewInt(1)) == 0 {
			return V[w : w+t], c, d, l
		}
		if ok && fracS == nil {
			fracS, fracNums, fracD = V[w:w+t], c, d
		}
	}
	if fracS != nil {
		return fracS, fracNums, fracD, lagrange(fracS)
	}
	return V[:t], nil, nil, lagrange(V[:t])
}

// CombineDecryptionShares combines t or more verified shares of l into
// the plaintexts M_jk = β_jk − Σ_{i∈S} λ_i·d_ijk, where S is t of the
// shares and λ_i their Lagrange coefficients at 0 (all such S give the
// same result). It returns the plaintexts, ciphertext by ciphertext, and S.
// The shares must have been verified against pub and l. It runs on up to
// GOMAXPROCS goroutines, in variable time (everything is public).
func CombineDecryptionShares(pub *DKGPublic, l *elgamal.List, shares []*VerifiedDecryptionShare) ([][]*group.Element, []int, error) {
	if err := checkPublic(pub); err != nil {
		return nil, nil, err
	}
	if l == nil {
		return nil, nil, malformed("missing ciphertext list")
	}
	byIndex := make(map[int]*VerifiedDecryptionShare, len(shares))
	var V []int
	for _, v := range shares {
		if v == nil || v.pub != pub || v.list != l {
			return nil, nil, malformed("a share was verified for another key generation or list")
		}
		if _, dup := byIndex[v.index]; dup {
			return nil, nil, malformed("two shares of authority %d", v.index)
		}
		byIndex[v.index] = v
		V = append(V, v.index)
	}
	if len(V) < pub.T {
		return nil, nil, &TooFewSharesError{T: pub.T, Valid: sortedCopy(V)}
	}
	V = sortedCopy(V)
	S, small, D, lam := chooseSubset(V, pub.T)
	d := make([][]group.Affine, len(S))
	for a, i := range S {
		d[a] = byIndex[i].factors
	}
	w, N := l.Width(), l.Len()
	elems := make([]group.Element, N*w)
	out := make([][]*group.Element, N)
	ptrs := make([]*group.Element, N*w)
	for i := range elems {
		ptrs[i] = &elems[i]
	}
	if small != nil {
		var inv *group.Scalar
		if D.Cmp(big.NewInt(1)) != 0 {
			inv = ratScalar(new(big.Rat).SetFrac(big.NewInt(1), D))
		}
		grain := 256
		if inv != nil {
			grain = 16
		}
		par.For(N, grain, func(lo, hi int) { combineSmall(out, ptrs, l, d, small, inv, lo, hi) })
	} else {
		scalars := make([]*group.Scalar, len(lam))
		for a := range lam {
			scalars[a] = ratScalar(lam[a])
		}
		par.For(N, 16, func(lo, hi int) { combineGeneral(out, ptrs, l, d, scalars, lo, hi) })
	}
	return out, S, nil
}

// combineSmall computes β − inv·Σ n_a·d_a for small integers n_a by a
// left-to-right binary method with the doublings shared by all shares
// (for the coefficients (2, −1) of two consecutive indices, one doubling
// and two subtractions per pair), then, if inv is not nil, one
// variable-time multiplication by inv = D⁻¹.
func combineSmall(out [][]*group.Element, ptrs []*group.Element, l *elgamal.List, d [][]group.Affine, lam []int64, inv *group.Scalar, lo, hi int) {
	w := l.Width()
	mag := make([]uint64, len(lam))
	nbits := 0
	for a, v := range lam {
		if v < 0 {
			mag[a] = uint64(-v)
		} else {
			mag[a] = uint64(v)
		}
		nbits = max(nbits, bits.Len64(mag[a]))
	}
	acc := new(group.Element)
	zero := group.NewScalar()
	var bt, f group.Element
	for j := lo; j < hi; j++ {
		out[j] = ptrs[j*w : (j+1)*w : (j+1)*w]
		for k := 0; k < w; k++ {
			i := j*w + k
			started := false
			for b := nbits - 1; b >= 0; b-- {
				if started {
					acc.Add(acc, acc)
				}
				for a := range lam {
					if mag[a]>>b&1 == 0 {
						continue
					}
					switch {
					case !started && lam[a] > 0:
						d[a][i].Element(acc)
					case !started:
						acc.Negate(d[a][i].Element(&f))
					case lam[a] > 0:
						acc.AddAffine(acc, &d[a][i])
					default:
						acc.Subtract(acc, d[a][i].Element(&f))
					}
					started = true
				}
			}
			if !started {
				acc.Set(group.NewIdentityElement())
			}
			if inv != nil {
				acc.VarTimeDoubleScalarBaseMult(inv, acc, zero)
			}
			out[j][k].Subtract(beta(l, j*w+k, &bt), acc)
		}
	}
}

// combineGeneral computes β − Σ λ_a·d_a with full-size λ.
func combineGeneral(out [][]*group.Element, ptrs []*group.Element, l *elgamal.List, d [][]group.Affine, lam []*group.Scalar, lo, hi int) {
	w := l.Width()
	pts := make([]*group.Element, len(lam))
	els := make([]group.Element, len(lam))
	acc := new(group.Element)
	var bt group.Element
	for j := lo; j < hi; j++ {
		out[j] = ptrs[j*w : (j+1)*w : (j+1)*w]
		for k := 0; k < w; k++ {
			for a := range d {
				pts[a] = d[a][j*w+k].Element(&els[a])
			}
			acc.VarTimeMultiScalarMult(lam, pts)
			out[j][k].Subtract(beta(l, j*w+k, &bt), acc)
		}
	}
}

// beta sets e to the β of pair i (ciphertext j, pair k: i = j·w + k) of l
// and returns e.
func beta(l *elgamal.List, i int, e *group.Element) *group.Element {
	return l.Points()[2*i+1].Element(e)
}

func sortedCopy(v []int) []int {
	out := slices.Clone(v)
	slices.Sort(out)
	return out
}

// Decryption is the outcome of a threshold decryption.
type Decryption struct {
	Plaintexts [][]*group.Element // Plaintexts[j][k] decrypts pair k of ciphertext j
	Used       []int              // the t authorities whose shares were combined
	Valid      []int              // every authority whose share verified
	Faults     []Fault            // the shares that did not verify, and why
}

// ThresholdDecrypt verifies every share, blames the ones that fail and
// combines t of the valid ones. With fewer than t valid shares it returns
// a *TooFewSharesError naming the authorities that failed.
func ThresholdDecrypt(pub *DKGPublic, l *elgamal.List, shares []*DecryptionShareMessage) (*Decryption, error) {
	s, err := NewDecryptionSession(pub, l)
	if err != nil {
		return nil, err
	}
	for _, m := range shares {
		if m == nil {
			continue
		}
		s.add(m, nil)
	}
	return s.Result()
}

// DecryptionSession collects the decryption shares of one list as the
// transport delivers them, verifying each on arrival against the list's
// α's, collected once. It is the state machine of threshold decryption:
// feed it every share (this authority's own included) with Handle and take
// Result once Ready. It is not safe for concurrent use.
type DecryptionSession struct {
	pub    *DKGPublic
	list   *prepared
	raw    map[int][]byte
	valid  map[int]*VerifiedDecryptionShare
	banned map[int]bool
	faults []Fault
	forgot bool // Forget was called
}

// NewDecryptionSession starts collecting the shares of l.
func NewDecryptionSession(pub *DKGPublic, l *elgamal.List) (*DecryptionSession, error) {
	if err := checkPublic(pub); err != nil {
		return nil, err
	}
	pl, err := prepare(l)
	if err != nil {
		return nil, err
	}
	return &DecryptionSession{pub: pub, list: pl, raw: map[int][]byte{}, valid: map[int]*VerifiedDecryptionShare{},
		banned: map[int]bool{}}, nil
}

// Handle takes authority from's encoded share. A message that does not
// decode, is for another election or session, is not a decryption share
// or was not sent by from is rejected (ErrRejected) and changes nothing.
// An identical duplicate is ignored. A share that does not verify is
// blamed (a Fault, and the returned error) and left out. A second,
// different share from the same authority is evidence of cheating unless
// it carries the same factors (a recomputed proof): the authority is then
// blamed and all its shares are left out.
func (s *DecryptionSession) Handle(from int, data []byte) error {
	// The session's own copy, which the decoded share aliases (its
	// factors in affine form: #18).
	data = bytes.Clone(data)
	m, err := decodeSessionShare(data)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRejected, err)
	}
	h := m.MessageHeader()
	dm, ok := m.(*DecryptionShareMessage)
	switch {
	case !ok:
		return reject("a %s message is not a decryption share", h.Phase)
	case h.ElectionID != s.pub.ElectionID || h.SessionID != s.pub.SessionID:
		return reject("decryption share for election %q session %q", h.ElectionID, h.SessionID)
	case from < 1 || from > s.pub.N || h.Sender != from:
		return reject("decryption share from %d delivered by %d", h.Sender, from)
	}
	return s.add(dm, data)
}

func (s *DecryptionSession) add(m *DecryptionShareMessage, data []byte) error {
	i := m.Sender
	if data == nil {
		data = m.Bytes()
	}
	// data is the session's own: Handle's copy, or m's encoding.
	if prev, seen := s.raw[i]; seen {
		if bytes.Equal(prev, data) {
			return nil
		}
		v, err := verifyDecryptionShare(s.pub, s.list, m)
		if old := s.valid[i]; err == nil && old != nil && old.digest == v.digest {
			return nil
		}
		if s.banned[i] {
			return nil
		}
		f := Fault{Party: i, Kind: FaultConflict, Phase: PhaseDecryptionShare, Detail: "sent two different decryption shares"}
		s.faults = append(s.faults, f)
		s.banned[i] = true
		delete(s.valid, i)
		return fmt.Errorf("threshold: %s", f)
	}
	s.raw[i] = data
	v, err := verifyDecryptionShare(s.pub, s.list, m)
	if err != nil {
		s.faults = append(s.faults, Fault{Party: i, Kind: FaultInvalidDecryptionShare, Phase: PhaseDecryptionShare, Detail: err.Error()})
		return err
	}
	if s.forgot {
		v.factors = nil
	}
	s.valid[i] = v
	return nil
}

// Forget lets go of the factors of the valid shares, a list's worth each,
// once Result has combined them (#18). The session goes on checking the
// shares that arrive later (Handle, Ready, Valid, Faults), and keeps only
// whether each is valid; Result then fails.
func (s *DecryptionSession) Forget() {
	s.forgot = true
	for _, v := range s.valid {
		v.factors = nil
	}
}

// Ready reports whether t valid shares are in.
func (s *DecryptionSession) Ready() bool { return len(s.valid) >= s.pub.T }

// Valid returns the authorities whose shares verified, sorted.
func (s *DecryptionSession) Valid() []int {
	var v []int
	for i := range s.valid {
		v = append(v, i)
	}
	return sortedCopy(v)
}

// Faults returns the shares blamed so far.
func (s *DecryptionSession) Faults() []Fault { return append([]Fault(nil), s.faults...) }

// Result combines t valid shares, or returns a *TooFewSharesError naming
// the authorities whose shares failed.
func (s *DecryptionSession) Result() (*Decryption, error) {
	if s.forgot {
		return nil, errors.New("threshold: the session let go of its shares' factors (Forget)")
	}
	V := s.Valid()
	if len(V) < s.pub.T {
		return nil, &TooFewSharesError{T: s.pub.T, Valid: V, Faults: s.Faults()}
	}
	vs := make([]*VerifiedDecryptionShare, len(V))
	for a, i := range V {
		vs[a] = s.valid[i]
	}
	pts, used, err := CombineDecryptionShares(s.pub, s.list.list, vs)
	if err != nil {
		return nil, err
	}
	return &Decryption{Plaintexts: pts, Used: used, Valid: V, Faults: s.Faults()}, nil
}
