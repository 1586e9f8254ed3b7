package elgamal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/eo-mixnet/eo/group"
)

// MaxWidth is the largest width (number of pairs) of a ciphertext or a
// ballot that the decoders accept.
const MaxWidth = 1024

// CiphertextSize is the size of one (α, β) pair; a ciphertext of width w
// takes w·CiphertextSize bytes.
const CiphertextSize = 2 * group.ElementSize

// b64 is the text encoding of package group: unpadded base64url, strict.
var b64 = base64.RawURLEncoding.Strict()

// Ciphertext is an ElGamal ciphertext of width w = len(Alpha) = len(Beta):
// the pairs (Alpha[j], Beta[j]) = (r_j·B, M_j + r_j·Y). Decoders and the
// functions of this package return ciphertexts with equal, non-zero
// lengths and no nil element; passing any other to them is a programmer's
// error and panics.
type Ciphertext struct {
	Alpha []*group.Element // α_j = r_j·B
	Beta  []*group.Element // β_j = M_j + r_j·Y
}

// Width returns the number of pairs of c.
func (c *Ciphertext) Width() int { return len(c.Alpha) }

// mustWidth returns the width of c and panics if c is malformed.
func (c *Ciphertext) mustWidth() int {
	if c == nil || len(c.Alpha) == 0 || len(c.Alpha) != len(c.Beta) {
		panic("elgamal: malformed Ciphertext")
	}
	for j := range c.Alpha {
		if c.Alpha[j] == nil || c.Beta[j] == nil {
			panic("elgamal: Ciphertext with a nil element")
		}
	}
	return len(c.Alpha)
}

// NewCiphertext returns a ciphertext of width w whose elements (in one
// block) are all the identity, for a decoder to fill in.
func NewCiphertext(w int) *Ciphertext { return newCiphertext(w) }

// newCiphertext allocates a ciphertext of width w with its elements in
// one block.
func newCiphertext(w int) *Ciphertext {
	elems := make([]group.Element, 2*w)
	ptrs := make([]*group.Element, 2*w)
	for i := range elems {
		ptrs[i] = &elems[i]
	}
	return &Ciphertext{Alpha: ptrs[:w:w], Beta: ptrs[w:]}
}

// Encrypt encrypts the plaintext elements m (one per pair; any element,
// the identity included) under pk with fresh non-zero randomness from rand
// (crypto/rand if nil). It is constant time in m and the randomness.
func Encrypt(rand io.Reader, pk *PublicKey, m []*group.Element) (*Ciphertext, error) {
	c, r, err := encrypt(rand, pk, m)
	for _, ri := range r {
		ri.Set(group.NewScalar())
	}
	return c, err
}

// EncryptKeepingRandomness is Encrypt that also returns the randomness
// r_j of each pair, for a proof of knowledge of it (a ballot) or for a
// voter's audit of a ballot that is then not cast. The randomness is as
// secret as the plaintexts: the caller wipes it (Scalar.Set to zero) when
// done.
func EncryptKeepingRandomness(rand io.Reader, pk *PublicKey, m []*group.Element) (*Ciphertext, []*group.Scalar, error) {
	return encrypt(rand, pk, m)
}

// encrypt is Encrypt that also returns the randomness r_j.
func encrypt(rand io.Reader, pk *PublicKey, m []*group.Element) (*Ciphertext, []*group.Scalar, error) {
	if len(m) == 0 || len(m) > MaxWidth {
		return nil, nil, fmt.Errorf("elgamal: cannot encrypt %d plaintexts (1 to %d)", len(m), MaxWidth)
	}
	for j := range m {
		if m[j] == nil {
			panic("elgamal: Encrypt with a nil plaintext")
		}
	}
	r := make([]*group.Scalar, len(m))
	for j := range r {
		var err error
		if r[j], err = randomNonZeroScalar(rand); err != nil {
			return nil, nil, err
		}
	}
	c := newCiphertext(len(m))
	B, Y := baseTable(), pk.table()
	for j := range m {
		c.Alpha[j].FixedBaseMult(r[j], B)
		c.Beta[j].FixedBaseMult(r[j], Y)
		c.Beta[j].Add(c.Beta[j], m[j])
	}
	return c, r, nil
}

// ReEncrypt returns c with an encryption of the identity under pk added to
// every pair, with fresh non-zero randomness from rand (crypto/rand if
// nil): a ciphertext of the same plaintexts that nobody without the key
// can link to c. It is constant time in the randomness.
func ReEncrypt(rand io.Reader, pk *PublicKey, c *Ciphertext) (*Ciphertext, error) {
	w := c.mustWidth()
	r := make([]*group.Scalar, w)
	for j := range r {
		var err error
		if r[j], err = randomNonZeroScalar(rand); err != nil {
			return nil, err
		}
	}
	out := ReEncryptWith(pk, c, r)
	for _, rj := range r {
		rj.Set(group.NewScalar())
	}
	return out, nil
}

// ReEncryptWith returns (α_j + r_j·B, β_j + r_j·Y) for the given
// randomness, as a shuffle needs it. It is constant time in r and panics
// if len(r) is not the width of c. The caller chooses r uniformly; r_j = 0
// leaves pair j unchanged.
func ReEncryptWith(pk *PublicKey, c *Ciphertext, r []*group.Scalar) *Ciphertext {
	w := c.mustWidth()
	if len(r) != w {
		panic("elgamal: ReEncryptWith with randomness of the wrong width")
	}
	out := newCiphertext(w)
	B, Y := baseTable(), pk.table()
	for j := range r {
		out.Alpha[j].FixedBaseMult(r[j], B)
		out.Alpha[j].Add(out.Alpha[j], c.Alpha[j])
		out.Beta[j].FixedBaseMult(r[j], Y)
		out.Beta[j].Add(out.Beta[j], c.Beta[j])
	}
	return out
}

// Decrypt returns the plaintext elements M_j = β_j − x·α_j of c, in
// constant time.
func (k *PrivateKey) Decrypt(c *Ciphertext) []*group.Element {
	k.mustUsable()
	w := c.mustWidth()
	m := newCiphertext(w).Alpha
	for j := range m {
		m[j].ScalarMult(&k.x, c.Alpha[j])
		m[j].Subtract(c.Beta[j], m[j])
	}
	return m
}

// Add returns the pairwise sum of x and y, an encryption of M_x + M_y
// with randomness r_x + r_y. It panics if the widths differ.
func Add(x, y *Ciphertext) *Ciphertext {
	w := x.mustWidth()
	if y.mustWidth() != w {
		panic("elgamal: Add of ciphertexts of different widths")
	}
	out := newCiphertext(w)
	for j := range out.Alpha {
		out.Alpha[j].Add(x.Alpha[j], y.Alpha[j])
		out.Beta[j].Add(x.Beta[j], y.Beta[j])
	}
	return out
}

// Equal reports whether c and o are the same ciphertext.
func (c *Ciphertext) Equal(o *Ciphertext) bool {
	w := c.mustWidth()
	if o.mustWidth() != w {
		return false
	}
	eq := 1
	for j := range c.Alpha {
		eq &= c.Alpha[j].Equal(o.Alpha[j]) & c.Beta[j].Equal(o.Beta[j])
	}
	return eq == 1
}

// AppendBinary appends the encoding α_0 ‖ β_0 ‖ … ‖ α_{w-1} ‖ β_{w-1} of c
// (64·w bytes) to b.
func (c *Ciphertext) AppendBinary(b []byte) ([]byte, error) {
	c.mustWidth()
	b = slices.Grow(b, len(c.Alpha)*CiphertextSize)
	for j := range c.Alpha {
		b, _ = c.Alpha[j].AppendBinary(b)
		b, _ = c.Beta[j].AppendBinary(b)
	}
	return b, nil
}

// MarshalBinary returns the 64·w-byte encoding of c.
func (c *Ciphertext) MarshalBinary() ([]byte, error) { return c.AppendBinary(nil) }

// malformed returns an error wrapping group.ErrEncoding.
func malformed(format string, args ...any) error {
	return fmt.Errorf("elgamal: "+format+": %w", append(args, group.ErrEncoding)...)
}

var errIdentityAlpha = errors.New("α is the identity (r = 0)")

// decodeAlpha decodes α from its canonical encoding; the identity is
// refused (see the package documentation).
func decodeAlpha(e *group.Element, b []byte) error {
	if _, err := e.SetCanonicalBytes(b); err != nil {
		return err
	}
	if e.IsIdentity() == 1 {
		return fmt.Errorf("%w: %w", group.ErrEncoding, errIdentityAlpha)
	}
	return nil
}

func checkWidth(width int) error {
	if width < 1 || width > MaxWidth {
		return malformed("width %d out of range (1 to %d)", width, MaxWidth)
	}
	return nil
}

// DecodeCiphertext decodes the 64·width-byte encoding of one ciphertext.
// Other lengths, non-canonical elements and an α equal to the identity are
// rejected with an error wrapping group.ErrEncoding.
func DecodeCiphertext(b []byte, width int) (*Ciphertext, error) {
	if err := checkWidth(width); err != nil {
		return nil, err
	}
	if len(b) != width*CiphertextSize {
		return nil, malformed("ciphertext of width %d must be %d bytes, got %d", width, width*CiphertextSize, len(b))
	}
	c := newCiphertext(width)
	if err := c.decodePairs(b); err != nil {
		return nil, err
	}
	return c, nil
}

// decodePairs decodes len(c.Alpha) pairs from b into c.
func (c *Ciphertext) decodePairs(b []byte) error {
	for j := range c.Alpha {
		p := b[j*CiphertextSize:]
		if err := decodeAlpha(c.Alpha[j], p[:group.ElementSize]); err != nil {
			return fmt.Errorf("elgamal: pair %d: alpha: %w", j, err)
		}
		if _, err := c.Beta[j].SetCanonicalBytes(p[group.ElementSize:CiphertextSize]); err != nil {
			return fmt.Errorf("elgamal: pair %d: beta: %w", j, err)
		}
	}
	return nil
}

// MarshalJSON writes c as [{"alpha":"…","beta":"…"},…] in the text
// encoding of package group, without spaces.
func (c *Ciphertext) MarshalJSON() ([]byte, error) {
	w := c.mustWidth()
	out := make([]byte, 0, w*pairTextSize+1)
	out = append(out, '[')
	var buf [group.ElementSize]byte
	for j := range c.Alpha {
		if j > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"alpha":"`...)
		enc, _ := c.Alpha[j].AppendBinary(buf[:0])
		out = b64.AppendEncode(out, enc)
		out = append(out, `","beta":"`...)
		enc, _ = c.Beta[j].AppendBinary(buf[:0])
		out = b64.AppendEncode(out, enc)
		out = append(out, `"}`...)
	}
	return append(out, ']'), nil
}

// UnmarshalJSON reads a ciphertext written by MarshalJSON. It accepts any
// JSON whitespace and either key order, but rejects unknown and duplicate
// keys, missing or non-string values, an empty array, more than MaxWidth
// pairs, anything after the array, non-canonical elements and an α equal
// to the identity, with an error wrapping group.ErrEncoding. On error c is
// unchanged.
func (c *Ciphertext) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	bad := func(format string, args ...any) error {
		return malformed("ciphertext JSON at byte %d: "+format, append([]any{dec.InputOffset()}, args...)...)
	}
	expectDelim := func(d json.Delim) error {
		tok, err := dec.Token()
		if err != nil {
			return bad("%v", err)
		}
		if got, ok := tok.(json.Delim); !ok || got != d {
			return bad("expected %q", d)
		}
		return nil
	}
	if err := expectDelim('['); err != nil {
		return err
	}
	var alpha, beta []*group.Element
	for dec.More() {
		if len(alpha) == MaxWidth {
			return bad("more than %d pairs", MaxWidth)
		}
		if err := expectDelim('{'); err != nil {
			return err
		}
		var a, b *group.Element
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return bad("%v", err)
			}
			key, _ := tok.(string)
			var dst **group.Element
			switch key {
			case "alpha":
				dst = &a
			case "beta":
				dst = &b
			default:
				return bad("unknown key %q", key)
			}
			if *dst != nil {
				return bad("duplicate key %q", key)
			}
			if tok, err = dec.Token(); err != nil {
				return bad("%v", err)
			}
			s, ok := tok.(string)
			if !ok {
				return bad("value of %q is not a string", key)
			}
			e := new(group.Element)
			if err := e.UnmarshalText([]byte(s)); err != nil {
				return fmt.Errorf("elgamal: ciphertext JSON: pair %d: %s: %w", len(alpha), key, err)
			}
			if key == "alpha" && e.IsIdentity() == 1 {
				return fmt.Errorf("elgamal: ciphertext JSON: pair %d: alpha: %w: %w", len(alpha), group.ErrEncoding, errIdentityAlpha)
			}
			*dst = e
		}
		if a == nil || b == nil {
			return bad("pair %d lacks alpha or beta", len(alpha))
		}
		if err := expectDelim('}'); err != nil {
			return err
		}
		alpha, beta = append(alpha, a), append(beta, b)
	}
	if err := expectDelim(']'); err != nil {
		return err
	}
	if len(alpha) == 0 {
		return bad("no pairs")
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("trailing data")
	}
	c.Alpha, c.Beta = alpha, beta
	return nil
}

// pairTextSize is the length of {"alpha":"…","beta":"…"},
const pairTextSize = len(`{"alpha":"","beta":""},`) + 2*group.TextSize
