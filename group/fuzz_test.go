package group

import (
	"bytes"
	"testing"
)

func FuzzDecodeElement(f *testing.F) {
	f.Add(NewGeneratorElement().Bytes())
	f.Add(NewIdentityElement().Bytes())
	f.Add(bytes.Repeat([]byte{0xff}, 32))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeElement(b)
		if err != nil {
			return
		}
		if !bytes.Equal(e.Bytes(), b) {
			t.Fatalf("decode/encode changed %x", b)
		}
	})
}

func FuzzDecodeScalar(f *testing.F) {
	f.Add(ScalarFromUint64(7).Bytes())
	f.Add(bytes.Repeat([]byte{0xff}, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeScalar(b)
		if err != nil {
			return
		}
		if !bytes.Equal(s.Bytes(), b) {
			t.Fatalf("decode/encode changed %x", b)
		}
	})
}

func FuzzElementText(f *testing.F) {
	f.Add(NewGeneratorElement().String())
	f.Add(NewIdentityElement().String())
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ElementFromText(s)
		if err == nil && e.String() != s {
			t.Fatalf("text round trip changed %q", s)
		}
		sc, err := ScalarFromText(s)
		if err == nil && ScalarText(sc) != s {
			t.Fatalf("scalar text round trip changed %q", s)
		}
	})
}

func FuzzSetUniformBytes(f *testing.F) {
	f.Add(make([]byte, 64))
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := new(Element).SetUniformBytes(b)
		if (err == nil) != (len(b) == 64) {
			t.Fatalf("length %d: err %v", len(b), err)
		}
		if err == nil {
			if _, err := DecodeElement(e.Bytes()); err != nil {
				t.Fatalf("mapped element does not decode: %v", err)
			}
		}
	})
}

// DecodeAffine accepts exactly what DecodeElements accepts, and the same
// elements.
func FuzzDecodeAffine(f *testing.F) {
	f.Add(append(NewGeneratorElement().Bytes(), NewIdentityElement().Bytes()...))
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		want, werr := DecodeElements(b)
		dst := make([]Affine, len(b)/ElementSize)
		err := DecodeAffine(dst, b)
		if (err == nil) != (werr == nil) {
			t.Fatalf("DecodeAffine: %v, DecodeElements: %v", err, werr)
		}
		for i := range want {
			if dst[i].Element(new(Element)).Equal(want[i]) != 1 {
				t.Fatalf("element %d differs", i)
			}
		}
	})
}
