package group

// This file holds the hand-written point arithmetic of the hot paths
// (multi-scalar multiplication and fixed-base tables), on edwards25519's
// field implementation. edwards25519 keeps these representations private,
// and without them a bucket method costs a third more per addition.
//
// Formulas: Hisil, Wong, Carter, Dawson, "Twisted Edwards Curves Revisited",
// ASIACRYPT 2008, Section 3.1 (a = -1, unified addition "add-2008-hwcd-3")
// and Section 3.3 (doubling "dbl-2008-hwcd"), in the representations of
// the Ed25519 reference code.

import (
	"filippo.io/edwards25519/field"
)

// extPoint is (X:Y:Z:T) with x = X/Z, y = Y/Z, xy = T/Z.
type extPoint struct{ X, Y, Z, T field.Element }

// projPoint is (X:Y:Z), enough to double.
type projPoint struct{ X, Y, Z field.Element }

// completedPoint is ((X:Z), (Y:T)), the output of an addition or doubling.
type completedPoint struct{ X, Y, Z, T field.Element }

// cachedPoint is (Y+X, Y-X, Z, 2dT), a point prepared as an addend.
type cachedPoint struct{ YplusX, YminusX, Z, T2d field.Element }

// affinePoint is (y+x, y-x, 2dxy), an addend with Z = 1.
type affinePoint struct{ YplusX, YminusX, T2d field.Element }

func (v *extPoint) setIdentity() *extPoint {
	v.X.Zero()
	v.Y.One()
	v.Z.One()
	v.T.Zero()
	return v
}

func (v *extPoint) fromElement(e *Element) *extPoint {
	X, Y, Z, T := e.p.ExtendedCoordinates()
	v.X.Set(X)
	v.Y.Set(Y)
	v.Z.Set(Z)
	v.T.Set(T)
	return v
}

func (v *extPoint) toElement(e *Element) *Element {
	if _, err := e.p.SetExtendedCoordinates(&v.X, &v.Y, &v.Z, &v.T); err != nil {
		panic("group: internal error: point off the curve")
	}
	return e
}

// fromCompleted costs 4M.
func (v *extPoint) fromCompleted(p *completedPoint) *extPoint {
	v.X.Multiply(&p.X, &p.T)
	v.Y.Multiply(&p.Y, &p.Z)
	v.Z.Multiply(&p.Z, &p.T)
	v.T.Multiply(&p.X, &p.Y)
	return v
}

// fromCompleted costs 3M.
func (v *projPoint) fromCompleted(p *completedPoint) *projPoint {
	v.X.Multiply(&p.X, &p.T)
	v.Y.Multiply(&p.Y, &p.Z)
	v.Z.Multiply(&p.Z, &p.T)
	return v
}

func (v *projPoint) fromExt(p *extPoint) *projPoint {
	v.X.Set(&p.X)
	v.Y.Set(&p.Y)
	v.Z.Set(&p.Z)
	return v
}

// fromExt costs 1M.
func (v *cachedPoint) fromExt(p *extPoint) *cachedPoint {
	v.YplusX.Add(&p.Y, &p.X)
	v.YminusX.Subtract(&p.Y, &p.X)
	v.Z.Set(&p.Z)
	v.T2d.Multiply(&p.T, fe2D)
	return v
}

// fromExtInv builds the affine addend of p given zInv = 1/Z (3M).
func (v *affinePoint) fromExtInv(p *extPoint, zInv *field.Element) *affinePoint {
	var x, y field.Element
	x.Multiply(&p.X, zInv)
	y.Multiply(&p.Y, zInv)
	v.YplusX.Add(&y, &x)
	v.YminusX.Subtract(&y, &x)
	v.T2d.Multiply(&x, &y)
	v.T2d.Multiply(&v.T2d, fe2D)
	return v
}

func (v *affinePoint) setIdentity() *affinePoint {
	v.YplusX.One()
	v.YminusX.One()
	v.T2d.Zero()
	return v
}

// add sets v = p + q (4M).
func (v *completedPoint) add(p *extPoint, q *cachedPoint) *completedPoint {
	var YplusX, YminusX, PP, MM, TT2d, ZZ2 field.Element
	YplusX.Add(&p.Y, &p.X)
	YminusX.Subtract(&p.Y, &p.X)
	PP.Multiply(&YplusX, &q.YplusX)
	MM.Multiply(&YminusX, &q.YminusX)
	TT2d.Multiply(&p.T, &q.T2d)
	ZZ2.Multiply(&p.Z, &q.Z)
	ZZ2.Add(&ZZ2, &ZZ2)
	v.X.Subtract(&PP, &MM)
	v.Y.Add(&PP, &MM)
	v.Z.Add(&ZZ2, &TT2d)
	v.T.Subtract(&ZZ2, &TT2d)
	return v
}

// addAffine sets v = p + q (3M).
func (v *completedPoint) addAffine(p *extPoint, q *affinePoint) *completedPoint {
	var YplusX, YminusX, PP, MM, TT2d, Z2 field.Element
	YplusX.Add(&p.Y, &p.X)
	YminusX.Subtract(&p.Y, &p.X)
	PP.Multiply(&YplusX, &q.YplusX)
	MM.Multiply(&YminusX, &q.YminusX)
	TT2d.Multiply(&p.T, &q.T2d)
	Z2.Add(&p.Z, &p.Z)
	v.X.Subtract(&PP, &MM)
	v.Y.Add(&PP, &MM)
	v.Z.Add(&Z2, &TT2d)
	v.T.Subtract(&Z2, &TT2d)
	return v
}

// subAffine sets v = p - q (3M).
func (v *completedPoint) subAffine(p *extPoint, q *affinePoint) *completedPoint {
	var YplusX, YminusX, PP, MM, TT2d, Z2 field.Element
	YplusX.Add(&p.Y, &p.X)
	YminusX.Subtract(&p.Y, &p.X)
	PP.Multiply(&YplusX, &q.YminusX)
	MM.Multiply(&YminusX, &q.YplusX)
	TT2d.Multiply(&p.T, &q.T2d)
	Z2.Add(&p.Z, &p.Z)
	v.X.Subtract(&PP, &MM)
	v.Y.Add(&PP, &MM)
	v.Z.Subtract(&Z2, &TT2d)
	v.T.Add(&Z2, &TT2d)
	return v
}

// double sets v = 2p (4S).
func (v *completedPoint) double(p *projPoint) *completedPoint {
	var XX, YY, ZZ2, XplusYsq field.Element
	XX.Square(&p.X)
	YY.Square(&p.Y)
	ZZ2.Square(&p.Z)
	ZZ2.Add(&ZZ2, &ZZ2)
	XplusYsq.Add(&p.X, &p.Y)
	XplusYsq.Square(&XplusYsq)
	v.Y.Add(&YY, &XX)
	v.Z.Subtract(&YY, &XX)
	v.X.Subtract(&XplusYsq, &v.Y)
	v.T.Subtract(&ZZ2, &v.Z)
	return v
}

// selectAffine sets v = a if cond == 1 and b if cond == 0, in constant time.
func (v *affinePoint) selectAffine(a, b *affinePoint, cond int) *affinePoint {
	v.YplusX.Select(&a.YplusX, &b.YplusX, cond)
	v.YminusX.Select(&a.YminusX, &b.YminusX, cond)
	v.T2d.Select(&a.T2d, &b.T2d, cond)
	return v
}

// condNeg negates v if cond == 1, in constant time.
func (v *affinePoint) condNeg(cond int) *affinePoint {
	v.YplusX.Swap(&v.YminusX, cond)
	var neg field.Element
	neg.Negate(&v.T2d)
	v.T2d.Select(&neg, &v.T2d, cond)
	return v
}

// batchInvertZ writes 1/Z of every point into out with Montgomery's trick:
// one inversion and 3(n-1) multiplications. Every Z must be non-zero, as it
// is for every point of the curve.
func batchInvertZ(out []field.Element, pts []extPoint) {
	if len(pts) == 0 {
		return
	}
	// out[i] = Z_0 ⋯ Z_{i-1}
	var acc field.Element
	acc.One()
	for i := range pts {
		out[i].Set(&acc)
		acc.Multiply(&acc, &pts[i].Z)
	}
	acc.Invert(&acc)
	for i := len(pts) - 1; i >= 0; i-- {
		out[i].Multiply(&out[i], &acc)
		acc.Multiply(&acc, &pts[i].Z)
	}
}
