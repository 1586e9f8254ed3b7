package elgamal

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/eo-mixnet/eo/group"
)

// redacted is what a private key shows of itself in logs and formatted output.
const redacted = "[redacted]"

// BaseTable returns the constant-time fixed-base table of the base point
// B, shared by everything that multiplies B by a secret.
func BaseTable() *group.FixedBase { return baseTable() }

// baseTable is the FixedBase table of the base point B, built on first use.
var baseTable = sync.OnceValue(func() *group.FixedBase {
	return group.NewFixedBase(group.NewGeneratorElement())
})

// maxRandomTries bounds the retries of a random draw that must be non-zero;
// a random source that gives zero that often is broken.
const maxRandomTries = 8

var errBrokenRand = errors.New("elgamal: random source returned zero scalars repeatedly")

// randomNonZeroScalar returns a uniform non-zero scalar read from rand
// (crypto/rand if nil). Only a zero draw, probability 2^-252, is retried.
func randomNonZeroScalar(rand io.Reader) (*group.Scalar, error) {
	for range maxRandomTries {
		s, err := group.RandomScalar(rand)
		if err != nil {
			return nil, fmt.Errorf("elgamal: reading randomness: %w", err)
		}
		if group.IsZeroScalar(s) == 0 {
			return s, nil
		}
	}
	return nil, errBrokenRand
}

// PrivateKey is an ElGamal decryption key, a non-zero scalar x. It never
// shows its value in logs or formatted output (String, GoString, Format and
// LogValue all give "[redacted]"), and it deliberately implements no
// marshaling interface, so that encoding/json and its kin cannot write it
// by accident: use Bytes or Text explicitly. Wipe zeroes it.
type PrivateKey struct {
	x     group.Scalar
	pub   *PublicKey
	wiped bool
}

// GenerateKey returns a new key pair drawn from rand (crypto/rand if nil).
func GenerateKey(rand io.Reader) (*PrivateKey, error) {
	x, err := randomNonZeroScalar(rand)
	if err != nil {
		return nil, err
	}
	k := newPrivateKey(x)
	x.Set(group.NewScalar())
	return k, nil
}

func newPrivateKey(x *group.Scalar) *PrivateKey {
	k := &PrivateKey{}
	k.x.Set(x)
	Y := new(group.Element).FixedBaseMult(x, baseTable())
	k.pub = newPublicKey(Y, Y.Bytes())
	return k
}

// DecodePrivateKey returns the key whose canonical 32-byte encoding (a
// little-endian scalar below ℓ) is b. Zero is rejected.
func DecodePrivateKey(b []byte) (*PrivateKey, error) {
	x, err := group.DecodeScalar(b)
	if err != nil {
		return nil, fmt.Errorf("elgamal: private key: %w", err)
	}
	if group.IsZeroScalar(x) == 1 {
		return nil, fmt.Errorf("elgamal: private key is zero: %w", group.ErrEncoding)
	}
	return newPrivateKey(x), nil
}

// PrivateKeyFromText decodes the text form of a private key (43
// characters of unpadded base64url).
func PrivateKeyFromText(s string) (*PrivateKey, error) {
	x, err := group.ScalarFromText(s)
	if err != nil {
		return nil, fmt.Errorf("elgamal: private key: %w", err)
	}
	return DecodePrivateKey(x.Bytes())
}

func (k *PrivateKey) mustUsable() {
	if k == nil || k.pub == nil {
		panic("elgamal: use of an uninitialised PrivateKey")
	}
	if k.wiped {
		panic("elgamal: use of a wiped PrivateKey")
	}
}

// Bytes returns the secret 32-byte encoding of k. The caller owns the copy
// and should clear it after use.
func (k *PrivateKey) Bytes() []byte {
	k.mustUsable()
	return k.x.Bytes()
}

// Text returns the secret text encoding of k.
func (k *PrivateKey) Text() string {
	k.mustUsable()
	return group.ScalarText(&k.x)
}

// Public returns the public key of k.
func (k *PrivateKey) Public() *PublicKey {
	k.mustUsable()
	return k.pub
}

// Equal reports whether k and o are the same key, in constant time.
func (k *PrivateKey) Equal(o *PrivateKey) bool {
	k.mustUsable()
	o.mustUsable()
	return k.x.Equal(&o.x) == 1
}

// Wipe overwrites the secret scalar with zero. Any later use of k other
// than Wipe and the redacted formatting panics.
func (k *PrivateKey) Wipe() {
	if k == nil {
		return
	}
	k.x.Set(group.NewScalar())
	k.wiped = true
}

// String returns "[redacted]".
func (k *PrivateKey) String() string { return redacted }

// GoString returns "[redacted]", for %#v.
func (k *PrivateKey) GoString() string { return redacted }

// Format writes "[redacted]" for every verb, so that no fmt verb (%d, %x,
// %+v, …) prints the scalar's internals.
func (k *PrivateKey) Format(f fmt.State, verb rune) { io.WriteString(f, redacted) }

// LogValue implements slog.LogValuer: a key logs as "[redacted]".
func (k *PrivateKey) LogValue() slog.Value { return slog.StringValue(redacted) }

// PublicKey is an ElGamal encryption key Y = x·B, never the identity. It
// keeps its canonical encoding and, once built, a 60 KiB FixedBase table
// for constant-time encryption. A PublicKey is safe for concurrent use;
// the zero value is not valid (use a decoder or PrivateKey.Public).
type PublicKey struct {
	y   group.Element
	enc [group.ElementSize]byte
	t   *pkTable
}

type pkTable struct {
	once sync.Once
	y    *group.FixedBase
}

func newPublicKey(Y *group.Element, enc []byte) *PublicKey {
	pk := &PublicKey{t: new(pkTable)}
	pk.y.Set(Y)
	copy(pk.enc[:], enc)
	return pk
}

// DecodePublicKey returns the public key whose canonical 32-byte encoding
// is b. Non-canonical encodings, other lengths and the identity are
// rejected with an error wrapping group.ErrEncoding.
func DecodePublicKey(b []byte) (*PublicKey, error) {
	Y, err := group.DecodeElement(b)
	if err != nil {
		return nil, fmt.Errorf("elgamal: public key: %w", err)
	}
	if Y.IsIdentity() == 1 {
		return nil, fmt.Errorf("elgamal: public key is the identity: %w", group.ErrEncoding)
	}
	return newPublicKey(Y, b), nil
}

// PublicKeyFromText decodes the text form of a public key (43 characters
// of unpadded base64url).
func PublicKeyFromText(s string) (*PublicKey, error) {
	pk := new(PublicKey)
	if err := pk.UnmarshalText([]byte(s)); err != nil {
		return nil, err
	}
	return pk, nil
}

// Valid reports whether pk is a decoded or generated key (not a zero
// PublicKey value).
func (pk *PublicKey) Valid() bool { return pk != nil && pk.t != nil }

func (pk *PublicKey) mustValid() {
	if pk == nil || pk.t == nil {
		panic("elgamal: use of an uninitialised PublicKey")
	}
}

// Precompute builds the FixedBase table of Y now, if it was not built yet;
// otherwise the first encryption builds it. It is safe to call
// concurrently and more than once.
func (pk *PublicKey) Precompute() {
	pk.mustValid()
	pk.t.once.Do(func() { pk.t.y = group.NewFixedBase(&pk.y) })
}

func (pk *PublicKey) table() *group.FixedBase {
	pk.Precompute()
	return pk.t.y
}

// Element returns a copy of Y.
func (pk *PublicKey) Element() *group.Element {
	pk.mustValid()
	return new(group.Element).Set(&pk.y)
}

// Bytes returns the 32-byte canonical encoding of Y.
func (pk *PublicKey) Bytes() []byte {
	pk.mustValid()
	return append([]byte(nil), pk.enc[:]...)
}

// Equal reports whether pk and o are the same key.
func (pk *PublicKey) Equal(o *PublicKey) bool {
	pk.mustValid()
	o.mustValid()
	return pk.enc == o.enc
}

// String returns the text encoding of pk.
func (pk *PublicKey) String() string {
	pk.mustValid()
	return group.EncodeText(pk.enc[:])
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (pk *PublicKey) MarshalBinary() ([]byte, error) { return pk.Bytes(), nil }

// UnmarshalBinary implements encoding.BinaryUnmarshaler with the rules of
// DecodePublicKey; on error pk is unchanged. It must not race with other
// uses of pk.
func (pk *PublicKey) UnmarshalBinary(b []byte) error {
	k, err := DecodePublicKey(b)
	if err != nil {
		return err
	}
	pk.y.Set(&k.y)
	pk.enc = k.enc
	pk.t = k.t
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (pk *PublicKey) MarshalText() ([]byte, error) { return []byte(pk.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: it accepts only the
// 43-character canonical text form of a non-identity element. On error pk
// is unchanged. It must not race with other uses of pk.
func (pk *PublicKey) UnmarshalText(text []byte) error {
	var Y group.Element
	if err := Y.UnmarshalText(text); err != nil {
		return fmt.Errorf("elgamal: public key: %w", err)
	}
	return pk.UnmarshalBinary(Y.Bytes())
}
