// Package chain is the mix chain of one question as a pure state machine:
// the rule that makes eo a mix-net, written once, which the daemon
// (package orchestra), the record's verifier (package record) and the
// in-process simulation all follow.
//
// # The rule
//
// The chain starts from the list of accepted ballots. Mixes are offered
// one at a time, each for a position p (1, 2, …): the mix of position p
// takes the list left by the p−1 mixes accepted before it. An offer is
// judged in this order:
//
//  1. it must be for the chain's next position (ErrPosition), by an
//     authority 1 … n that has offered no mix before (ErrMixer, threats.md
//     A11: one authority may not mix twice);
//  2. its signature, by the mixer's key over Digest, must verify
//     (ErrUnsigned). An unsigned offer proves nothing about its mixer: it
//     is refused, and nobody is blamed for it;
//  3. its proof of shuffle (package shuffle) must verify against the
//     chain's current list. A signed mix that verifies is accepted: its
//     output becomes the current list and the chain moves to p+1. A signed
//     mix that does not verify is rejected: its mixer is blamed — the
//     signed mix is the proof — and the chain stays at p, from the same
//     list, for the next mixer.
//
// The chain is complete (Final) when at least t mixes by distinct
// authorities stand: then no t−1 colluding authorities can link a ballot
// to its plaintext. With fewer, Final fails naming the rejected mixers.
//
// The package does no I/O and does not log; proof verification uses up to
// GOMAXPROCS goroutines (package shuffle).
package chain

import (
	"errors"
	"fmt"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/internal/recdigest"
	"github.com/eo-mixnet/eo/shuffle"
)

// Errors of an offer that is not judged: the chain does not change, and
// nobody is blamed.
var (
	ErrPosition = errors.New("chain: offered for another position")
	ErrMixer    = errors.New("chain: not a mixer of this chain, or one that offered a mix already")
	ErrUnsigned = errors.New("chain: not signed by its mixer")
)

// ErrTooFewMixes is wrapped by Final when fewer than t mixes stand.
var ErrTooFewMixes = errors.New("chain: too few mixes")

// Mix is one mix offered to the chain.
type Mix struct {
	Position  int    // the position it was made for, from 1
	Mixer     int    // the authority that made it, 1 … n
	Output    []byte // the output list, elgamal.List.Bytes
	Proof     []byte // the proof of shuffle, shuffle.Proof.Bytes
	Signature []byte // the mixer's signature over Digest
}

// Rejection is a signed mix whose proof did not verify: the proof of its
// mixer's fault.
type Rejection struct {
	Mix
	Reason error // why the proof failed
}

// Verdict is the outcome of a judged offer.
type Verdict struct {
	Accepted bool
	// Output is the verified output list of an accepted mix.
	Output *elgamal.List
	// Fault is why a rejected mix's proof failed; it wraps
	// shuffle.ErrMalformed for an output or proof that does not decode
	// and shuffle.ErrInvalidProof for a failed check.
	Fault error
}

// Config is what every authority agrees on for one question's chain.
type Config struct {
	ElectionID  string
	Question    int    // the question's index, bound in Digest
	SessionID   string // the question's key-generation session
	PublicKey   *elgamal.PublicKey
	Width       int // pairs per ciphertext
	Authorities int // n: mixers are 1 … n
	Threshold   int // t: mixes that must stand
	// VerifySignature checks authority mixer's signature over digest.
	VerifySignature func(mixer int, digest [32]byte, sig []byte) error
}

// Chain is one question's mix chain. It is not safe for concurrent use.
type Chain struct {
	cfg  Config
	gens *shuffle.Generators
	// current is the input of the next position: the output of the last
	// accepted mix, or the ballots. Earlier lists are not kept: nothing
	// needs them once a mix of them is judged, and a large election's
	// verifier would hold every list of the chain (#18).
	current  *elgamal.List
	accepted []Mix
	rejected []Rejection
	offered  map[int]bool
}

// New starts the chain of cfg from input, the list of accepted ballots.
// It derives the proof's generators by hashing (never from input;
// threats.md A4).
func New(cfg Config, input *elgamal.List) (*Chain, error) {
	switch {
	case cfg.ElectionID == "" || cfg.SessionID == "" || cfg.Question < 0:
		return nil, errors.New("chain: missing election, session or question")
	case !cfg.PublicKey.Valid():
		return nil, errors.New("chain: missing public key")
	case cfg.Authorities < 1 || cfg.Threshold < 1 || cfg.Threshold > cfg.Authorities:
		return nil, fmt.Errorf("chain: threshold %d of %d authorities is out of range", cfg.Threshold, cfg.Authorities)
	case cfg.VerifySignature == nil:
		return nil, errors.New("chain: missing signature verifier")
	case input == nil || input.Width() != cfg.Width:
		return nil, fmt.Errorf("chain: the input is not a list of width %d", cfg.Width)
	}
	gens, err := shuffle.NewGenerators(cfg.ElectionID, cfg.SessionID, input.Len())
	if err != nil {
		return nil, err
	}
	return &Chain{cfg: cfg, gens: gens, current: input, offered: map[int]bool{}}, nil
}

// Next returns the position the next mix is offered for.
func (c *Chain) Next() int { return len(c.accepted) + 1 }

// Current returns the list the next mix takes as input: the output of the
// last accepted mix, or the ballots.
func (c *Chain) Current() *elgamal.List { return c.current }

// Generators returns the proof's generators, for a mixer's Precompute.
func (c *Chain) Generators() *shuffle.Generators { return c.gens }

// Context returns the statement's context of a mix at position p.
func (c *Chain) Context(p int) *shuffle.Context {
	return &shuffle.Context{ElectionID: c.cfg.ElectionID, SessionID: c.cfg.SessionID, Position: p,
		PublicKey: c.cfg.PublicKey, Width: c.cfg.Width}
}

// Digest returns what the mixer of the next position signs for a mix with
// this output and proof of the current list.
func (c *Chain) Digest(output, proof []byte) [32]byte {
	return Digest(c.cfg.ElectionID, c.cfg.Question, c.Next(), c.Current().Bytes(), output, proof)
}

// Offer judges m by the rule of the package doc and applies the verdict:
// an accepted mix moves the chain, a rejected one is kept with its fault.
// An error means the offer was not judged (the chain is unchanged, no one
// is blamed).
func (c *Chain) Offer(m Mix) (Verdict, error) {
	v, err := c.Judge(m)
	if err != nil {
		return v, err
	}
	if v.Accepted {
		c.accept(m, v.Output)
	} else {
		c.reject(m, v.Fault)
	}
	return v, nil
}

// Judge is Offer without applying the verdict: the chain does not change.
// A verifier of a record that claims a mix was rejected judges it, and
// then adopts the rejection (Adopt) only if the claim holds.
func (c *Chain) Judge(m Mix) (Verdict, error) {
	if err := c.admit(m); err != nil {
		return Verdict{}, err
	}
	out, err := c.VerifyProof(m)
	if err != nil {
		return Verdict{Fault: err}, nil
	}
	return Verdict{Accepted: true, Output: out}, nil
}

// admit applies steps 1 and 2 of the rule: position, mixer, signature.
func (c *Chain) admit(m Mix) error {
	if m.Position != c.Next() {
		return fmt.Errorf("%w: a mix for position %d, the chain is at %d", ErrPosition, m.Position, c.Next())
	}
	if m.Mixer < 1 || m.Mixer > c.cfg.Authorities || c.offered[m.Mixer] {
		return fmt.Errorf("%w: authority %d", ErrMixer, m.Mixer)
	}
	if err := c.cfg.VerifySignature(m.Mixer, c.Digest(m.Output, m.Proof), m.Signature); err != nil {
		return fmt.Errorf("%w: authority %d: %w", ErrUnsigned, m.Mixer, err)
	}
	return nil
}

// VerifyProof checks only step 3 of the rule, m's proof of shuffle against
// the current list, and returns the verified output; the chain does not
// change. A verifier of a record uses it to report a proof's failure
// apart from the signature's.
func (c *Chain) VerifyProof(m Mix) (*elgamal.List, error) {
	return shuffle.VerifyBytes(c.Context(c.Next()), c.gens, c.Current(), m.Output, m.Proof)
}

func (c *Chain) accept(m Mix, out *elgamal.List) {
	c.offered[m.Mixer] = true
	c.accepted = append(c.accepted, m)
	c.current = out
}

func (c *Chain) reject(m Mix, reason error) {
	c.offered[m.Mixer] = true
	c.rejected = append(c.rejected, Rejection{Mix: m, Reason: reason})
}

// Adopt takes a mix that was judged already — a mix this authority made
// itself, or a verdict it stored before a restart — without verifying
// its proof again: steps 1 and 2 of the rule are checked, and the mix is
// accepted (out is its output list, decoded here if nil) or, with a
// non-nil reason, rejected.
func (c *Chain) Adopt(m Mix, out *elgamal.List, reason error) error {
	if err := c.admit(m); err != nil {
		return err
	}
	if reason != nil {
		c.reject(m, reason)
		return nil
	}
	if out == nil {
		var err error
		if out, err = elgamal.DecodeListN(m.Output, c.cfg.Width, c.Current().Len()); err != nil {
			return fmt.Errorf("chain: the output of an adopted mix: %w", err)
		}
	}
	c.accept(m, out)
	return nil
}

// Shed keeps the current list by its encoding only (elgamal.List.Encoded):
// its points are decoded again if a mix of it is judged, or it is
// decrypted. A daemon sheds a list once a mix of it stands: a chain of n
// mixes would otherwise hold n+1 decoded lists (#18). Clones made before
// keep the decoded list.
func (c *Chain) Shed() { c.current = c.current.Encoded() }

// Accepted returns the accepted mixes in chain order.
func (c *Chain) Accepted() []Mix { return c.accepted }

// Rejected returns the rejected mixes in the order they were offered.
func (c *Chain) Rejected() []Rejection { return c.rejected }

// Offered reports whether authority i has offered a mix, accepted or not.
func (c *Chain) Offered(i int) bool { return c.offered[i] }

// Final returns the list to decrypt: the output of the last accepted mix,
// if at least t mixes by distinct authorities stand. Otherwise it returns
// the current list and an error wrapping ErrTooFewMixes that names the
// rejected mixers.
func (c *Chain) Final() (*elgamal.List, error) {
	if m := len(c.accepted); m < c.cfg.Threshold {
		var blamed []int
		for _, r := range c.rejected {
			blamed = append(blamed, r.Mixer)
		}
		return c.Current(), fmt.Errorf("%w: %d mixes stand, the threshold is %d (rejected mixers: %v)", ErrTooFewMixes, m, c.cfg.Threshold, blamed)
	}
	return c.Current(), nil
}

// Digest is what the mixer of position p of question q signs for its mix:
// SHA-256 of "eo/record/v1 mix" ‖ len(election) (4 bytes) ‖ election ‖ q
// (8 bytes) ‖ p (8 bytes) ‖ SHA-256(input) ‖ SHA-256(output) ‖
// SHA-256(proof), integers big endian (doc/record.md).
func Digest(electionID string, question, position int, input, output, proof []byte) [32]byte {
	return recdigest.Sum("eo/record/v1 mix", electionID, question, position, input, output, proof)
}

// Clone returns a copy of the chain that moves on independently: a
// daemon that follows several candidate continuations of one list (a
// mixer that was skipped and mixed late, package tally) judges each on its
// own copy. The lists are immutable and shared.
func (c *Chain) Clone() *Chain {
	d := *c
	d.accepted = append([]Mix(nil), c.accepted...)
	d.rejected = append([]Rejection(nil), c.rejected...)
	d.offered = make(map[int]bool, len(c.offered))
	for k, v := range c.offered {
		d.offered[k] = v
	}
	return &d
}
