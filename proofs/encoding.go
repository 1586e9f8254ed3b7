package proofs

import (
	"fmt"

	"github.com/eo-mixnet/eo/group"
)

// Sizes of the canonical binary encodings of proofs.
const (
	SchnorrSize = 96  // R ‖ c ‖ s
	DLEQSize    = 128 // R1 ‖ R2 ‖ c ‖ s
)

// Bytes returns the canonical encoding R ‖ c ‖ s.
func (p *Schnorr) Bytes() []byte {
	out := make([]byte, 0, SchnorrSize)
	out, _ = p.Commitment.AppendBinary(out)
	out = append(out, p.Challenge.Bytes()...)
	return append(out, p.Response.Bytes()...)
}

// DecodeSchnorr parses the canonical encoding of a Schnorr proof. It
// rejects any other length and any non-canonical element or scalar.
func DecodeSchnorr(b []byte) (*Schnorr, error) {
	if len(b) != SchnorrSize {
		return nil, fmt.Errorf("%w: schnorr proof must be %d bytes, got %d", group.ErrEncoding, SchnorrSize, len(b))
	}
	R, err := group.DecodeElement(b[:32])
	if err != nil {
		return nil, fmt.Errorf("schnorr commitment: %w", err)
	}
	c, err := group.DecodeScalar(b[32:64])
	if err != nil {
		return nil, fmt.Errorf("schnorr challenge: %w", err)
	}
	s, err := group.DecodeScalar(b[64:])
	if err != nil {
		return nil, fmt.Errorf("schnorr response: %w", err)
	}
	return &Schnorr{Commitment: R, Challenge: c, Response: s}, nil
}

// Bytes returns the canonical encoding R1 ‖ R2 ‖ c ‖ s.
func (p *DLEQ) Bytes() []byte {
	out := make([]byte, 0, DLEQSize)
	out, _ = p.Commitment1.AppendBinary(out)
	out, _ = p.Commitment2.AppendBinary(out)
	out = append(out, p.Challenge.Bytes()...)
	return append(out, p.Response.Bytes()...)
}

// DecodeDLEQ parses the canonical encoding of a DLEQ proof.
func DecodeDLEQ(b []byte) (*DLEQ, error) {
	if len(b) != DLEQSize {
		return nil, fmt.Errorf("%w: dleq proof must be %d bytes, got %d", group.ErrEncoding, DLEQSize, len(b))
	}
	R1, err := group.DecodeElement(b[:32])
	if err != nil {
		return nil, fmt.Errorf("dleq commitment 1: %w", err)
	}
	R2, err := group.DecodeElement(b[32:64])
	if err != nil {
		return nil, fmt.Errorf("dleq commitment 2: %w", err)
	}
	c, err := group.DecodeScalar(b[64:96])
	if err != nil {
		return nil, fmt.Errorf("dleq challenge: %w", err)
	}
	s, err := group.DecodeScalar(b[96:])
	if err != nil {
		return nil, fmt.Errorf("dleq response: %w", err)
	}
	return &DLEQ{Commitment1: R1, Commitment2: R2, Challenge: c, Response: s}, nil
}
