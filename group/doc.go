// Package group implements the prime-order group ristretto255 (RFC 9496)
// and its scalar field, with the fast paths eo needs on top of
// filippo.io/edwards25519: a bucket (Pippenger) multi-scalar multiplication,
// fixed-base precomputed tables, hashing to the group (RFC 9380) and strict
// binary and text encodings.
//
// Element is a ristretto255 group element represented by an edwards25519
// point; Scalar is an integer modulo ℓ = 2^252 + 27742317777372353535851937790883648493.
//
// All operations are constant time unless their name starts with VarTime.
// Decoders (SetCanonicalBytes, UnmarshalText, DecodeElement, DecodeScalar)
// accept only canonical encodings of exactly the right length; on error they
// return an error wrapping ErrEncoding and leave the receiver unchanged.
//
// Text encoding: every element and scalar is written as the unpadded
// base64url (RFC 4648 §5) encoding of its 32 canonical bytes (43 characters).
// Padding, other alphabets, whitespace and non-zero trailing bits are rejected.
//
// The package does no I/O and does not log. VarTimeMultiScalarMult uses a
// documented worker pool of up to GOMAXPROCS goroutines for large inputs.
package group
