// Package elgamal is eo's ballot encryption: ElGamal over ristretto255
// (ElGamal, "A public key cryptosystem and a signature scheme based on
// discrete logarithms", IEEE Trans. IT 1985), the embedding of votes into the
// group, and the ballots voters submit with their proofs of knowledge.
//
// # Ciphertexts
//
// A key pair is x and Y = x·B, with B the base point of ristretto255. A
// ciphertext of width w encrypts w group elements M_0 … M_{w-1} (one per
// answer of a question) as w independent pairs
//
//	(α_j, β_j) = (r_j·B, M_j + r_j·Y),   r_j uniform and non-zero,
//
// so that re-encryption (adding an encryption of the identity) and the
// homomorphic sum work pair by pair and a mix-net shuffles whole
// ciphertexts.
//
// # Encodings
//
// Binary: a ciphertext is α_0 ‖ β_0 ‖ α_1 ‖ β_1 ‖ … (64·w bytes, each element
// in its 32-byte canonical encoding); its width is not written, it comes
// from the question. A list of N ciphertexts of width w is their
// concatenation, N·64·w bytes; a List holds the ciphertexts together with
// that encoding, so that a list is encoded once. Keys are 32 bytes.
//
// Text: as in package group, each element or scalar is the unpadded
// base64url encoding of its 32 bytes (43 characters). A ciphertext in JSON
// is [{"alpha":"…","beta":"…"},…]. A ballot is one line, see Ballot.
//
// Every decoder accepts only canonical encodings of exactly the right
// length and returns an error wrapping group.ErrEncoding otherwise; none
// panics on any input. The identity is refused where it cannot occur
// honestly: as a public key, as any α (it would mean r = 0 and publish the
// plaintext: an honest encryption, re-encryption or shuffle produces it
// with probability 2^-252), and, in ballots, as any α, β or proof
// commitment. A β equal to the identity is accepted in ciphertexts outside
// ballots (mix outputs), where refusing it would make decoding depend on
// the plaintext.
//
// # Plaintexts
//
// EncodePlaintext embeds up to PlaintextSize (30) bytes, and EncodeInt an
// integer below 2^240, into an element by try-and-increment over canonical
// encodings; DecodePlaintext and DecodeInt invert them and accept only
// their outputs.
//
// # Time
//
// Key generation, encryption, re-encryption, decryption and ballot
// creation are constant time in the secrets (keys, randomness, plaintext
// elements): they use FixedBase tables for B and for Y (built once per
// public key, see PublicKey.Precompute) and constant-time scalar
// multiplication. The plaintext embedding is variable time in the
// plaintext (the number of tries depends on it), and so are the
// verifiers, which see only public data.
//
// The package does no I/O and does not log. NewList, DecodeList and
// DecodeListN spread large lists over up to GOMAXPROCS goroutines and
// return when they are done.
package elgamal
