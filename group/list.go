package group

import (
	"filippo.io/edwards25519/field"
	"fmt"

	"github.com/eo-mixnet/eo/internal/par"
)

// EncodeElements returns the concatenated canonical encodings of es,
// computed on up to GOMAXPROCS goroutines (an encoding costs about 0.08 SM).
func EncodeElements(es []*Element) []byte {
	out := make([]byte, len(es)*ElementSize)
	par.For(len(es), 512, func(lo, hi int) {
		var buf [ElementSize]byte
		for i := lo; i < hi; i++ {
			copy(out[i*ElementSize:], es[i].bytes(&buf))
		}
	})
	return out
}

// DecodeElements decodes a concatenation of canonical encodings, on up to
// GOMAXPROCS goroutines. It rejects a length that is not a multiple of 32
// and names the first element that does not decode.
func DecodeElements(b []byte) ([]*Element, error) {
	if len(b)%ElementSize != 0 {
		return nil, wrapf("element list of %d bytes is not a multiple of %d", len(b), ElementSize)
	}
	n := len(b) / ElementSize
	return DecodeElementsInto(make([]Element, n), make([]*Element, n), b)
}

// DecodeElementsInto is DecodeElements into caller-provided storage, so that
// a verifier can decode several long lists one after the other into the
// same memory. elems and out must hold len(b)/32 entries; out[i] is set to
// &elems[i]. On error their contents are unspecified.
func DecodeElementsInto(elems []Element, out []*Element, b []byte) ([]*Element, error) {
	if len(b)%ElementSize != 0 {
		return nil, wrapf("element list of %d bytes is not a multiple of %d", len(b), ElementSize)
	}
	n := len(b) / ElementSize
	if len(elems) < n || len(out) < n {
		panic("group: DecodeElementsInto with too little storage")
	}
	elems, out = elems[:n], out[:n]
	err := par.ForErr(n, 512, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			if _, err := elems[i].SetCanonicalBytes(b[i*ElementSize : (i+1)*ElementSize]); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
			out[i] = &elems[i]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// VarTimeFirstRepeat returns the smallest index i such that es[i] is the
// identity or equal to some es[j] with j < i, and ok = true; or ok = false
// if the elements are distinct non-identity elements. It keys each element
// by the invariant (x² + y²)/(x·y) = r + 1/r of r = x/y, which two
// representatives share exactly when they are the same ristretto255
// element (RFC 9496, Section 4.3.3: equal iff x1·y2 = y1·x2 or
// y1·y2 = x1·x2), computed with one batched inversion: far cheaper than
// encoding. Running time depends on the elements.
func VarTimeFirstRepeat(es []*Element) (int, bool) {
	n := len(es)
	pts := make([]extPoint, n)
	for i, e := range es {
		if e.IsIdentity() == 1 {
			return i, true
		}
		pts[i].fromElement(e)
		// Put X·Y in the Z slot: batchInvertZ then yields 1/(X·Y).
		pts[i].Z.Multiply(&pts[i].X, &pts[i].Y)
	}
	inv := make([]field.Element, n)
	batchInvertZ(inv, pts)
	seen := make(map[[32]byte]int, n)
	var k, t field.Element
	var key [32]byte
	for i := range pts {
		k.Square(&pts[i].X)
		k.Add(&k, t.Square(&pts[i].Y))
		k.Multiply(&k, &inv[i])
		copy(key[:], k.Bytes())
		if _, dup := seen[key]; dup {
			return i, true
		}
		seen[key] = i
	}
	return 0, false
}
