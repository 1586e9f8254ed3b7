package chain

import (
	"bytes"
	"encoding/hex"
	"errors"
	mrand "math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/testrand"
	"github.com/eo-mixnet/eo/shuffle"
)

// sign is the tests' signature: the signer's index and the digest.
func sign(mixer int, d [32]byte) []byte { return append([]byte{byte(mixer)}, d[:]...) }

func verify(mixer int, d [32]byte, sig []byte) error {
	if !bytes.Equal(sig, sign(mixer, d)) {
		return errors.New("bad signature")
	}
	return nil
}

type fixture struct {
	cfg   Config
	input *elgamal.List
	rand  *mrand.ChaCha8
}

func newFixture(t *testing.T, n, tt, ballots int) *fixture {
	r := testrand.New(1)
	sk, err := elgamal.GenerateKey(r)
	require.NoError(t, err)
	cts := make([]*elgamal.Ciphertext, ballots)
	for i := range cts {
		m, err := elgamal.EncodeUint64(uint64(i))
		require.NoError(t, err)
		cts[i], err = elgamal.Encrypt(r, sk.Public(), []*group.Element{m})
		require.NoError(t, err)
	}
	in, err := elgamal.NewList(cts)
	require.NoError(t, err)
	cfg := Config{ElectionID: "e-chain", Question: 0, SessionID: "q0", PublicKey: sk.Public(), Width: 1,
		Authorities: n, Threshold: tt, VerifySignature: verify}
	return &fixture{cfg: cfg, input: in, rand: r}
}

// mix makes mixer's honest mix for c's next position, signed by signer.
func (f *fixture) mix(t *testing.T, c *Chain, mixer, signer int) Mix {
	out, proof, err := shuffle.ShuffleAndProve(f.rand, c.Context(c.Next()), c.Generators(), c.Current())
	require.NoError(t, err)
	pb := proof.Bytes()
	return Mix{Position: c.Next(), Mixer: mixer, Output: out.Bytes(), Proof: pb, Signature: sign(signer, c.Digest(out.Bytes(), pb))}
}

// resign signs m again by its mixer, after a change.
func resign(c *Chain, m Mix) Mix {
	m.Signature = sign(m.Mixer, c.Digest(m.Output, m.Proof))
	return m
}

// TestChainOffers plays the rule as a table of offers against one chain
// of three authorities, threshold 2.
func TestChainOffers(t *testing.T) {
	f := newFixture(t, 3, 2, 6)
	c, err := New(f.cfg, f.input)
	require.NoError(t, err)
	require.Equal(t, 1, c.Next())
	_, err = c.Final()
	require.ErrorIs(t, err, ErrTooFewMixes)

	good1 := f.mix(t, c, 1, 1)

	// Not judged: the chain does not move and nobody is blamed.
	for name, tc := range map[string]struct {
		m    Mix
		want error
	}{
		"early position":    {func() Mix { m := good1; m.Position = 2; return m }(), ErrPosition},
		"stale position":    {func() Mix { m := good1; m.Position = 0; return m }(), ErrPosition},
		"mixer 0":           {func() Mix { m := good1; m.Mixer = 0; return resign(c, m) }(), ErrMixer},
		"mixer n+1":         {func() Mix { m := good1; m.Mixer = 4; return resign(c, m) }(), ErrMixer},
		"another's key":     {func() Mix { m := good1; m.Signature = sign(3, c.Digest(m.Output, m.Proof)); return m }(), ErrUnsigned},
		"changed output":    {func() Mix { m := good1; m.Output = bytes.Clone(m.Output); m.Output[5] ^= 1; return m }(), ErrUnsigned},
		"changed proof":     {func() Mix { m := good1; m.Proof = bytes.Clone(m.Proof); m.Proof[40] ^= 1; return m }(), ErrUnsigned},
		"missing signature": {func() Mix { m := good1; m.Signature = nil; return m }(), ErrUnsigned},
	} {
		_, err := c.Offer(tc.m)
		require.ErrorIs(t, err, tc.want, name)
		require.Equal(t, 1, c.Next(), name)
		require.Empty(t, c.Rejected(), name)
		require.False(t, c.Offered(tc.m.Mixer), name)
	}

	// A signed mix whose proof fails is rejected: its mixer is blamed and
	// the chain stays where it was. Judge says so and changes nothing.
	bad := good1
	bad.Mixer = 2
	bad.Proof = bytes.Clone(bad.Proof)
	bad.Proof[len(bad.Proof)-40] ^= 1 // the low bit of a response
	bad = resign(c, bad)
	v, err := c.Judge(bad)
	require.NoError(t, err)
	require.False(t, v.Accepted)
	require.Empty(t, c.Rejected())
	require.False(t, c.Offered(2))
	v, err = c.Judge(good1)
	require.NoError(t, err)
	require.True(t, v.Accepted)
	require.Equal(t, 1, c.Next())
	v, err = c.Offer(bad)
	require.NoError(t, err)
	require.False(t, v.Accepted)
	require.Error(t, v.Fault)
	require.Equal(t, 1, c.Next())
	require.Len(t, c.Rejected(), 1)
	require.Equal(t, 2, c.Rejected()[0].Mixer)
	// It offered once: a second offer by authority 2 is refused.
	_, err = c.Offer(f.mix(t, c, 2, 2))
	require.ErrorIs(t, err, ErrMixer)

	// The honest mix of authority 1 is accepted.
	v, err = c.Offer(good1)
	require.NoError(t, err)
	require.True(t, v.Accepted)
	require.Equal(t, good1.Output, v.Output.Bytes())
	require.Equal(t, 2, c.Next())
	require.Equal(t, good1.Output, c.Current().Bytes())
	_, err = c.Offer(good1)
	require.ErrorIs(t, err, ErrPosition)
	_, err = c.Final()
	require.ErrorIs(t, err, ErrTooFewMixes)
	require.ErrorContains(t, err, "[2]")

	// An output that does not decode: rejected, malformed.
	junk := f.mix(t, c, 3, 3)
	junk.Output = make([]byte, len(junk.Output)) // identity α: undecodable
	junk = resign(c, junk)
	tail := c.Current()
	v, err = c.Offer(junk)
	require.NoError(t, err)
	require.False(t, v.Accepted)
	require.ErrorIs(t, v.Fault, shuffle.ErrMalformed)
	require.Same(t, tail, c.Current())

	// Nobody is left: one mix stands, fewer than t.
	final, err := c.Final()
	require.ErrorIs(t, err, ErrTooFewMixes)
	require.ErrorContains(t, err, "[2 3]")
	require.Same(t, tail, final)
	require.Len(t, c.Accepted(), 1)
}

// TestChainCompletes: t distinct mixers complete the chain, and its final
// list decrypts to the ballots' plaintexts.
func TestChainCompletes(t *testing.T) {
	f := newFixture(t, 3, 2, 5)
	c, err := New(f.cfg, f.input)
	require.NoError(t, err)
	for _, mixer := range []int{3, 1} {
		v, err := c.Offer(f.mix(t, c, mixer, mixer))
		require.NoError(t, err)
		require.True(t, v.Accepted)
	}
	final, err := c.Final()
	require.NoError(t, err)
	require.Equal(t, c.Accepted()[1].Output, final.Bytes())
	require.Equal(t, 3, c.Accepted()[0].Mixer)
	require.Equal(t, 2, c.Accepted()[1].Position)
}

// TestChainAdopt: a mix judged before (one's own, or a stored verdict) is
// taken without its proof, but position, mixer and signature still count.
func TestChainAdopt(t *testing.T) {
	f := newFixture(t, 2, 1, 4)
	c, err := New(f.cfg, f.input)
	require.NoError(t, err)
	m := f.mix(t, c, 1, 1)
	require.ErrorIs(t, c.Adopt(Mix{Position: 1, Mixer: 1, Output: m.Output, Proof: m.Proof, Signature: nil}, nil, nil), ErrUnsigned)
	require.NoError(t, c.Adopt(m, nil, errors.New("rejected before a restart")))
	require.Len(t, c.Rejected(), 1)
	require.Equal(t, 1, c.Next())
	m2 := f.mix(t, c, 2, 2)
	require.NoError(t, c.Adopt(m2, nil, nil))
	require.Equal(t, m2.Output, c.Current().Bytes())
	final, err := c.Final()
	require.NoError(t, err)
	require.Equal(t, m2.Output, final.Bytes())
	// An adopted output that does not decode is an error, not a verdict.
	c, err = New(f.cfg, f.input)
	require.NoError(t, err)
	m = f.mix(t, c, 1, 1)
	m.Output = m.Output[:len(m.Output)-1]
	require.Error(t, c.Adopt(resign(c, m), nil, nil))
	require.Equal(t, 1, c.Next())
}

func TestNewRejects(t *testing.T) {
	f := newFixture(t, 3, 2, 2)
	for name, edit := range map[string]func(*Config){
		"no election":   func(c *Config) { c.ElectionID = "" },
		"no session":    func(c *Config) { c.SessionID = "" },
		"no key":        func(c *Config) { c.PublicKey = nil },
		"t > n":         func(c *Config) { c.Threshold = 4 },
		"t = 0":         func(c *Config) { c.Threshold = 0 },
		"no verifier":   func(c *Config) { c.VerifySignature = nil },
		"another width": func(c *Config) { c.Width = 2 },
	} {
		cfg := f.cfg
		edit(&cfg)
		_, err := New(cfg, f.input)
		require.Error(t, err, name)
	}
	_, err := New(f.cfg, nil)
	require.Error(t, err)
}

// TestDigestKnownAnswer pins the signed digest, part of the record format
// (doc/record.md).
func TestDigestKnownAnswer(t *testing.T) {
	d := Digest("e", 1, 2, []byte("in"), []byte("out"), []byte("proof"))
	require.Equal(t, digestKAT, hex.EncodeToString(d[:]))
	// Every input is bound.
	for _, o := range [][32]byte{
		Digest("f", 1, 2, []byte("in"), []byte("out"), []byte("proof")),
		Digest("e", 0, 2, []byte("in"), []byte("out"), []byte("proof")),
		Digest("e", 1, 3, []byte("in"), []byte("out"), []byte("proof")),
		Digest("e", 1, 2, []byte("in!"), []byte("out"), []byte("proof")),
		Digest("e", 1, 2, []byte("in"), []byte("out!"), []byte("proof")),
		Digest("e", 1, 2, []byte("in"), []byte("out"), []byte("proof!")),
	} {
		require.NotEqual(t, d, o)
	}
}

// digestKAT is Digest("e", 1, 2, "in", "out", "proof"), as the first
// version of the record format computed it.
const digestKAT = "34b9e4a72b50769c32a6f0503eaec58a320e01021eae6ded35c48ea9107131b5"

// TestCloneIndependent: a clone moves on without its original.
func TestCloneIndependent(t *testing.T) {
	f := newFixture(t, 3, 2, 4)
	c, err := New(f.cfg, f.input)
	require.NoError(t, err)
	d := c.Clone()
	v, err := d.Offer(f.mix(t, d, 1, 1))
	require.NoError(t, err)
	require.True(t, v.Accepted)
	require.Equal(t, 1, c.Next(), "the original stays")
	require.Equal(t, 2, d.Next())
	require.False(t, c.Offered(1))
	require.True(t, d.Offered(1))
}

// A shed chain keeps its list by its encoding only, and judges as before:
// an honest mix of it is accepted (its points decoded again), a mix with
// a broken proof rejected; a clone made before keeps the decoded list.
func TestChainShed(t *testing.T) {
	f := newFixture(t, 3, 2, 6)
	c, err := New(f.cfg, f.input)
	require.NoError(t, err)
	good := f.mix(t, c, 1, 1)
	bad := f.mix(t, c, 2, 2)
	bad.Proof = append([]byte(nil), bad.Proof...)
	bad.Proof[len(bad.Proof)/2] ^= 1
	bad = resign(c, bad)
	before := c.Clone()
	c.Shed()
	require.False(t, c.Current().Decoded())
	require.True(t, before.Current().Decoded())
	require.Equal(t, f.input.Bytes(), c.Current().Bytes())
	v, err := c.Clone().Offer(bad)
	require.NoError(t, err)
	require.False(t, v.Accepted)
	require.Error(t, v.Fault)
	v, err = c.Offer(good)
	require.NoError(t, err)
	require.True(t, v.Accepted)
	require.Equal(t, good.Output, c.Current().Bytes())
	c.Shed()
	c.Shed() // again: nothing changes
	require.False(t, c.Current().Decoded())
	final, err := c.Final()
	require.ErrorIs(t, err, ErrTooFewMixes) // one mix, t = 2
	require.Equal(t, good.Output, final.Bytes())
}
