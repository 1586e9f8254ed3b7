package group

import (
	"encoding/base64"
	"fmt"
)

// b64 is the one text encoding of eo: unpadded base64url, strict (non-zero
// trailing bits and newlines are rejected).
var b64 = base64.RawURLEncoding.Strict()

// TextSize is the length of the text encoding of an element or a scalar.
const TextSize = 43

func wrapf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrEncoding}, args...)...)
}

// decodeText32 decodes the 43-character text form of 32 bytes.
func decodeText32(text []byte) ([]byte, error) {
	if len(text) != TextSize {
		return nil, wrapf("text must be %d base64url characters, got %d", TextSize, len(text))
	}
	var out [32]byte
	n, err := b64.Decode(out[:], text)
	if err != nil || n != 32 {
		return nil, wrapf("text is not canonical unpadded base64url")
	}
	return out[:], nil
}

// EncodeText returns the text encoding of 32 bytes.
func EncodeText(b []byte) string { return b64.EncodeToString(b) }

// MarshalText implements encoding.TextMarshaler.
func (e *Element) MarshalText() ([]byte, error) {
	var buf [ElementSize]byte
	out := make([]byte, TextSize)
	b64.Encode(out, e.bytes(&buf))
	return out, nil
}

// UnmarshalText implements encoding.TextUnmarshaler. It accepts only the
// canonical text form and leaves e unchanged on error.
func (e *Element) UnmarshalText(text []byte) error {
	b, err := decodeText32(text)
	if err != nil {
		return err
	}
	_, err = e.SetCanonicalBytes(b)
	return err
}

// String returns the text encoding of e.
func (e *Element) String() string {
	t, _ := e.MarshalText()
	return string(t)
}

// ElementFromText decodes the text form of an element.
func ElementFromText(text string) (*Element, error) {
	e := new(Element)
	if err := e.UnmarshalText([]byte(text)); err != nil {
		return nil, err
	}
	return e, nil
}

// ScalarText returns the text encoding of s.
func ScalarText(s *Scalar) string { return b64.EncodeToString(s.Bytes()) }

// ScalarFromText decodes the text form of a scalar.
func ScalarFromText(text string) (*Scalar, error) {
	b, err := decodeText32([]byte(text))
	if err != nil {
		return nil, err
	}
	return DecodeScalar(b)
}
