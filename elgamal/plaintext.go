package elgamal

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"

	"github.com/eo-mixnet/eo/group"
)

// ErrInvalidPlaintext is wrapped by the errors of the plaintext embedding:
// a message too long to embed, an integer out of range, or an element that
// is not the embedding of any message.
var ErrInvalidPlaintext = errors.New("elgamal: invalid plaintext")

// PlaintextSize is the largest number of bytes EncodePlaintext embeds.
const PlaintextSize = 30

// MaxIntBits is the bit length of the largest integer EncodeInt embeds
// (2^240 − 1): PlaintextSize bytes.
const MaxIntBits = 8 * PlaintextSize

// embedCounters is the number of counter values tried: 9 bits.
const embedCounters = 512

// embedCandidate writes the ctr-th candidate encoding for message m:
//
//	s[0]     = (ctr mod 128)·2          (bit 0 clear: s must be non-negative)
//	s[1:31]  = m, then zeros
//	s[31]    = len(m) | (ctr div 128)·32  (bit 7 clear: s < 2^255 − 19)
//
// len(m) ≤ 30 fits in the five low bits of s[31].
func embedCandidate(s *[32]byte, m []byte, ctr int) {
	clear(s[:])
	s[0] = byte(ctr&0x7f) << 1
	copy(s[1:31], m)
	s[31] = byte(len(m)) | byte(ctr>>7)<<5
}

// EncodePlaintext embeds m (at most PlaintextSize bytes, possibly empty)
// into a group element by try-and-increment (specified in doc/verify.md
// §5, with vectors in testdata/vectors/embedding.json): it returns the element with
// the first candidate encoding (embedCandidate, counter 0, 1, …, 511) that
// is a canonical ristretto255 encoding and not the identity. About one
// candidate in four decodes (four tries on average, TestEmbedTries), so
// all 512 counters fail for a message with probability about 2^-212;
// EncodePlaintext then returns an error wrapping ErrInvalidPlaintext. Its
// running time depends on m.
func EncodePlaintext(m []byte) (*group.Element, error) {
	if len(m) > PlaintextSize {
		return nil, fmt.Errorf("%w: %d bytes is more than %d", ErrInvalidPlaintext, len(m), PlaintextSize)
	}
	e, _, err := embed(m)
	return e, err
}

func embed(m []byte) (*group.Element, int, error) {
	var s [32]byte
	e := new(group.Element)
	for ctr := range embedCounters {
		embedCandidate(&s, m, ctr)
		if _, err := e.SetCanonicalBytes(s[:]); err == nil && e.IsIdentity() == 0 {
			return e, ctr, nil
		}
	}
	return nil, 0, fmt.Errorf("%w: no encoding found for this message", ErrInvalidPlaintext)
}

// DecodePlaintext returns the message embedded in e by EncodePlaintext. An
// element that EncodePlaintext does not return for any message (a length
// above 30, non-zero padding, or a counter that is not the first to
// decode) is rejected with an error wrapping ErrInvalidPlaintext, so that
// every message has exactly one valid element. Its running time depends
// on e.
func DecodePlaintext(e *group.Element) ([]byte, error) {
	if e == nil {
		return nil, fmt.Errorf("%w: nil element", ErrInvalidPlaintext)
	}
	s := e.Bytes()
	n := int(s[31] & 0x1f)
	if s[31]&0x80 != 0 || n > PlaintextSize {
		return nil, fmt.Errorf("%w: length %d out of range", ErrInvalidPlaintext, n)
	}
	if !allZero(s[1+n : 31]) {
		return nil, fmt.Errorf("%w: non-zero padding", ErrInvalidPlaintext)
	}
	m := s[1 : 1+n : 1+n]
	ctr := int(s[0]>>1) | int(s[31]>>5&3)<<7
	if _, first, err := embed(m); err != nil || first != ctr {
		return nil, fmt.Errorf("%w: not the first encoding of its message", ErrInvalidPlaintext)
	}
	return bytes.Clone(m), nil
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// EncodeInt embeds a non-negative integer n < 2^240 as the message of its
// minimal big-endian bytes (zero is the empty message). Integers and byte
// strings share one message space; which one a question uses is part of
// its definition.
func EncodeInt(n *big.Int) (*group.Element, error) {
	if n == nil || n.Sign() < 0 || n.BitLen() > MaxIntBits {
		return nil, fmt.Errorf("%w: integer out of range [0, 2^%d)", ErrInvalidPlaintext, MaxIntBits)
	}
	return EncodePlaintext(n.Bytes())
}

// DecodeInt returns the integer embedded by EncodeInt; a message with a
// leading zero byte is not the minimal encoding of an integer and is
// rejected.
func DecodeInt(e *group.Element) (*big.Int, error) {
	m, err := DecodePlaintext(e)
	if err != nil {
		return nil, err
	}
	if len(m) > 0 && m[0] == 0 {
		return nil, fmt.Errorf("%w: integer with a leading zero byte", ErrInvalidPlaintext)
	}
	return new(big.Int).SetBytes(m), nil
}

// EncodeUint64 is EncodeInt for a uint64.
func EncodeUint64(v uint64) (*group.Element, error) {
	return EncodeInt(new(big.Int).SetUint64(v))
}

// DecodeUint64 is DecodeInt for integers below 2^64; larger ones are
// rejected.
func DecodeUint64(e *group.Element) (uint64, error) {
	n, err := DecodeInt(e)
	if err != nil {
		return 0, err
	}
	if !n.IsUint64() {
		return 0, fmt.Errorf("%w: integer does not fit in 64 bits", ErrInvalidPlaintext)
	}
	return n.Uint64(), nil
}
