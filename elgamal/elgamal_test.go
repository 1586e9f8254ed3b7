package elgamal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/enctest"
	"github.com/eo-mixnet/eo/internal/testrand"
	"github.com/stretchr/testify/require"
)

func testKey(t testing.TB, seed uint64) *PrivateKey {
	k, err := GenerateKey(testrand.New(seed))
	require.NoError(t, err)
	return k
}

// ---- keys ----

func TestKeys(t *testing.T) {
	k := testKey(t, 1)
	pk := k.Public()
	// Y = x·B.
	x, err := group.DecodeScalar(k.Bytes())
	require.NoError(t, err)
	require.Equal(t, 1, pk.Element().Equal(new(group.Element).ScalarBaseMult(x)))
	// Binary and text round trips.
	k2, err := DecodePrivateKey(k.Bytes())
	require.NoError(t, err)
	require.True(t, k.Equal(k2))
	k3, err := PrivateKeyFromText(k.Text())
	require.NoError(t, err)
	require.True(t, k.Equal(k3))
	pk2, err := DecodePublicKey(pk.Bytes())
	require.NoError(t, err)
	require.True(t, pk.Equal(pk2))
	pk3, err := PublicKeyFromText(pk.String())
	require.NoError(t, err)
	require.True(t, pk.Equal(pk3))
	require.Len(t, pk.String(), group.TextSize)
	// encoding interfaces, and JSON through them.
	js, err := json.Marshal(struct{ PK *PublicKey }{pk})
	require.NoError(t, err)
	require.Equal(t, `{"PK":"`+pk.String()+`"}`, string(js))
	var back struct{ PK *PublicKey }
	require.NoError(t, json.Unmarshal(js, &back))
	require.True(t, pk.Equal(back.PK))
	bin, _ := pk.MarshalBinary()
	var pk4 PublicKey
	require.NoError(t, pk4.UnmarshalBinary(bin))
	require.True(t, pk.Equal(&pk4))
	// Different seeds, different keys.
	require.False(t, pk.Equal(testKey(t, 2).Public()))
}

func TestGenerateKeyBrokenRand(t *testing.T) {
	_, err := GenerateKey(bytes.NewReader(make([]byte, 64*maxRandomTries)))
	require.ErrorIs(t, err, errBrokenRand)
	_, err = GenerateKey(bytes.NewReader(make([]byte, 10)))
	require.Error(t, err)
}

// A7: every public-key decoder rejects bad lengths, non-canonical
// encodings and the identity, and leaves its receiver unchanged.
func TestDecodePublicKeyRejects(t *testing.T) {
	good := testKey(t, 1).Public()
	bad := map[string][]byte{
		"identity": make([]byte, 32),
		"top bit":  enctest.ElementWithTopBit(),
		"empty":    nil,
		"short":    good.Bytes()[:31],
		"long":     append(good.Bytes(), 0),
	}
	for i, h := range enctest.BadEncodings {
		bad[fmt.Sprintf("rfc9496 bad %d", i)] = enctest.MustHex(h)
	}
	for name, b := range bad {
		_, err := DecodePublicKey(b)
		require.ErrorIs(t, err, group.ErrEncoding, name)
		pk := *good
		require.Error(t, pk.UnmarshalBinary(b), name)
		require.True(t, pk.Equal(good), name)
		if len(b) == 32 {
			_, err := PublicKeyFromText(group.EncodeText(b))
			require.ErrorIs(t, err, group.ErrEncoding, name)
		}
	}
	text := good.String()
	for name, s := range map[string]string{
		"padded":       text + "=",
		"std alphabet": "+" + text[1:],
		"short":        text[:42],
		"long":         text + "A",
		"newline":      text[:42] + "\n",
		"space":        " " + text[1:],
		"trailing bit": text[:42] + string(enctest.FlipLastB64(text[42])),
		"empty":        "",
	} {
		_, err := PublicKeyFromText(s)
		require.ErrorIs(t, err, group.ErrEncoding, name)
	}
}

func TestDecodePrivateKeyRejects(t *testing.T) {
	good := testKey(t, 1).Bytes()
	for name, b := range map[string][]byte{
		"zero":  make([]byte, 32),
		"ℓ":     enctest.ScalarL(),
		"ones":  bytes.Repeat([]byte{0xff}, 32),
		"short": good[:31],
		"long":  append(good, 0),
		"empty": nil,
	} {
		_, err := DecodePrivateKey(b)
		require.ErrorIs(t, err, group.ErrEncoding, name)
	}
	_, err := PrivateKeyFromText(group.EncodeText(make([]byte, 32)))
	require.ErrorIs(t, err, group.ErrEncoding)
	_, err = PrivateKeyFromText("not base64")
	require.ErrorIs(t, err, group.ErrEncoding)
}

// A private key shows nothing of itself in formatted output or logs.
func TestPrivateKeyRedacted(t *testing.T) {
	k := testKey(t, 1)
	secretHex := hex.EncodeToString(k.Bytes())
	secretText := k.Text()
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%X", "%q", "%T"} {
		out = append(out, fmt.Sprintf(verb, k))
	}
	out = append(out, fmt.Sprint(k), fmt.Sprintf("%v", struct{ K *PrivateKey }{k}), fmt.Sprintf("%+v", []any{k}))
	var logbuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logbuf, nil)).Info("key", "key", k)
	slog.New(slog.NewTextHandler(&logbuf, nil)).Info("key", "key", k)
	out = append(out, logbuf.String())
	js, err := json.Marshal(struct{ K *PrivateKey }{k})
	require.NoError(t, err)
	out = append(out, string(js))
	for _, s := range out {
		require.NotContains(t, s, secretHex)
		require.NotContains(t, s, secretText)
		require.NotContains(t, s, secretText[:20])
	}
	require.Equal(t, "[redacted]", fmt.Sprintf("%d", k))
	require.Contains(t, logbuf.String(), `"key":"[redacted]"`)
}

func TestWipe(t *testing.T) {
	k := testKey(t, 1)
	c, err := Encrypt(testrand.New(2), k.Public(), testrand.Elements(t, testrand.New(3), 1))
	require.NoError(t, err)
	k.Wipe()
	require.Equal(t, 1, group.IsZeroScalar(&k.x))
	require.Panics(t, func() { k.Decrypt(c) })
	require.Panics(t, func() { k.Bytes() })
	require.Equal(t, "[redacted]", k.String())
	k.Wipe() // idempotent
	var nilKey *PrivateKey
	nilKey.Wipe()
}

func TestPrecomputeConcurrent(t *testing.T) {
	pk, err := DecodePublicKey(testKey(t, 1).Public().Bytes())
	require.NoError(t, err)
	m := testrand.Elements(t, testrand.New(5), 1)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if i%2 == 0 {
				pk.Precompute()
			}
			_, err := Encrypt(nil, pk, m)
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.Panics(t, func() { new(PublicKey).Precompute() })
}

// ---- ciphertexts ----

func TestEncryptDecrypt(t *testing.T) {
	k := testKey(t, 1)
	for _, w := range []int{1, 3} {
		r := testrand.New(uint64(10 + w))
		m := testrand.Elements(t, r, w)
		m[0] = group.NewIdentityElement() // the identity is a plaintext like any other
		c, err := Encrypt(r, k.Public(), m)
		require.NoError(t, err)
		require.Equal(t, w, c.Width())
		got := k.Decrypt(c)
		require.Len(t, got, w)
		for j := range m {
			require.Equal(t, 1, got[j].Equal(m[j]), "w=%d j=%d", w, j)
			require.Equal(t, 0, c.Alpha[j].IsIdentity())
		}
		// Re-encryption keeps the plaintexts and changes every element.
		c2, err := ReEncrypt(r, k.Public(), c)
		require.NoError(t, err)
		got = k.Decrypt(c2)
		for j := range m {
			require.Equal(t, 1, got[j].Equal(m[j]))
			require.Equal(t, 0, c2.Alpha[j].Equal(c.Alpha[j]))
			require.Equal(t, 0, c2.Beta[j].Equal(c.Beta[j]))
		}
		require.False(t, c.Equal(c2))
		require.True(t, c.Equal(c))
	}
	_, err := Encrypt(nil, k.Public(), nil)
	require.Error(t, err)
	_, err = Encrypt(bytes.NewReader(nil), k.Public(), testrand.Elements(t, testrand.New(1), 1))
	require.Error(t, err)
}

func TestEncryptWithKnownRandomness(t *testing.T) {
	k := testKey(t, 1)
	pk := k.Public()
	r := testrand.New(7)
	m := testrand.Elements(t, r, 3)
	c, rs, err := encrypt(r, pk, m)
	require.NoError(t, err)
	for j := range m {
		require.Equal(t, 1, c.Alpha[j].Equal(new(group.Element).ScalarBaseMult(rs[j])))
		want := new(group.Element).ScalarMult(rs[j], pk.Element())
		want.Add(want, m[j])
		require.Equal(t, 1, c.Beta[j].Equal(want))
	}
	// ReEncryptWith(r') = encryption with r + r'.
	r2 := []*group.Scalar{testrand.Scalar(t, r), testrand.Scalar(t, r), group.NewScalar()}
	c2 := ReEncryptWith(pk, c, r2)
	for j := range m {
		sum := group.NewScalar().Add(rs[j], r2[j])
		require.Equal(t, 1, c2.Alpha[j].Equal(new(group.Element).ScalarBaseMult(sum)))
	}
	// r' = 0 leaves the pair unchanged.
	require.Equal(t, 1, c2.Alpha[2].Equal(c.Alpha[2]))
	require.Equal(t, 1, c2.Beta[2].Equal(c.Beta[2]))
	require.PanicsWithValue(t, "elgamal: ReEncryptWith with randomness of the wrong width", func() { ReEncryptWith(pk, c, r2[:2]) })
}

func TestHomomorphism(t *testing.T) {
	k := testKey(t, 1)
	r := testrand.New(8)
	for _, w := range []int{1, 3} {
		m1, m2 := testrand.Elements(t, r, w), testrand.Elements(t, r, w)
		c1, err := Encrypt(r, k.Public(), m1)
		require.NoError(t, err)
		c2, err := Encrypt(r, k.Public(), m2)
		require.NoError(t, err)
		sum := k.Decrypt(Add(c1, c2))
		for j := range sum {
			require.Equal(t, 1, sum[j].Equal(new(group.Element).Add(m1[j], m2[j])))
		}
	}
	c1, _ := Encrypt(r, k.Public(), testrand.Elements(t, r, 1))
	c3, _ := Encrypt(r, k.Public(), testrand.Elements(t, r, 3))
	require.Panics(t, func() { Add(c1, c3) })
	require.Panics(t, func() { Add(c1, &Ciphertext{}) })
	require.Panics(t, func() { k.Decrypt(&Ciphertext{Alpha: c3.Alpha, Beta: c3.Beta[:2]}) })
	require.Panics(t, func() { k.Decrypt(&Ciphertext{Alpha: []*group.Element{nil}, Beta: c1.Beta}) })
}

func testCiphertexts(t testing.TB, seed uint64, n, w int) []*Ciphertext {
	r := testrand.New(seed)
	pk := testKey(t, seed).Public()
	out := make([]*Ciphertext, n)
	for i := range out {
		c, err := Encrypt(r, pk, testrand.Elements(t, r, w))
		require.NoError(t, err)
		out[i] = c
	}
	return out
}

func TestCiphertextBinary(t *testing.T) {
	for _, w := range []int{1, 3} {
		c := testCiphertexts(t, 1, 1, w)[0]
		b, err := c.MarshalBinary()
		require.NoError(t, err)
		require.Len(t, b, 64*w)
		c2, err := DecodeCiphertext(b, w)
		require.NoError(t, err)
		require.True(t, c.Equal(c2))
		b2, _ := c2.MarshalBinary()
		require.Equal(t, b, b2)
		// Layout α_0 ‖ β_0 ‖ α_1 ‖ ….
		require.Equal(t, c.Alpha[w-1].Bytes(), b[64*(w-1):64*(w-1)+32])
		require.Equal(t, c.Beta[w-1].Bytes(), b[64*w-32:])
		// Every truncation and extension, and wrong widths, are rejected.
		for n := 0; n < len(b); n++ {
			_, err := DecodeCiphertext(b[:n], w)
			require.ErrorIs(t, err, group.ErrEncoding)
		}
		_, err = DecodeCiphertext(append(bytes.Clone(b), 0), w)
		require.ErrorIs(t, err, group.ErrEncoding)
		for _, bad := range []int{0, -1, w + 1, MaxWidth + 1, math.MinInt, math.MaxInt} {
			_, err := DecodeCiphertext(b, bad)
			require.ErrorIs(t, err, group.ErrEncoding, "width %d", bad)
		}
	}
}

// A7 for ciphertexts: every element position, every bad encoding; the
// identity as α is refused, as β accepted.
func TestDecodeCiphertextRejects(t *testing.T) {
	c := testCiphertexts(t, 2, 1, 3)[0]
	b, _ := c.MarshalBinary()
	bads := [][]byte{enctest.ElementWithTopBit()}
	for _, h := range enctest.BadEncodings {
		bads = append(bads, enctest.MustHex(h))
	}
	for pos := 0; pos < 6; pos++ {
		for _, bad := range bads {
			b2 := bytes.Clone(b)
			copy(b2[32*pos:], bad)
			_, err := DecodeCiphertext(b2, 3)
			require.ErrorIs(t, err, group.ErrEncoding, "pos %d", pos)
			_, err = DecodeList(b2, 3)
			require.ErrorIs(t, err, group.ErrEncoding, "pos %d", pos)
			_, err = DecodeListN(b2, 3, 1)
			require.ErrorIs(t, err, group.ErrEncoding, "pos %d", pos)
		}
		b2 := bytes.Clone(b)
		copy(b2[32*pos:], make([]byte, 32))
		_, err := DecodeCiphertext(b2, 3)
		if pos%2 == 0 {
			require.ErrorIs(t, err, group.ErrEncoding, "identity α at %d", pos)
			require.ErrorIs(t, err, errIdentityAlpha)
		} else {
			require.NoError(t, err, "identity β at %d", pos)
		}
	}
}

func TestCiphertextList(t *testing.T) {
	for _, n := range []int{1, 5, 600} {
		cs := testCiphertexts(t, uint64(n), n, 2)
		l, err := NewList(cs)
		require.NoError(t, err)
		require.Equal(t, n, l.Len())
		require.Equal(t, 2, l.Width())
		b := l.Bytes()
		require.Len(t, b, n*128)
		all := l.Ciphertexts()
		require.Len(t, all, n)
		require.Len(t, l.Points(), 2*2*n)
		for i, c := range cs {
			require.True(t, c.Equal(l.At(i)), "At builds ciphertext %d", i)
			require.True(t, c.Equal(all[i]), "Ciphertexts builds ciphertext %d", i)
			for k := 0; k < 2; k++ {
				require.Equal(t, 1, l.Points()[2*(2*i+k)].Element(new(group.Element)).Equal(c.Alpha[k]))
				require.Equal(t, 1, l.Points()[2*(2*i+k)+1].Element(new(group.Element)).Equal(c.Beta[k]))
			}
			enc, _ := c.MarshalBinary()
			require.Equal(t, enc, b[128*i:128*(i+1)], "ciphertext %d", i)
		}
		back, err := DecodeList(b, 2)
		require.NoError(t, err)
		require.Equal(t, n, back.Len())
		for i := range cs {
			require.True(t, cs[i].Equal(back.At(i)))
		}
		require.Equal(t, b, back.Bytes())
		again, err := NewList(back.Ciphertexts())
		require.NoError(t, err)
		require.Equal(t, b, again.Bytes())
		require.Panics(t, func() { back.At(n) })
		require.Panics(t, func() { back.At(-1) })
		back, err = DecodeListN(b, 2, n)
		require.NoError(t, err)
		require.Equal(t, n, back.Len())
		require.Equal(t, b, back.Bytes())
		for _, bad := range []int{n - 1, n + 1, -1, math.MaxInt, math.MaxInt / 64, math.MinInt} {
			_, err := DecodeListN(b, 2, bad)
			require.ErrorIs(t, err, group.ErrEncoding, "n=%d declared %d", n, bad)
		}
		_, err = DecodeList(b[:len(b)-1], 2)
		require.ErrorIs(t, err, group.ErrEncoding)
		_, err = DecodeList(append(bytes.Clone(b), 1), 2)
		require.ErrorIs(t, err, group.ErrEncoding)
		_, err = DecodeList(b, 3) // 128·n is a multiple of 192 only sometimes
		if (n*128)%192 != 0 {
			require.ErrorIs(t, err, group.ErrEncoding)
		}
		enc, err := NewListEncoded(cs, b)
		require.NoError(t, err)
		require.Equal(t, b, enc.Bytes())
		_, err = NewListEncoded(cs, b[1:])
		require.Error(t, err)
	}
	// The decoded list keeps its own copy of the bytes.
	cs := testCiphertexts(t, 3, 700, 1)
	l, err := NewList(cs)
	require.NoError(t, err)
	b := bytes.Clone(l.Bytes())
	back, err := DecodeList(b, 1)
	require.NoError(t, err)
	b[0] ^= 1
	require.Equal(t, l.Bytes(), back.Bytes())
	// A bad element deep in a long list is found.
	b = bytes.Clone(l.Bytes())
	copy(b[64*650:], make([]byte, 32))
	_, err = DecodeList(b, 1)
	require.ErrorIs(t, err, group.ErrEncoding)
	require.ErrorContains(t, err, "ciphertext 650")
	// An empty list is refused, as are lists NewList cannot encode.
	_, err = DecodeList(nil, 1)
	require.ErrorIs(t, err, group.ErrEncoding)
	_, err = DecodeListN(nil, 1, 0)
	require.ErrorIs(t, err, group.ErrEncoding)
	wide := testCiphertexts(t, 4, 1, 2)[0]
	idAlpha := &Ciphertext{Alpha: []*group.Element{group.NewIdentityElement()}, Beta: []*group.Element{group.NewGeneratorElement()}}
	for name, bad := range map[string][]*Ciphertext{
		"empty":          nil,
		"nil ciphertext": {cs[0], nil},
		"mixed widths":   {cs[0], wide},
		"no pairs":       {{}},
		"uneven":         {{Alpha: cs[0].Alpha, Beta: wide.Beta}},
		"nil element":    {{Alpha: []*group.Element{nil}, Beta: cs[0].Beta}},
		"too wide":       {NewCiphertext(MaxWidth + 1)},
		"identity alpha": {cs[0], idAlpha},
	} {
		_, err := NewList(bad)
		require.Error(t, err, name)
		_, err = NewListEncoded(bad, make([]byte, 64*len(bad)))
		require.Error(t, err, name)
	}
	_, err = NewList([]*Ciphertext{idAlpha})
	require.ErrorIs(t, err, group.ErrEncoding)
	require.ErrorIs(t, err, errIdentityAlpha)
}

// A huge declared count allocates nothing.
func TestDecodeListNNoAlloc(t *testing.T) {
	b := make([]byte, 64)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10 {
		_, err := DecodeListN(b, 1, 1<<40)
		require.Error(t, err)
		_, err = DecodeListN(b, MaxWidth, math.MaxInt/2)
		require.Error(t, err)
	}
	runtime.ReadMemStats(&after)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<10)) // the errors only
}

func TestCiphertextJSON(t *testing.T) {
	c := testCiphertexts(t, 5, 1, 3)[0]
	js, err := json.Marshal(c)
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf(`[{"alpha":"%s","beta":"%s"},{"alpha":"%s","beta":"%s"},{"alpha":"%s","beta":"%s"}]`,
		c.Alpha[0], c.Beta[0], c.Alpha[1], c.Beta[1], c.Alpha[2], c.Beta[2]), string(js))
	var back Ciphertext
	require.NoError(t, json.Unmarshal(js, &back))
	require.True(t, c.Equal(&back))
	// Indented records, keys in either order, escapes in keys.
	ind, err := json.MarshalIndent(struct{ C *Ciphertext }{c}, "", "  ")
	require.NoError(t, err)
	var rec struct{ C *Ciphertext }
	require.NoError(t, json.Unmarshal(ind, &rec))
	require.True(t, c.Equal(rec.C))
	a, b := c.Alpha[0].String(), c.Beta[0].String()
	var one Ciphertext
	require.NoError(t, json.Unmarshal([]byte(`[ {"beta":"`+b+`", "\u0061lpha":"`+a+`"} ]`), &one))
	require.Equal(t, 1, one.Width())

	bad := map[string]string{
		"empty array":    `[]`,
		"object":         `{"alpha":"` + a + `","beta":"` + b + `"}`,
		"unknown key":    `[{"alpha":"` + a + `","beta":"` + b + `","gamma":"` + b + `"}]`,
		"duplicate key":  `[{"alpha":"` + a + `","beta":"` + b + `","alpha":"` + a + `"}]`,
		"duplicate beta": `[{"alpha":"` + a + `","beta":"` + b + `","beta":"` + b + `"}]`,
		"missing beta":   `[{"alpha":"` + a + `"}]`,
		"null beta":      `[{"alpha":"` + a + `","beta":null}]`,
		"number":         `[{"alpha":"` + a + `","beta":1}]`,
		"nested":         `[{"alpha":"` + a + `","beta":["` + b + `"]}]`,
		"trailing":       `[{"alpha":"` + a + `","beta":"` + b + `"}] []`,
		"trailing comma": `[{"alpha":"` + a + `","beta":"` + b + `"},]`,
		"identity alpha": `[{"alpha":"` + group.EncodeText(make([]byte, 32)) + `","beta":"` + b + `"}]`,
		"padded":         `[{"alpha":"` + a + `=","beta":"` + b + `"}]`,
		"non-canonical":  `[{"alpha":"` + group.EncodeText(enctest.ElementWithTopBit()) + `","beta":"` + b + `"}]`,
		"deep":           strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
		"deep object":    `[{"alpha":` + strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat("}", 10000) + `}]`,
		"not JSON":       `[{"alpha"`,
		"empty":          ``,
		"null":           `null`,
	}
	for i, h := range enctest.BadEncodings[:5] {
		bad[fmt.Sprintf("rfc bad %d", i)] = `[{"alpha":"` + a + `","beta":"` + group.EncodeText(enctest.MustHex(h)) + `"}]`
	}
	var many strings.Builder
	many.WriteString("[")
	for i := range MaxWidth + 1 {
		if i > 0 {
			many.WriteString(",")
		}
		many.WriteString(`{"alpha":"` + a + `","beta":"` + b + `"}`)
	}
	many.WriteString("]")
	bad["too wide"] = many.String()
	for name, s := range bad {
		got := *c
		err := got.UnmarshalJSON([]byte(s))
		require.ErrorIs(t, err, group.ErrEncoding, name)
		require.True(t, got.Equal(c), "%s: receiver changed", name)
	}
	// Every truncation of a valid encoding fails.
	for n := 0; n < len(js); n++ {
		var x Ciphertext
		require.Error(t, x.UnmarshalJSON(js[:n]), "prefix %d", n)
	}
	// The identity as β is a ciphertext (of −r·Y).
	require.NoError(t, json.Unmarshal([]byte(`[{"alpha":"`+a+`","beta":"`+group.EncodeText(make([]byte, 32))+`"}]`), &one))
}

// ---- plaintexts ----

func TestPlaintextRoundTrip(t *testing.T) {
	r := testrand.New(9)
	for n := 0; n <= PlaintextSize; n++ {
		for range 20 {
			m := make([]byte, n)
			r.Read(m)
			e, err := EncodePlaintext(m)
			require.NoError(t, err)
			require.Equal(t, 0, e.IsIdentity())
			got, err := DecodePlaintext(e)
			require.NoError(t, err)
			require.Equal(t, m, got)
		}
	}
	for _, m := range [][]byte{{}, {0}, {0, 0}, bytes.Repeat([]byte{0}, 30), bytes.Repeat([]byte{0xff}, 30)} {
		e, err := EncodePlaintext(m)
		require.NoError(t, err)
		got, err := DecodePlaintext(e)
		require.NoError(t, err)
		require.Equal(t, m, got)
	}
	_, err := EncodePlaintext(make([]byte, PlaintextSize+1))
	require.ErrorIs(t, err, ErrInvalidPlaintext)
	// Distinct messages, distinct elements: the length is encoded.
	e0, _ := EncodePlaintext(nil)
	e1, _ := EncodePlaintext([]byte{0})
	require.Equal(t, 0, e0.Equal(e1))
}

// TestEmbedTries checks the documented success rate of one candidate.
func TestEmbedTries(t *testing.T) {
	r := testrand.New(10)
	tries, n := 0, 4000
	for range n {
		m := make([]byte, 30)
		r.Read(m)
		_, ctr, err := embed(m)
		require.NoError(t, err)
		tries += ctr + 1
	}
	avg := float64(tries) / float64(n)
	require.InDelta(t, 4.0, avg, 0.4)
}

func TestDecodePlaintextRejects(t *testing.T) {
	r := testrand.New(11)
	// Random elements are almost never valid embeddings.
	valid := 0
	for range 200 {
		if _, err := DecodePlaintext(testrand.Element(t, r)); err == nil {
			valid++
		}
	}
	require.Zero(t, valid)
	_, err := DecodePlaintext(group.NewIdentityElement())
	require.ErrorIs(t, err, ErrInvalidPlaintext)
	_, err = DecodePlaintext(nil)
	require.ErrorIs(t, err, ErrInvalidPlaintext)
	// A later counter that also decodes is the same message, but not its
	// embedding: rejected.
	m := []byte("vote for 7")
	_, first, err := embed(m)
	require.NoError(t, err)
	var s [32]byte
	found := false
	for ctr := first + 1; ctr < embedCounters; ctr++ {
		embedCandidate(&s, m, ctr)
		if e, err := group.DecodeElement(s[:]); err == nil {
			_, err := DecodePlaintext(e)
			require.ErrorIs(t, err, ErrInvalidPlaintext)
			require.ErrorContains(t, err, "not the first")
			found = true
			break
		}
	}
	require.True(t, found)
	// Non-zero padding and a length above 30.
	for _, mod := range []func(*[32]byte){
		func(s *[32]byte) { s[30] = 1 },
		func(s *[32]byte) { s[31] = s[31]&0x60 | 31 },
	} {
		hit := false
		for ctr := range embedCounters {
			embedCandidate(&s, m, ctr)
			mod(&s)
			if e, err := group.DecodeElement(s[:]); err == nil {
				_, err := DecodePlaintext(e)
				require.ErrorIs(t, err, ErrInvalidPlaintext)
				hit = true
				break
			}
		}
		require.True(t, hit)
	}
}

func TestIntegers(t *testing.T) {
	maxInt := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), MaxIntBits), big.NewInt(1))
	for _, n := range []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(255), big.NewInt(256),
		new(big.Int).SetUint64(math.MaxUint64), new(big.Int).Lsh(big.NewInt(1), 64), maxInt} {
		e, err := EncodeInt(n)
		require.NoError(t, err, n)
		got, err := DecodeInt(e)
		require.NoError(t, err)
		require.Equal(t, 0, n.Cmp(got), n)
		u, err := DecodeUint64(e)
		if n.IsUint64() {
			require.NoError(t, err)
			require.Equal(t, n.Uint64(), u)
		} else {
			require.ErrorIs(t, err, ErrInvalidPlaintext)
		}
	}
	for _, v := range []uint64{0, 1, 42, 1 << 40, math.MaxUint64} {
		e, err := EncodeUint64(v)
		require.NoError(t, err)
		got, err := DecodeUint64(e)
		require.NoError(t, err)
		require.Equal(t, v, got)
	}
	for _, n := range []*big.Int{big.NewInt(-1), new(big.Int).Add(maxInt, big.NewInt(1)), nil} {
		_, err := EncodeInt(n)
		require.ErrorIs(t, err, ErrInvalidPlaintext)
	}
	// A message with a leading zero is bytes, not an integer.
	e, err := EncodePlaintext([]byte{0, 7})
	require.NoError(t, err)
	_, err = DecodeInt(e)
	require.ErrorIs(t, err, ErrInvalidPlaintext)
	// The old system's decimal answers survive the whole trip.
	k := testKey(t, 3)
	n, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	e, err = EncodeInt(n)
	require.NoError(t, err)
	c, err := Encrypt(nil, k.Public(), []*group.Element{e})
	require.NoError(t, err)
	got, err := DecodeInt(k.Decrypt(c)[0])
	require.NoError(t, err)
	require.Equal(t, "123456789012345678901234567890", got.String())
}

// TestEmbeddingAccumulated pins the embedding: 3000 messages of every
// length, the hash of all their elements.
func TestEmbeddingAccumulated(t *testing.T) {
	r := testrand.New(12)
	h := sha256.New()
	for i := range 3000 {
		m := make([]byte, i%(PlaintextSize+1))
		r.Read(m)
		e, err := EncodePlaintext(m)
		require.NoError(t, err)
		h.Write(e.Bytes())
	}
	require.Equal(t, embeddingAccumulated, hex.EncodeToString(h.Sum(nil)))
}

func TestErrorsAreDistinct(t *testing.T) {
	_, err := DecodePublicKey(nil)
	require.False(t, errors.Is(err, ErrInvalidPlaintext))
	_, err = EncodePlaintext(make([]byte, 31))
	require.False(t, errors.Is(err, group.ErrEncoding))
}

// NewListPoints takes a list's points and encoding as they are, and
// rejects bad shapes and an identity α as the decoder does.
func TestNewListPoints(t *testing.T) {
	cs := testCiphertexts(t, 7, 5, 2)
	l, err := NewList(cs)
	require.NoError(t, err)
	pts := slices.Clone(l.Points())
	got, err := NewListPoints(2, pts, l.Bytes())
	require.NoError(t, err)
	require.Equal(t, 5, got.Len())
	require.Equal(t, 2, got.Width())
	for i := range cs {
		require.True(t, cs[i].Equal(got.At(i)))
	}
	for _, bad := range []struct {
		w   int
		pts []group.Affine
		enc []byte
	}{
		{0, pts, l.Bytes()}, {2, nil, nil}, {2, pts[:3], l.Bytes()[:96]}, {2, pts, l.Bytes()[1:]}, {3, pts, l.Bytes()},
	} {
		_, err := NewListPoints(bad.w, bad.pts, bad.enc)
		require.Error(t, err)
	}
	pts[2*3].SetIdentity() // ciphertext 1, pair 1: α
	_, err = NewListPoints(2, pts, l.Bytes())
	require.ErrorIs(t, err, errIdentityAlpha)
	require.ErrorContains(t, err, "ciphertext 1: elgamal: pair 1: alpha")
}

// An Encoded list is the same list: same length, width, encoding (shared,
// not copied), ciphertexts and points, decoded once on first use, from
// goroutines at once; the list it came from is unchanged.
func TestListEncoded(t *testing.T) {
	cs := testCiphertexts(t, 8, 40, 2)
	l, err := NewList(cs)
	require.NoError(t, err)
	e := l.Encoded()
	require.Equal(t, l.Len(), e.Len())
	require.Equal(t, l.Width(), e.Width())
	require.Same(t, &l.Bytes()[0], &e.Bytes()[0])
	require.True(t, l.Decoded())
	require.False(t, e.Decoded(), "decoded before use")
	require.Same(t, e, e.Encoded())
	var wg sync.WaitGroup
	got := make([][]group.Affine, 4)
	for g := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[g] = e.Points() }()
	}
	wg.Wait()
	for g := range got {
		require.Same(t, &got[0][0], &got[g][0], "decoded more than once")
	}
	require.True(t, e.Decoded())
	require.Len(t, got[0], len(l.Points()))
	for i := range got[0] {
		require.Equal(t, 1, got[0][i].Equal(&l.Points()[i]))
	}
	for i := range cs {
		require.True(t, cs[i].Equal(e.At(i)))
	}
	for i, c := range e.Encoded().Ciphertexts() {
		require.True(t, cs[i].Equal(c))
	}
	require.NotNil(t, l.pts)
	require.Nil(t, l.lazy)
}

// DecodeListNAliased decodes what DecodeListN decodes, keeps the bytes it
// was given (DecodeListN a copy), and refuses what DecodeListN refuses.
func TestDecodeListNAliased(t *testing.T) {
	cs := testCiphertexts(t, 9, 6, 2)
	l, err := NewList(cs)
	require.NoError(t, err)
	b := slices.Clone(l.Bytes())
	a, err := DecodeListNAliased(b, 2, 6)
	require.NoError(t, err)
	require.Same(t, &b[0], &a.Bytes()[0])
	c, err := DecodeListN(b, 2, 6)
	require.NoError(t, err)
	require.NotSame(t, &b[0], &c.Bytes()[0])
	for i := range cs {
		require.True(t, cs[i].Equal(a.At(i)))
	}
	bad := slices.Clone(b)
	bad[64*2+31] |= 0x80 // ciphertext 1, first α: not canonical
	for _, tc := range []struct {
		b    []byte
		w, n int
	}{{b, 2, 5}, {b, 2, 7}, {b, 1, 6}, {b[:len(b)-1], 2, 6}, {b, 0, 6}, {nil, 2, 0}, {bad, 2, 6}} {
		_, err1 := DecodeListN(tc.b, tc.w, tc.n)
		_, err2 := DecodeListNAliased(tc.b, tc.w, tc.n)
		require.Error(t, err2)
		require.Equal(t, err1.Error(), err2.Error())
	}
}
