package shuffle

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/proofs"
)

// ErrInvalidProof is wrapped by every verification failure; it is
// proofs.ErrInvalidProof, so callers need test for one sentinel only.
var ErrInvalidProof = proofs.ErrInvalidProof

// ErrMalformed is wrapped by errors about shapes and encodings: empty or
// mismatched lists, a proof of the wrong size, undecodable values.
var ErrMalformed = errors.New("shuffle: malformed input")

// MaxN bounds the number of ciphertexts of one shuffle (2^26); larger
// declared sizes are refused before anything is allocated.
const MaxN = 1 << 26

// Context is the public context of one mix: what the proof is bound to
// besides the ciphertexts.
type Context struct {
	ElectionID string // the election
	SessionID  string // the tally session (one question, one key)
	Position   int    // the position of this mix in the chain, from 1 (the transcript's "mixer")
	PublicKey  *elgamal.PublicKey
	Width      int // pairs per ciphertext
}

func (c *Context) check(n int) error {
	if c == nil || c.PublicKey == nil {
		return fmt.Errorf("%w: missing context or public key", ErrMalformed)
	}
	if c.Width < 1 || c.Width > elgamal.MaxWidth {
		return fmt.Errorf("%w: width %d out of range", ErrMalformed, c.Width)
	}
	if n < 1 {
		return fmt.Errorf("%w: a shuffle needs at least one ciphertext", ErrMalformed)
	}
	if n > MaxN {
		return fmt.Errorf("%w: %d ciphertexts exceed the limit of %d", ErrMalformed, n, MaxN)
	}
	if c.Position < 1 {
		return fmt.Errorf("%w: mix position %d must be at least 1", ErrMalformed, c.Position)
	}
	return nil
}

// GeneratorDomain returns the domain string from which the generators of a
// session are derived: "eo/shuffle/v1" followed by the length-prefixed
// election and session identifiers. All mixes of a session share it.
func GeneratorDomain(electionID, sessionID string) string {
	b := []byte("eo/shuffle/v1")
	b = binary.BigEndian.AppendUint32(b, uint32(len(electionID)))
	b = append(b, electionID...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(sessionID)))
	b = append(b, sessionID...)
	return string(b)
}

// Generators holds the generators of a session for lists of N
// ciphertexts. The commitment generators of the proof are h_i = 2·H_i
// (i = 0 … N), where H_0 … H_N = proofs.DeriveGenerators(GeneratorDomain(…),
// N+1) are derived by hashing. Doubling keeps their discrete logarithms
// unknown and lets the prover compute every commitment as the double of a
// point it knows, which it encodes without square roots
// (group.EncodeDoubled). Derive a Generators once per session and list size
// and reuse it for every mix and verification.
type Generators struct {
	domain string
	h0     *group.Element   // H_0
	half   []group.Affine   // H_0 … H_N, in affine form (half an Element's memory)
	sum    *group.Element   // Σ_{i≥1} H_i
	half0  *group.FixedBase // table of H_0
}

// NewGenerators derives the generators of the session.
func NewGenerators(electionID, sessionID string, n int) (*Generators, error) {
	if n < 1 || n > MaxN {
		return nil, fmt.Errorf("%w: %d generators requested", ErrMalformed, n)
	}
	domain := GeneratorDomain(electionID, sessionID)
	h, err := proofs.DeriveGenerators(domain, n+1)
	if err != nil {
		return nil, err
	}
	half := make([]group.Affine, len(h))
	group.AffineFromElements(half, h)
	return &Generators{domain: domain, h0: h[0], half: half, sum: new(group.Element).SumAffine(half[1:]), half0: group.NewFixedBase(h[0])}, nil
}

// N returns the number of ciphertexts the generators serve.
func (g *Generators) N() int { return len(g.half) - 1 }

func (g *Generators) matches(c *Context, n int) error {
	if g == nil || g.N() != n || g.domain != GeneratorDomain(c.ElectionID, c.SessionID) {
		return fmt.Errorf("%w: generators were derived for another session or size", ErrMalformed)
	}
	return nil
}

// statementTranscript starts the transcript of a mix: domain, group,
// generators, context (its position under the label "mixer"), public key
// and the two ciphertext lists (as their canonical encodings).
func statementTranscript(c *Context, n int, encIn, encOut []byte) *proofs.Transcript {
	t := proofs.NewTranscript("eo/shuffle/v1")
	t.AppendString("group", "ristretto255")
	t.AppendString("generators-dst", proofs.GeneratorsDST)
	t.AppendBytes("generators-domain", []byte(GeneratorDomain(c.ElectionID, c.SessionID)))
	t.AppendString("election", c.ElectionID)
	t.AppendString("session", c.SessionID)
	t.AppendUint64("mixer", uint64(c.Position))
	t.AppendUint64("width", uint64(c.Width))
	t.AppendUint64("n", uint64(n))
	t.AppendBytes("public-key", c.PublicKey.Bytes())
	t.AppendEncodedElements("inputs", encIn)
	t.AppendEncodedElements("outputs", encOut)
	return t
}
