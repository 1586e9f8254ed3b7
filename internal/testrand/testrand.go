// Package testrand gives tests reproducible randomness: a seeded ChaCha8
// source and random scalars and elements drawn from it.
package testrand

import (
	mrand "math/rand/v2"
	"testing"

	"github.com/eo-mixnet/eo/group"
)

// New returns a deterministic source for seed.
func New(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return mrand.NewChaCha8(s)
}

// Scalar draws a uniform scalar from r.
func Scalar(t testing.TB, r *mrand.ChaCha8) *group.Scalar {
	t.Helper()
	s, err := group.RandomScalar(r)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Element draws a uniform element from r.
func Element(t testing.TB, r *mrand.ChaCha8) *group.Element {
	return new(group.Element).ScalarBaseMult(Scalar(t, r))
}

// Elements draws n uniform elements from r.
func Elements(t testing.TB, r *mrand.ChaCha8, n int) []*group.Element {
	out := make([]*group.Element, n)
	for i := range out {
		out[i] = Element(t, r)
	}
	return out
}
