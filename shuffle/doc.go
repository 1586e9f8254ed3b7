// Package shuffle re-encrypts and secretly permutes a list of ElGamal
// ciphertexts and proves in zero knowledge that it did so: the proof of a
// shuffle of Terelius and Wikström ("Proofs of restricted shuffles",
// AFRICACRYPT 2010, Section 4), in the form that Wikström specifies for the
// Verificatum mix-net ("How to implement a stand-alone verifier for the
// Verificatum mix-net", Section 8.3, "Proof of a shuffle"), made
// non-interactive with the proofs.Transcript over the whole statement.
// The normative specification — generators, encoding, transcript and
// verification equations — is doc/verify.md §4, with test vectors in
// testdata/vectors/shuffle-proof.json; this documentation summarises it.
//
// # The statement
//
// Inputs w_1 … w_N and outputs w'_1 … w'_N are ciphertexts of width W
// under the public key Y. The mixer knows a permutation π and re-encryption
// randomness s_j (one scalar per pair) with
//
//	w'_j = w_{π(j)} + Enc(0, s_j),   Enc(0, s) = (s·B, s·Y).
//
// Generators h_0 … h_N are derived by hashing (proofs.DeriveGenerators)
// from the election and session; they are never read from input
// (doc/verify.md §4.1). The proof is bound to the Context: election, session,
// the mix's position in the chain (from 1; "mixer" in the transcript),
// public key and width.
//
// Both lists are elgamal.Lists, ciphertexts that carry their canonical
// encoding: the transcript absorbs the encodings as they are, Shuffle
// encodes its outputs once, in a batch, and VerifyBytes returns the
// verified output list, the next mix's input, so that every list of a
// chain is decoded once.
//
// # The proof (additive notation, Wikström's names)
//
// Permutation commitment u_i = r_i·B + h_{π⁻¹(i)}; challenge vector e
// (128-bit entries) from the transcript over the statement and u; e'_j =
// e_{π(j)}. Commitment chain B_0 = h_0, B_j = b_j·B + e'_j·B_{j−1}.
// Commitments A' = α·B + Σ ε_j·h_j, B'_j = β_j·B + ε_j·B_{j−1}, C' = γ·B,
// D' = δ·B, F' = Σ ε_j·w'_j − Enc(0, φ); challenge v; responses
// k_A = v·a + α, k_B,j = v·b_j + β_j, k_C = v·c + γ, k_D = v·d + δ,
// k_E,j = v·e'_j + ε_j, k_F = v·f + φ, with a = Σ e_i·r_i, c = Σ r_i,
// d the B-coefficient of B_N and f = Σ e'_j·s_j. The verifier computes
// A = Σ e_i·u_i, C = Σ u_i − Σ h_i, D = B_N − (Π e_i)·h_0, F = Σ e_i·w_i and
// checks
//
//	(A) v·A + A'   = k_A·B + Σ k_E,j·h_j
//	(B) v·B_j + B'_j = k_B,j·B + k_E,j·B_{j−1}      for j = 1 … N
//	(C) v·C + C'   = k_C·B
//	(D) v·D + D'   = k_D·B
//	(F) v·F + F'   = Σ k_E,j·w'_j − Enc(0, k_F)
//
// The N equations (B) are checked at once with random 128-bit weights.
//
// # Cost and side channels
//
// Everything that does not depend on the ballots — π, the commitment u,
// the re-encryption factors Enc(0, s_j), ε and A' — can be computed ahead
// (Precompute). Fixed-base multiplications with secret scalars are constant
// time; the two multi-scalar multiplications over the blinding vector ε
// (A' and F') use the variable-time bucket method, as Verificatum does:
// their running time depends on ε, which an attacker who can time the
// mixer's memory accesses could use against the permutation. Run mixers on
// machines that no one else shares.
//
// N = 0 is an error (there is nothing to hide); N = 1 is a valid shuffle
// whose only permutation is the identity, and its proof shows that the
// output re-encrypts the input.
//
// The package does no I/O and does not log; it uses up to GOMAXPROCS
// goroutines.
package shuffle
