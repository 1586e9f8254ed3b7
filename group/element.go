package group

import (
	"crypto/subtle"
	"errors"
	"math/big"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// ErrEncoding is wrapped by every decoding error of this package.
var ErrEncoding = errors.New("group: invalid encoding")

// ElementSize and ScalarSize are the lengths of canonical encodings.
const (
	ElementSize = 32
	ScalarSize  = 32
)

// Constants of RFC 9496, Section 4.1, given there in decimal. TestConstants
// checks each against its defining equation.
var (
	feD              = feFromDecimal("37095705934669439343138083508754565189542113879843219016388785533085940283555")
	feSqrtM1         = feFromDecimal("19681161376707505956807079304988542015446066515923890162744021073123829784752")
	feSqrtADMinusOne = feFromDecimal("25063068953384623474111414158702152701244531502492656460079210482610430750235")
	feInvSqrtAMinusD = feFromDecimal("54469307008909316920995813868745141605393597292927456921205312896311721017578")
	feOneMinusDSq    = feFromDecimal("1159843021668779879193775521855586647937357759715417654439879720876111806838")
	feDMinusOneSq    = feFromDecimal("40440834346308536858101042469323190826248399146238708352240133220865137265952")

	feZero     = new(field.Element).Zero()
	feOne      = new(field.Element).One()
	feMinusOne = new(field.Element).Negate(feOne)
	fe2D       = new(field.Element).Add(feD, feD)
)

func feFromDecimal(s string) *field.Element {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("group: internal error: bad constant")
	}
	var b [32]byte
	n.FillBytes(b[:])
	for i := 0; i < 16; i++ { // big-endian to little-endian
		b[i], b[31-i] = b[31-i], b[i]
	}
	fe, err := new(field.Element).SetBytes(b[:])
	if err != nil {
		panic("group: internal error: bad constant")
	}
	return fe
}

// Element is an element of the ristretto255 group. The zero value is not
// valid; use NewIdentityElement, NewGeneratorElement or a decoder.
// Receivers and arguments of every method may alias.
type Element struct {
	p edwards25519.Point
}

// NewIdentityElement returns a new Element set to the identity.
func NewIdentityElement() *Element {
	e := &Element{}
	e.p.Set(edwards25519.NewIdentityPoint())
	return e
}

// NewGeneratorElement returns a new Element set to the canonical generator B.
func NewGeneratorElement() *Element {
	e := &Element{}
	e.p.Set(edwards25519.NewGeneratorPoint())
	return e
}

// Set sets e = x and returns e.
func (e *Element) Set(x *Element) *Element {
	e.p.Set(&x.p)
	return e
}

// Equal returns 1 if e and x are the same group element, 0 otherwise
// (RFC 9496, Section 4.3.3).
func (e *Element) Equal(x *Element) int {
	X1, Y1, _, _ := e.p.ExtendedCoordinates()
	X2, Y2, _, _ := x.p.ExtendedCoordinates()
	var a, b field.Element
	out := a.Multiply(X1, Y2).Equal(b.Multiply(Y1, X2))
	out |= a.Multiply(Y1, Y2).Equal(b.Multiply(X1, X2))
	return out
}

// IsIdentity returns 1 if e is the identity, 0 otherwise.
func (e *Element) IsIdentity() int {
	// The identity class contains the points with x = 0 or y = 0 (RFC 9496,
	// Section 4.3.3 with the identity (0, 1)).
	X, Y, _, _ := e.p.ExtendedCoordinates()
	return X.Equal(feZero) | Y.Equal(feZero)
}

// Add sets e = x + y and returns e.
func (e *Element) Add(x, y *Element) *Element {
	e.p.Add(&x.p, &y.p)
	return e
}

// Subtract sets e = x - y and returns e.
func (e *Element) Subtract(x, y *Element) *Element {
	e.p.Subtract(&x.p, &y.p)
	return e
}

// Negate sets e = -x and returns e.
func (e *Element) Negate(x *Element) *Element {
	e.p.Negate(&x.p)
	return e
}

// ScalarMult sets e = s·x in constant time and returns e. This is the unit
// of cost (SM) in which eo reports its benchmarks.
func (e *Element) ScalarMult(s *Scalar, x *Element) *Element {
	e.p.ScalarMult(s, &x.p)
	return e
}

// ScalarBaseMult sets e = s·B in constant time, with a precomputed table,
// and returns e.
func (e *Element) ScalarBaseMult(s *Scalar) *Element {
	e.p.ScalarBaseMult(s)
	return e
}

// VarTimeDoubleScalarBaseMult sets e = a·A + b·B in variable time and returns e.
func (e *Element) VarTimeDoubleScalarBaseMult(a *Scalar, A *Element, b *Scalar) *Element {
	e.p.VarTimeDoubleScalarBaseMult(a, &A.p, b)
	return e
}

// MultiScalarMult sets e = Σ s[i]·x[i] in constant time and returns e.
// It panics if the lengths differ.
func (e *Element) MultiScalarMult(s []*Scalar, x []*Element) *Element {
	if len(s) != len(x) {
		panic("group: MultiScalarMult with different size inputs")
	}
	pts := make([]*edwards25519.Point, len(x))
	for i := range x {
		pts[i] = &x[i].p
	}
	e.p.MultiScalarMult(s, pts)
	return e
}

// Bytes returns the 32-byte canonical encoding of e (RFC 9496, Section 4.3.2).
func (e *Element) Bytes() []byte {
	var b [ElementSize]byte
	return e.bytes(&b)
}

// AppendBinary appends the canonical encoding of e to b.
func (e *Element) AppendBinary(b []byte) ([]byte, error) {
	var buf [ElementSize]byte
	return append(b, e.bytes(&buf)...), nil
}

func (e *Element) bytes(out *[ElementSize]byte) []byte {
	X0, Y0, Z0, T0 := e.p.ExtendedCoordinates()
	var u1, u2, tmp, invSqrt, den1, den2, zInv, ix0, iy0, enchanted, x, y, denInv, s field.Element
	// u1 = (z0 + y0) * (z0 - y0); u2 = x0 * y0
	u1.Add(Z0, Y0)
	u1.Multiply(&u1, tmp.Subtract(Z0, Y0))
	u2.Multiply(X0, Y0)
	// (_, invsqrt) = SQRT_RATIO_M1(1, u1 * u2^2)
	tmp.Square(&u2)
	tmp.Multiply(&tmp, &u1)
	invSqrt.SqrtRatio(feOne, &tmp)
	den1.Multiply(&invSqrt, &u1)
	den2.Multiply(&invSqrt, &u2)
	// z_inv = den1 * den2 * t0
	zInv.Multiply(&den1, &den2)
	zInv.Multiply(&zInv, T0)
	ix0.Multiply(X0, feSqrtM1)
	iy0.Multiply(Y0, feSqrtM1)
	enchanted.Multiply(&den1, feInvSqrtAMinusD)
	// rotate = IS_NEGATIVE(t0 * z_inv)
	rotate := tmp.Multiply(T0, &zInv).IsNegative()
	x.Select(&iy0, X0, rotate)
	y.Select(&ix0, Y0, rotate)
	denInv.Select(&enchanted, &den2, rotate)
	// y = CT_NEG(y, IS_NEGATIVE(x * z_inv))
	neg := tmp.Multiply(&x, &zInv).IsNegative()
	y.Select(tmp.Negate(&y), &y, neg)
	// s = CT_ABS(den_inv * (z0 - y))
	s.Subtract(Z0, &y)
	s.Multiply(&s, &denInv)
	s.Absolute(&s)
	copy(out[:], s.Bytes())
	return out[:]
}

var errElementEncoding = wrapf("element is not a canonical ristretto255 encoding")

// SetCanonicalBytes sets e to the element encoded by the 32 bytes in, as
// RFC 9496, Section 4.3.1 decodes it. Any other length and any
// non-canonical encoding is rejected with an error wrapping ErrEncoding, and
// e is left unchanged.
func (e *Element) SetCanonicalBytes(in []byte) (*Element, error) {
	var X, Y, Z, T field.Element
	if err := decodeAffine(&X, &Y, in); err != nil {
		return nil, err
	}
	Z.One()
	T.Multiply(&X, &Y)
	if _, err := e.p.SetExtendedCoordinates(&X, &Y, &Z, &T); err != nil {
		panic("group: internal error: decoding produced a point off the curve")
	}
	return e, nil
}

// decodeAffine decodes the 32 bytes in as RFC 9496, Section 4.3.1 does,
// into the affine coordinates X, Y of the representative it names, or
// returns an error wrapping ErrEncoding.
func decodeAffine(X, Y *field.Element, in []byte) error {
	if len(in) != ElementSize {
		return wrapf("element must be %d bytes, got %d", ElementSize, len(in))
	}
	var s field.Element
	if _, err := s.SetBytes(in); err != nil {
		return errElementEncoding
	}
	// Reject s ≥ p (and a set top bit, which SetBytes ignores).
	if subtle.ConstantTimeCompare(s.Bytes(), in) != 1 {
		return errElementEncoding
	}
	if s.IsNegative() == 1 || !decodeXY(X, Y, &s) {
		return errElementEncoding
	}
	return nil
}

// decodeXY is the rest of RFC 9496's decoding (Section 4.3.1) from its
// field element s ≥ 0: it sets X, Y to the affine coordinates of the
// representative and reports whether the encoding is valid.
func decodeXY(X, Y, s *field.Element) bool {
	var ss, u1, u2, u2sq, v, invSqrt, tmp, denX, denY, T field.Element
	ss.Square(s)
	u1.Subtract(feOne, &ss)
	u2.Add(feOne, &ss)
	u2sq.Square(&u2)
	// v = -(D * u1^2) - u2_sqr
	v.Square(&u1)
	v.Multiply(&v, feD)
	v.Negate(&v)
	v.Subtract(&v, &u2sq)
	// (was_square, invsqrt) = SQRT_RATIO_M1(1, v * u2_sqr)
	_, wasSquare := invSqrt.SqrtRatio(feOne, tmp.Multiply(&v, &u2sq))
	denX.Multiply(&invSqrt, &u2)
	denY.Multiply(&invSqrt, &denX)
	denY.Multiply(&denY, &v)
	// x = CT_ABS(2 * s * den_x); y = u1 * den_y; t = x * y
	X.Add(s, s)
	X.Multiply(X, &denX)
	X.Absolute(X)
	Y.Multiply(&u1, &denY)
	T.Multiply(X, Y)
	return wasSquare == 1 && T.IsNegative() == 0 && Y.Equal(feZero) == 0
}

// SetUniformBytes sets e to the element derived from 64 uniformly random
// bytes by the one-way map of RFC 9496, Section 4.3.4, and returns e. It
// returns an error if len(b) != 64.
func (e *Element) SetUniformBytes(b []byte) (*Element, error) {
	if len(b) != 64 {
		return nil, wrapf("uniform input must be 64 bytes, got %d", len(b))
	}
	var r0, r1 field.Element
	r0.SetBytes(b[:32]) // the top bit is masked, as the RFC requires
	r1.SetBytes(b[32:])
	var p1, p2 edwards25519.Point
	mapToPoint(&p1, &r0)
	mapToPoint(&p2, &r1)
	e.p.Add(&p1, &p2)
	return e, nil
}

// mapToPoint is MAP of RFC 9496, Section 4.3.4.
func mapToPoint(out *edwards25519.Point, t *field.Element) {
	var r, u, v, tmp, s, sPrime, c, N, w0, w1, w2, w3, X, Y, Z, T field.Element
	// r = SQRT_M1 * t^2
	r.Square(t)
	r.Multiply(&r, feSqrtM1)
	// u = (r + 1) * ONE_MINUS_D_SQ
	u.Add(&r, feOne)
	u.Multiply(&u, feOneMinusDSq)
	// v = (-1 - r*D) * (r + D)
	v.Multiply(&r, feD)
	v.Subtract(feMinusOne, &v)
	v.Multiply(&v, tmp.Add(&r, feD))
	// (was_square, s) = SQRT_RATIO_M1(u, v)
	_, wasSquare := s.SqrtRatio(&u, &v)
	// s_prime = -CT_ABS(s*t)
	sPrime.Multiply(&s, t)
	sPrime.Absolute(&sPrime)
	sPrime.Negate(&sPrime)
	s.Select(&s, &sPrime, wasSquare)
	c.Select(feMinusOne, &r, wasSquare)
	// N = c * (r - 1) * D_MINUS_ONE_SQ - v
	N.Subtract(&r, feOne)
	N.Multiply(&N, &c)
	N.Multiply(&N, feDMinusOneSq)
	N.Subtract(&N, &v)
	// w0 = 2 * s * v; w1 = N * SQRT_AD_MINUS_ONE; w2 = 1 - s^2; w3 = 1 + s^2
	w0.Add(&s, &s)
	w0.Multiply(&w0, &v)
	w1.Multiply(&N, feSqrtADMinusOne)
	tmp.Square(&s)
	w2.Subtract(feOne, &tmp)
	w3.Add(feOne, &tmp)
	// return (w0*w3, w2*w1, w1*w3, w0*w2)
	X.Multiply(&w0, &w3)
	Y.Multiply(&w2, &w1)
	Z.Multiply(&w1, &w3)
	T.Multiply(&w0, &w2)
	if _, err := out.SetExtendedCoordinates(&X, &Y, &Z, &T); err != nil {
		panic("group: internal error: MAP produced a point off the curve")
	}
}
