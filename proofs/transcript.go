package proofs

import (
	"crypto/sha512"
	"encoding/binary"
	"hash"

	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/par"
)

// TranscriptVersion names the encoding specified in doc/transcript.md.
const TranscriptVersion = "eo-transcript-v1"

// Item tags of the transcript encoding (doc/transcript.md, Section 2).
const (
	tagProtocol  = 'P'
	tagBytes     = 'B'
	tagString    = 'S'
	tagUint64    = 'U'
	tagElement   = 'E'
	tagScalar    = 'K'
	tagElements  = 'L'
	tagChallenge = 'C'
	tagVector    = 'V'
)

// Transcript is a Fiat–Shamir transcript: a SHA-512 hash over a canonical,
// typed, length-prefixed encoding of everything a prover commits to. Each
// item is
//
//	tag (1 byte) ‖ len(label) (4 bytes, big endian) ‖ label ‖ len(value) (8 bytes, big endian) ‖ value
//
// so that no two different sequences of items share an encoding. A
// transcript starts with the version and a protocol label; challenges hash
// everything absorbed so far. The zero value is not usable.
type Transcript struct {
	h hash.Hash
}

// NewTranscript starts a transcript for protocol (a domain-separation
// label such as "eo/schnorr/v1").
func NewTranscript(protocol string) *Transcript {
	t := &Transcript{h: sha512.New()}
	t.item(tagProtocol, TranscriptVersion, []byte(protocol))
	return t
}

// Clone returns an independent copy of t.
func (t *Transcript) Clone() *Transcript {
	state, err := t.h.(interface{ MarshalBinary() ([]byte, error) }).MarshalBinary()
	if err != nil {
		panic("proofs: internal error: " + err.Error())
	}
	h := sha512.New()
	if err := h.(interface{ UnmarshalBinary([]byte) error }).UnmarshalBinary(state); err != nil {
		panic("proofs: internal error: " + err.Error())
	}
	return &Transcript{h: h}
}

func (t *Transcript) header(tag byte, label string, valueLen uint64) {
	var hdr [13]byte
	hdr[0] = tag
	binary.BigEndian.PutUint32(hdr[1:5], uint32(len(label)))
	t.h.Write(hdr[:5])
	t.h.Write([]byte(label))
	binary.BigEndian.PutUint64(hdr[5:13], valueLen)
	t.h.Write(hdr[5:13])
}

func (t *Transcript) item(tag byte, label string, value []byte) {
	if uint64(len(label)) > 1<<32-1 {
		panic("proofs: transcript label too long")
	}
	t.header(tag, label, uint64(len(value)))
	t.h.Write(value)
}

// AppendBytes absorbs a byte string.
func (t *Transcript) AppendBytes(label string, b []byte) { t.item(tagBytes, label, b) }

// AppendString absorbs a text string (tagged apart from bytes).
func (t *Transcript) AppendString(label, s string) { t.item(tagString, label, []byte(s)) }

// AppendUint64 absorbs an integer as 8 big-endian bytes.
func (t *Transcript) AppendUint64(label string, v uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	t.item(tagUint64, label, b[:])
}

// AppendElement absorbs the canonical encoding of e.
func (t *Transcript) AppendElement(label string, e *group.Element) {
	var buf [group.ElementSize]byte
	b, _ := e.AppendBinary(buf[:0])
	t.item(tagElement, label, b)
}

// AppendScalar absorbs the canonical encoding of s.
func (t *Transcript) AppendScalar(label string, s *group.Scalar) {
	t.item(tagScalar, label, s.Bytes())
}

// AppendElements absorbs a list of elements as one item: its value is the
// count (8 bytes, big endian) followed by the 32-byte encodings.
func (t *Transcript) AppendElements(label string, es []*group.Element) {
	t.header(tagElements, label, 8+uint64(len(es))*group.ElementSize)
	var cnt [8]byte
	binary.BigEndian.PutUint64(cnt[:], uint64(len(es)))
	t.h.Write(cnt[:])
	buf := make([]byte, 0, group.ElementSize)
	for _, e := range es {
		buf, _ = e.AppendBinary(buf[:0])
		t.h.Write(buf)
	}
}

// AppendEncodedElements absorbs exactly what AppendElements absorbs for the
// elements whose concatenated canonical encodings are enc, without
// re-encoding them. It panics if len(enc) is not a multiple of 32; it does
// not check that enc decodes (the caller has decoded it).
func (t *Transcript) AppendEncodedElements(label string, enc []byte) {
	if len(enc)%group.ElementSize != 0 {
		panic("proofs: AppendEncodedElements with a partial element")
	}
	n := uint64(len(enc) / group.ElementSize)
	t.header(tagElements, label, 8+uint64(len(enc)))
	var cnt [8]byte
	binary.BigEndian.PutUint64(cnt[:], n)
	t.h.Write(cnt[:])
	t.h.Write(enc)
}

// digest absorbs an item and returns the SHA-512 of everything so far.
func (t *Transcript) digest(tag byte, label string, value []byte) []byte {
	t.item(tag, label, value)
	return t.h.Sum(nil)
}

// Challenge returns a uniform scalar: SHA-512 of the transcript so far,
// after absorbing a challenge item with label, reduced modulo ℓ.
func (t *Transcript) Challenge(label string) *group.Scalar {
	d := t.digest(tagChallenge, label, nil)
	s, err := group.NewScalar().SetUniformBytes(d)
	if err != nil {
		panic("proofs: internal error: " + err.Error())
	}
	return s
}

// vectorSeed absorbs a vector item (label, n, bits) and returns its seed.
func (t *Transcript) vectorSeed(label string, n int, bits uint64) []byte {
	var v [16]byte
	binary.BigEndian.PutUint64(v[:8], uint64(n))
	binary.BigEndian.PutUint64(v[8:], bits)
	return t.digest(tagVector, label, v[:])
}

// ChallengeScalars returns n uniform scalars derived from the transcript:
// with seed the SHA-512 of the transcript after a vector item (label, n,
// 512), the i-th is SHA-512(seed ‖ i as 8 big-endian bytes) mod ℓ.
func (t *Transcript) ChallengeScalars(label string, n int) []*group.Scalar {
	seed := t.vectorSeed(label, n, 512)
	return expandScalars(seed, n, 64)
}

// ChallengeShortScalars is ChallengeScalars for n scalars of 128 bits: the
// i-th is the first 16 bytes of SHA-512(seed ‖ i), read little endian. Its
// vector item carries 128 in place of 512. Short challenges halve the cost
// of the multi-scalar multiplications that use them and keep soundness
// error 2^-128.
func (t *Transcript) ChallengeShortScalars(label string, n int) []*group.Scalar {
	seed := t.vectorSeed(label, n, 128)
	return expandScalars(seed, n, 16)
}

func expandScalars(seed []byte, n, size int) []*group.Scalar {
	out := make([]*group.Scalar, n)
	scalars := make([]group.Scalar, n)
	par.For(n, 4096, func(lo, hi int) {
		h := sha512.New()
		var buf [64]byte
		var ctr [8]byte
		var wide [64]byte
		for i := lo; i < hi; i++ {
			h.Reset()
			h.Write(seed)
			binary.BigEndian.PutUint64(ctr[:], uint64(i))
			h.Write(ctr[:])
			d := h.Sum(buf[:0])
			clear(wide[:])
			copy(wide[:], d[:size])
			if _, err := scalars[i].SetUniformBytes(wide[:]); err != nil {
				panic("proofs: internal error: " + err.Error())
			}
			out[i] = &scalars[i]
		}
	})
	return out
}

// AppendStridedElements absorbs exactly what AppendEncodedElements absorbs
// for the n encodings enc[i·stride:][:32] (stride ≥ 32), read where they
// lie: the α's of a list of ciphertexts, say, without collecting them.
// It panics if enc is too short; it does not check that the encodings
// decode (the caller has decoded them).
func (t *Transcript) AppendStridedElements(label string, enc []byte, n, stride int) {
	if n < 0 || stride < group.ElementSize || (n > 0 && len(enc) < (n-1)*stride+group.ElementSize) {
		panic("proofs: AppendStridedElements with too short an encoding")
	}
	t.header(tagElements, label, 8+uint64(n)*group.ElementSize)
	var cnt [8]byte
	binary.BigEndian.PutUint64(cnt[:], uint64(n))
	t.h.Write(cnt[:])
	if stride == group.ElementSize {
		t.h.Write(enc[:n*group.ElementSize])
		return
	}
	var buf [128 * group.ElementSize]byte
	for i := 0; i < n; {
		m := min(n-i, 128)
		for k := 0; k < m; k++ {
			copy(buf[k*group.ElementSize:], enc[(i+k)*stride:(i+k)*stride+group.ElementSize])
		}
		t.h.Write(buf[:m*group.ElementSize])
		i += m
	}
}
