package shuffle

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sort"
	"testing"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/stretchr/testify/require"
)

func testRand(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return mrand.NewChaCha8(s)
}

type fixture struct {
	sk     *elgamal.PrivateKey
	ctx    *Context
	gens   *Generators
	in     *elgamal.List
	encIn  []byte
	plain  [][]uint64 // plain[i][k]
	out    *elgamal.List
	encOut []byte
	proof  *Proof
}

func newFixture(t testing.TB, r *mrand.ChaCha8, n, w int) *fixture {
	sk, err := elgamal.GenerateKey(r)
	require.NoError(t, err)
	f := &fixture{sk: sk, ctx: &Context{ElectionID: "election-1", SessionID: "q0", Position: 1, PublicKey: sk.Public(), Width: w}}
	f.gens, err = NewGenerators("election-1", "q0", n)
	require.NoError(t, err)
	var inputs []*elgamal.Ciphertext
	for i := 0; i < n; i++ {
		m := make([]*group.Element, w)
		row := make([]uint64, w)
		for k := range m {
			row[k] = uint64(1000*i + k)
			m[k], err = elgamal.EncodeUint64(row[k])
			require.NoError(t, err)
		}
		c, err := elgamal.Encrypt(r, sk.Public(), m)
		require.NoError(t, err)
		inputs = append(inputs, c)
		f.plain = append(f.plain, row)
	}
	f.in, err = elgamal.NewList(inputs)
	require.NoError(t, err)
	f.encIn = f.in.Bytes()
	f.out, f.proof, err = ShuffleAndProve(r, f.ctx, f.gens, f.in)
	require.NoError(t, err)
	f.encOut = f.out.Bytes()
	return f
}

func (f *fixture) verify(t testing.TB) error {
	t.Helper()
	out, err := VerifyBytes(f.ctx, f.gens, f.in, f.encOut, f.proof.Bytes())
	if err == nil {
		require.Equal(t, f.encOut, out.Bytes())
	}
	return err
}

// verifyBytes is VerifyBytes from the encoded input list, as a verifier
// that reads both lists from files does it; it checks that an error wraps
// one of the two sentinels and that a verified output is the one given.
func verifyBytes(t testing.TB, ctx *Context, gens *Generators, encIn, encOut, proof []byte) error {
	t.Helper()
	w := 1
	if ctx != nil && ctx.Width > 0 {
		w = ctx.Width
	}
	in, err := elgamal.DecodeList(encIn, w)
	if err != nil {
		return fmt.Errorf("%w: inputs: %w", ErrMalformed, err)
	}
	out, err := VerifyBytes(ctx, gens, in, encOut, proof)
	if err != nil {
		require.True(t, errors.Is(err, ErrInvalidProof) || errors.Is(err, ErrMalformed), "%v", err)
		require.Nil(t, out)
		return err
	}
	require.Equal(t, encOut, out.Bytes())
	return nil
}

func key(row []uint64) string {
	b := make([]byte, 0, 8*len(row))
	for _, v := range row {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	return string(b)
}

func TestCompleteness(t *testing.T) {
	r := testRand(1)
	for _, w := range []int{1, 3} {
		for _, n := range []int{1, 2, 3, 100} {
			f := newFixture(t, r, n, w)
			require.NoError(t, f.verify(t), "n=%d w=%d", n, w)
			require.NoError(t, Verify(f.ctx, f.gens, f.in, f.out, f.proof))
			// The batch-encoded output is the canonical encoding.
			again, err := elgamal.NewList(f.out.Ciphertexts())
			require.NoError(t, err)
			require.Equal(t, f.encOut, again.Bytes())
			require.Len(t, f.proof.Bytes(), ProofSize(n, w))
			// The outputs decrypt to the same multiset of plaintext rows,
			// and every output is a fresh encryption (no ciphertext kept).
			var want, got []string
			inSet := map[string]bool{}
			size := w * elgamal.CiphertextSize
			for i := range f.plain {
				want = append(want, key(f.plain[i]))
				inSet[string(f.encIn[i*size:(i+1)*size])] = true
			}
			for j, c := range f.out.Ciphertexts() {
				row := make([]uint64, w)
				for k, m := range f.sk.Decrypt(c) {
					v, err := elgamal.DecodeUint64(m)
					require.NoError(t, err)
					row[k] = v
				}
				got = append(got, key(row))
				require.False(t, inSet[string(f.encOut[j*size:(j+1)*size])], "output equals an input")
			}
			sort.Strings(want)
			sort.Strings(got)
			require.Equal(t, want, got)
		}
	}
}

func TestPermutation(t *testing.T) {
	r := testRand(2)
	// Uniformity: for n = 3, each of the 6 permutations appears about
	// 1/6 of the time in 6000 draws (a 5-sigma band).
	counts := map[[3]int]int{}
	for i := 0; i < 6000; i++ {
		p, err := RandomPermutation(r, 3)
		require.NoError(t, err)
		require.True(t, p.valid())
		counts[[3]int{p[0], p[1], p[2]}]++
	}
	require.Len(t, counts, 6)
	for perm, c := range counts {
		require.InDelta(t, 1000, c, 5*29, "%v", perm)
	}
	p, err := RandomPermutation(r, 1000)
	require.NoError(t, err)
	inv := p.Inverse()
	for j := range p {
		require.Equal(t, j, inv[p[j]])
	}
	require.False(t, Permutation{0, 0}.valid())
	require.False(t, Permutation{0, 2}.valid())
	_, err = RandomPermutation(bytes.NewReader(nil), 5)
	require.Error(t, err)
}

func TestShapes(t *testing.T) {
	r := testRand(3)
	f := newFixture(t, r, 4, 1)
	pb := f.proof.Bytes()
	// A10: wrong sizes never panic and never verify.
	_, err := VerifyBytes(f.ctx, f.gens, nil, f.encOut, pb)
	require.ErrorIs(t, err, ErrMalformed)
	require.ErrorIs(t, verifyBytes(t, f.ctx, f.gens, f.encIn, nil, pb), ErrMalformed)
	require.ErrorIs(t, verifyBytes(t, f.ctx, f.gens, f.encIn, f.encOut[:64*3], pb), ErrMalformed)
	require.ErrorIs(t, verifyBytes(t, f.ctx, f.gens, f.encIn[:64*3], f.encOut[:64*3], pb), ErrMalformed)
	require.ErrorIs(t, verifyBytes(t, f.ctx, f.gens, f.encIn, f.encOut, pb[:len(pb)-1]), ErrMalformed)
	require.ErrorIs(t, verifyBytes(t, f.ctx, f.gens, f.encIn, f.encOut, append(bytes.Clone(pb), 0)), ErrMalformed)
	require.ErrorIs(t, verifyBytes(t, f.ctx, f.gens, f.encIn, f.encOut, nil), ErrMalformed)
	for n := 0; n < len(pb); n += 97 {
		require.Error(t, verifyBytes(t, f.ctx, f.gens, f.encIn, f.encOut, pb[:n]))
	}
	// An output list that does not decode is malformed, not a failed check.
	bad := bytes.Clone(f.encOut)
	copy(bad[64:], make([]byte, 32)) // α of output 1 is the identity
	require.ErrorIs(t, verifyBytes(t, f.ctx, f.gens, f.encIn, bad, pb), ErrMalformed)
	// A huge declared N in the header is refused without allocation.
	huge := bytes.Clone(pb)
	binary.BigEndian.PutUint32(huge[1:5], 0xffffffff)
	require.ErrorIs(t, verifyBytes(t, f.ctx, f.gens, f.encIn, f.encOut, huge), ErrMalformed)
	_, err = DecodeProof(pb, 1<<30, 1)
	require.ErrorIs(t, err, ErrMalformed)
	bad = bytes.Clone(pb)
	bad[0] = 2
	require.ErrorIs(t, verifyBytes(t, f.ctx, f.gens, f.encIn, f.encOut, bad), ErrMalformed)
	// Generators for another size or session.
	g5, err := NewGenerators("election-1", "q0", 5)
	require.NoError(t, err)
	require.ErrorIs(t, verifyBytes(t, f.ctx, g5, f.encIn, f.encOut, pb), ErrMalformed)
	gq1, err := NewGenerators("election-1", "q1", 4)
	require.NoError(t, err)
	require.ErrorIs(t, verifyBytes(t, f.ctx, gq1, f.encIn, f.encOut, pb), ErrMalformed)
	// N = 0.
	_, _, err = ShuffleAndProve(r, f.ctx, f.gens, nil)
	require.ErrorIs(t, err, ErrMalformed)
	_, err = NewGenerators("e", "s", 0)
	require.ErrorIs(t, err, ErrMalformed)
	// Width mismatch.
	ctx3 := *f.ctx
	ctx3.Width = 3
	_, err = VerifyBytes(&ctx3, f.gens, f.in, f.encOut, pb)
	require.ErrorIs(t, err, ErrMalformed)
	_, _, err = ShuffleAndProve(r, &ctx3, f.gens, f.in)
	require.ErrorIs(t, err, ErrMalformed)
	// Lists of different lengths.
	short, err := elgamal.NewList(f.in.Ciphertexts()[:3])
	require.NoError(t, err)
	require.ErrorIs(t, Verify(f.ctx, f.gens, f.in, short, f.proof), ErrMalformed)
	require.ErrorIs(t, Verify(f.ctx, f.gens, f.in, nil, f.proof), ErrMalformed)
	// A precomputation is used once, for a list of its size.
	pre, err := Precompute(r, f.ctx, f.gens, 4)
	require.NoError(t, err)
	_, _, err = Shuffle(pre, f.in)
	require.NoError(t, err)
	_, _, err = Shuffle(pre, f.in)
	require.Error(t, err)
	pre, err = Precompute(r, f.ctx, f.gens, 4)
	require.NoError(t, err)
	_, _, err = Shuffle(pre, short)
	require.ErrorIs(t, err, ErrMalformed)
}

// TestStatementMutations is threat A1 and A3: changing any element of the
// statement or of the proof makes verification fail.
func TestStatementMutations(t *testing.T) {
	r := testRand(4)
	f := newFixture(t, r, 5, 2)
	require.NoError(t, f.verify(t))
	pb := f.proof.Bytes()
	mustFail := func(name string, ctx *Context, gens *Generators, in, out, proof []byte) {
		t.Helper()
		require.Error(t, verifyBytes(t, ctx, gens, in, out, proof), name)
	}
	ctxWith := func(mod func(*Context)) *Context {
		c := *f.ctx
		mod(&c)
		return &c
	}
	other, err := elgamal.GenerateKey(r)
	require.NoError(t, err)
	mustFail("election", ctxWith(func(c *Context) { c.ElectionID = "election-2" }), mustGens(t, "election-2", "q0", 5), f.encIn, f.encOut, pb)
	mustFail("session", ctxWith(func(c *Context) { c.SessionID = "q1" }), mustGens(t, "election-1", "q1", 5), f.encIn, f.encOut, pb)
	mustFail("position", ctxWith(func(c *Context) { c.Position = 2 }), f.gens, f.encIn, f.encOut, pb)
	mustFail("public key", ctxWith(func(c *Context) { c.PublicKey = other.Public() }), f.gens, f.encIn, f.encOut, pb)

	// Every input and output element, replaced by another valid element.
	repl := new(group.Element).ScalarBaseMult(group.ScalarFromUint64(12345)).Bytes()
	for off := 0; off < len(f.encIn); off += 32 {
		in := bytes.Clone(f.encIn)
		copy(in[off:], repl)
		mustFail("input element", f.ctx, f.gens, in, f.encOut, pb)
		out := bytes.Clone(f.encOut)
		copy(out[off:], repl)
		mustFail("output element", f.ctx, f.gens, f.encIn, out, pb)
	}
	// Every element and scalar of the proof.
	for off := 9; off < len(pb); off += 32 {
		mut := bytes.Clone(pb)
		if isScalarOffset(off, 5, 2) {
			mut[off] ^= 1 // stays canonical
		} else {
			copy(mut[off:], repl)
		}
		mustFail("proof field", f.ctx, f.gens, f.encIn, f.encOut, mut)
	}
	// Outputs swapped, duplicated or replaced by a re-encryption of another
	// input (a replaced vote).
	swap := bytes.Clone(f.encOut)
	size := 2 * 64
	copy(swap[0:size], f.encOut[size:2*size])
	copy(swap[size:2*size], f.encOut[0:size])
	mustFail("swapped outputs", f.ctx, f.gens, f.encIn, swap, pb)
	dup := bytes.Clone(f.encOut)
	copy(dup[size:2*size], f.encOut[0:size])
	mustFail("duplicated output", f.ctx, f.gens, f.encIn, dup, pb)
	re, err := elgamal.ReEncrypt(r, f.ctx.PublicKey, f.in.At(0))
	require.NoError(t, err)
	rep := bytes.Clone(f.encOut)
	reb, err := re.MarshalBinary()
	require.NoError(t, err)
	copy(rep[3*size:4*size], reb)
	mustFail("replaced output", f.ctx, f.gens, f.encIn, rep, pb)
	// The proof of another mix of the same inputs.
	g := newFixture(t, testRand(5), 5, 2)
	mustFail("other proof", f.ctx, f.gens, f.encIn, f.encOut, g.proof.Bytes())
}

func mustGens(t testing.TB, e, s string, n int) *Generators {
	g, err := NewGenerators(e, s, n)
	require.NoError(t, err)
	return g
}

// isScalarOffset reports whether a 32-byte field at off in a proof for n
// ciphertexts of width w holds a scalar.
func isScalarOffset(off, n, w int) bool {
	firstScalar := 9 + 32*(3*n+3+2*w)
	return off >= firstScalar
}

// TestChecksNamed: each check can fail on its own and says which failed.
func TestChecksNamed(t *testing.T) {
	r := testRand(6)
	f := newFixture(t, r, 4, 1)
	p := f.proof
	one := group.ScalarFromUint64(1)
	cases := []struct {
		check string
		mod   func(q *Proof)
	}{
		{"(A)", func(q *Proof) { q.kA = group.NewScalar().Add(q.kA, one) }},
		{"(B)", func(q *Proof) { q.kB = append([]*group.Scalar{group.NewScalar().Add(q.kB[0], one)}, q.kB[1:]...) }},
		{"(C)", func(q *Proof) { q.kC = group.NewScalar().Add(q.kC, one) }},
		{"(D)", func(q *Proof) { q.kD = group.NewScalar().Add(q.kD, one) }},
		{"(F)", func(q *Proof) { q.kF = []*group.Scalar{group.NewScalar().Add(q.kF[0], one)} }},
	}
	for _, c := range cases {
		q := *p
		c.mod(&q)
		err := Verify(f.ctx, f.gens, f.in, f.out, &q)
		require.ErrorIs(t, err, ErrInvalidProof)
		require.Contains(t, err.Error(), c.check)
	}
	// A hand-made proof with nil or missing parts is malformed, not a panic.
	require.ErrorIs(t, Verify(f.ctx, f.gens, f.in, f.out, &Proof{}), ErrMalformed)
	require.ErrorIs(t, Verify(f.ctx, f.gens, f.in, f.out, nil), ErrMalformed)
	require.ErrorIs(t, Verify(nil, f.gens, f.in, f.out, p), ErrMalformed)
}

// TestAccumulated runs many derandomised shuffles, verifies each, and
// hashes every output and proof into one digest, so that any change of the
// prover's output is seen.
func TestAccumulated(t *testing.T) {
	h := sha256.New()
	r := testRand(7)
	for i := 0; i < 60; i++ {
		n, w := 1+i%7, 1+i%2
		f := newFixture(t, r, n, w)
		require.NoError(t, f.verify(t))
		h.Write(f.encOut)
		h.Write(f.proof.Bytes())
	}
	require.Equal(t, accumulatedDigest, hex.EncodeToString(h.Sum(nil)))
}

const accumulatedDigest = "324de0e15b4f0f414aa76148700903bfa76878ec4701562ad42eabf3b4338073"

func TestStreamSplitting(t *testing.T) {
	st, err := newStream(testRand(8))
	require.NoError(t, err)
	whole := make([]group.Scalar, 10)
	st.draw(whole, 's', 0)
	parts := make([]group.Scalar, 10)
	st.draw(parts[:3], 's', 0)
	st.draw(parts[3:], 's', 3)
	for i := range whole {
		require.Equal(t, 1, whole[i].Equal(&parts[i]), "scalar %d", i)
	}
	var one group.Scalar
	st.scalar(&one, 's', 7)
	require.Equal(t, 1, one.Equal(&whole[7]))
	other := make([]group.Scalar, 1)
	st.draw(other, 'r', 0)
	require.Equal(t, 0, other[0].Equal(&whole[0]), "labels separate the streams")
}

// An element of u, B or B' that does not decode makes the proof
// malformed, not invalid, although the challenge it changed also breaks
// the equations checked before it is read (doc/verify.md, M5).
func TestUndecodableVectorIsMalformed(t *testing.T) {
	f := newFixture(t, testRand(31), 4, 2)
	n := 4
	pb := f.proof.Bytes()
	nonCanonical := bytes.Repeat([]byte{0xff}, 32) // ≥ p: not a canonical encoding
	for _, v := range []struct {
		name string
		off  int
	}{
		{"u_1", 9}, {"u_N", 9 + 32*(n-1)},
		{"B_1", 9 + 32*n}, {"B_N", 9 + 32*(2*n-1)},
		{"B'_1", 9 + 32*(2*n+1)}, {"B'_N", 9 + 32*(3*n)},
	} {
		t.Run(v.name, func(t *testing.T) {
			bad := bytes.Clone(pb)
			copy(bad[v.off:], nonCanonical)
			err := verifyBytes(t, f.ctx, f.gens, f.encIn, f.encOut, bad)
			require.ErrorIs(t, err, ErrMalformed)
			require.NotErrorIs(t, err, ErrInvalidProof)
		})
	}
}
