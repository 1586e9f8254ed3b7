// Package proofs holds eo's Fiat–Shamir transcript and the sigma protocols
// the other packages build on: Schnorr's proof of knowledge of a discrete
// logarithm, the Chaum–Pedersen proof of equality of discrete logarithms
// (DLEQ) and its batched form, independent generators derived by hashing to
// the group, and a batch verifier for many linear equations at once.
//
// Every proof is made non-interactive by a Transcript (doc/transcript.md)
// that the caller starts with its own domain label and context (election,
// session, question, ...); the functions here then absorb the whole
// statement — bases, public values and commitments — before drawing a
// challenge. Verifiers recompute the challenge and compare it with the one
// in the proof, check every equation, and return an error naming the failed
// check that wraps ErrInvalidProof. They never panic on any proof value;
// nil fields are an error.
//
// Provers are constant time in their secrets; verifiers are variable time
// (VarTime multi-scalar multiplications over public data). The package does
// no I/O and does not log.
package proofs
