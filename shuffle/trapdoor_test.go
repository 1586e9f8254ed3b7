package shuffle

import (
	"testing"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/stretchr/testify/require"
)

// TestTrapdooredGenerators is threat A4 (Swiss Post 2019). With generators
// whose discrete logarithms it knows, a dishonest mixer replaces a vote —
// its outputs are M·w for a matrix M that is not a permutation — and forges
// a proof that passes every check against those generators. The real
// verifier derives its own generators by hashing and rejects the forgery.
func TestTrapdooredGenerators(t *testing.T) {
	r := testRand(40)
	const n = 3
	sk, err := elgamal.GenerateKey(r)
	require.NoError(t, err)
	pk := sk.Public()
	ctx := &Context{ElectionID: "e", SessionID: "s", Position: 1, PublicKey: pk, Width: 1}
	B := group.NewGeneratorElement()
	Y := pk.Element()

	// Votes A, B, B. The forger turns the third into A: outputs
	// (w_1, w_2, w_3 + w_1 − w_2), re-encrypted.
	mA, _ := elgamal.EncodeUint64(1)
	mB, _ := elgamal.EncodeUint64(2)
	var inputs []*elgamal.Ciphertext
	for _, m := range []*group.Element{mA, mB, mB} {
		c, err := elgamal.Encrypt(r, pk, []*group.Element{m})
		require.NoError(t, err)
		inputs = append(inputs, c)
	}
	rnd := func() *group.Scalar { s, _ := group.RandomScalar(r); return s }
	s := []*group.Scalar{rnd(), rnd(), rnd()}
	comb := []*elgamal.Ciphertext{inputs[0], inputs[1], elgamal.Add(inputs[2], elgamal.Add(inputs[0], neg(inputs[1])))}
	var outputs []*elgamal.Ciphertext
	for j := range comb {
		outputs = append(outputs, elgamal.ReEncryptWith(pk, comb[j], []*group.Scalar{s[j]}))
	}
	got := []uint64{}
	for _, c := range outputs {
		v, err := elgamal.DecodeUint64(sk.Decrypt(c)[0])
		require.NoError(t, err)
		got = append(got, v)
	}
	require.Equal(t, []uint64{1, 2, 1}, got, "the forged mix replaced a vote")

	// Trapdoored commitment generators h_i = t_i·B, given as their halves
	// H_i = (t_i/2)·B as Generators holds them.
	tl := make([]*group.Scalar, n+1)
	h := make([]*group.Element, n+1)
	half := make([]*group.Element, n+1)
	sum := group.NewIdentityElement()
	for i := range h {
		tl[i] = rnd()
		h[i] = new(group.Element).ScalarBaseMult(tl[i])
		half[i] = new(group.Element).ScalarBaseMult(group.NewScalar().Multiply(tl[i], inv2))
		if i > 0 {
			sum.Add(sum, half[i])
		}
	}
	halfAff := make([]group.Affine, n+1)
	group.AffineFromElements(halfAff, half)
	bad := &Generators{domain: GeneratorDomain("e", "s"), h0: half[0], half: halfAff, sum: sum, half0: group.NewFixedBase(half[0])}

	in, err := elgamal.NewList(inputs)
	require.NoError(t, err)
	out, err := elgamal.NewList(outputs)
	require.NoError(t, err)
	encIn, encOut := in.Bytes(), out.Bytes()
	// u_i = r_i·B + h_i (a commitment to the identity, never opened honestly).
	rr := []*group.Scalar{rnd(), rnd(), rnd()}
	u := make([]*group.Element, n)
	for i := range u {
		u[i] = new(group.Element).Add(new(group.Element).ScalarBaseMult(rr[i]), h[1+i])
	}
	tr := statementTranscript(ctx, n, encIn, encOut)
	encU := group.EncodeElements(u)
	tr.AppendEncodedElements("u", encU)
	e := tr.ChallengeShortScalars("e", n)
	// e' solves Mᵀe' = e: e'_3 = e_3, e'_1 = e_1 − e_3, e'_2 = e_2 + e_3.
	ep := []*group.Scalar{group.NewScalar().Subtract(e[0], e[2]), group.NewScalar().Add(e[1], e[2]), e[2]}

	// Chain with e', all logarithms known: log B_j = x_j + y_j·t_0.
	b, beta, eps := []*group.Scalar{rnd(), rnd(), rnd()}, []*group.Scalar{rnd(), rnd(), rnd()}, []*group.Scalar{rnd(), rnd(), rnd()}
	x := []*group.Scalar{group.NewScalar()}
	y := []*group.Scalar{group.ScalarFromUint64(1)}
	Bs, Bps := make([]*group.Element, n), make([]*group.Element, n)
	prev := h[0]
	for j := 0; j < n; j++ {
		x = append(x, group.NewScalar().MultiplyAdd(ep[j], x[j], b[j]))
		y = append(y, group.NewScalar().Multiply(ep[j], y[j]))
		Bs[j] = new(group.Element).Add(new(group.Element).ScalarBaseMult(b[j]), new(group.Element).ScalarMult(ep[j], prev))
		Bps[j] = new(group.Element).Add(new(group.Element).ScalarBaseMult(beta[j]), new(group.Element).ScalarMult(eps[j], prev))
		prev = Bs[j]
	}
	alpha, gamma, delta, phi := rnd(), rnd(), rnd(), rnd()
	aP := new(group.Element).ScalarBaseMult(alpha)
	fa := new(group.Element).Negate(new(group.Element).ScalarMult(phi, B))
	fb := new(group.Element).Negate(new(group.Element).ScalarMult(phi, Y))
	for j := 0; j < n; j++ {
		aP.Add(aP, new(group.Element).ScalarMult(eps[j], h[1+j]))
		fa.Add(fa, new(group.Element).ScalarMult(eps[j], outputs[j].Alpha[0]))
		fb.Add(fb, new(group.Element).ScalarMult(eps[j], outputs[j].Beta[0]))
	}
	proof := &Proof{n: n, w: 1, aP: aP,
		cP: new(group.Element).ScalarBaseMult(gamma), dP: new(group.Element).ScalarBaseMult(delta),
		fP: []*group.Element{fa, fb}, encU: encU, encB: group.EncodeElements(Bs), encBPrime: group.EncodeElements(Bps)}
	v := commitmentChallenge(tr, proof)

	// Responses from the known logarithms.
	// log A = Σ e_i (r_i + t_i); k_A = α + v·(log A − Σ e'_j t_j).
	logA, sumEt, c, f := group.NewScalar(), group.NewScalar(), group.NewScalar(), group.NewScalar()
	prodE := group.ScalarFromUint64(1)
	for i := 0; i < n; i++ {
		logA.MultiplyAdd(e[i], group.NewScalar().Add(rr[i], tl[1+i]), logA)
		sumEt.MultiplyAdd(ep[i], tl[1+i], sumEt)
		c.Add(c, rr[i])
		f.MultiplyAdd(ep[i], s[i], f)
		prodE.Multiply(prodE, e[i])
	}
	proof.kA = group.NewScalar().MultiplyAdd(v, group.NewScalar().Subtract(logA, sumEt), alpha)
	proof.kC = group.NewScalar().MultiplyAdd(v, c, gamma)
	// d = x_N + (y_N − Π e)·t_0
	d := group.NewScalar().MultiplyAdd(group.NewScalar().Subtract(y[n], prodE), tl[0], x[n])
	proof.kD = group.NewScalar().MultiplyAdd(v, d, delta)
	for j := 0; j < n; j++ {
		proof.kB = append(proof.kB, group.NewScalar().MultiplyAdd(v, b[j], beta[j]))
		proof.kE = append(proof.kE, group.NewScalar().MultiplyAdd(v, ep[j], eps[j]))
	}
	proof.kF = []*group.Scalar{group.NewScalar().MultiplyAdd(v, f, phi)}

	// Against the trapdoored generators the forgery passes every check...
	require.NoError(t, Verify(ctx, bad, in, out, proof))
	// ...but the verifier derives its generators and rejects it.
	good, err := NewGenerators("e", "s", n)
	require.NoError(t, err)
	_, err = VerifyBytes(ctx, good, in, encOut, proof.Bytes())
	require.ErrorIs(t, err, ErrInvalidProof)
}

func neg(c *elgamal.Ciphertext) *elgamal.Ciphertext {
	return &elgamal.Ciphertext{Alpha: []*group.Element{new(group.Element).Negate(c.Alpha[0])},
		Beta: []*group.Element{new(group.Element).Negate(c.Beta[0])}}
}
