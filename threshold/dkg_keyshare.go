package threshold

import (
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/eo-mixnet/eo/group"
)

// redacted is what secrets show of themselves in logs and formatted output.
const redacted = "[redacted]"

// baseTable is the FixedBase table of the base point B, built on first use.
var baseTable = sync.OnceValue(func() *group.FixedBase {
	return group.NewFixedBase(group.NewGeneratorElement())
})

// KeyShareSize is the length of a key share's encoding: the authority's
// index (1 byte) and x_i (32 bytes).
const KeyShareSize = 1 + group.ScalarSize

// KeyShare is authority i's share x_i of the joint decryption key x: any t
// shares determine x, fewer reveal nothing about it. Its verification key
// VK_i = x_i·B is public (DKGPublic.VerificationKeys).
//
// A KeyShare never shows its value: String, GoString, Format (every verb)
// and LogValue all give "[redacted]", and it implements no marshaling
// interface, so that encoding/json and its kin cannot write it by accident;
// Bytes is the one explicit way out. Wipe zeroes it; any later use other
// than Wipe and the redacted formatting panics.
type KeyShare struct {
	index int
	x     group.Scalar
	wiped bool
}

func newKeyShare(index int, x *group.Scalar) *KeyShare {
	k := &KeyShare{index: index}
	k.x.Set(x)
	return k
}

func (k *KeyShare) mustUsable() {
	if k == nil || k.index == 0 {
		panic("threshold: use of an uninitialised KeyShare")
	}
	if k.wiped {
		panic("threshold: use of a wiped KeyShare")
	}
}

// Index returns the authority index i (1 … n) the share belongs to.
func (k *KeyShare) Index() int {
	k.mustUsable()
	return k.index
}

// VerificationKey returns VK_i = x_i·B, computed in constant time.
func (k *KeyShare) VerificationKey() *group.Element {
	k.mustUsable()
	return new(group.Element).FixedBaseMult(&k.x, baseTable())
}

// Bytes returns the secret encoding index ‖ x_i (KeyShareSize bytes). The
// caller owns the copy, must protect it at rest and should clear it after
// use.
func (k *KeyShare) Bytes() []byte {
	k.mustUsable()
	return append([]byte{byte(k.index)}, k.x.Bytes()...)
}

// DecodeKeyShare decodes the output of Bytes. It rejects other lengths, an
// index outside 1 … MaxAuthorities and a non-canonical scalar, with an
// error wrapping ErrMalformed that shows no secret byte.
func DecodeKeyShare(b []byte) (*KeyShare, error) {
	if len(b) != KeyShareSize {
		return nil, malformed("key share must be %d bytes, got %d", KeyShareSize, len(b))
	}
	if b[0] < 1 || b[0] > MaxAuthorities {
		return nil, malformed("key share index %d out of range (1 to %d)", b[0], MaxAuthorities)
	}
	x, err := group.DecodeScalar(b[1:])
	if err != nil {
		return nil, fmt.Errorf("%w: key share: %w", ErrMalformed, err)
	}
	k := newKeyShare(int(b[0]), x)
	x.Set(group.NewScalar())
	return k, nil
}

// Wipe overwrites the secret scalar with zero.
func (k *KeyShare) Wipe() {
	if k == nil {
		return
	}
	k.x.Set(group.NewScalar())
	k.wiped = true
}

// String returns "[redacted]".
func (k *KeyShare) String() string { return redacted }

// GoString returns "[redacted]", for %#v.
func (k *KeyShare) GoString() string { return redacted }

// Format writes "[redacted]" for every verb.
func (k *KeyShare) Format(f fmt.State, verb rune) { io.WriteString(f, redacted) }

// LogValue implements slog.LogValuer: a key share logs as "[redacted]".
func (k *KeyShare) LogValue() slog.Value { return slog.StringValue(redacted) }
