package shuffle

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzDecodeProof(f *testing.F) {
	fx := newFixture(f, testRand(50), 2, 1)
	f.Add(fx.proof.Bytes(), uint16(2), uint8(1))
	f.Add([]byte{1, 0, 0, 0, 1, 0, 0, 0, 1}, uint16(1), uint8(1))
	f.Add([]byte{}, uint16(0), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, n uint16, w uint8) {
		p, err := DecodeProof(b, int(n%64), int(w%4))
		if err != nil {
			return
		}
		if !bytes.Equal(p.Bytes(), b) {
			t.Fatalf("decode/encode changed the proof")
		}
	})
}

// FuzzVerifyBytes mutates the output list and the proof of a fixed
// statement: verification must never panic, and nothing but the real pair
// verifies.
func FuzzVerifyBytes(f *testing.F) {
	fx := newFixture(f, testRand(51), 3, 1)
	good := fx.proof.Bytes()
	f.Add(fx.encOut, good)
	f.Add(fx.encOut, good[:len(good)-32])
	f.Add(fx.encIn, good)
	f.Fuzz(func(t *testing.T, out, proof []byte) {
		l, err := VerifyBytes(fx.ctx, fx.gens, fx.in, out, proof)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("error wraps neither sentinel: %v", err)
			}
			return
		}
		if !bytes.Equal(out, fx.encOut) || !bytes.Equal(proof, good) {
			t.Fatalf("a modified mix verified")
		}
		if !bytes.Equal(l.Bytes(), out) {
			t.Fatalf("the verified output list is not the one given")
		}
	})
}
