package group

import (
	"crypto/subtle"

	"filippo.io/edwards25519/field"
)

// FixedBase holds precomputed multiples of one element P so that s·P costs
// 64 mixed additions and no doublings: table[i][j] = (j+1)·16^i·P, the
// radix-16 comb of the Ed25519 paper (Bernstein et al., "High-speed
// high-security signatures", CHES 2011, Section 4) without its doublings.
// It takes 60 KiB. A FixedBase is safe for concurrent use.
type FixedBase struct {
	table [64][8]affinePoint
}

// NewFixedBase precomputes the table for p.
func NewFixedBase(p *Element) *FixedBase {
	var pts [64 * 8]extPoint
	var base extPoint
	base.fromElement(p)
	var t completedPoint
	var cp cachedPoint
	var pp projPoint
	for i := 0; i < 64; i++ {
		row := pts[i*8 : i*8+8]
		row[0] = base
		cp.fromExt(&base)
		for j := 1; j < 8; j++ {
			row[j].fromCompleted(t.add(&row[j-1], &cp))
		}
		// base = 16·base = 2·(8·base)
		pp.fromExt(&row[7])
		base.fromCompleted(t.double(&pp))
	}
	var zInv [64 * 8]field.Element
	batchInvertZ(zInv[:], pts[:])
	fb := &FixedBase{}
	for i := range pts {
		fb.table[i/8][i%8].fromExtInv(&pts[i], &zInv[i])
	}
	return fb
}

// signedRadix16 returns the 64 digits d_i in [-8, 8) with s = Σ d_i·16^i, in
// constant time. s is reduced, so its top bit is clear.
func signedRadix16(s *Scalar) [64]int8 {
	b := s.Bytes()
	var d [64]int8
	for i := 0; i < 32; i++ {
		d[2*i] = int8(b[i] & 15)
		d[2*i+1] = int8(b[i] >> 4)
	}
	for i := 0; i < 63; i++ {
		carry := (d[i] + 8) >> 4
		d[i] -= carry << 4
		d[i+1] += carry
	}
	return d
}

// selectInto sets v = d·(row base) for d in [-8, 8], in constant time.
func selectInto(v *affinePoint, row *[8]affinePoint, d int8) {
	neg := int(uint8(d) >> 7)
	abs := int32(d) * int32(1-2*neg)
	v.setIdentity()
	for j := range row {
		v.selectAffine(&row[j], v, subtle.ConstantTimeEq(abs, int32(j+1)))
	}
	v.condNeg(neg)
}

func (fb *FixedBase) mul(acc *extPoint, d *[64]int8) {
	var a affinePoint
	var t completedPoint
	acc.setIdentity()
	for i := 0; i < 64; i++ {
		selectInto(&a, &fb.table[i], d[i])
		acc.fromCompleted(t.addAffine(acc, &a))
	}
}

// FixedBaseMult sets e = s·P, where t was built from P, in constant time,
// and returns e.
func (e *Element) FixedBaseMult(s *Scalar, t *FixedBase) *Element {
	d := signedRadix16(s)
	var acc extPoint
	t.mul(&acc, &d)
	acc.toElement(e)
	return e
}
