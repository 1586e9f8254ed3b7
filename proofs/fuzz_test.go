package proofs

import (
	"bytes"
	"testing"

	"github.com/eo-mixnet/eo/group"
)

func fuzzSeeds(t testing.TB) (*Schnorr, *DLEQ, *group.Element, *group.Scalar) {
	r := testRand(99)
	x := rscalar(t, r)
	X := new(group.Element).ScalarBaseMult(x)
	G := group.NewGeneratorElement()
	ps, err := ProveSchnorr(ctxTranscript("F"), G, X, x, r)
	if err != nil {
		t.Fatal(err)
	}
	pd, err := ProveDLEQ(ctxTranscript("F"), G, X, G, X, x, r)
	if err != nil {
		t.Fatal(err)
	}
	return ps, pd, X, x
}

func FuzzDecodeSchnorr(f *testing.F) {
	ps, _, _, _ := fuzzSeeds(f)
	f.Add(ps.Bytes())
	f.Add(make([]byte, SchnorrSize))
	f.Add(bytes.Repeat([]byte{0xff}, SchnorrSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeSchnorr(b)
		if err != nil {
			return
		}
		if !bytes.Equal(p.Bytes(), b) {
			t.Fatalf("round trip changed %x", b)
		}
	})
}

func FuzzDecodeDLEQ(f *testing.F) {
	_, pd, _, _ := fuzzSeeds(f)
	f.Add(pd.Bytes())
	f.Add(make([]byte, DLEQSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeDLEQ(b)
		if err != nil {
			return
		}
		if !bytes.Equal(p.Bytes(), b) {
			t.Fatalf("round trip changed %x", b)
		}
	})
}

// FuzzVerifySchnorr feeds arbitrary proofs for a fixed statement: the
// verifier must never panic, and nothing but the real proof verifies.
func FuzzVerifySchnorr(f *testing.F) {
	ps, _, X, _ := fuzzSeeds(f)
	good := ps.Bytes()
	f.Add(good, "F")
	f.Add(good, "G")
	f.Fuzz(func(t *testing.T, b []byte, election string) {
		p, err := DecodeSchnorr(b)
		if err != nil {
			return
		}
		err = VerifySchnorr(ctxTranscript(election), group.NewGeneratorElement(), X, p)
		if err == nil && (!bytes.Equal(b, good) || election != "F") {
			t.Fatalf("forged proof verified: %x %q", b, election)
		}
	})
}

// FuzzVerifyBatchDLEQ splits the input into a list of (H, Y) pairs and a
// proof; the verifier must never panic.
func FuzzVerifyBatchDLEQ(f *testing.F) {
	_, _, X, x := fuzzSeeds(f)
	G := group.NewGeneratorElement()
	H := []*group.Element{G, X}
	Y := []*group.Element{X, new(group.Element).ScalarMult(x, X)}
	p, err := ProveBatchDLEQ(ctxTranscript("F"), G, X, H, Y, nil, nil, x, testRand(1))
	if err != nil {
		f.Fatal(err)
	}
	var seed []byte
	for i := range H {
		seed = append(append(seed, H[i].Bytes()...), Y[i].Bytes()...)
	}
	f.Add(append(seed, p.Bytes()...))
	f.Add(p.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < DLEQSize || (len(b)-DLEQSize)%64 != 0 || len(b) > 64*64+DLEQSize {
			return
		}
		proof, err := DecodeDLEQ(b[len(b)-DLEQSize:])
		if err != nil {
			return
		}
		var hs, ys []*group.Element
		for off := 0; off+64 <= len(b)-DLEQSize; off += 64 {
			h, err1 := group.DecodeElement(b[off : off+32])
			y, err2 := group.DecodeElement(b[off+32 : off+64])
			if err1 != nil || err2 != nil {
				return
			}
			hs, ys = append(hs, h), append(ys, y)
		}
		_ = VerifyBatchDLEQ(ctxTranscript("F"), G, X, hs, ys, nil, nil, proof)
	})
}
