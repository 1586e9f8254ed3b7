package shuffle

import (
	"encoding/binary"
	"fmt"

	"github.com/eo-mixnet/eo/group"
)

// proofVersion is the first byte of an encoded proof.
const proofVersion = 1

// Proof is a proof of a shuffle of N ciphertexts of width W. Its encoding
// (Bytes, DecodeProof) is
//
//	version (1 byte, = 1) ‖ N (4 bytes, big endian) ‖ W (4 bytes, big endian) ‖
//	u_1…u_N ‖ B_1…B_N ‖ A' ‖ B'_1…B'_N ‖ C' ‖ D' ‖ F'_α,1 ‖ F'_β,1 ‖ … ‖ F'_β,W ‖
//	k_A ‖ k_B,1…k_B,N ‖ k_C ‖ k_D ‖ k_E,1…k_E,N ‖ k_F,1…k_F,W
//
// with 32-byte canonical elements and scalars: 9 + 32·(5N + 3W + 6) bytes.
//
// A Proof is immutable: it comes from Shuffle or DecodeProof, and it keeps
// the canonical encodings of its long vectors so that verification never
// re-encodes them.
type Proof struct {
	n, w       int
	aP, cP, dP *group.Element   // A', C', D'
	fP         []*group.Element // F': 2W, the α then β part of each pair
	kA, kC, kD *group.Scalar
	kB, kE     []*group.Scalar // N each
	kF         []*group.Scalar // W
	// u_j, B_j and B'_j as their concatenated canonical encodings; they
	// are decoded (and rejected if not canonical) when verified, one
	// vector at a time, to keep memory low.
	encU, encB, encBPrime []byte
}

// N returns the number of ciphertexts the proof is about.
func (p *Proof) N() int { return p.n }

// W returns their width.
func (p *Proof) W() int { return p.w }

// ProofSize returns the size in bytes of the encoding of a proof for n
// ciphertexts of width w.
func ProofSize(n, w int) int { return 9 + 32*(5*n+3*w+6) }

// Bytes returns the canonical encoding of p.
func (p *Proof) Bytes() []byte {
	out := make([]byte, 0, ProofSize(p.n, p.w))
	out = append(out, proofVersion)
	out = binary.BigEndian.AppendUint32(out, uint32(p.n))
	out = binary.BigEndian.AppendUint32(out, uint32(p.w))
	out = append(out, p.encU...)
	out = append(out, p.encB...)
	out, _ = p.aP.AppendBinary(out)
	out = append(out, p.encBPrime...)
	out, _ = p.cP.AppendBinary(out)
	out, _ = p.dP.AppendBinary(out)
	for _, f := range p.fP {
		out, _ = f.AppendBinary(out)
	}
	out = append(out, p.kA.Bytes()...)
	for _, k := range p.kB {
		out = append(out, k.Bytes()...)
	}
	out = append(out, p.kC.Bytes()...)
	out = append(out, p.kD.Bytes()...)
	for _, k := range p.kE {
		out = append(out, k.Bytes()...)
	}
	for _, k := range p.kF {
		out = append(out, k.Bytes()...)
	}
	return out
}

// DecodeProof parses a proof for exactly n ciphertexts of width w (the
// verifier's statement fixes both). It checks the header and the total
// length before allocating, and rejects any non-canonical scalar or short
// element with an error wrapping ErrMalformed; the three long vectors u, B
// and B' are decoded, with the same strictness, by Verify.
func DecodeProof(b []byte, n, w int) (*Proof, error) {
	if n < 1 || n > MaxN || w < 1 || w > 1<<16 {
		return nil, fmt.Errorf("%w: proof for %d ciphertexts of width %d", ErrMalformed, n, w)
	}
	if len(b) != ProofSize(n, w) {
		return nil, fmt.Errorf("%w: proof for %d ciphertexts of width %d must be %d bytes, got %d",
			ErrMalformed, n, w, ProofSize(n, w), len(b))
	}
	if b[0] != proofVersion {
		return nil, fmt.Errorf("%w: proof version %d, want %d", ErrMalformed, b[0], proofVersion)
	}
	if hn, hw := binary.BigEndian.Uint32(b[1:5]), binary.BigEndian.Uint32(b[5:9]); hn != uint32(n) || hw != uint32(w) {
		return nil, fmt.Errorf("%w: proof declares %d ciphertexts of width %d, the statement has %d of width %d",
			ErrMalformed, hn, hw, n, w)
	}
	r := reader{b: b[9:]}
	p := &Proof{n: n, w: w}
	p.encU = r.next(32 * n)
	p.encB = r.next(32 * n)
	encA := r.next(32)
	p.encBPrime = r.next(32 * n)
	encC := r.next(32)
	encD := r.next(32)
	encF := r.next(64 * w)
	var err error
	if p.fP, err = group.DecodeElements(encF); err != nil {
		return nil, fmt.Errorf("%w: F': %w", ErrMalformed, err)
	}
	for _, f := range []struct {
		name string
		dst  **group.Element
		enc  []byte
	}{{"A'", &p.aP, encA}, {"C'", &p.cP, encC}, {"D'", &p.dP, encD}} {
		if *f.dst, err = group.DecodeElement(f.enc); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, f.name, err)
		}
	}
	scalars := func(name string, k int) ([]*group.Scalar, error) {
		out := make([]*group.Scalar, k)
		for i := range out {
			s, err := group.DecodeScalar(r.next(32))
			if err != nil {
				return nil, fmt.Errorf("%w: %s[%d]: %w", ErrMalformed, name, i, err)
			}
			out[i] = s
		}
		return out, nil
	}
	var ka, kcd []*group.Scalar
	if ka, err = scalars("k_A", 1); err != nil {
		return nil, err
	}
	if p.kB, err = scalars("k_B", n); err != nil {
		return nil, err
	}
	if kcd, err = scalars("k_C,k_D", 2); err != nil {
		return nil, err
	}
	if p.kE, err = scalars("k_E", n); err != nil {
		return nil, err
	}
	if p.kF, err = scalars("k_F", w); err != nil {
		return nil, err
	}
	p.kA, p.kC, p.kD = ka[0], kcd[0], kcd[1]
	return p, nil
}

type reader struct{ b []byte }

func (r *reader) next(n int) []byte {
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}
