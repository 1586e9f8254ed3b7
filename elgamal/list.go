package elgamal

import (
	"bytes"
	"fmt"

	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/par"
)

// List is an immutable list of N ≥ 1 ciphertexts of one width with its
// canonical encoding: the concatenation of the ciphertexts' encodings,
// α_0 ‖ β_0 ‖ … of each, N·64·w bytes, with no count and no separator.
// A List holds exactly what DecodeListN accepts — no α is the identity —
// so its Bytes always decode back to it.
//
// The ciphertexts and their encoding travel together, so that a list is
// encoded once, by whoever makes it (or never, when it was decoded), and
// every transcript that absorbs it uses the same bytes. A List is safe for
// concurrent use; callers must not modify what At, Ciphertexts and Bytes
// return.
type List struct {
	width int
	cts   []*Ciphertext
	enc   []byte
}

// checkShapes checks that cts is a non-empty list of well-formed
// ciphertexts of one width in 1 … MaxWidth with no nil element and no α
// equal to the identity, and returns that width.
func checkShapes(cts []*Ciphertext) (int, error) {
	if len(cts) == 0 {
		return 0, fmt.Errorf("elgamal: a ciphertext list must hold at least one ciphertext")
	}
	var w int
	for i, c := range cts {
		if c == nil || len(c.Alpha) == 0 || len(c.Alpha) != len(c.Beta) || len(c.Alpha) > MaxWidth {
			return 0, fmt.Errorf("elgamal: ciphertext %d of the list is malformed", i)
		}
		if i == 0 {
			w = len(c.Alpha)
		} else if len(c.Alpha) != w {
			return 0, fmt.Errorf("elgamal: ciphertext %d has width %d, the list %d", i, len(c.Alpha), w)
		}
		for j := range c.Alpha {
			if c.Alpha[j] == nil || c.Beta[j] == nil {
				return 0, fmt.Errorf("elgamal: ciphertext %d has a nil element", i)
			}
			if c.Alpha[j].IsIdentity() == 1 {
				return 0, fmt.Errorf("elgamal: ciphertext %d: pair %d: alpha: %w: %w", i, j, group.ErrEncoding, errIdentityAlpha)
			}
		}
	}
	return w, nil
}

// NewList returns the list of cts and encodes it, in one batch on up to
// GOMAXPROCS goroutines. cts must hold at least one ciphertext, all of one
// width in 1 … MaxWidth, with no nil element and no α equal to the
// identity (see the package documentation); otherwise NewList returns an
// error, wrapping group.ErrEncoding for an identity α. The list keeps cts
// and its ciphertexts: the caller must not modify them afterwards.
func NewList(cts []*Ciphertext) (*List, error) {
	w, err := checkShapes(cts)
	if err != nil {
		return nil, err
	}
	flat := make([]*group.Element, 0, 2*len(cts)*w)
	for _, c := range cts {
		for j := range c.Alpha {
			flat = append(flat, c.Alpha[j], c.Beta[j])
		}
	}
	return &List{width: w, cts: cts, enc: group.EncodeElements(flat)}, nil
}

// NewListEncoded is NewList for a producer that already holds the
// encoding of cts — a shuffle's batch-encoded output, or the bytes stored
// ballots were decoded from — so that nothing is encoded again. It checks
// cts as NewList does and that enc has the length of their encoding, but
// trusts that enc is their canonical encoding: it does not re-encode to
// compare. A mismatch is a programmer's error that makes every proof over
// the list fail. The list keeps cts, its ciphertexts and enc: the caller
// must not modify them afterwards.
func NewListEncoded(cts []*Ciphertext, enc []byte) (*List, error) {
	w, err := checkShapes(cts)
	if err != nil {
		return nil, err
	}
	if len(enc) != len(cts)*w*CiphertextSize {
		return nil, fmt.Errorf("elgamal: an encoding of %d bytes does not match %d ciphertexts of width %d", len(enc), len(cts), w)
	}
	return &List{width: w, cts: cts, enc: enc}, nil
}

// DecodeList decodes a list of ciphertexts of the given width: len(b)
// must be a non-zero multiple of 64·width, and every ciphertext must
// decode as in DecodeCiphertext. Errors wrap group.ErrEncoding. The list
// keeps a copy of b as its encoding. Large lists are decoded by up to
// GOMAXPROCS goroutines.
func DecodeList(b []byte, width int) (*List, error) {
	if err := checkWidth(width); err != nil {
		return nil, err
	}
	size := width * CiphertextSize
	if len(b) == 0 || len(b)%size != 0 {
		return nil, malformed("list of width-%d ciphertexts: %d bytes is not a positive multiple of %d", width, len(b), size)
	}
	return decodeList(b, width, len(b)/size)
}

// DecodeListN is DecodeList for a list declared to hold n ≥ 1
// ciphertexts: it checks n against len(b) before allocating anything, so
// a huge declared n costs nothing.
func DecodeListN(b []byte, width, n int) (*List, error) {
	if err := checkWidth(width); err != nil {
		return nil, err
	}
	size := width * CiphertextSize
	if n < 1 || n > len(b)/size || len(b) != n*size {
		return nil, malformed("list declared as %d ciphertexts of width %d (%d bytes each) has %d bytes", n, width, size, len(b))
	}
	return decodeList(b, width, n)
}

// minDecodePerWorker is the number of ciphertext pairs below which a
// decoding worker is not worth its start.
const minDecodePerWorker = 256

func decodeList(b []byte, width, n int) (*List, error) {
	elems := make([]group.Element, 2*n*width)
	ptrs := make([]*group.Element, 2*n*width)
	cts := make([]Ciphertext, n)
	out := make([]*Ciphertext, n)
	for i := range elems {
		ptrs[i] = &elems[i]
	}
	size := width * CiphertextSize
	errs := make([]error, n)
	par.For(n, max(1, minDecodePerWorker/width), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			p := ptrs[2*i*width : 2*(i+1)*width]
			cts[i] = Ciphertext{Alpha: p[:width:width], Beta: p[width:]}
			out[i] = &cts[i]
			if err := cts[i].decodePairs(b[i*size : (i+1)*size]); err != nil {
				errs[i] = fmt.Errorf("ciphertext %d: %w", i, err)
				return // the first error of this chunk is enough
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return &List{width: width, cts: out, enc: bytes.Clone(b)}, nil
}

// Len returns the number of ciphertexts N ≥ 1.
func (l *List) Len() int { return len(l.cts) }

// Width returns the width w of the ciphertexts.
func (l *List) Width() int { return l.width }

// Bytes returns the canonical encoding of the list, N·64·w bytes; the
// caller must not modify it.
func (l *List) Bytes() []byte { return l.enc }

// At returns ciphertext i; the caller must not modify it. It panics if i
// is out of range.
func (l *List) At(i int) *Ciphertext { return l.cts[i] }

// Ciphertexts returns the ciphertexts in order; the caller must not modify
// the slice or the ciphertexts.
func (l *List) Ciphertexts() []*Ciphertext { return l.cts }
