package group

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// Affine round trips: from an Element (one and in batches, with Z ≠ 1),
// decoded from bytes, back to the same Element; the identity; Equal.
func TestAffine(t *testing.T) {
	r := testRand(41)
	n := 2*affineChunk + 3 // several chunks, the last short
	els := make([]*Element, n)
	for i := range els {
		// A sum has Z ≠ 1, so that the conversion must divide.
		els[i] = new(Element).Add(randElement(t, r), randElement(t, r))
	}
	els[5] = NewIdentityElement()
	aff := make([]Affine, n)
	AffineFromElements(aff, els)
	enc := EncodeElements(els)
	dec := make([]Affine, n)
	require.NoError(t, DecodeAffine(dec, enc))
	var one Affine
	for i, e := range els {
		require.Equal(t, 1, aff[i].Element(new(Element)).Equal(e), i)
		require.Equal(t, 1, dec[i].Element(new(Element)).Equal(e), i)
		require.Equal(t, 1, aff[i].Equal(&dec[i]), i)
		require.Equal(t, 1, one.SetElement(e).Equal(&aff[i]), i)
		require.Equal(t, e.IsIdentity(), aff[i].IsIdentity(), i)
		require.Equal(t, e.Bytes(), aff[i].Element(new(Element)).Bytes(), i)
	}
	require.Equal(t, 0, aff[0].Equal(&aff[1]))
	require.Equal(t, 1, one.SetIdentity().IsIdentity())
	require.Equal(t, 1, one.Element(new(Element)).Equal(NewIdentityElement()))
	require.Panics(t, func() { new(Affine).Element(new(Element)) }, "the zero value is no element")
	require.Panics(t, func() { AffineFromElements(aff[:1], els) })

	// SumAffine is a sum of Elements.
	sum := NewIdentityElement()
	for _, e := range els {
		sum.Add(sum, e)
	}
	require.Equal(t, 1, new(Element).SumAffine(aff).Equal(sum))
	require.Equal(t, 1, new(Element).SumAffine(nil).IsIdentity())

	// AddAffine and AddAffines are Add.
	for i := 0; i+1 < 20; i++ {
		want := new(Element).Add(els[i], els[i+1])
		require.Equal(t, 1, new(Element).AddAffine(els[i], &aff[i+1]).Equal(want), i)
		require.Equal(t, 1, new(Element).AddAffines(&aff[i], &aff[i+1]).Equal(want), i)
	}
	require.Equal(t, 1, new(Element).AddAffines(&aff[3], &aff[3]).Equal(new(Element).Add(els[3], els[3])), "a doubling")
}

// DecodeAffine rejects what DecodeElements rejects: bad lengths, a
// non-canonical or invalid element (named by its index).
func TestDecodeAffineRejects(t *testing.T) {
	good := EncodeElements([]*Element{NewGeneratorElement(), NewGeneratorElement()})
	dst := make([]Affine, 2)
	for _, b := range [][]byte{nil, good[:63], append(bytes.Clone(good), 0)} {
		require.ErrorIs(t, DecodeAffine(dst, b), ErrEncoding, len(b))
	}
	require.NoError(t, DecodeAffine(dst[:0], nil))
	for _, bad := range [][]byte{bytes.Repeat([]byte{0xff}, 32), append([]byte{1}, make([]byte, 31)...)} {
		b := append(bytes.Clone(good[:32]), bad...)
		err := DecodeAffine(dst, b)
		require.ErrorIs(t, err, ErrEncoding)
		require.ErrorContains(t, err, "element 1")
		_, err = DecodeElements(b)
		require.Error(t, err, "DecodeElements agrees")
	}
}

// VarTimeMultiScalarMultAffine is VarTimeMultiScalarMult over every
// stride-th point, on both sides of the bucket threshold.
func TestVarTimeMultiScalarMultAffine(t *testing.T) {
	r := testRand(42)
	for _, n := range []int{0, 1, pippengerThreshold - 1, pippengerThreshold, 3000} {
		for _, stride := range []int{1, 3} {
			t.Run(fmt.Sprintf("n=%d/stride=%d", n, stride), func(t *testing.T) {
				s := make([]*Scalar, n)
				all := make([]*Element, n*stride)
				x := make([]*Element, n)
				for i := range all {
					all[i] = new(Element).Add(randElement(t, r), NewGeneratorElement())
				}
				for i := range s {
					s[i] = randScalar(t, r)
					x[i] = all[i*stride]
				}
				aff := make([]Affine, len(all))
				AffineFromElements(aff, all)
				want := new(Element).VarTimeMultiScalarMult(s, x)
				require.Equal(t, 1, new(Element).VarTimeMultiScalarMultAffine(s, aff, stride).Equal(want))
				if n > 1 {
					require.Panics(t, func() { new(Element).VarTimeMultiScalarMultAffine(s, aff[:(n-2)*stride+1], stride) })
				}
			})
		}
	}
	require.Panics(t, func() { new(Element).VarTimeMultiScalarMultAffine(nil, nil, 0) })
}

// The bucket method gives the same sum whatever its digit width and
// chunk size: chunks that split the points unevenly (the production chunk
// of chunkPoints is larger than these tests' lists), with full and
// 128-bit scalars.
func TestPippengerSized(t *testing.T) {
	r := testRand(43)
	const n = 500
	full := make([]*Scalar, n)
	short := make([]*Scalar, n)
	x := make([]*Element, n)
	var wide [64]byte
	for i := range full {
		full[i] = randScalar(t, r)
		copy(wide[:16], full[i].Bytes())
		short[i], _ = NewScalar().SetUniformBytes(wide[:])
		x[i] = randElement(t, r)
	}
	full[7] = NewScalar().Negate(ScalarFromUint64(1))
	aff := make([]Affine, n)
	AffineFromElements(aff, x)
	for name, s := range map[string][]*Scalar{"full": full, "short": short} {
		want := naiveMSM(s, x)
		for _, c := range []int{4, 7, maxWindowBits} {
			for _, chunk := range []int{1, 7, 64, n - 1, chunkPoints} {
				var out extPoint
				pippengerSized(&out, s, 0, affineLoader(aff, 1), c, chunk)
				require.Equal(t, 1, out.toElement(new(Element)).Equal(want), "%s c=%d chunk=%d", name, c, chunk)
			}
		}
	}
}
