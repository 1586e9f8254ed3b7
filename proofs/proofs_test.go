package proofs

import (
	"bytes"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	mrand "math/rand/v2"
	"slices"
	"testing"

	"github.com/eo-mixnet/eo/group"
	"github.com/stretchr/testify/require"
)

func testRand(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return mrand.NewChaCha8(s)
}

func rscalar(t testing.TB, r *mrand.ChaCha8) *group.Scalar {
	s, err := group.RandomScalar(r)
	require.NoError(t, err)
	return s
}

func relem(t testing.TB, r *mrand.ChaCha8) *group.Element {
	return new(group.Element).ScalarBaseMult(rscalar(t, r))
}

func challengeOf(build func(*Transcript)) []byte {
	tr := NewTranscript("test")
	build(tr)
	return tr.Challenge("c").Bytes()
}

// TestTranscriptUnambiguous is threat A6: different sequences of items never
// hash alike.
func TestTranscriptUnambiguous(t *testing.T) {
	e := group.NewGeneratorElement()
	cases := map[string]func(*Transcript){
		"ab,c":        func(t *Transcript) { t.AppendBytes("x", []byte("ab")); t.AppendBytes("x", []byte("c")) },
		"a,bc":        func(t *Transcript) { t.AppendBytes("x", []byte("a")); t.AppendBytes("x", []byte("bc")) },
		"abc":         func(t *Transcript) { t.AppendBytes("x", []byte("abc")) },
		"string abc":  func(t *Transcript) { t.AppendString("x", "abc") },
		"label/value": func(t *Transcript) { t.AppendBytes("xa", []byte("bc")) },
		"int 1":       func(t *Transcript) { t.AppendUint64("x", 1) },
		"bytes 1":     func(t *Transcript) { t.AppendBytes("x", []byte{0, 0, 0, 0, 0, 0, 0, 1}) },
		"elem":        func(t *Transcript) { t.AppendElement("x", e) },
		"elem bytes":  func(t *Transcript) { t.AppendBytes("x", e.Bytes()) },
		"scalar":      func(t *Transcript) { t.AppendScalar("x", group.ScalarFromUint64(1)) },
		"list[e]":     func(t *Transcript) { t.AppendElements("x", []*group.Element{e}) },
		"list[e,e]":   func(t *Transcript) { t.AppendElements("x", []*group.Element{e, e}) },
		"e,e":         func(t *Transcript) { t.AppendElement("x", e); t.AppendElement("x", e) },
		"list[]":      func(t *Transcript) { t.AppendElements("x", nil) },
		"empty":       func(t *Transcript) {},
		"empty bytes": func(t *Transcript) { t.AppendBytes("x", nil) },
		"other label": func(t *Transcript) { t.AppendBytes("y", nil) },
	}
	seen := map[string]string{}
	for name, f := range cases {
		c := string(challengeOf(f))
		if prev, ok := seen[c]; ok {
			t.Fatalf("%q and %q hash alike", name, prev)
		}
		seen[c] = name
	}
	// Protocol labels separate domains.
	a := NewTranscript("p1").Challenge("c")
	b := NewTranscript("p2").Challenge("c")
	require.Equal(t, 0, a.Equal(b))
	// Challenge labels and successive challenges differ.
	tr := NewTranscript("p")
	c1, c2 := tr.Challenge("c"), tr.Challenge("c")
	require.Equal(t, 0, c1.Equal(c2))
}

// TestTranscriptSpec recomputes a challenge from the bytes that
// doc/transcript.md specifies, with nothing but SHA-512.
func TestTranscriptSpec(t *testing.T) {
	item := func(buf *bytes.Buffer, tag byte, label string, value []byte) {
		buf.WriteByte(tag)
		binary.Write(buf, binary.BigEndian, uint32(len(label)))
		buf.WriteString(label)
		binary.Write(buf, binary.BigEndian, uint64(len(value)))
		buf.Write(value)
	}
	e := group.NewGeneratorElement()
	var want bytes.Buffer
	item(&want, 'P', "eo-transcript-v1", []byte("eo/example/v1"))
	item(&want, 'S', "election", []byte("42"))
	item(&want, 'U', "question", []byte{0, 0, 0, 0, 0, 0, 0, 3})
	item(&want, 'E', "G", e.Bytes())
	list := append(binary.BigEndian.AppendUint64(nil, 2), append(e.Bytes(), e.Bytes()...)...)
	item(&want, 'L', "list", list)
	item(&want, 'K', "s", group.ScalarFromUint64(7).Bytes())
	item(&want, 'B', "raw", []byte{1, 2, 3})
	item(&want, 'C', "c", nil)
	d := sha512.Sum512(want.Bytes())
	wantC, err := group.NewScalar().SetUniformBytes(d[:])
	require.NoError(t, err)

	tr := NewTranscript("eo/example/v1")
	tr.AppendString("election", "42")
	tr.AppendUint64("question", 3)
	tr.AppendElement("G", e)
	tr.AppendElements("list", []*group.Element{e, e})
	tr.AppendScalar("s", group.ScalarFromUint64(7))
	tr.AppendBytes("raw", []byte{1, 2, 3})
	require.Equal(t, 1, tr.Challenge("c").Equal(wantC))

	// Vector challenges: seed after a 'V' item, then SHA-512(seed ‖ i).
	want.Reset()
	item(&want, 'P', "eo-transcript-v1", []byte("eo/example/v1"))
	v := append(binary.BigEndian.AppendUint64(nil, 3), binary.BigEndian.AppendUint64(nil, 128)...)
	item(&want, 'V', "w", v)
	seed := sha512.Sum512(want.Bytes())
	got := NewTranscript("eo/example/v1").ChallengeShortScalars("w", 3)
	for i := 0; i < 3; i++ {
		h := sha512.Sum512(append(seed[:], binary.BigEndian.AppendUint64(nil, uint64(i))...))
		var wide [64]byte
		copy(wide[:], h[:16])
		w, _ := group.NewScalar().SetUniformBytes(wide[:])
		require.Equal(t, 1, got[i].Equal(w), "weight %d", i)
	}
}

func TestTranscriptEncodedElements(t *testing.T) {
	r := testRand(1)
	es := []*group.Element{relem(t, r), relem(t, r), relem(t, r)}
	var enc []byte
	for _, e := range es {
		enc = append(enc, e.Bytes()...)
	}
	a := NewTranscript("p")
	a.AppendElements("l", es)
	b := NewTranscript("p")
	b.AppendEncodedElements("l", enc)
	require.Equal(t, 1, a.Challenge("c").Equal(b.Challenge("c")))
	require.Panics(t, func() { b.AppendEncodedElements("l", enc[:31]) })
	// Clone is independent.
	c := NewTranscript("p")
	d := c.Clone()
	c.AppendBytes("x", nil)
	require.Equal(t, 1, d.Challenge("c").Equal(NewTranscript("p").Challenge("c")))
}

func TestDeriveGenerators(t *testing.T) {
	gs, err := DeriveGenerators("eo/test/election-1", 1000)
	require.NoError(t, err)
	require.Len(t, gs, 1000)
	seen := map[string]bool{}
	for i, g := range gs {
		require.Equal(t, 0, g.IsIdentity())
		require.Equal(t, 0, g.Equal(group.NewGeneratorElement()))
		require.False(t, seen[g.String()])
		seen[g.String()] = true
		if i%97 == 0 { // the parallel derivation equals the definition
			want, err := group.HashToElement(GeneratorMessage("eo/test/election-1", i), []byte(GeneratorsDST))
			require.NoError(t, err)
			require.Equal(t, 1, g.Equal(want))
		}
	}
	other, err := DeriveGenerators("eo/test/election-2", 3)
	require.NoError(t, err)
	require.Equal(t, 0, other[0].Equal(gs[0]))
	// Prefix-stable: the first generators do not depend on n.
	few, err := DeriveGenerators("eo/test/election-1", 2)
	require.NoError(t, err)
	require.Equal(t, 1, few[1].Equal(gs[1]))
	empty, err := DeriveGenerators("x", 0)
	require.NoError(t, err)
	require.Empty(t, empty)
	_, err = DeriveGenerators("x", -1)
	require.Error(t, err)
	// Domains are length-prefixed: ("ab", i) and ("a", ...) never collide.
	require.NotEqual(t, GeneratorMessage("ab", 1), GeneratorMessage("a", 1))
}

func ctxTranscript(election string) *Transcript {
	t := NewTranscript("eo/test/v1")
	t.AppendString("election", election)
	return t
}

func TestSchnorr(t *testing.T) {
	r := testRand(2)
	G := relem(t, r)
	x := rscalar(t, r)
	X := new(group.Element).ScalarMult(x, G)
	p, err := ProveSchnorr(ctxTranscript("A"), G, X, x, r)
	require.NoError(t, err)
	require.NoError(t, VerifySchnorr(ctxTranscript("A"), G, X, p))

	// Encoding round trip.
	q, err := DecodeSchnorr(p.Bytes())
	require.NoError(t, err)
	require.NoError(t, VerifySchnorr(ctxTranscript("A"), G, X, q))

	fail := func(err error, check string) {
		t.Helper()
		require.Error(t, err)
		require.True(t, errors.Is(err, ErrInvalidProof))
		require.Contains(t, err.Error(), check)
	}
	// A1: every element of the statement.
	fail(VerifySchnorr(ctxTranscript("A"), relem(t, r), X, p), "challenge")
	fail(VerifySchnorr(ctxTranscript("A"), G, relem(t, r), p), "challenge")
	// A3: another election.
	fail(VerifySchnorr(ctxTranscript("B"), G, X, p), "challenge")
	// The commitment, challenge and response.
	fail(VerifySchnorr(ctxTranscript("A"), G, X, &Schnorr{relem(t, r), p.Challenge, p.Response}), "challenge")
	fail(VerifySchnorr(ctxTranscript("A"), G, X, &Schnorr{p.Commitment, rscalar(t, r), p.Response}), "challenge")
	fail(VerifySchnorr(ctxTranscript("A"), G, X, &Schnorr{p.Commitment, p.Challenge, rscalar(t, r)}), "equation")
	// A2: a random challenge with a consistent response (R = s·G − c·X).
	c, s := rscalar(t, r), rscalar(t, r)
	R := new(group.Element).Subtract(new(group.Element).ScalarMult(s, G), new(group.Element).ScalarMult(c, X))
	fail(VerifySchnorr(ctxTranscript("A"), G, X, &Schnorr{R, c, s}), "challenge")
	// A1: statement solved for after fixing (R, c, s): X' = c⁻¹(s·G − R).
	R2 := relem(t, r)
	X2 := new(group.Element).ScalarMult(group.NewScalar().Invert(c), new(group.Element).Subtract(new(group.Element).ScalarMult(s, G), R2))
	fail(VerifySchnorr(ctxTranscript("A"), G, X2, &Schnorr{R2, c, s}), "challenge")
	// Nil fields are errors, not panics.
	fail(VerifySchnorr(ctxTranscript("A"), G, X, nil), "missing")
	fail(VerifySchnorr(ctxTranscript("A"), G, X, &Schnorr{Commitment: p.Commitment}), "missing")
	fail(VerifySchnorr(ctxTranscript("A"), nil, X, p), "missing")
}

func TestDLEQ(t *testing.T) {
	r := testRand(3)
	G, H := relem(t, r), relem(t, r)
	x := rscalar(t, r)
	X, Y := new(group.Element).ScalarMult(x, G), new(group.Element).ScalarMult(x, H)
	p, err := ProveDLEQ(ctxTranscript("A"), G, X, H, Y, x, r)
	require.NoError(t, err)
	require.NoError(t, VerifyDLEQ(ctxTranscript("A"), G, X, H, Y, p))
	q, err := DecodeDLEQ(p.Bytes())
	require.NoError(t, err)
	require.NoError(t, VerifyDLEQ(ctxTranscript("A"), G, X, H, Y, q))

	bad := func(err error) {
		t.Helper()
		require.ErrorIs(t, err, ErrInvalidProof)
	}
	// A1 on each statement element, A3 on context.
	bad(VerifyDLEQ(ctxTranscript("A"), relem(t, r), X, H, Y, p))
	bad(VerifyDLEQ(ctxTranscript("A"), G, relem(t, r), H, Y, p))
	bad(VerifyDLEQ(ctxTranscript("A"), G, X, relem(t, r), Y, p))
	bad(VerifyDLEQ(ctxTranscript("A"), G, X, H, relem(t, r), p))
	bad(VerifyDLEQ(ctxTranscript("B"), G, X, H, Y, p))
	// CIRCL's bug: a base point left out of the hash. Changing H alone (and
	// recomputing Y' = x·H' honestly) must still break the old proof.
	H2 := relem(t, r)
	bad(VerifyDLEQ(ctxTranscript("A"), G, X, H2, new(group.Element).ScalarMult(x, H2), p))
	// A false statement (log_H Y' ≠ x) cannot be proven: an honest prover
	// run on it yields a proof that fails the second equation.
	Yf := relem(t, r)
	pf, err := ProveDLEQ(ctxTranscript("A"), G, X, H, Yf, x, r)
	require.NoError(t, err)
	err = VerifyDLEQ(ctxTranscript("A"), G, X, H, Yf, pf)
	bad(err)
	require.Contains(t, err.Error(), "s·H")
	// A2: random challenge with responses consistent with both equations.
	c, s := rscalar(t, r), rscalar(t, r)
	R1 := new(group.Element).Subtract(new(group.Element).ScalarMult(s, G), new(group.Element).ScalarMult(c, X))
	R2 := new(group.Element).Subtract(new(group.Element).ScalarMult(s, H), new(group.Element).ScalarMult(c, Y))
	err = VerifyDLEQ(ctxTranscript("A"), G, X, H, Y, &DLEQ{R1, R2, c, s})
	bad(err)
	require.Contains(t, err.Error(), "challenge")
	bad(VerifyDLEQ(ctxTranscript("A"), G, X, H, Y, &DLEQ{}))
	bad(VerifyDLEQ(ctxTranscript("A"), G, X, H, Y, nil))
}

func TestBatchDLEQ(t *testing.T) {
	r := testRand(4)
	G := group.NewGeneratorElement()
	x := rscalar(t, r)
	X := new(group.Element).ScalarBaseMult(x)
	for _, n := range []int{0, 1, 2, 10, 200} {
		H := make([]*group.Element, n)
		Y := make([]*group.Element, n)
		var encH, encY []byte
		for i := range H {
			H[i] = relem(t, r)
			Y[i] = new(group.Element).ScalarMult(x, H[i])
			encH = append(encH, H[i].Bytes()...)
			encY = append(encY, Y[i].Bytes()...)
		}
		p, err := ProveBatchDLEQ(ctxTranscript("A"), G, X, H, Y, nil, nil, x, r)
		require.NoError(t, err)
		require.NoError(t, VerifyBatchDLEQ(ctxTranscript("A"), G, X, H, Y, nil, nil, p), "n=%d", n)
		require.NoError(t, VerifyBatchDLEQ(ctxTranscript("A"), G, X, H, Y, encH, encY, p), "n=%d encoded", n)
		require.ErrorIs(t, VerifyBatchDLEQ(ctxTranscript("B"), G, X, H, Y, nil, nil, p), ErrInvalidProof)
		if n == 0 {
			continue
		}
		// A wrong value at any position, swapped values, truncated and
		// extended lists all fail.
		for _, i := range []int{0, n / 2, n - 1} {
			Y2 := append([]*group.Element{}, Y...)
			Y2[i] = relem(t, r)
			require.ErrorIs(t, VerifyBatchDLEQ(ctxTranscript("A"), G, X, H, Y2, nil, nil, p), ErrInvalidProof)
			H2 := append([]*group.Element{}, H...)
			H2[i] = relem(t, r)
			require.ErrorIs(t, VerifyBatchDLEQ(ctxTranscript("A"), G, X, H2, Y, nil, nil, p), ErrInvalidProof)
		}
		if n >= 2 {
			Y2 := append([]*group.Element{}, Y...)
			Y2[0], Y2[1] = Y2[1], Y2[0]
			require.ErrorIs(t, VerifyBatchDLEQ(ctxTranscript("A"), G, X, H, Y2, nil, nil, p), ErrInvalidProof)
		}
		require.ErrorIs(t, VerifyBatchDLEQ(ctxTranscript("A"), G, X, H[:n-1], Y[:n-1], nil, nil, p), ErrInvalidProof)
		require.ErrorIs(t, VerifyBatchDLEQ(ctxTranscript("A"), G, X, H, Y[:n-1], nil, nil, p), ErrInvalidProof)
		require.ErrorIs(t, VerifyBatchDLEQ(ctxTranscript("A"), G, X, append(H, G), append(Y, X), nil, nil, p), ErrInvalidProof)
		require.ErrorIs(t, VerifyBatchDLEQ(ctxTranscript("A"), G, X, H, Y, encH[1:], encY, p), ErrInvalidProof)
		// A wrong factor proven honestly on the false statement fails too.
		Yf := append([]*group.Element{}, Y...)
		Yf[n-1] = relem(t, r)
		pf, err := ProveBatchDLEQ(ctxTranscript("A"), G, X, H, Yf, nil, nil, x, r)
		require.NoError(t, err)
		require.ErrorIs(t, VerifyBatchDLEQ(ctxTranscript("A"), G, X, H, Yf, nil, nil, pf), ErrInvalidProof)
	}
}

func TestBatch(t *testing.T) {
	r := testRand(5)
	b := NewBatch(r, 0)
	require.True(t, b.VarTimeVerify())
	// Schnorr-style equations s·B = R + c·X.
	type eq struct {
		s, c *group.Scalar
		R, X *group.Element
	}
	var eqs []eq
	for i := 0; i < 300; i++ {
		x, k, c := rscalar(t, r), rscalar(t, r), rscalar(t, r)
		eqs = append(eqs, eq{group.NewScalar().MultiplyAdd(c, x, k), c,
			new(group.Element).ScalarBaseMult(k), new(group.Element).ScalarBaseMult(x)})
	}
	check := func(bad int) bool {
		b := NewBatch(r, 600)
		for i, e := range eqs {
			s := e.s
			if i == bad {
				s = group.NewScalar().Add(s, group.ScalarFromUint64(1))
			}
			require.NoError(t, b.Add(s, []*group.Scalar{nil, e.c}, []*group.Element{e.R, e.X}))
		}
		require.Equal(t, len(eqs), b.Len())
		return b.VarTimeVerify()
	}
	require.True(t, check(-1))
	require.False(t, check(0))
	require.False(t, check(299))
	require.Panics(t, func() { NewBatch(r, 0).Add(group.NewScalar(), []*group.Scalar{nil}, nil) })
}

func TestDecodeRejects(t *testing.T) {
	r := testRand(6)
	G := group.NewGeneratorElement()
	x := rscalar(t, r)
	X := new(group.Element).ScalarBaseMult(x)
	ps, err := ProveSchnorr(ctxTranscript("A"), G, X, x, r)
	require.NoError(t, err)
	pd, err := ProveDLEQ(ctxTranscript("A"), G, X, G, X, x, r)
	require.NoError(t, err)
	for name, c := range map[string]struct {
		enc    []byte
		decode func([]byte) error
	}{
		"schnorr": {ps.Bytes(), func(b []byte) error { _, err := DecodeSchnorr(b); return err }},
		"dleq":    {pd.Bytes(), func(b []byte) error { _, err := DecodeDLEQ(b); return err }},
	} {
		require.NoError(t, c.decode(c.enc))
		for n := 0; n < len(c.enc)+40; n++ {
			if n == len(c.enc) {
				continue
			}
			b := make([]byte, n)
			copy(b, c.enc)
			require.ErrorIs(t, c.decode(b), group.ErrEncoding, "%s length %d", name, n)
		}
		// Each 32-byte field replaced by an invalid value: all-ones is
		// neither a canonical element nor a scalar < ℓ.
		for off := 0; off < len(c.enc); off += 32 {
			b := bytes.Clone(c.enc)
			for i := off; i < off+32; i++ {
				b[i] = 0xff
			}
			require.ErrorIs(t, c.decode(b), group.ErrEncoding, "%s field at %d", name, off)
		}
	}
}

// The affine batch proof is the pointer one: a proof made by either
// verifies with both, over α's read where a ciphertext list holds them
// (α, β interleaved, 64-byte pairs) and factors held contiguously; a wrong
// value, base or length fails, and lists that do not hold their N
// elements are rejected, not a panic.
func TestBatchDLEQAffine(t *testing.T) {
	r := testRand(6)
	G := group.NewGeneratorElement()
	x := rscalar(t, r)
	X := new(group.Element).ScalarBaseMult(x)
	for _, n := range []int{0, 1, 7, 200} {
		H := make([]*group.Element, n)
		Y := make([]*group.Element, n)
		pairs := make([]*group.Element, 2*n) // α, β, α, β, …
		var encPairs, encY []byte
		for i := range H {
			H[i] = relem(t, r)
			Y[i] = new(group.Element).ScalarMult(x, H[i])
			pairs[2*i], pairs[2*i+1] = H[i], relem(t, r)
			encPairs = append(append(encPairs, H[i].Bytes()...), pairs[2*i+1].Bytes()...)
			encY = append(encY, Y[i].Bytes()...)
		}
		pts := make([]group.Affine, 2*n)
		group.AffineFromElements(pts, pairs)
		ys := make([]group.Affine, n)
		group.AffineFromElements(ys, Y)
		HA := &AffineList{P: pts, Stride: 2, Enc: encPairs, EncStride: 64, N: n}
		YA := &AffineList{P: ys, Stride: 1, Enc: encY, EncStride: 32, N: n}

		p, err := ProveBatchDLEQ(ctxTranscript("A"), G, X, H, Y, nil, nil, x, r)
		require.NoError(t, err)
		require.NoError(t, VerifyBatchDLEQAffine(ctxTranscript("A"), G, X, HA, YA, p), "n=%d", n)
		pa, err := ProveBatchDLEQAffine(ctxTranscript("A"), G, X, HA, encY, x, r)
		require.NoError(t, err)
		require.NoError(t, VerifyBatchDLEQ(ctxTranscript("A"), G, X, H, Y, nil, nil, pa), "n=%d", n)
		require.NoError(t, VerifyBatchDLEQAffine(ctxTranscript("A"), G, X, HA, YA, pa), "n=%d", n)
		require.ErrorIs(t, VerifyBatchDLEQAffine(ctxTranscript("B"), G, X, HA, YA, p), ErrInvalidProof)
		if n == 0 {
			continue
		}
		for _, i := range []int{0, n - 1} {
			bad := slices.Clone(ys)
			bad[i].SetElement(relem(t, r))
			encBad := slices.Clone(encY)
			copy(encBad[32*i:], new(group.Element).Set(bad[i].Element(new(group.Element))).Bytes())
			require.ErrorIs(t, VerifyBatchDLEQAffine(ctxTranscript("A"), G, X, HA, &AffineList{P: bad, Stride: 1, Enc: encBad, EncStride: 32, N: n}, p), ErrInvalidProof, "wrong value %d", i)
		}
		// A β in place of an α (the wrong stride's offset) fails.
		if n > 1 {
			require.ErrorIs(t, VerifyBatchDLEQAffine(ctxTranscript("A"), G, X, &AffineList{P: pts[1:], Stride: 2, Enc: encPairs[32:], EncStride: 64, N: n}, YA, p), ErrInvalidProof)
		}
		short := *YA
		short.N = n - 1
		require.ErrorIs(t, VerifyBatchDLEQAffine(ctxTranscript("A"), G, X, HA, &short, p), ErrInvalidProof)
		over := *YA
		over.N = n + 1
		require.ErrorIs(t, VerifyBatchDLEQAffine(ctxTranscript("A"), G, X, HA, &over, p), ErrInvalidProof)
		cut := *HA
		cut.Enc = encPairs[:(n-1)*64+31] // the last α's encoding cut short
		require.ErrorIs(t, VerifyBatchDLEQAffine(ctxTranscript("A"), G, X, &cut, YA, p), ErrInvalidProof)
		require.ErrorIs(t, VerifyBatchDLEQAffine(ctxTranscript("A"), G, X, nil, YA, p), ErrInvalidProof)
		require.Panics(t, func() { ProveBatchDLEQAffine(ctxTranscript("A"), G, X, HA, encY[32:], x, r) })
	}
}
