package vectors

import (
	"crypto/sha512"
	"encoding/binary"

	"github.com/eo-mixnet/eo/group"
)

// tr is a second, independent implementation of the transcript of
// doc/transcript.md §2–§3, written from the text: it keeps the bytes it
// hashes, so that the vectors can show them.
type tr struct{ b []byte }

// Item tags (doc/transcript.md §2).
const (
	tagP = 'P'
	tagS = 'S'
	tagB = 'B'
	tagU = 'U'
	tagE = 'E'
	tagL = 'L'
	tagC = 'C'
	tagV = 'V'
)

func newTr(protocol string) *tr {
	t := &tr{}
	t.item(tagP, "eo-transcript-v1", []byte(protocol))
	return t
}

func (t *tr) clone() *tr { return &tr{b: append([]byte(nil), t.b...)} }

func (t *tr) item(tag byte, label string, value []byte) {
	t.b = append(t.b, tag)
	t.b = binary.BigEndian.AppendUint32(t.b, uint32(len(label)))
	t.b = append(t.b, label...)
	t.b = binary.BigEndian.AppendUint64(t.b, uint64(len(value)))
	t.b = append(t.b, value...)
}

func (t *tr) str(label, s string)          { t.item(tagS, label, []byte(s)) }
func (t *tr) bytes(label string, b []byte) { t.item(tagB, label, b) }
func (t *tr) u64(label string, v uint64) {
	t.item(tagU, label, binary.BigEndian.AppendUint64(nil, v))
}
func (t *tr) elem(label string, e []byte) { t.item(tagE, label, e) }

// list appends an element list given as the concatenation of its
// 32-byte encodings.
func (t *tr) list(label string, enc []byte) {
	v := binary.BigEndian.AppendUint64(nil, uint64(len(enc)/32))
	t.item(tagL, label, append(v, enc...))
}

// challenge appends a challenge item and returns SHA-512 of everything
// mod ℓ.
func (t *tr) challenge(label string) *group.Scalar {
	t.item(tagC, label, nil)
	d := sha512.Sum512(t.b)
	s, err := group.NewScalar().SetUniformBytes(d[:])
	if err != nil {
		panic(err)
	}
	return s
}

// shortVector appends a vector item for n 128-bit scalars and returns
// them.
func (t *tr) shortVector(label string, n int) []*group.Scalar {
	v := binary.BigEndian.AppendUint64(nil, uint64(n))
	v = binary.BigEndian.AppendUint64(v, 128)
	t.item(tagV, label, v)
	seed := sha512.Sum512(t.b)
	out := make([]*group.Scalar, n)
	for i := range out {
		h := sha512.Sum512(binary.BigEndian.AppendUint64(seed[:], uint64(i)))
		var wide [64]byte
		copy(wide[:16], h[:16])
		s, err := group.NewScalar().SetUniformBytes(wide[:])
		if err != nil {
			panic(err)
		}
		out[i] = s
	}
	return out
}
