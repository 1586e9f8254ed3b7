package proofs

import (
	"fmt"
	"io"

	"github.com/eo-mixnet/eo/group"
)

// Batch checks many equations of the form
//
//	b·B = Σ_j a_j·P_j        (B the base point)
//
// at once: each is multiplied by a fresh random 128-bit weight z and the
// weighted sum is checked with one multi-scalar multiplication (the
// small-exponent test of Bellare, Garay and Rabin, EUROCRYPT 1998). If any
// equation is false, the sum fails except with probability about 2^-128.
// A failed batch says only that some equation is false; callers find which
// by verifying individually. The weights must come from a source the prover
// cannot predict; a Batch is not safe for concurrent use.
type Batch struct {
	rand    io.Reader
	base    *group.Scalar
	scalars []*group.Scalar
	points  []*group.Element
	n       int
}

// NewBatch returns an empty batch drawing weights from rand (crypto/rand
// if nil), with room for capacity terms.
func NewBatch(rand io.Reader, capacity int) *Batch {
	return &Batch{rand: rand, base: group.NewScalar(), scalars: make([]*group.Scalar, 0, capacity+1),
		points: make([]*group.Element, 0, capacity+1)}
}

// Len returns the number of equations added.
func (b *Batch) Len() int { return b.n }

func (b *Batch) weight() (*group.Scalar, error) {
	var w [64]byte
	if _, err := io.ReadFull(randOrDefault(b.rand), w[:16]); err != nil {
		return nil, fmt.Errorf("proofs: reading batch weight: %w", err)
	}
	return group.NewScalar().SetUniformBytes(w[:])
}

// Add adds the equation base·B = Σ coeffs[j]·points[j]. A nil coefficient
// stands for 1 (and keeps the weighted coefficient short). It panics if the
// slices differ in length.
func (b *Batch) Add(base *group.Scalar, coeffs []*group.Scalar, points []*group.Element) error {
	if len(coeffs) != len(points) {
		panic("proofs: Batch.Add with different size inputs")
	}
	z, err := b.weight()
	if err != nil {
		return err
	}
	b.base.MultiplyAdd(z, base, b.base)
	for j := range coeffs {
		if coeffs[j] == nil {
			b.scalars = append(b.scalars, z)
		} else {
			b.scalars = append(b.scalars, group.NewScalar().Multiply(z, coeffs[j]))
		}
		b.points = append(b.points, points[j])
	}
	b.n++
	return nil
}

// VarTimeVerify reports whether every equation added holds (up to the
// 2^-128 error of the test). An empty batch verifies.
func (b *Batch) VarTimeVerify() bool {
	rhs := new(group.Element).VarTimeMultiScalarMult(b.scalars, b.points)
	lhs := new(group.Element).ScalarBaseMult(b.base)
	return lhs.Equal(rhs) == 1
}
