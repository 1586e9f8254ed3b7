package shuffle

import (
	"crypto/rand"
	"fmt"
	"io"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/par"
)

func invalid(check string, args ...any) error {
	return fmt.Errorf("%w: shuffle: "+check, append([]any{ErrInvalidProof}, args...)...)
}

// VerifyBytes decodes a mix's output list (ctx.Width, in.Len()
// ciphertexts) and its proof from their canonical encodings, verifies the
// proof of a shuffle of in into that list, and returns the verified output
// list, the next mix's input; it is what a verifier of an election record
// and every authority of a mix chain call. Errors wrap ErrMalformed for
// bad shapes and encodings (an output list or a proof that does not
// decode) and ErrInvalidProof for a failed check, naming the check. The
// output list keeps encOut as its encoding: the caller must not modify it.
func VerifyBytes(ctx *Context, gens *Generators, in *elgamal.List, encOut, proof []byte) (*elgamal.List, error) {
	if ctx == nil || ctx.Width < 1 || ctx.Width > elgamal.MaxWidth {
		return nil, fmt.Errorf("%w: bad context", ErrMalformed)
	}
	if in == nil || in.Width() != ctx.Width {
		return nil, fmt.Errorf("%w: the input is not a list of width-%d ciphertexts", ErrMalformed, ctx.Width)
	}
	n := in.Len()
	if len(encOut) != len(in.Bytes()) {
		return nil, fmt.Errorf("%w: %d output bytes do not make a list of %d width-%d ciphertexts (%d bytes)",
			ErrMalformed, len(encOut), n, ctx.Width, len(in.Bytes()))
	}
	p, err := DecodeProof(proof, n, ctx.Width)
	if err != nil {
		return nil, err
	}
	// The output list keeps encOut, not a copy (#18).
	out, err := elgamal.DecodeListNAliased(encOut, ctx.Width, n)
	if err != nil {
		return nil, fmt.Errorf("%w: output list: %w", ErrMalformed, err)
	}
	if err := Verify(ctx, gens, in, out, p); err != nil {
		return nil, err
	}
	return out, nil
}

// Verify checks a proof of a shuffle of the list in into the list out in
// context ctx; the lists' encodings enter the transcript as they are. With
// the decoding of the output list and the proof (VerifyBytes) it costs
// about 1.0 SM per ciphertext of width 1, and it uses all cores.
func Verify(ctx *Context, gens *Generators, in, out *elgamal.List, p *Proof) error {
	return verify(ctx, gens, in, out, p, rand.Reader)
}

func verify(ctx *Context, gens *Generators, in, out *elgamal.List, p *Proof, rnd io.Reader) error {
	if in == nil || out == nil {
		return fmt.Errorf("%w: missing input or output list", ErrMalformed)
	}
	n := in.Len()
	if err := ctx.check(n); err != nil {
		return err
	}
	w := ctx.Width
	if out.Len() != n {
		return fmt.Errorf("%w: %d inputs but %d outputs", ErrMalformed, n, out.Len())
	}
	if in.Width() != w || out.Width() != w {
		return fmt.Errorf("%w: lists of width %d and %d, the statement's is %d", ErrMalformed, in.Width(), out.Width(), w)
	}
	if err := gens.matches(ctx, n); err != nil {
		return err
	}
	if err := p.checkShape(n, w); err != nil {
		return err
	}
	inputs, outputs := in.Points(), out.Points()
	encIn, encOut := in.Bytes(), out.Bytes()

	// Challenges, recomputed over the whole statement.
	t := statementTranscript(ctx, n, encIn, encOut)
	t.AppendEncodedElements("u", p.encU)
	e := t.ChallengeShortScalars("e", n)
	v := commitmentChallenge(t, p)
	negV := group.NewScalar().Negate(v)
	minusOne := group.NewScalar().Negate(group.ScalarFromUint64(1))
	B := group.NewGeneratorElement()
	Y := ctx.PublicKey.Element()

	// The long vectors are decoded one at a time, in affine form, into
	// the same memory.
	slab := make([]group.Affine, n)
	if err := group.DecodeAffine(slab, p.encU); err != nil {
		return fmt.Errorf("%w: u: %w", ErrMalformed, err)
	}
	// (C), first half: C = Σ u_i − Σ h_i.
	C := new(group.Element).SumAffine(slab)
	C.Subtract(C, new(group.Element).Add(gens.sum, gens.sum))

	// (A) v·A + A' = k_A·B + Σ k_E,j·h_j with A = Σ e_i·u_i, and
	// h_j = 2·H_j.
	A := new(group.Element).VarTimeMultiScalarMultAffine(e, slab, 1)
	kE2 := make([]group.Scalar, n)
	sc := make([]*group.Scalar, n)
	for j := range kE2 {
		kE2[j].Add(p.kE[j], p.kE[j])
		sc[j] = &kE2[j]
	}
	lhsA := new(group.Element).VarTimeMultiScalarMultAffine(sc, gens.half[1:], 1)
	lhsA.Add(lhsA, new(group.Element).VarTimeMultiScalarMult([]*group.Scalar{p.kA, negV, minusOne}, []*group.Element{B, A, p.aP}))
	okA := lhsA.IsIdentity() == 1
	kE2, sc = nil, nil
	// (A)'s verdict waits until B and B' are decoded: a proof with an
	// undecodable element is malformed, whichever equation it also breaks
	// (doc/verify.md, M5).

	// (B) v·B_j + B'_j = k_B,j·B + k_E,j·B_{j−1} for all j, with random
	// 128-bit weights λ_j: Σ λ_j·(v·B_j + B'_j − k_B,j·B − k_E,j·B_{j−1}) = 0,
	// that is Σ_j (v·λ_j − λ_{j+1}·k_E,j+1)·B_j + Σ_j λ_j·B'_j
	//        − (λ_1·k_E,1)·h_0 − (Σ_j λ_j·k_B,j)·B = 0.
	// B and B' are summed in two multiplications so that only one of the
	// two vectors is decoded at a time.
	lambda, err := shortWeights(rnd, n)
	if err != nil {
		return err
	}
	coefB := make([]group.Scalar, n)
	coefPtr := make([]*group.Scalar, n)
	par.For(n, 4096, func(lo, hi int) {
		var tmp group.Scalar
		for j := lo; j < hi; j++ {
			coefB[j].Multiply(v, lambda[j])
			if j+1 < n {
				coefB[j].Subtract(&coefB[j], tmp.Multiply(lambda[j+1], p.kE[j+1]))
			}
			coefPtr[j] = &coefB[j]
		}
	})
	if err := group.DecodeAffine(slab, p.encB); err != nil {
		return fmt.Errorf("%w: B: %w", ErrMalformed, err)
	}
	sumB := new(group.Element).VarTimeMultiScalarMultAffine(coefPtr, slab, 1)
	BN := slab[n-1].Element(new(group.Element))
	coefB, coefPtr = nil, nil
	if err := group.DecodeAffine(slab, p.encBPrime); err != nil {
		return fmt.Errorf("%w: B': %w", ErrMalformed, err)
	}
	sumBP := new(group.Element).VarTimeMultiScalarMultAffine(lambda, slab, 1)
	slab = nil
	if !okA {
		return invalid("check (A) v·A + A' = k_A·B + Σ k_E,j·h_j fails (permutation commitment opening)")
	}
	var kbSum group.Scalar
	for j := 0; j < n; j++ {
		kbSum.MultiplyAdd(lambda[j], p.kB[j], &kbSum)
	}
	rest := new(group.Element).VarTimeMultiScalarMult(
		[]*group.Scalar{group.NewScalar().Multiply(lambda[0], group.NewScalar().Add(p.kE[0], p.kE[0])), &kbSum},
		[]*group.Element{gens.h0, B})
	if sumB.Add(sumB, sumBP).Subtract(sumB, rest).IsIdentity() != 1 {
		return invalid("check (B) v·B_j + B'_j = k_B,j·B + k_E,j·B_{j−1} fails for some j (commitment chain)")
	}

	// (C) v·C + C' = k_C·B with C = Σ u_i − Σ h_i.
	if !linearHolds(v, C, p.cP, p.kC, B) {
		return invalid("check (C) v·C + C' = k_C·B fails (commitment is not to a matrix whose rows sum to one)")
	}

	// (D) v·D + D' = k_D·B with D = B_N − (Π e_i)·h_0.
	prod := group.ScalarFromUint64(1)
	for _, ei := range e {
		prod.Multiply(prod, ei)
	}
	D := new(group.Element).ScalarMult(prod.Add(prod, prod), gens.h0)
	D.Subtract(BN, D)
	if !linearHolds(v, D, p.dP, p.kD, B) {
		return invalid("check (D) v·D + D' = k_D·B fails (product of the committed challenges)")
	}

	// (F) v·F + F' = Σ k_E,j·w'_j − Enc(0, k_F) with F = Σ e_i·w_i, for the
	// α and β part of every pair.
	// The pair's column of each list is summed in place: every 2w-th
	// point of the list from 2k + part.
	for k := 0; k < w; k++ {
		for part, base := range []*group.Element{B, Y} {
			F := new(group.Element).VarTimeMultiScalarMultAffine(e, inputs[2*k+part:], 2*w)
			lhs := new(group.Element).VarTimeMultiScalarMultAffine(p.kE, outputs[2*k+part:], 2*w)
			lhs.Add(lhs, new(group.Element).VarTimeMultiScalarMult([]*group.Scalar{negV, minusOne, group.NewScalar().Negate(p.kF[k])},
				[]*group.Element{F, p.fP[2*k+part], base}))
			if lhs.IsIdentity() != 1 {
				return invalid("check (F) v·F + F' = Σ k_E,j·w'_j − Enc(0, k_F) fails for the %s part of pair %d (re-encryption)",
					[]string{"α", "β"}[part], k)
			}
		}
	}
	return nil
}

// linearHolds reports whether v·X + X' = k·B.
func linearHolds(v *group.Scalar, X, XP *group.Element, k *group.Scalar, B *group.Element) bool {
	lhs := new(group.Element).VarTimeMultiScalarMult([]*group.Scalar{v, group.NewScalar().Negate(k)}, []*group.Element{X, B})
	return lhs.Add(lhs, XP).IsIdentity() == 1
}

// shortWeights draws n random 128-bit scalars from rnd.
func shortWeights(rnd io.Reader, n int) ([]*group.Scalar, error) {
	buf := make([]byte, 16*n)
	if _, err := io.ReadFull(rnd, buf); err != nil {
		return nil, fmt.Errorf("shuffle: reading batch weights: %w", err)
	}
	out := make([]*group.Scalar, n)
	sc := make([]group.Scalar, n)
	var wide [64]byte
	for i := range out {
		copy(wide[:16], buf[16*i:])
		if _, err := sc[i].SetUniformBytes(wide[:]); err != nil {
			panic("shuffle: internal error: " + err.Error())
		}
		out[i] = &sc[i]
	}
	return out, nil
}

// checkShape rejects a proof whose vectors do not have the statement's
// lengths or hold nil values (a Proof built by hand rather than decoded).
func (p *Proof) checkShape(n, w int) error {
	if p == nil || p.n != n || p.w != w ||
		len(p.kB) != n || len(p.kE) != n || len(p.kF) != w || len(p.fP) != 2*w ||
		p.aP == nil || p.cP == nil || p.dP == nil || p.kA == nil || p.kC == nil || p.kD == nil ||
		len(p.encU) != 32*n || len(p.encB) != 32*n || len(p.encBPrime) != 32*n {
		return fmt.Errorf("%w: proof does not have the shape of a shuffle of %d ciphertexts of width %d", ErrMalformed, n, w)
	}
	for _, l := range [][]*group.Element{p.fP} {
		for _, e := range l {
			if e == nil {
				return fmt.Errorf("%w: proof has a missing element", ErrMalformed)
			}
		}
	}
	for _, l := range [][]*group.Scalar{p.kB, p.kE, p.kF} {
		for _, s := range l {
			if s == nil {
				return fmt.Errorf("%w: proof has a missing scalar", ErrMalformed)
			}
		}
	}
	return nil
}
