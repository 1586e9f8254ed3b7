package elgamal

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"

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
// every transcript that absorbs it uses the same bytes. The ciphertexts
// are held in affine form (group.Affine, 80 bytes an element where an
// Element takes 160, Points), so that a list of a million ballots fits in
// a bounded memory; At and Ciphertexts build Elements on demand. A List is
// safe for concurrent use; callers must not modify what Points and Bytes
// return.
type List struct {
	width int
	n     int
	pts   []group.Affine // 2·N·w, in the order of the encoding; nil in a list made by Encoded
	enc   []byte
	lazy  *lazyPoints // an Encoded list's points, decoded on first use
}

// lazyPoints are the points of a list made by Encoded, decoded from its
// encoding the first time they are asked for.
type lazyPoints struct {
	mu  sync.Mutex // held while decoding
	pts atomic.Pointer[[]group.Affine]
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
// error, wrapping group.ErrEncoding for an identity α. The list holds a
// copy of the ciphertexts.
func NewList(cts []*Ciphertext) (*List, error) {
	w, err := checkShapes(cts)
	if err != nil {
		return nil, err
	}
	flat := flatten(cts, w)
	return newList(w, flat, group.EncodeElements(flat)), nil
}

// flatten lists the elements of cts in the order of their encoding.
func flatten(cts []*Ciphertext, w int) []*group.Element {
	flat := make([]*group.Element, 0, 2*len(cts)*w)
	for _, c := range cts {
		for j := range c.Alpha {
			flat = append(flat, c.Alpha[j], c.Beta[j])
		}
	}
	return flat
}

// newList is the list of the elements flat (in the order of enc, their
// encoding) of ciphertexts of width w.
func newList(w int, flat []*group.Element, enc []byte) *List {
	l := &List{width: w, n: len(flat) / (2 * w), pts: make([]group.Affine, len(flat)), enc: enc}
	group.AffineFromElements(l.pts, flat)
	return l
}

// NewListEncoded is NewList for a producer that already holds the
// encoding of cts — a shuffle's batch-encoded output, or the bytes stored
// ballots were decoded from — so that nothing is encoded again. It checks
// cts as NewList does and that enc has the length of their encoding, but
// trusts that enc is their canonical encoding: it does not re-encode to
// compare. A mismatch is a programmer's error that makes every proof over
// the list fail. The list keeps enc: the caller must not modify it
// afterwards (cts it copies).
func NewListEncoded(cts []*Ciphertext, enc []byte) (*List, error) {
	w, err := checkShapes(cts)
	if err != nil {
		return nil, err
	}
	if len(enc) != len(cts)*w*CiphertextSize {
		return nil, fmt.Errorf("elgamal: an encoding of %d bytes does not match %d ciphertexts of width %d", len(enc), len(cts), w)
	}
	return newList(w, flatten(cts, w), enc), nil
}

// NewListPoints is NewListEncoded for a producer that computed the
// ciphertexts in affine form (a shuffle): pts are the list's 2·N·w
// elements in the order of enc, their encoding (see Points). It checks
// the shapes and that no α is the identity, and trusts enc as
// NewListEncoded does. The list keeps pts and enc: the caller must not
// modify them afterwards.
func NewListPoints(width int, pts []group.Affine, enc []byte) (*List, error) {
	if err := checkWidth(width); err != nil {
		return nil, err
	}
	if len(pts) == 0 || len(pts)%(2*width) != 0 || len(enc) != len(pts)*group.ElementSize {
		return nil, fmt.Errorf("elgamal: %d points and %d bytes do not make a list of width-%d ciphertexts", len(pts), len(enc), width)
	}
	n := len(pts) / (2 * width)
	if err := checkAlphas(pts, width); err != nil {
		return nil, err
	}
	return &List{width: width, n: n, pts: pts, enc: enc}, nil
}

// checkAlphas rejects a list whose α is the identity somewhere.
func checkAlphas(pts []group.Affine, width int) error {
	for i := 0; 2*i < len(pts); i++ {
		if pts[2*i].IsIdentity() == 1 {
			return fmt.Errorf("ciphertext %d: elgamal: pair %d: alpha: %w: %w", i/width, i%width, group.ErrEncoding, errIdentityAlpha)
		}
	}
	return nil
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
	return decodeList(b, width, len(b)/size, true)
}

// DecodeListN is DecodeList for a list declared to hold n ≥ 1
// ciphertexts: it checks n against len(b) before allocating anything, so
// a huge declared n costs nothing.
func DecodeListN(b []byte, width, n int) (*List, error) {
	if err := checkCount(b, width, n); err != nil {
		return nil, err
	}
	return decodeList(b, width, n, true)
}

// DecodeListNAliased is DecodeListN for an encoding the caller keeps and
// never modifies — a message's bytes, a file read whole: the list keeps b
// itself as its encoding, not a copy (a million ballots: 64 MB less).
func DecodeListNAliased(b []byte, width, n int) (*List, error) {
	if err := checkCount(b, width, n); err != nil {
		return nil, err
	}
	return decodeList(b[:len(b):len(b)], width, n, false)
}

// checkCount checks the width and that b holds exactly n ≥ 1 ciphertexts
// of it, before anything is allocated.
func checkCount(b []byte, width, n int) error {
	if err := checkWidth(width); err != nil {
		return err
	}
	size := width * CiphertextSize
	if n < 1 || n > len(b)/size || len(b) != n*size {
		return malformed("list declared as %d ciphertexts of width %d (%d bytes each) has %d bytes", n, width, size, len(b))
	}
	return nil
}

// decodeList decodes n ciphertexts of width width from b, which the list
// keeps as its encoding if copy is false, and a copy of otherwise.
func decodeList(b []byte, width, n int, copy bool) (*List, error) {
	pts := make([]group.Affine, 2*n*width)
	if err := group.DecodeAffine(pts, b); err != nil {
		// Name the ciphertext and the part, as DecodeCiphertext does.
		size := width * CiphertextSize
		for i := 0; i < n; i++ {
			if _, err := DecodeCiphertext(b[i*size:(i+1)*size], width); err != nil {
				return nil, fmt.Errorf("ciphertext %d: %w", i, err)
			}
		}
		return nil, err
	}
	if err := checkAlphas(pts, width); err != nil {
		return nil, err
	}
	if copy {
		b = bytes.Clone(b)
	}
	return &List{width: width, n: n, pts: pts, enc: b}, nil
}

// Len returns the number of ciphertexts N ≥ 1.
func (l *List) Len() int { return l.n }

// Width returns the width w of the ciphertexts.
func (l *List) Width() int { return l.width }

// Bytes returns the canonical encoding of the list, N·64·w bytes; the
// caller must not modify it.
func (l *List) Bytes() []byte { return l.enc }

// Points returns the list's elements in the order of its encoding, 2·N·w
// of them: α of pair k of ciphertext j at 2(j·w+k), its β after it. The
// caller must not modify them. Every stride-th one from an offset is a
// column that group's VarTimeMultiScalarMultAffine sums in place.
func (l *List) Points() []group.Affine {
	if l.lazy == nil {
		return l.pts
	}
	if p := l.lazy.pts.Load(); p != nil {
		return *p
	}
	l.lazy.mu.Lock()
	defer l.lazy.mu.Unlock()
	if p := l.lazy.pts.Load(); p != nil {
		return *p
	}
	pts := make([]group.Affine, 2*l.n*l.width)
	if err := group.DecodeAffine(pts, l.enc); err != nil {
		// l.enc is the encoding of a list that decoded (or was made)
		// before, and is never modified.
		panic("elgamal: the encoding of an Encoded list no longer decodes: " + err.Error())
	}
	l.lazy.pts.Store(&pts)
	return pts
}

// Decoded reports whether l holds its points decoded: always, but for a
// list made by Encoded whose points were not asked for yet.
func (l *List) Decoded() bool { return l.lazy == nil || l.lazy.pts.Load() != nil }

// Encoded returns a list of the same ciphertexts that holds only their
// encoding (64 bytes a pair, shared with l) and decodes their points again
// the first time Points, At or Ciphertexts needs them (l itself if it was
// made by Encoded; a list of a
// million ballots: about 160 MB and a few seconds): for a list kept for
// its encoding and its length — an earlier list of a chain, which a
// record needs and a late mix seldom does (#18). l is not changed.
func (l *List) Encoded() *List {
	if l.lazy != nil {
		return l
	}
	return &List{width: l.width, n: l.n, enc: l.enc, lazy: new(lazyPoints)}
}

// At returns ciphertext i, built anew (2w Elements). It panics if i is
// out of range.
func (l *List) At(i int) *Ciphertext {
	if i < 0 || i >= l.n {
		panic("elgamal: List.At out of range")
	}
	w, pts := l.width, l.Points()
	els := make([]group.Element, 2*w)
	c := &Ciphertext{Alpha: make([]*group.Element, w), Beta: make([]*group.Element, w)}
	for k := 0; k < w; k++ {
		c.Alpha[k] = pts[2*(i*w+k)].Element(&els[2*k])
		c.Beta[k] = pts[2*(i*w+k)+1].Element(&els[2*k+1])
	}
	return c
}

// Ciphertexts returns the ciphertexts in order, built anew: twice the
// list's memory while they live. Long lists are better read through
// Points.
func (l *List) Ciphertexts() []*Ciphertext {
	w, pts := l.width, l.Points()
	els := make([]group.Element, len(pts))
	cts := make([]Ciphertext, l.n)
	out := make([]*Ciphertext, l.n)
	par.For(l.n, max(1, minDecodePerWorker/w), func(lo, hi int) {
		for j := lo; j < hi; j++ {
			cts[j] = Ciphertext{Alpha: make([]*group.Element, w), Beta: make([]*group.Element, w)}
			for k := 0; k < w; k++ {
				i := 2 * (j*w + k)
				cts[j].Alpha[k], cts[j].Beta[k] = pts[i].Element(&els[i]), pts[i+1].Element(&els[i+1])
			}
			out[j] = &cts[j]
		}
	})
	return out
}

// minDecodePerWorker is the number of ciphertext pairs below which a
// worker is not worth its start.
const minDecodePerWorker = 256
