// Package eo is the front door of eo, an election-authority mix-net: a few
// authorities create a t-of-n ElGamal election key with no single holder
// of its secret, check the voters' ballots identically, each re-encrypt
// and secretly permute them with a zero-knowledge proof of shuffle, jointly
// decrypt with proofs, and publish an election record that anyone can
// check. This package holds no code; it says where to start.
//
// # Three paths for a Go service
//
// Verify a record (what any observer does): [record.VerifyPath] reads a
// record directory or tally.tar.gz and runs every check of doc/record.md;
// the Report says which check failed and whom the record blames. The
// stand-alone tool is cmd/eoverify.
//
// Run and verify a mix: derive the session's generators by hashing
// ([shuffle.NewGenerators]), shuffle an [elgamal.List] with
// [shuffle.ShuffleAndProve] (or [shuffle.Precompute] ahead of the ballots
// and [shuffle.Shuffle] when they arrive), and verify another mixer's
// output and proof with [shuffle.VerifyBytes], which returns the verified
// list. [chain.Chain] applies the whole mix-chain rule: signature, then
// proof, rejection with blame, t mixes by distinct authorities.
//
// Produce and combine decryption shares: an authority's key share
// ([threshold.KeyShare], opened from its sealed keystore with
// [keystore.OpenKeyShare]) makes a decryption share of the last list with
// its proof ([threshold.KeyShare.DecryptionShare]); anyone verifies shares
// ([threshold.VerifyDecryptionShare]) and any t valid ones combine into
// the plaintexts ([threshold.ThresholdDecrypt]).
//
// # The packages, bottom to top
//
//   - group: ristretto255, scalars, strict encodings, hashing to the
//     group, multi-scalar multiplication, constant-time fixed-base tables.
//   - proofs: the Fiat–Shamir transcript, Schnorr, Chaum–Pedersen,
//     batching, generators derived by hashing.
//   - elgamal: keys, ciphertexts, the plaintext embedding, List.
//   - ballot: the voter's ballot line with its proofs of knowledge, the
//     deterministic ballot rule with its exclusions, the vote file.
//   - shuffle: the Terelius–Wikström proof of shuffle, offline phase,
//     batched verifier.
//   - chain: the mix chain as a state machine.
//   - threshold: GJKR distributed key generation and threshold
//     decryption, as state machines.
//   - record: the election record's model, files, deterministic archive,
//     complete verifier, and an in-process simulation of an election.
//   - keystore: key shares sealed at rest under the operator's passphrase.
//   - peers: identities, peer packages, the trust store, pinned mutual TLS
//     over QUIC.
//   - orchestra: the authority daemon (cmd/eorchestra) that drives the
//     state machines over peers.Transport.
//   - eolog, eotest, bench and cmd/*: the event log, the test harness and
//     local clusters, capacity measurements, thin binaries.
//
// The math and protocol packages (group to threshold) do no I/O and never
// log. The formats a third party needs are specified in doc/.
package eo
