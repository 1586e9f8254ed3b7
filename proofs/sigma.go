package proofs

import (
	"crypto/sha512"
	"errors"
	"fmt"
	"io"

	"github.com/eo-mixnet/eo/group"
)

// ErrInvalidProof is wrapped by every verification failure.
var ErrInvalidProof = errors.New("proofs: invalid proof")

func invalid(proof, check string, args ...any) error {
	return fmt.Errorf("%w: %s: "+check, append([]any{ErrInvalidProof, proof}, args...)...)
}

// nonce derives a hedged prover nonce: SHA-512 of a domain label, the
// secret, 32 fresh random bytes and the transcript so far, reduced mod ℓ.
// A broken random source then leaks nothing as long as the statement
// differs, and a good one makes the nonce uniform regardless of the rest.
func nonce(t *Transcript, secret *group.Scalar, rand io.Reader) (*group.Scalar, error) {
	var r [32]byte
	if _, err := io.ReadFull(randOrDefault(rand), r[:]); err != nil {
		return nil, fmt.Errorf("proofs: reading randomness: %w", err)
	}
	h := sha512.New()
	h.Write([]byte("eo nonce v1"))
	h.Write(secret.Bytes())
	h.Write(r[:])
	h.Write(t.Clone().h.Sum(nil))
	return group.NewScalar().SetUniformBytes(h.Sum(nil))
}

// Schnorr is a proof of knowledge of x such that X = x·G (Schnorr, "Efficient
// signature generation by smart cards", J. Cryptology 1991), made
// non-interactive by Fiat–Shamir over the whole statement.
type Schnorr struct {
	Commitment *group.Element // R = k·G
	Challenge  *group.Scalar  // c = H(transcript, G, X, R)
	Response   *group.Scalar  // s = k + c·x
}

func schnorrStatement(t *Transcript, G, X, R *group.Element) *group.Scalar {
	t.AppendString("proof", "schnorr")
	t.AppendElement("G", G)
	t.AppendElement("X", X)
	t.AppendElement("R", R)
	return t.Challenge("c")
}

// ProveSchnorr proves knowledge of x = log_G X, binding everything t holds.
func ProveSchnorr(t *Transcript, G, X *group.Element, x *group.Scalar, rand io.Reader) (*Schnorr, error) {
	k, err := nonce(t, x, rand)
	if err != nil {
		return nil, err
	}
	R := new(group.Element).ScalarMult(k, G)
	c := schnorrStatement(t, G, X, R)
	s := group.NewScalar().MultiplyAdd(c, x, k)
	return &Schnorr{Commitment: R, Challenge: c, Response: s}, nil
}

// VerifySchnorr checks p against the statement X = x·G and the context in t.
func VerifySchnorr(t *Transcript, G, X *group.Element, p *Schnorr) error {
	if p == nil || p.Commitment == nil || p.Challenge == nil || p.Response == nil || G == nil || X == nil {
		return invalid("schnorr", "missing field")
	}
	// Recompute c and compare (Fiat–Shamir; a stored challenge is never trusted).
	c := schnorrStatement(t, G, X, p.Commitment)
	if c.Equal(p.Challenge) != 1 {
		return invalid("schnorr", "challenge mismatch: c ≠ H(statement, R)")
	}
	// s·G − c·X = R (Schnorr 1991, verification equation s·G = R + c·X).
	lhs := new(group.Element).VarTimeMultiScalarMult([]*group.Scalar{p.Response, group.NewScalar().Negate(c)}, []*group.Element{G, X})
	if lhs.Equal(p.Commitment) != 1 {
		return invalid("schnorr", "equation s·G = R + c·X fails")
	}
	return nil
}

// DLEQ is a proof that log_G X = log_H Y (Chaum and Pedersen, "Wallet
// databases with observers", CRYPTO 1992, Section 3.2), made
// non-interactive by Fiat–Shamir over the whole statement.
type DLEQ struct {
	Commitment1 *group.Element // R1 = k·G
	Commitment2 *group.Element // R2 = k·H
	Challenge   *group.Scalar  // c = H(transcript, G, X, H, Y, R1, R2)
	Response    *group.Scalar  // s = k + c·x
}

func dleqStatement(t *Transcript, G, X, H, Y, R1, R2 *group.Element) *group.Scalar {
	t.AppendString("proof", "dleq")
	t.AppendElement("G", G)
	t.AppendElement("X", X)
	t.AppendElement("H", H)
	t.AppendElement("Y", Y)
	t.AppendElement("R1", R1)
	t.AppendElement("R2", R2)
	return t.Challenge("c")
}

// ProveDLEQ proves that X = x·G and Y = x·H for the same x.
func ProveDLEQ(t *Transcript, G, X, H, Y *group.Element, x *group.Scalar, rand io.Reader) (*DLEQ, error) {
	k, err := nonce(t, x, rand)
	if err != nil {
		return nil, err
	}
	R1 := new(group.Element).ScalarMult(k, G)
	R2 := new(group.Element).ScalarMult(k, H)
	c := dleqStatement(t, G, X, H, Y, R1, R2)
	s := group.NewScalar().MultiplyAdd(c, x, k)
	return &DLEQ{Commitment1: R1, Commitment2: R2, Challenge: c, Response: s}, nil
}

// VerifyDLEQ checks p against the statement log_G X = log_H Y and t.
func VerifyDLEQ(t *Transcript, G, X, H, Y *group.Element, p *DLEQ) error {
	if p == nil || p.Commitment1 == nil || p.Commitment2 == nil || p.Challenge == nil || p.Response == nil ||
		G == nil || X == nil || H == nil || Y == nil {
		return invalid("dleq", "missing field")
	}
	c := dleqStatement(t, G, X, H, Y, p.Commitment1, p.Commitment2)
	if c.Equal(p.Challenge) != 1 {
		return invalid("dleq", "challenge mismatch: c ≠ H(statement, R1, R2)")
	}
	negC := group.NewScalar().Negate(c)
	// s·G − c·X = R1 (Chaum–Pedersen 1992, first equation).
	lhs := new(group.Element).VarTimeMultiScalarMult([]*group.Scalar{p.Response, negC}, []*group.Element{G, X})
	if lhs.Equal(p.Commitment1) != 1 {
		return invalid("dleq", "equation s·G = R1 + c·X fails")
	}
	// s·H − c·Y = R2 (second equation).
	lhs.VarTimeMultiScalarMult([]*group.Scalar{p.Response, negC}, []*group.Element{H, Y})
	if lhs.Equal(p.Commitment2) != 1 {
		return invalid("dleq", "equation s·H = R2 + c·Y fails")
	}
	return nil
}

// batchCombine absorbs the lists H and Y (as encH and encY when given, the
// concatenated canonical encodings the caller decoded them from) and
// returns H* = Σ e_i·H_i and Y* = Σ e_i·Y_i for 128-bit weights e drawn
// from the transcript after both lists.
//
// A prover passes x: it then computes Y* = x·H* (one constant-time scalar
// multiplication) instead of a second multi-scalar multiplication.
func batchCombine(t *Transcript, H, Y []*group.Element, encH, encY []byte, x *group.Scalar) (*group.Element, *group.Element) {
	t.AppendString("proof", "batch-dleq")
	t.AppendUint64("n", uint64(len(H)))
	appendList(t, "H", H, encH)
	appendList(t, "Y", Y, encY)
	e := t.ChallengeShortScalars("weights", len(H))
	Hs := new(group.Element).VarTimeMultiScalarMult(e, H)
	if x != nil {
		return Hs, new(group.Element).ScalarMult(x, Hs)
	}
	Ys := new(group.Element).VarTimeMultiScalarMult(e, Y)
	return Hs, Ys
}

func appendList(t *Transcript, label string, x []*group.Element, enc []byte) {
	if enc != nil {
		if len(enc) != len(x)*group.ElementSize {
			panic("proofs: encoding does not match the list")
		}
		t.AppendEncodedElements(label, enc)
		return
	}
	t.AppendElements(label, x)
}

// AffineList is n elements held in affine form where a longer list holds
// them — element i is P[i·Stride] — with their canonical encodings where
// its encoding holds them: element i's is Enc[i·EncStride:][:32]. The α's
// of a list of ciphertexts (package elgamal holds α, β, α, β, …) are
// {P: pts, Stride: 2, Enc: enc, EncStride: 64, N: pairs}.
type AffineList struct {
	P         []group.Affine
	Stride    int
	Enc       []byte
	EncStride int
	N         int
}

// check reports whether l's slices hold its N elements and encodings.
func (l *AffineList) check() bool {
	if l.N < 0 || l.Stride < 1 || l.EncStride < group.ElementSize {
		return false
	}
	return l.N == 0 || (len(l.P) >= (l.N-1)*l.Stride+1 && len(l.Enc) >= (l.N-1)*l.EncStride+group.ElementSize)
}

// batchCombineAffine is batchCombine for affine lists: it absorbs exactly
// what batchCombine absorbs for the same elements, so that a proof made
// by either verifies with both.
func batchCombineAffine(t *Transcript, H, Y *AffineList, x *group.Scalar) (*group.Element, *group.Element) {
	t.AppendString("proof", "batch-dleq")
	t.AppendUint64("n", uint64(H.N))
	t.AppendStridedElements("H", H.Enc, H.N, H.EncStride)
	t.AppendStridedElements("Y", Y.Enc, Y.N, Y.EncStride)
	e := t.ChallengeShortScalars("weights", H.N)
	Hs := new(group.Element).VarTimeMultiScalarMultAffine(e, H.P, H.Stride)
	if x != nil {
		return Hs, new(group.Element).ScalarMult(x, Hs)
	}
	Ys := new(group.Element).VarTimeMultiScalarMultAffine(e, Y.P, Y.Stride)
	return Hs, Ys
}

// ProveBatchDLEQAffine is ProveBatchDLEQ for bases held in affine form
// and values given by their concatenated canonical encodings encY (the
// prover computes Y* = x·H*, so it needs no value as a point): the proof
// is the one ProveBatchDLEQ makes, and VerifyBatchDLEQ checks, for the
// same elements. It panics if H does not hold its N elements or encY is
// not N encodings.
func ProveBatchDLEQAffine(t *Transcript, G, X *group.Element, H *AffineList, encY []byte, x *group.Scalar, rand io.Reader) (*DLEQ, error) {
	if !H.check() || len(encY) != H.N*group.ElementSize {
		panic("proofs: ProveBatchDLEQAffine with malformed lists")
	}
	Hs, Ys := batchCombineAffine(t, H, &AffineList{Enc: encY, EncStride: group.ElementSize, N: H.N}, x)
	return ProveDLEQ(t, G, X, Hs, Ys, x, rand)
}

// VerifyBatchDLEQAffine is VerifyBatchDLEQ for lists held in affine form,
// read where they lie (no list is collected): the same statement, the
// same transcript, the same checks (Chaum–Pedersen on the weighted sums,
// Bellare–Garay–Rabin, EUROCRYPT 1998, Section 3.2).
func VerifyBatchDLEQAffine(t *Transcript, G, X *group.Element, H, Y *AffineList, p *DLEQ) error {
	if H == nil || Y == nil || !H.check() || !Y.check() {
		return invalid("batch-dleq", "the lists do not hold their elements")
	}
	if H.N != Y.N {
		return invalid("batch-dleq", "%d bases but %d values", H.N, Y.N)
	}
	if G == nil || X == nil {
		return invalid("batch-dleq", "missing field")
	}
	Hs, Ys := batchCombineAffine(t, H, Y, nil)
	if err := VerifyDLEQ(t, G, X, Hs, Ys, p); err != nil {
		return fmt.Errorf("batch-dleq: %w", err)
	}
	return nil
}

// ProveBatchDLEQ proves that X = x·G and Y_i = x·H_i for every i, with one
// DLEQ proof on random linear combinations of the pairs (the small-exponent
// batching of Bellare, Garay and Rabin, "Fast batch verification for
// modular exponentiation and digital signatures", EUROCRYPT 1998, Section
// 3.2, with weights from the transcript): if some Y_i ≠ x·H_i the combined
// statement is false except with probability 2^-128. encH and encY may be
// nil; see VerifyBatchDLEQ.
func ProveBatchDLEQ(t *Transcript, G, X *group.Element, H, Y []*group.Element, encH, encY []byte, x *group.Scalar, rand io.Reader) (*DLEQ, error) {
	if len(H) != len(Y) {
		panic("proofs: ProveBatchDLEQ with lists of different lengths")
	}
	Hs, Ys := batchCombine(t, H, Y, encH, encY, x)
	return ProveDLEQ(t, G, X, Hs, Ys, x, rand)
}

// VerifyBatchDLEQ checks a proof made by ProveBatchDLEQ. encH and encY, if
// not nil, must be the concatenated canonical encodings from which H and Y
// were decoded; they spare re-encoding the lists for the transcript.
func VerifyBatchDLEQ(t *Transcript, G, X *group.Element, H, Y []*group.Element, encH, encY []byte, p *DLEQ) error {
	if len(H) != len(Y) {
		return invalid("batch-dleq", "%d bases but %d values", len(H), len(Y))
	}
	if (encH != nil && len(encH) != len(H)*group.ElementSize) || (encY != nil && len(encY) != len(Y)*group.ElementSize) {
		return invalid("batch-dleq", "encodings do not match the lists")
	}
	for i := range H {
		if H[i] == nil || Y[i] == nil {
			return invalid("batch-dleq", "missing element %d", i)
		}
	}
	if G == nil || X == nil {
		return invalid("batch-dleq", "missing field")
	}
	Hs, Ys := batchCombine(t, H, Y, encH, encY, nil)
	if err := VerifyDLEQ(t, G, X, Hs, Ys, p); err != nil {
		return fmt.Errorf("batch-dleq: %w", err)
	}
	return nil
}
