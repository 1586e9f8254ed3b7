package group

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"testing"

	"filippo.io/edwards25519/field"
	"github.com/gtank/ristretto255"
	"github.com/stretchr/testify/require"
)

// testRand is a deterministic source for reproducible tests.
func testRand(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	return mrand.NewChaCha8(s)
}

func randScalar(t testing.TB, r *mrand.ChaCha8) *Scalar {
	s, err := RandomScalar(r)
	require.NoError(t, err)
	return s
}

func randElement(t testing.TB, r *mrand.ChaCha8) *Element {
	return new(Element).ScalarBaseMult(randScalar(t, r))
}

func TestConstants(t *testing.T) {
	var a, b field.Element
	// D = -121665/121666
	a.Mult32(feD, 121666)
	b.Negate(b.Mult32(feOne, 121665))
	require.Equal(t, 1, a.Equal(&b), "D")
	require.Equal(t, 1, a.Square(feSqrtM1).Equal(feMinusOne), "SQRT_M1^2 = -1")
	// SQRT_AD_MINUS_ONE^2 = a*d - 1 = -d - 1
	b.Subtract(b.Negate(feD), feOne)
	require.Equal(t, 1, a.Square(feSqrtADMinusOne).Equal(&b), "SQRT_AD_MINUS_ONE")
	// INVSQRT_A_MINUS_D^2 * (a - d) = 1
	a.Square(feInvSqrtAMinusD)
	a.Multiply(&a, b.Subtract(feMinusOne, feD))
	require.Equal(t, 1, a.Equal(feOne), "INVSQRT_A_MINUS_D")
	b.Subtract(feOne, a.Square(feD))
	require.Equal(t, 1, feOneMinusDSq.Equal(&b), "ONE_MINUS_D_SQ")
	a.Subtract(feD, feOne)
	require.Equal(t, 1, feDMinusOneSq.Equal(a.Square(&a)), "D_MINUS_ONE_SQ")
}

type rfc9496 struct {
	SmallMultiples       []string `json:"small_multiples"`
	BadEncodings         []string `json:"bad_encodings"`
	MapInputs            []string `json:"map_sha512_inputs"`
	MapElements          []string `json:"map_sha512_elements"`
	MapEquivalentInputs  []string `json:"map_equivalent_inputs"`
	MapEquivalentElement string   `json:"map_equivalent_element"`
}

func loadRFC9496(t *testing.T) *rfc9496 {
	data, err := os.ReadFile("testdata/rfc9496.json")
	require.NoError(t, err)
	var v rfc9496
	require.NoError(t, json.Unmarshal(data, &v))
	return &v
}

func mustHex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestRFC9496Vectors(t *testing.T) {
	v := loadRFC9496(t)
	require.Len(t, v.SmallMultiples, 16)
	p := NewIdentityElement()
	B := NewGeneratorElement()
	for i, want := range v.SmallMultiples {
		require.Equal(t, want, hex.EncodeToString(p.Bytes()), "%d·B", i)
		q, err := DecodeElement(mustHex(t, want))
		require.NoError(t, err)
		require.Equal(t, 1, q.Equal(p))
		require.Equal(t, 1, new(Element).ScalarBaseMult(ScalarFromUint64(uint64(i))).Equal(p))
		p.Add(p, B)
	}
	require.NotEmpty(t, v.BadEncodings)
	for _, bad := range v.BadEncodings {
		e := NewGeneratorElement()
		out, err := e.SetCanonicalBytes(mustHex(t, bad))
		require.Error(t, err, bad)
		require.Nil(t, out)
		require.ErrorIs(t, err, ErrEncoding)
		require.Equal(t, 1, e.Equal(NewGeneratorElement()), "receiver changed on error")
	}
	for i, in := range v.MapInputs {
		h := sha512.Sum512([]byte(in))
		e, err := new(Element).SetUniformBytes(h[:])
		require.NoError(t, err)
		require.Equal(t, v.MapElements[i], hex.EncodeToString(e.Bytes()))
	}
	for _, in := range v.MapEquivalentInputs {
		e, err := new(Element).SetUniformBytes(mustHex(t, in))
		require.NoError(t, err)
		require.Equal(t, v.MapEquivalentElement, hex.EncodeToString(e.Bytes()))
	}
}

// TestDifferentialRistretto255 checks encoding, decoding and the one-way
// map against github.com/gtank/ristretto255 on random inputs.
func TestDifferentialRistretto255(t *testing.T) {
	r := testRand(1)
	for i := 0; i < 2000; i++ {
		var in [32]byte
		for j := range in {
			in[j] = byte(r.Uint64())
		}
		if i%2 == 0 { // make half of them valid
			e := randElement(t, r)
			copy(in[:], e.Bytes())
		}
		ours, errOurs := DecodeElement(in[:])
		theirs, errTheirs := ristretto255.NewIdentityElement().SetCanonicalBytes(in[:])
		require.Equal(t, errTheirs == nil, errOurs == nil, "%x", in)
		if errOurs == nil {
			require.Equal(t, theirs.Bytes(), ours.Bytes())
		}
		var u [64]byte
		for j := range u {
			u[j] = byte(r.Uint64())
		}
		a, err := new(Element).SetUniformBytes(u[:])
		require.NoError(t, err)
		b, err := ristretto255.NewIdentityElement().SetUniformBytes(u[:])
		require.NoError(t, err)
		require.Equal(t, b.Bytes(), a.Bytes())
	}
}

func TestEncodingRejects(t *testing.T) {
	e := NewGeneratorElement()
	good := e.Bytes()
	for _, in := range [][]byte{nil, {}, good[:31], append(append([]byte{}, good...), 0)} {
		_, err := DecodeElement(in)
		require.ErrorIs(t, err, ErrEncoding)
	}
	// Every truncation and extension fails.
	for n := 0; n < 64; n++ {
		in := make([]byte, n)
		copy(in, good)
		if n == 32 {
			continue
		}
		_, err := DecodeElement(in)
		require.ErrorIs(t, err, ErrEncoding)
		_, err = DecodeScalar(in)
		require.ErrorIs(t, err, ErrEncoding)
	}
	// Scalars ≥ ℓ.
	l := new(big.Int).Lsh(big.NewInt(1), 252)
	l.Add(l, bigFromDecimal("27742317777372353535851937790883648493"))
	for _, v := range []*big.Int{l, new(big.Int).Add(l, big.NewInt(1)), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))} {
		_, err := DecodeScalar(leBytes(v))
		require.ErrorIs(t, err, ErrEncoding, v.String())
	}
	s, err := DecodeScalar(leBytes(new(big.Int).Sub(l, big.NewInt(1))))
	require.NoError(t, err)
	require.Equal(t, 1, s.Equal(NewScalar().Negate(ScalarFromUint64(1))))
}

func bigFromDecimal(s string) *big.Int {
	n, _ := new(big.Int).SetString(s, 10)
	return n
}

func leBytes(n *big.Int) []byte {
	b := make([]byte, 32)
	n.FillBytes(b)
	for i := 0; i < 16; i++ {
		b[i], b[31-i] = b[31-i], b[i]
	}
	return b
}

func TestText(t *testing.T) {
	r := testRand(2)
	for i := 0; i < 100; i++ {
		e := randElement(t, r)
		txt, err := e.MarshalText()
		require.NoError(t, err)
		require.Len(t, txt, TextSize)
		got, err := ElementFromText(string(txt))
		require.NoError(t, err)
		require.Equal(t, 1, got.Equal(e))
		s := randScalar(t, r)
		gs, err := ScalarFromText(ScalarText(s))
		require.NoError(t, err)
		require.Equal(t, 1, gs.Equal(s))
	}
	good := NewGeneratorElement().String()
	bad := []string{"", good + "=", good[:42], good + "A", "+" + good[1:], good[:42] + "/",
		// last character with non-zero trailing bits
		good[:42] + string(flipTrailing(good[42])),
		" " + good[1:]}
	for _, b := range bad {
		_, err := ElementFromText(b)
		require.ErrorIs(t, err, ErrEncoding, "%q", b)
		_, err = ScalarFromText(b)
		require.ErrorIs(t, err, ErrEncoding, "%q", b)
	}
	// JSON
	var out struct{ E *Element }
	require.NoError(t, json.Unmarshal([]byte(`{"E":"`+good+`"}`), &out))
	require.Equal(t, 1, out.E.Equal(NewGeneratorElement()))
	require.Error(t, json.Unmarshal([]byte(`{"E":"`+good[:40]+`"}`), &out))
}

func flipTrailing(c byte) byte {
	// The 43rd character encodes 4 bits plus 2 trailing zero bits.
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := bytes.IndexByte([]byte(alpha), c)
	return alpha[i^1]
}

func TestArithmetic(t *testing.T) {
	r := testRand(3)
	for i := 0; i < 50; i++ {
		a, b := randScalar(t, r), randScalar(t, r)
		P := randElement(t, r)
		// (a+b)P = aP + bP
		lhs := new(Element).ScalarMult(NewScalar().Add(a, b), P)
		rhs := new(Element).Add(new(Element).ScalarMult(a, P), new(Element).ScalarMult(b, P))
		require.Equal(t, 1, lhs.Equal(rhs))
		// aP - aP = 0
		require.Equal(t, 1, new(Element).Subtract(lhs, rhs).IsIdentity())
		require.Equal(t, 0, lhs.IsIdentity())
		// a·(b·B) = (ab)·B
		require.Equal(t, 1, new(Element).ScalarMult(a, new(Element).ScalarBaseMult(b)).Equal(
			new(Element).ScalarBaseMult(NewScalar().Multiply(a, b))))
		// -P + P = 0; aliasing
		Q := new(Element).Set(P)
		Q.Add(Q, new(Element).Negate(Q))
		require.Equal(t, 1, Q.IsIdentity())
		require.Equal(t, 1, new(Element).VarTimeDoubleScalarBaseMult(a, P, b).Equal(
			new(Element).Add(new(Element).ScalarMult(a, P), new(Element).ScalarBaseMult(b))))
	}
	require.Equal(t, 1, NewIdentityElement().IsIdentity())
	require.Equal(t, 0, NewGeneratorElement().IsIdentity())
}

func naiveMSM(s []*Scalar, x []*Element) *Element {
	acc := NewIdentityElement()
	for i := range s {
		acc.Add(acc, new(Element).ScalarMult(s[i], x[i]))
	}
	return acc
}

func TestVarTimeMultiScalarMult(t *testing.T) {
	r := testRand(4)
	sizes := []int{0, 1, 2, 5, pippengerThreshold - 1, pippengerThreshold, pippengerThreshold + 1, 300, 2*minPointsPerWorker + 7, 5000}
	for _, n := range sizes {
		s := make([]*Scalar, n)
		x := make([]*Element, n)
		for i := range s {
			s[i] = randScalar(t, r)
			switch {
			case i%17 == 3:
				s[i] = NewScalar() // zero
			case i%17 == 5:
				s[i] = NewScalar().Negate(ScalarFromUint64(1)) // ℓ-1
			case i%17 == 7:
				s[i] = ScalarFromUint64(1)
			}
			x[i] = randElement(t, r)
			switch {
			case i%13 == 2:
				x[i] = NewIdentityElement()
			case i%13 == 4 && i > 0:
				x[i] = x[i-1] // duplicate point
			case i%13 == 6 && i > 0:
				x[i] = new(Element).Negate(x[i-1])
			}
		}
		want := naiveMSM(s, x)
		for _, procs := range []int{1, 2, 3} {
			got := NewGeneratorElement().varTimeMSM(s, x, procs)
			require.Equal(t, 1, got.Equal(want), "n=%d procs=%d", n, procs)
		}
		got := NewGeneratorElement().MultiScalarMult(s, x)
		require.Equal(t, 1, got.Equal(want), "constant-time MSM n=%d", n)
	}
	require.Panics(t, func() { new(Element).VarTimeMultiScalarMult(make([]*Scalar, 2), make([]*Element, 1)) })

	// Short scalars (fewer windows) and all-zero scalars.
	for _, bitsLen := range []int{0, 1, 64, 128, 200} {
		n := 500
		s := make([]*Scalar, n)
		x := make([]*Element, n)
		for i := range s {
			var b [64]byte
			for j := 0; j < bitsLen/8; j++ {
				b[j] = byte(r.Uint64())
			}
			if bitsLen%8 != 0 {
				b[bitsLen/8] = byte(r.Uint64()) & (1<<(bitsLen%8) - 1)
			}
			s[i], _ = NewScalar().SetUniformBytes(b[:])
			x[i] = randElement(t, r)
		}
		require.Equal(t, 1, new(Element).varTimeMSM(s, x, 1).Equal(naiveMSM(s, x)), "bits=%d", bitsLen)
	}
}

func TestSignedDigits(t *testing.T) {
	r := testRand(5)
	l1 := NewScalar().Negate(ScalarFromUint64(1))
	for c := 4; c <= 16; c++ {
		nw := (254 + c - 1) / c
		for i := 0; i < 200; i++ {
			s := randScalar(t, r)
			if i == 0 {
				s = l1
			}
			d := make([]int32, nw)
			signedDigits(d, s, c, nw)
			acc := new(big.Int)
			for w := nw - 1; w >= 0; w-- {
				require.LessOrEqual(t, d[w], int32(1)<<(c-1))
				require.Greater(t, d[w], -(int32(1)<<(c-1))-1)
				acc.Lsh(acc, uint(c))
				acc.Add(acc, big.NewInt(int64(d[w])))
			}
			require.Equal(t, 0, acc.Cmp(new(big.Int).SetBytes(reverse(s.Bytes()))), "c=%d", c)
		}
	}
}

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}

func TestFixedBase(t *testing.T) {
	r := testRand(6)
	P := randElement(t, r)
	fb := NewFixedBase(P)
	edge := []*Scalar{NewScalar(), ScalarFromUint64(1), ScalarFromUint64(8), ScalarFromUint64(15), ScalarFromUint64(16),
		NewScalar().Negate(ScalarFromUint64(1)), NewScalar().Negate(ScalarFromUint64(8))}
	for i := 0; i < 100; i++ {
		edge = append(edge, randScalar(t, r))
	}
	for _, s := range edge {
		want := new(Element).ScalarMult(s, P)
		got := NewGeneratorElement().FixedBaseMult(s, fb)
		require.Equal(t, 1, got.Equal(want))
	}
	gb := NewFixedBase(NewGeneratorElement())
	s := randScalar(t, r)
	require.Equal(t, 1, new(Element).FixedBaseMult(s, gb).Equal(new(Element).ScalarBaseMult(s)))
}

func TestExpandMessageXMD(t *testing.T) {
	// draft-irtf-cfrg-hash-to-curve vectors for expand_message_xmd(SHA-512)
	// with DST "QUUX-V01-CS02-with-expander".
	dst := []byte("QUUX-V01-CS02-with-expander")
	for _, v := range []struct {
		msg  string
		n    int
		want string
	}{
		{"", 32, "2eaa1f7b5715f4736e6a5dbe288257abf1faa028680c1d938cd62ac699ead642"},
		{"abc", 32, "0eeda81f69376c80c0f8986496f22f21124cb3c562cf1dc608d2c13005553b0f"},
		{"abcdef0123456789", 32, "2e375fc05e05e80dbf3083796fde2911789d9e8847e1fcebf4ca4b36e239b338"},
		{"", 128, "0687ce02eba5eb3faf1c3c539d1f04babd3c0f420edae244eeb2253b6c6d6865145c31458e824b4e87ca61c3442dc7c8c9872b0b7250aa33e0668ccebbd2b386de658ca11a1dcceb51368721ae6dcd2d4bc86eaebc4e0d11fa02ad053289c9b28a03da6c942b2e12c14e88dbde3b0ba619d6214f47212b628f3e1b537b66efcf"},
		{"abc", 128, "779ae4fd8a92f365e4df96b9fde97b40486bb005c1a2096c86f55f3d92875d89045fbdbc4a0e9f2d3e1e6bcd870b2d7131d868225b6fe72881a81cc5166b5285393f71d2e68bb0ac603479959370d06bdbe5f0d8bfd9af9494d1e4029bd68ab35a561341dd3f866b3ef0c95c1fdfaab384ce24a23427803dda1db0c7d8d5344a"},
	} {
		got, err := ExpandMessageXMD([]byte(v.msg), dst, v.n)
		require.NoError(t, err)
		require.Equal(t, v.want, hex.EncodeToString(got), "%q", v.msg)
	}
	_, err := ExpandMessageXMD(nil, nil, 64)
	require.Error(t, err)
	_, err = ExpandMessageXMD(nil, dst, 256*64)
	require.Error(t, err)
	_, err = ExpandMessageXMD(nil, make([]byte, 256), 64)
	require.Error(t, err)
	e1, err := HashToElement([]byte("a"), []byte("eo test"))
	require.NoError(t, err)
	e2, err := HashToElement([]byte("b"), []byte("eo test"))
	require.NoError(t, err)
	require.Equal(t, 0, e1.Equal(e2))
}

func TestErrorsWrap(t *testing.T) {
	_, err := DecodeElement(make([]byte, 3))
	require.True(t, errors.Is(err, ErrEncoding))
	require.Contains(t, err.Error(), "32 bytes")
}

func TestElementLists(t *testing.T) {
	r := testRand(8)
	es := make([]*Element, 1500)
	for i := range es {
		es[i] = randElement(t, r)
	}
	enc := EncodeElements(es)
	require.Len(t, enc, 1500*32)
	for i := range es {
		require.Equal(t, es[i].Bytes(), enc[i*32:(i+1)*32])
	}
	got, err := DecodeElements(enc)
	require.NoError(t, err)
	for i := range es {
		require.Equal(t, 1, got[i].Equal(es[i]))
	}
	_, err = DecodeElements(enc[:len(enc)-1])
	require.ErrorIs(t, err, ErrEncoding)
	bad := bytes.Clone(enc)
	copy(bad[700*32:], bytes.Repeat([]byte{0xff}, 32))
	copy(bad[1200*32:], bytes.Repeat([]byte{0xff}, 32))
	_, err = DecodeElements(bad)
	require.ErrorIs(t, err, ErrEncoding)
	require.Contains(t, err.Error(), "element 700")
	empty, err := DecodeElements(nil)
	require.NoError(t, err)
	require.Empty(t, empty)
}

func TestVarTimeFirstRepeat(t *testing.T) {
	r := testRand(9)
	es := make([]*Element, 200)
	for i := range es {
		es[i] = randElement(t, r)
	}
	_, found := VarTimeFirstRepeat(es)
	require.False(t, found)
	// Negations are distinct elements and share no key.
	neg := append(append([]*Element{}, es...), new(Element).Negate(es[5]))
	_, found = VarTimeFirstRepeat(neg)
	require.False(t, found)
	// The same element in another representation (P + T for a 2-torsion
	// T: (−X, −Y)) and a plain repeat are found at the later index.
	X, Y, Z, T := es[7].p.ExtendedCoordinates()
	var nx, ny field.Element
	other := new(Element)
	_, err := other.p.SetExtendedCoordinates(nx.Negate(X), ny.Negate(Y), Z, T)
	require.NoError(t, err)
	require.Equal(t, 1, other.Equal(es[7]))
	i, found := VarTimeFirstRepeat(append(append([]*Element{}, es...), other))
	require.True(t, found)
	require.Equal(t, 200, i)
	// A representative from the other half of the coset, P + (i, 0) =
	// (i·Y, i·X, Z, −T): Equal's second condition (y1·y2 = x1·x2).
	X, Y, Z, T = es[30].p.ExtendedCoordinates()
	var ix, iy, nt field.Element
	rot := new(Element)
	_, err = rot.p.SetExtendedCoordinates(iy.Multiply(Y, feSqrtM1), ix.Multiply(X, feSqrtM1), Z, nt.Negate(T))
	require.NoError(t, err)
	require.Equal(t, 1, rot.Equal(es[30]))
	require.Equal(t, es[30].Bytes(), rot.Bytes())
	es2 := append(append([]*Element{}, es[:50]...), rot)
	i, found = VarTimeFirstRepeat(es2)
	require.True(t, found)
	require.Equal(t, 50, i)
	i, found = VarTimeFirstRepeat([]*Element{es[0], NewIdentityElement()})
	require.True(t, found)
	require.Equal(t, 1, i)
	_, found = VarTimeFirstRepeat(nil)
	require.False(t, found)
}

func TestEncodeDoubled(t *testing.T) {
	r := testRand(10)
	ps := make([]Element, 300)
	for i := range ps {
		ps[i].Set(randElement(t, r))
		switch i {
		case 3:
			ps[i].Set(NewIdentityElement())
		case 4:
			ps[i].Set(NewGeneratorElement())
		case 5: // a non-normalised representation (Z ≠ 1)
			ps[i].Add(randElement(t, r), randElement(t, r))
		}
	}
	dst := make([]byte, 32*len(ps))
	EncodeDoubled(dst, ps)
	for i := range ps {
		want := new(Element).Add(&ps[i], &ps[i]).Bytes()
		require.Equal(t, want, dst[32*i:32*(i+1)], "element %d", i)
	}
	EncodeDoubled(nil, nil)
	require.Panics(t, func() { EncodeDoubled(make([]byte, 31), ps[:1]) })
}

func BenchmarkEncodeDoubled(b *testing.B) {
	sm := measureSM(b)
	r := testRand(1)
	ps := make([]Element, 256)
	for i := range ps {
		ps[i].Set(randElement(b, r))
	}
	dst := make([]byte, 32*len(ps))
	for b.Loop() {
		EncodeDoubled(dst, ps)
	}
	reportSM(b, sm, len(ps), "element")
}
