package shuffle

import (
	"crypto/rand"
	"fmt"
	"io"
	"sync"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/par"
	"github.com/eo-mixnet/eo/proofs"
	"golang.org/x/crypto/chacha20"
)

// grain is the smallest number of ciphertexts worth a goroutine.
const grain = 256

// encodeChunk is how many commitments are encoded with one batched
// inversion (group.EncodeDoubled).
const encodeChunk = 256

// inv2 is 1/2 mod ℓ.
var inv2 = group.NewScalar().Invert(group.ScalarFromUint64(2))

var baseTable = sync.OnceValue(func() *group.FixedBase { return group.NewFixedBase(group.NewGeneratorElement()) })

// stream derives the prover's secret scalars from one 32-byte seed read
// from the caller's random source: the i-th scalar of a label is the i-th
// 64-byte block of the ChaCha20 key stream (RFC 8439) keyed by the seed,
// with nonce label ‖ 0^11 and block counter i, reduced mod ℓ. Any range
// of scalars can thus be drawn on its own goroutine, and the result does
// not depend on how the work is split.
type stream struct{ seed [32]byte }

func newStream(r io.Reader) (*stream, error) {
	if r == nil {
		r = rand.Reader
	}
	s := &stream{}
	if _, err := io.ReadFull(r, s.seed[:]); err != nil {
		return nil, fmt.Errorf("shuffle: reading randomness: %w", err)
	}
	return s, nil
}

// draw sets dst[k] to scalar lo+k of label, for every k.
func (s *stream) draw(dst []group.Scalar, label byte, lo int) {
	if lo+len(dst) > 1<<32 {
		panic("shuffle: internal error: too many scalars for one stream")
	}
	var nonce [chacha20.NonceSize]byte
	nonce[0] = label
	c, err := chacha20.NewUnauthenticatedCipher(s.seed[:], nonce[:])
	if err != nil {
		panic("shuffle: internal error: " + err.Error())
	}
	c.SetCounter(uint32(lo))
	var block [64]byte
	for k := range dst {
		clear(block[:])
		c.XORKeyStream(block[:], block[:])
		if _, err := dst[k].SetUniformBytes(block[:]); err != nil {
			panic("shuffle: internal error: " + err.Error())
		}
	}
	clear(block[:])
}

func (s *stream) scalar(dst *group.Scalar, label byte, i int) {
	var one [1]group.Scalar
	s.draw(one[:], label, i)
	dst.Set(&one[0])
	one[0].Set(group.NewScalar())
}

func (s *stream) fill(dst []group.Scalar, label byte) {
	par.For(len(dst), 4096, func(lo, hi int) { s.draw(dst[lo:hi], label, lo) })
}

// Labels of the prover's random scalars.
const (
	labelR     = 'r' // permutation commitment randomness r_i
	labelS     = 's' // re-encryption randomness s_j,k
	labelEps   = 'e' // blinding ε_j
	labelB     = 'b' // chain randomness b_j
	labelBeta  = 'B' // blinding β_j
	labelConst = 'c' // α, γ, δ and φ_k
)

// Precomputed holds the part of a mixer's work that does not depend on the
// ballots: the permutation, the permutation commitment, the re-encryption
// factors, the blinding ε and the commitment A'. It is secret, for one
// shuffle only, and wiped by Shuffle.
type Precomputed struct {
	ctx   Context
	gens  *Generators
	n     int
	yt    *group.FixedBase
	rnd   *stream
	pi    Permutation
	r     []group.Scalar // r_i
	encU  []byte
	s     []group.Scalar // s_j,k at j·W + k
	re    []group.Affine // Enc(0, s_j,k) = (s_j,k·B, s_j,k·Y) at 2(j·W + k), in the list's order
	eps   []group.Scalar
	alpha group.Scalar
	aP    *group.Element
	used  bool
}

// Precompute does the offline part of a shuffle of n ciphertexts in
// context ctx: about 0.3 SM for the commitment and 0.6 SM per pair for the
// re-encryption factors, per ciphertext, on all cores.
func Precompute(rnd io.Reader, ctx *Context, gens *Generators, n int) (*Precomputed, error) {
	if err := ctx.check(n); err != nil {
		return nil, err
	}
	if err := gens.matches(ctx, n); err != nil {
		return nil, err
	}
	st, err := newStream(rnd)
	if err != nil {
		return nil, err
	}
	pi, err := RandomPermutation(rnd, n)
	if err != nil {
		return nil, err
	}
	w := ctx.Width
	p := &Precomputed{ctx: *ctx, gens: gens, n: n, rnd: st, pi: pi,
		yt: group.NewFixedBase(ctx.PublicKey.Element())}
	p.r = make([]group.Scalar, n)
	st.fill(p.r, labelR) // ρ_i for now; r_i = 2·ρ_i below
	p.s = make([]group.Scalar, n*w)
	st.fill(p.s, labelS)
	p.eps = make([]group.Scalar, n)
	st.fill(p.eps, labelEps)
	st.scalar(&p.alpha, labelConst, 0)

	// u_i = r_i·B + h_{π⁻¹(i)}: row i of the permutation matrix committed,
	// computed as the double of ρ_i·B + H_{π⁻¹(i)} with r_i = 2·ρ_i.
	inv := pi.Inverse()
	p.encU = make([]byte, 32*n)
	bt := baseTable()
	par.For(n, grain, func(lo, hi int) {
		halves := make([]group.Element, min(encodeChunk, hi-lo))
		for c := lo; c < hi; c += len(halves) {
			m := min(len(halves), hi-c)
			for k := 0; k < m; k++ {
				i := c + k
				halves[k].FixedBaseMult(&p.r[i], bt)
				halves[k].AddAffine(&halves[k], &gens.half[1+inv[i]])
				p.r[i].Add(&p.r[i], &p.r[i])
			}
			group.EncodeDoubled(p.encU[32*c:], halves[:m])
		}
	})

	// Re-encryption factors Enc(0, s_j,k) = (s_j,k·B, s_j,k·Y), kept in
	// affine form (half the memory while the earlier mixers mix).
	p.re = make([]group.Affine, 2*n*w)
	par.For(n*w, grain, func(lo, hi int) {
		els := make([]group.Element, 2*min(encodeChunk, hi-lo))
		ptrs := make([]*group.Element, len(els))
		for c := lo; c < hi; c += len(els) / 2 {
			m := min(len(els)/2, hi-c)
			for i := 0; i < m; i++ {
				ptrs[2*i] = els[2*i].FixedBaseMult(&p.s[c+i], bt)
				ptrs[2*i+1] = els[2*i+1].FixedBaseMult(&p.s[c+i], p.yt)
			}
			group.AffineFromElements(p.re[2*c:2*(c+m)], ptrs[:2*m])
		}
		clear(els) // the factors link outputs to inputs
	})

	// A' = α·B + Σ ε_j·h_j = α·B + Σ (2·ε_j)·H_j.
	eps2 := make([]group.Scalar, n)
	eps := make([]*group.Scalar, n)
	for j := range eps {
		eps2[j].Add(&p.eps[j], &p.eps[j])
		eps[j] = &eps2[j]
	}
	p.aP = new(group.Element).VarTimeMultiScalarMultAffine(eps, gens.half[1:], 1)
	clear(eps2)
	p.aP.Add(p.aP, new(group.Element).FixedBaseMult(&p.alpha, bt))
	return p, nil
}

// Wipe zeroes the secrets of p. Shuffle calls it; call it to discard an
// unused precomputation.
func (p *Precomputed) Wipe() {
	zero := group.NewScalar()
	for _, ss := range [][]group.Scalar{p.r, p.s, p.eps} {
		for i := range ss {
			ss[i].Set(zero)
		}
	}
	p.alpha.Set(zero)
	clear(p.re) // with an output, a factor links it to its input
	clear(p.pi)
	clear(p.rnd.seed[:])
	p.used = true
}

// Shuffle permutes and re-encrypts the list in with the precomputation p,
// and proves it. It returns the output list, encoded in one batch, and the
// proof, and wipes p. in must hold the N ciphertexts of width W that p was
// made for; its encoding enters the proof's transcript as it is.
func Shuffle(p *Precomputed, in *elgamal.List) (*elgamal.List, *Proof, error) {
	if p.used {
		return nil, nil, fmt.Errorf("shuffle: precomputation already used")
	}
	defer p.Wipe()
	n, w := p.n, p.ctx.Width
	if in == nil || in.Len() != n || in.Width() != w {
		return nil, nil, fmt.Errorf("%w: precomputed for %d ciphertexts of width %d, not this list", ErrMalformed, n, w)
	}
	inputs := in.Points()

	// w'_j = w_{π(j)} + Enc(0, s_j), a chunk at a time: encoded, and kept
	// in affine form by the output list.
	pts := make([]group.Affine, 2*n*w)
	enc := make([]byte, n*w*elgamal.CiphertextSize)
	par.For(n, grain, func(lo, hi int) {
		els := make([]group.Element, 2*w*min(encodeChunk, hi-lo))
		ptrs := make([]*group.Element, len(els))
		for c := lo; c < hi; c += len(els) / (2 * w) {
			m := min(len(els)/(2*w), hi-c)
			for j := c; j < c+m; j++ {
				src := inputs[2*p.pi[j]*w:]
				for k := 0; k < 2*w; k++ {
					i := 2*(j-c)*w + k
					ptrs[i] = els[i].AddAffines(&p.re[2*j*w+k], &src[k])
				}
			}
			out := ptrs[:2*m*w]
			copy(enc[2*c*w*group.ElementSize:], group.EncodeElements(out))
			group.AffineFromElements(pts[2*c*w:2*(c+m)*w], out)
		}
	})
	clear(p.re)
	p.re = nil
	// An α equal to the identity (probability 2^-252) makes the list
	// refuse the outputs, as every verifier's decoder would.
	out, err := elgamal.NewListPoints(w, pts, enc)
	if err != nil {
		return nil, nil, fmt.Errorf("shuffle: output list: %w", err)
	}

	proof, err := p.prove(in, out)
	if err != nil {
		return nil, nil, err
	}
	return out, proof, nil
}

// ShuffleAndProve is Precompute followed by Shuffle.
func ShuffleAndProve(rnd io.Reader, ctx *Context, gens *Generators, in *elgamal.List) (*elgamal.List, *Proof, error) {
	if in == nil {
		return nil, nil, fmt.Errorf("%w: no input list", ErrMalformed)
	}
	p, err := Precompute(rnd, ctx, gens, in.Len())
	if err != nil {
		return nil, nil, err
	}
	return Shuffle(p, in)
}

// prove is the online part of the proof of a shuffle (package doc).
func (p *Precomputed) prove(in, out *elgamal.List) (*Proof, error) {
	n, w := p.n, p.ctx.Width
	gens, bt := p.gens, baseTable()
	outputs := out.Points()
	t := statementTranscript(&p.ctx, n, in.Bytes(), out.Bytes())
	t.AppendEncodedElements("u", p.encU)
	e := t.ChallengeShortScalars("e", n)

	// e'_j = e_{π(j)}; chain B_j = x_j·B + y_j·h_0 with x_0 = 0, y_0 = 1,
	// x_j = b_j + e'_j·x_{j−1}, y_j = e'_j·y_{j−1}, so that
	// B_j = b_j·B + e'_j·B_{j−1}.
	b := make([]group.Scalar, n)
	p.rnd.fill(b, labelB)
	beta := make([]group.Scalar, n)
	p.rnd.fill(beta, labelBeta)
	x := make([]group.Scalar, n+1)
	y := make([]group.Scalar, n+1)
	y[0].Set(group.ScalarFromUint64(1))
	for j := 1; j <= n; j++ {
		ep := e[p.pi[j-1]]
		x[j].MultiplyAdd(ep, &x[j-1], &b[j-1])
		y[j].Multiply(ep, &y[j-1])
	}
	// B_j and B'_j = β_j·B + ε_j·B_{j−1} = (β_j + ε_j·x_{j−1})·B +
	// (ε_j·y_{j−1})·h_0, each as the double of its half: with h_0 = 2·H_0,
	// B_j/2 = (x_j/2)·B + y_j·H_0.
	encB := make([]byte, 32*n)
	encBPrime := make([]byte, 32*n)
	par.For(n, grain, func(lo, hi int) {
		var t1 group.Element
		var sx, sy group.Scalar
		hb := make([]group.Element, min(encodeChunk, hi-lo))
		hbp := make([]group.Element, len(hb))
		for c := lo; c < hi; c += len(hb) {
			m := min(len(hb), hi-c)
			for k := 0; k < m; k++ {
				j := c + k // B_j is chain element j+1 in 1-based terms
				sx.Multiply(&x[j+1], inv2)
				hb[k].FixedBaseMult(&sx, bt)
				hb[k].Add(&hb[k], t1.FixedBaseMult(&y[j+1], gens.half0))
				sx.MultiplyAdd(&p.eps[j], &x[j], &beta[j])
				sx.Multiply(&sx, inv2)
				sy.Multiply(&p.eps[j], &y[j])
				hbp[k].FixedBaseMult(&sx, bt)
				hbp[k].Add(&hbp[k], t1.FixedBaseMult(&sy, gens.half0))
			}
			group.EncodeDoubled(encB[32*c:], hb[:m])
			group.EncodeDoubled(encBPrime[32*c:], hbp[:m])
		}
		sx.Set(group.NewScalar())
		sy.Set(group.NewScalar())
	})

	var gamma, delta group.Scalar
	p.rnd.scalar(&gamma, labelConst, 1)
	p.rnd.scalar(&delta, labelConst, 2)
	phi := make([]group.Scalar, w)
	for k := range phi {
		p.rnd.scalar(&phi[k], labelConst, 3+k)
	}
	cP := new(group.Element).FixedBaseMult(&gamma, bt)
	dP := new(group.Element).FixedBaseMult(&delta, bt)
	// F' = Σ ε_j·w'_j − Enc(0, φ), pair by pair.
	eps := make([]*group.Scalar, n)
	for j := range eps {
		eps[j] = &p.eps[j]
	}
	fP := make([]*group.Element, 2*w)
	for k := 0; k < w; k++ {
		// α and β of pair k of every output, in place (every 2w-th point).
		fa := new(group.Element).VarTimeMultiScalarMultAffine(eps, outputs[2*k:], 2*w)
		fP[2*k] = fa.Subtract(fa, new(group.Element).FixedBaseMult(&phi[k], bt))
		fb := new(group.Element).VarTimeMultiScalarMultAffine(eps, outputs[2*k+1:], 2*w)
		fP[2*k+1] = fb.Subtract(fb, new(group.Element).FixedBaseMult(&phi[k], p.yt))
	}

	proof := &Proof{n: n, w: w, aP: p.aP, cP: cP, dP: dP, fP: fP, encU: p.encU, encB: encB, encBPrime: encBPrime}
	v := commitmentChallenge(t, proof)

	// Responses.
	var a, c, f group.Scalar
	for i := 0; i < n; i++ {
		a.MultiplyAdd(e[i], &p.r[i], &a)
		c.Add(&c, &p.r[i])
	}
	proof.kA = group.NewScalar().MultiplyAdd(v, &a, &p.alpha)
	proof.kC = group.NewScalar().MultiplyAdd(v, &c, &gamma)
	proof.kD = group.NewScalar().MultiplyAdd(v, &x[n], &delta)
	kb := make([]group.Scalar, n)
	ke := make([]group.Scalar, n)
	proof.kB = make([]*group.Scalar, n)
	proof.kE = make([]*group.Scalar, n)
	for j := 0; j < n; j++ {
		kb[j].MultiplyAdd(v, &b[j], &beta[j])
		ke[j].MultiplyAdd(v, e[p.pi[j]], &p.eps[j])
		proof.kB[j], proof.kE[j] = &kb[j], &ke[j]
	}
	proof.kF = make([]*group.Scalar, w)
	for k := 0; k < w; k++ {
		f.Set(group.NewScalar())
		for j := 0; j < n; j++ {
			f.MultiplyAdd(e[p.pi[j]], &p.s[j*w+k], &f)
		}
		proof.kF[k] = group.NewScalar().MultiplyAdd(v, &f, &phi[k])
	}

	zero := group.NewScalar()
	for _, ss := range [][]group.Scalar{b, beta, x, y, phi} {
		for i := range ss {
			ss[i].Set(zero)
		}
	}
	for _, s := range []*group.Scalar{&a, &c, &f, &gamma, &delta} {
		s.Set(zero)
	}
	return proof, nil
}

// commitmentChallenge absorbs the prover's commitments and returns v.
func commitmentChallenge(t *proofs.Transcript, p *Proof) *group.Scalar {
	t.AppendEncodedElements("B", p.encB)
	t.AppendElement("A'", p.aP)
	t.AppendEncodedElements("B'", p.encBPrime)
	t.AppendElement("C'", p.cP)
	t.AppendElement("D'", p.dP)
	t.AppendElements("F'", p.fP)
	return t.Challenge("v")
}
