package group

import (
	"fmt"
	"runtime"

	"filippo.io/edwards25519/field"

	"github.com/eo-mixnet/eo/internal/par"
)

// Affine is an element held as the affine coordinates (x, y) of a
// representative: 80 bytes where an Element (extended coordinates) takes
// 160. Long lists — ciphertexts (package elgamal), a proof's vectors — are
// held in this form; a bucket method adds an Affine without an inversion,
// and Element turns it back into an Element with one multiplication.
//
// An Affine is an element once decoded (DecodeAffine), converted
// (SetElement, AffineFromElements) or set to the identity; the zero value
// is not one, and Element panics on it.
type Affine struct{ x, y field.Element }

// SetIdentity sets a to the identity and returns a.
func (a *Affine) SetIdentity() *Affine {
	a.x.Zero()
	a.y.One()
	return a
}

// SetElement sets a to e, with one inversion, and returns a. For many
// elements AffineFromElements shares the inversion.
func (a *Affine) SetElement(e *Element) *Affine {
	X, Y, Z, _ := e.p.ExtendedCoordinates()
	var zInv field.Element
	zInv.Invert(Z)
	a.x.Multiply(X, &zInv)
	a.y.Multiply(Y, &zInv)
	return a
}

// Element sets e to a and returns e.
func (a *Affine) Element(e *Element) *Element {
	var z, t field.Element
	z.One()
	t.Multiply(&a.x, &a.y)
	if _, err := e.p.SetExtendedCoordinates(&a.x, &a.y, &z, &t); err != nil {
		panic("group: Affine is not an element (its zero value?)")
	}
	return e
}

// IsIdentity returns 1 if a is the identity and 0 otherwise, as
// Element.IsIdentity does.
func (a *Affine) IsIdentity() int {
	return a.x.Equal(feZero) | a.y.Equal(feZero)
}

// Equal returns 1 if a and b are the same element, as Element.Equal does.
func (a *Affine) Equal(b *Affine) int {
	var s, t field.Element
	out := s.Multiply(&a.x, &b.y).Equal(t.Multiply(&a.y, &b.x))
	out |= s.Multiply(&a.y, &b.y).Equal(t.Multiply(&a.x, &b.x))
	return out
}

// fromAffine builds the bucket addend of a (2M).
func (v *affinePoint) fromAffine(a *Affine) *affinePoint {
	v.YplusX.Add(&a.y, &a.x)
	v.YminusX.Subtract(&a.y, &a.x)
	v.T2d.Multiply(&a.x, &a.y)
	v.T2d.Multiply(&v.T2d, fe2D)
	return v
}

// AddAffine sets e = x + a (a mixed addition) and returns e.
func (e *Element) AddAffine(x *Element, a *Affine) *Element {
	var p extPoint
	var q affinePoint
	var t completedPoint
	p.fromElement(x)
	p.fromCompleted(t.addAffine(&p, q.fromAffine(a)))
	return p.toElement(e)
}

// AddAffines sets e = a + b and returns e.
func (e *Element) AddAffines(a, b *Affine) *Element {
	var p extPoint
	var q affinePoint
	var t completedPoint
	p.X.Set(&a.x)
	p.Y.Set(&a.y)
	p.Z.One()
	p.T.Multiply(&a.x, &a.y)
	p.fromCompleted(t.addAffine(&p, q.fromAffine(b)))
	return p.toElement(e)
}

// SumAffine sets e = Σ x[i] and returns e.
func (e *Element) SumAffine(x []Affine) *Element {
	var acc extPoint
	var q affinePoint
	var t completedPoint
	acc.setIdentity()
	for i := range x {
		acc.fromCompleted(t.addAffine(&acc, q.fromAffine(&x[i])))
	}
	return acc.toElement(e)
}

// DecodeAffine decodes the concatenated canonical encodings b, 32 bytes
// per element, into dst, on up to GOMAXPROCS goroutines: len(b) must be
// 32·len(dst). It decodes as Element.SetCanonicalBytes does, with no
// extended coordinates to build, and names the first element that does
// not decode; dst is then unspecified.
func DecodeAffine(dst []Affine, b []byte) error {
	if len(b) != ElementSize*len(dst) {
		return wrapf("%d bytes do not encode %d elements", len(b), len(dst))
	}
	return par.ForErr(len(dst), 512, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			if err := decodeAffine(&dst[i].x, &dst[i].y, b[i*ElementSize:(i+1)*ElementSize]); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		return nil
	})
}

// affineChunk is how many elements AffineFromElements converts with one
// inversion.
const affineChunk = 1024

// AffineFromElements sets dst[i] to src[i], one batched inversion per
// chunk, on up to GOMAXPROCS goroutines. It panics if the lengths differ.
func AffineFromElements(dst []Affine, src []*Element) {
	if len(dst) != len(src) {
		panic("group: AffineFromElements with different lengths")
	}
	par.For(len(src), affineChunk, func(lo, hi int) {
		pts := make([]extPoint, min(affineChunk, hi-lo))
		zInv := make([]field.Element, len(pts))
		for c := lo; c < hi; c += len(pts) {
			m := min(len(pts), hi-c)
			for i := 0; i < m; i++ {
				pts[i].fromElement(src[c+i])
			}
			batchInvertZ(zInv[:m], pts[:m])
			for i := 0; i < m; i++ {
				dst[c+i].x.Multiply(&pts[i].X, &zInv[i])
				dst[c+i].y.Multiply(&pts[i].Y, &zInv[i])
			}
		}
	})
}

// VarTimeMultiScalarMultAffine sets e = Σ s[i]·x[i·stride] and returns e:
// VarTimeMultiScalarMult over every stride-th Affine of x (stride ≥ 1), so
// that one pair of a list of ciphertexts is summed where it lies. Its
// running time depends on the scalars and points. It panics if x is too
// short.
func (e *Element) VarTimeMultiScalarMultAffine(s []*Scalar, x []Affine, stride int) *Element {
	n := len(s)
	if stride < 1 || (n > 0 && len(x) < (n-1)*stride+1) {
		panic("group: VarTimeMultiScalarMultAffine with too few points")
	}
	if n < pippengerThreshold {
		els := make([]Element, n)
		ptrs := make([]*Element, n)
		for i := range els {
			ptrs[i] = x[i*stride].Element(&els[i])
		}
		return e.varTimeMSM(s, ptrs, 1)
	}
	return e.bucketMSM(s, runtime.GOMAXPROCS(0), func() loadFunc { return affineLoader(x, stride) })
}

// affineLoader loads every stride-th Affine of x.
func affineLoader(x []Affine, stride int) loadFunc {
	return func(dst []affinePoint, lo int) {
		for i := range dst {
			dst[i].fromAffine(&x[(lo+i)*stride])
		}
	}
}
