package group

import (
	"crypto/rand"
	"encoding/binary"
	"io"

	"filippo.io/edwards25519"
)

// Scalar is an integer modulo ℓ, the order of ristretto255. It is
// edwards25519's scalar type: all its operations are constant time.
type Scalar = edwards25519.Scalar

// NewScalar returns a new zero Scalar.
func NewScalar() *Scalar { return edwards25519.NewScalar() }

// ScalarFromUint64 returns a new Scalar set to x.
func ScalarFromUint64(x uint64) *Scalar {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:], x)
	s, err := edwards25519.NewScalar().SetCanonicalBytes(b[:])
	if err != nil {
		panic("group: internal error: small scalar rejected")
	}
	return s
}

// RandomScalar returns a uniformly random scalar read from r (crypto/rand
// if r is nil), by reducing 64 bytes modulo ℓ.
func RandomScalar(r io.Reader) (*Scalar, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [64]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, err
	}
	s, err := edwards25519.NewScalar().SetUniformBytes(b[:])
	if err != nil {
		panic("group: internal error: " + err.Error())
	}
	return s, nil
}

// MustRandomScalar is RandomScalar(crypto/rand.Reader); crypto/rand does
// not fail on supported platforms, and if it does this panics.
func MustRandomScalar() *Scalar {
	s, err := RandomScalar(nil)
	if err != nil {
		panic("group: crypto/rand failed: " + err.Error())
	}
	return s
}

// DecodeScalar returns the scalar whose canonical 32-byte little-endian
// encoding is b. Wrong lengths and values ≥ ℓ are rejected.
func DecodeScalar(b []byte) (*Scalar, error) {
	if len(b) != ScalarSize {
		return nil, wrapf("scalar must be %d bytes, got %d", ScalarSize, len(b))
	}
	s, err := edwards25519.NewScalar().SetCanonicalBytes(b)
	if err != nil {
		return nil, wrapf("scalar is not canonical (≥ ℓ)")
	}
	return s, nil
}

// DecodeElement returns the element whose canonical encoding is b.
func DecodeElement(b []byte) (*Element, error) {
	return new(Element).SetCanonicalBytes(b)
}

// IsZeroScalar reports whether s is zero, in constant time (1 or 0).
func IsZeroScalar(s *Scalar) int {
	return s.Equal(edwards25519.NewScalar())
}
