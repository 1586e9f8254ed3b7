package group

import (
	"encoding/binary"
	"math/bits"
	"runtime"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"

	"github.com/eo-mixnet/eo/internal/par"
)

// pippengerThreshold is the size below which VarTimeMultiScalarMult uses
// edwards25519's interleaved w-NAF method (Straus) instead of buckets; see
// BenchmarkMSMCrossover.
const pippengerThreshold = 96

// minPointsPerWorker keeps goroutines from splitting work that is too small
// to amortise a worker's own bucket reduction.
const minPointsPerWorker = 1024

// VarTimeMultiScalarMult sets e = Σ s[i]·x[i] and returns e. Its running
// time depends on the scalars and points, so it must only see public values.
//
// For more than a few dozen points it uses the bucket method (Pippenger,
// "On the evaluation of powers and related problems", FOCS 1976; in the
// signed-digit form of Bernstein et al., "Faster batch forgery
// identification", INDOCRYPT 2012, Section 4), split across up to
// GOMAXPROCS goroutines. It panics if the lengths differ.
func (e *Element) VarTimeMultiScalarMult(s []*Scalar, x []*Element) *Element {
	if len(s) != len(x) {
		panic("group: VarTimeMultiScalarMult with different size inputs")
	}
	return e.varTimeMSM(s, x, runtime.GOMAXPROCS(0))
}

func (e *Element) varTimeMSM(s []*Scalar, x []*Element, procs int) *Element {
	n := len(s)
	if n < pippengerThreshold {
		pts := make([]*edwards25519.Point, n)
		for i := range x {
			pts[i] = &x[i].p
		}
		e.p.VarTimeMultiScalarMult(s, pts)
		return e
	}
	return e.bucketMSM(s, procs, func() loadFunc { return elementLoader(x) })
}

// loadFunc fills dst with the addends of points lo … lo+len(dst)−1 of a
// multi-scalar multiplication; a worker's loadFunc may keep scratch.
type loadFunc func(dst []affinePoint, lo int)

// elementLoader loads Elements: one batched inversion per chunk.
func elementLoader(x []*Element) loadFunc {
	var pts []extPoint
	var zInv []field.Element
	return func(dst []affinePoint, lo int) {
		if len(pts) < len(dst) {
			pts, zInv = make([]extPoint, len(dst)), make([]field.Element, len(dst))
		}
		pts, zInv := pts[:len(dst)], zInv[:len(dst)]
		for i := range dst {
			pts[i].fromElement(x[lo+i])
		}
		batchInvertZ(zInv, pts)
		for i := range dst {
			dst[i].fromExtInv(&pts[i], &zInv[i])
		}
	}
}

// bucketMSM sets e = Σ s[i]·x_i by the bucket method on up to procs
// goroutines, each loading its points with a loadFunc from newLoad.
func (e *Element) bucketMSM(s []*Scalar, procs int, newLoad func() loadFunc) *Element {
	n := len(s)
	workers := max(1, min(procs, n/minPointsPerWorker))
	results := make([]extPoint, workers)
	par.Split(n, workers, func(w, lo, hi int) { pippenger(&results[w], s[lo:hi], lo, newLoad()) })
	var acc extPoint
	acc.setIdentity()
	var c cachedPoint
	var t completedPoint
	for i := range results {
		acc.fromCompleted(t.add(&acc, c.fromExt(&results[i])))
	}
	acc.toElement(e)
	return e
}

// windowBits picks the digit width c that minimises the cost model
// windows(c) · (7M·n + 18M·2^(c-1)): one mixed addition per point and
// window, two full additions per bucket and window.
func windowBits(n, bits int) int {
	best, bestCost := 4, -1.0
	for c := 4; c <= 16; c++ {
		nw := (bits + 1 + c - 1) / c
		cost := float64(nw) * (7*float64(n) + 18*float64(int(1)<<(c-1)))
		if bestCost < 0 || cost < bestCost {
			best, bestCost = c, cost
		}
	}
	return best
}

// bitLen returns the number of significant bits of s.
func bitLen(s *Scalar) int {
	b := s.Bytes()
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0 {
			return 8*i + 8 - bits.LeadingZeros8(b[i])
		}
	}
	return 0
}

// signedDigits writes the nw signed radix-2^c digits of s, least
// significant first, into out. Digits lie in [-2^(c-1), 2^(c-1)]; since
// s < 2^bits and nw·c ≥ bits+1, the top digit needs no carry out.
func signedDigits(out []int32, s *Scalar, c, nw int) {
	b := s.Bytes()
	var limbs [5]uint64
	for i := 0; i < 4; i++ {
		limbs[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	half := int32(1) << (c - 1)
	mask := uint64(1)<<c - 1
	carry := int32(0)
	for w := 0; w < nw; w++ {
		pos := w * c
		idx, sh := pos/64, uint(pos%64)
		v := limbs[idx] >> sh
		if sh+uint(c) > 64 && idx < 3 {
			v |= limbs[idx+1] << (64 - sh)
		}
		d := int32(v&mask) + carry
		carry = 0
		if d > half {
			d -= int32(1) << c
			carry = 1
		}
		out[w] = d
	}
	if carry != 0 {
		panic("group: internal error: scalar digit overflow")
	}
}

// chunkPoints is how many points pippenger converts and sorts into
// buckets at a time; it bounds the memory that grows with n (about 3.5 MiB
// of addends and digits per worker). Every chunk adds into every window's
// buckets, so a chunk much smaller than a window's buckets brings each
// bucket into the cache for one or two additions: with 2048-point chunks
// an addition waited on memory, and verifying a shuffle of 100 000 took
// about 15 % longer (BenchmarkMSMChunk, BenchmarkShuffle; 2026-12-06).
const chunkPoints = 16384

// maxWindowBits caps the digit width: the buckets of all windows, which
// stay live together, then take at most about 4 MiB per worker. Wider
// windows save additions on paper but lose them to cache misses: at
// n = 100 000, 11 bits was as fast as 12 or faster, and 13 or 14 slower.
const maxWindowBits = 11

// pippenger computes Σ s[i]·x_{base+i} into out with one thread. Points
// are loaded chunkPoints at a time in affine form (an Element with one
// batched inversion) and added into the buckets of every window; memory is
// the buckets plus one chunk, whatever n.
func pippenger(out *extPoint, s []*Scalar, base int, load loadFunc) {
	pippengerSized(out, s, base, load, maxWindowBits, chunkPoints)
}

// pippengerSized is pippenger with digits of at most maxBits bits and
// chunks of chunk points (BenchmarkMSMChunk compares them).
func pippengerSized(out *extPoint, s []*Scalar, base int, load loadFunc, maxBits, chunk int) {
	n := len(s)
	// Short scalars (such as 128-bit batch weights) need fewer windows.
	bits := 0
	for i := range s {
		bits = max(bits, bitLen(s[i]))
	}
	c := min(windowBits(n, bits), maxBits)
	nw := (bits + 1 + c - 1) / c
	out.setIdentity()
	if nw == 0 {
		return
	}
	half := 1 << (c - 1)
	buckets := make([]extPoint, nw*half)
	for k := range buckets {
		buckets[k].setIdentity()
	}

	m := min(n, chunk)
	aff := make([]affinePoint, m)
	digits := make([]int32, m*nw)
	var t completedPoint
	for lo := 0; lo < n; lo += m {
		hi := min(lo+m, n)
		cnt := hi - lo
		for i := 0; i < cnt; i++ {
			signedDigits(digits[i*nw:(i+1)*nw], s[lo+i], c, nw)
		}
		load(aff[:cnt], base+lo)
		for w := 0; w < nw; w++ {
			bw := buckets[w*half : (w+1)*half]
			for i := 0; i < cnt; i++ {
				d := digits[i*nw+w]
				switch {
				case d > 0:
					b := &bw[d-1]
					b.fromCompleted(t.addAffine(b, &aff[i]))
				case d < 0:
					b := &bw[-d-1]
					b.fromCompleted(t.subAffine(b, &aff[i]))
				}
			}
		}
	}

	// Σ_k (k+1)·bucket[k] per window by running sums, top bucket first,
	// then Horner over the windows, top window first.
	var acc projPoint
	var running, wsum extPoint
	var cp cachedPoint
	for w := nw - 1; w >= 0; w-- {
		if w != nw-1 {
			acc.fromExt(out)
			for k := 0; k < c-1; k++ {
				acc.fromCompleted(t.double(&acc))
			}
			out.fromCompleted(t.double(&acc))
		}
		bw := buckets[w*half : (w+1)*half]
		running.setIdentity()
		wsum.setIdentity()
		for k := half - 1; k >= 0; k-- {
			running.fromCompleted(t.add(&running, cp.fromExt(&bw[k])))
			wsum.fromCompleted(t.add(&wsum, cp.fromExt(&running)))
		}
		out.fromCompleted(t.add(out, cp.fromExt(&wsum)))
	}
}
