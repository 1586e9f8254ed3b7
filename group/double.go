package group

import "filippo.io/edwards25519/field"

// EncodeDoubled writes to dst the canonical encodings of 2·ps[i], for
// every i, without a square root per element: one batched inversion for
// the whole slice. It panics if len(dst) < 32·len(ps).
//
// Encoding (RFC 9496, Section 4.3.2) needs invsqrt = 1/√(u1·u2²) with
// u1 = Z² − Y², u2 = X·Y of the point. For Q = 2P, with P = (X:Y:Z) and
// the doubling formulas of Hisil et al. (dbl-2008-hwcd, a = −1:
// G = Y² − X², F = G − 2Z², H = −X² − Y², E = 2XY; Q = (E·F : G·H : F·G),
// T_Q = E·H),
//
//	u1(Q) = G²·(F − H)·(F + H) = 4·G²·(Z² − Y²)·(Z² + X²)
//	      = 4·G²·(−1 − d)·X²·Y²            (by the curve equation)
//
// so √(u1(Q)) = ±2·G·X·Y·√(a·d − 1), a rational function of P, and
// invsqrt = |1 / (2·G·X·Y·SQRT_AD_MINUS_ONE·u2(Q))|, the absolute value
// selecting the non-negative root as SQRT_RATIO_M1 does. The rest of the
// encoding follows the RFC. Points whose denominator vanishes (2P is the
// identity) are encoded by the general method.
func EncodeDoubled(dst []byte, ps []Element) {
	n := len(ps)
	if len(dst) < n*ElementSize {
		panic("group: EncodeDoubled with a short destination")
	}
	q := make([]extPoint, n)
	den := make([]extPoint, n) // only the Z slot is used, for batchInvertZ
	inv := make([]field.Element, n)
	special := make([]bool, n)
	var XX, YY, ZZ2, G, F, H, E, t field.Element
	for i := range ps {
		X, Y, Z, _ := ps[i].p.ExtendedCoordinates()
		XX.Square(X)
		YY.Square(Y)
		ZZ2.Square(Z)
		ZZ2.Add(&ZZ2, &ZZ2)
		G.Subtract(&YY, &XX)
		F.Subtract(&G, &ZZ2)
		H.Add(&XX, &YY)
		H.Negate(&H)
		E.Multiply(X, Y)
		E.Add(&E, &E)
		Q := &q[i]
		Q.X.Multiply(&E, &F)
		Q.Y.Multiply(&G, &H)
		Q.Z.Multiply(&F, &G)
		Q.T.Multiply(&E, &H)
		// den = 2·G·X·Y·SQRT_AD_MINUS_ONE·X_Q·Y_Q = E·G·SQRT_AD_MINUS_ONE·X_Q·Y_Q
		d := &den[i].Z
		d.Multiply(&E, &G)
		d.Multiply(d, feSqrtADMinusOne)
		d.Multiply(d, t.Multiply(&Q.X, &Q.Y))
		if d.Equal(feZero) == 1 {
			special[i] = true
			d.One()
		}
	}
	batchInvertZ(inv, den)
	var buf [ElementSize]byte
	for i := range q {
		out := dst[i*ElementSize : (i+1)*ElementSize]
		if special[i] {
			var e Element
			e.p.Add(&ps[i].p, &ps[i].p)
			copy(out, e.bytes(&buf))
			continue
		}
		inv[i].Absolute(&inv[i])
		encodeWithInvSqrt(out, &q[i], &inv[i])
	}
}

// encodeWithInvSqrt finishes the RFC 9496 encoding of p given
// invsqrt = 1/√(u1·u2²), non-negative.
func encodeWithInvSqrt(out []byte, p *extPoint, invSqrt *field.Element) {
	var u1, u2, tmp, den1, den2, zInv, ix0, iy0, enchanted, x, y, denInv, s field.Element
	u1.Add(&p.Z, &p.Y)
	u1.Multiply(&u1, tmp.Subtract(&p.Z, &p.Y))
	u2.Multiply(&p.X, &p.Y)
	den1.Multiply(invSqrt, &u1)
	den2.Multiply(invSqrt, &u2)
	zInv.Multiply(&den1, &den2)
	zInv.Multiply(&zInv, &p.T)
	ix0.Multiply(&p.X, feSqrtM1)
	iy0.Multiply(&p.Y, feSqrtM1)
	enchanted.Multiply(&den1, feInvSqrtAMinusD)
	rotate := tmp.Multiply(&p.T, &zInv).IsNegative()
	x.Select(&iy0, &p.X, rotate)
	y.Select(&ix0, &p.Y, rotate)
	denInv.Select(&enchanted, &den2, rotate)
	neg := tmp.Multiply(&x, &zInv).IsNegative()
	y.Select(tmp.Negate(&y), &y, neg)
	s.Subtract(&p.Z, &y)
	s.Multiply(&s, &denInv)
	s.Absolute(&s)
	copy(out, s.Bytes())
}
