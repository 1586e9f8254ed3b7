package record

// Signatures of the record: one accepted byte form per signature
// (doc/verify.md §8, doc/record.md §3.11), so that nobody can change
// a valid record's bytes, and the hash it is published under, and keep it
// valid.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
)

// ecdsaSignature is the ASN.1 ECDSA-Sig-Value (RFC 5480 §2.2 / SEC 1).
type ecdsaSignature struct {
	R, S *big.Int
}

// parseECDSASignature decodes a strict signature over P-256: DER whose
// re-encoding gives the same bytes (minimal lengths and integers, nothing
// after the SEQUENCE), 1 ≤ r < n and 1 ≤ s ≤ n/2 (low s).
func parseECDSASignature(sig []byte) (*ecdsaSignature, error) {
	var v ecdsaSignature
	rest, err := asn1.Unmarshal(sig, &v)
	if err != nil || len(rest) != 0 {
		return nil, errors.New("ECDSA signature is not one DER ECDSA-Sig-Value")
	}
	if again, err := asn1.Marshal(v); err != nil || !bytes.Equal(again, sig) {
		return nil, errors.New("ECDSA signature is not in strict DER")
	}
	n := elliptic.P256().Params().N
	if v.R.Sign() <= 0 || v.R.Cmp(n) >= 0 || v.S.Sign() <= 0 || v.S.Cmp(n) >= 0 {
		return nil, errors.New("ECDSA signature: r or s out of range")
	}
	if v.S.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		return nil, errors.New("ECDSA signature has a high s (s > n/2): only low s is accepted")
	}
	return &v, nil
}

// lowS returns the DER ECDSA signature sig over P-256 with s replaced by
// n − s if s > n/2, the one form Verify accepts.
func lowS(sig []byte) ([]byte, error) {
	var v ecdsaSignature
	rest, err := asn1.Unmarshal(sig, &v)
	if err != nil || len(rest) != 0 || v.R == nil || v.S == nil {
		return nil, errors.New("record: the signer returned a signature that is not DER")
	}
	n := elliptic.P256().Params().N
	if v.S.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		v.S.Sub(n, v.S)
	}
	return asn1.Marshal(v)
}

// verifySignature checks sig over digest with the certificate's key, in
// the one accepted encoding: for ECDSA P-256 strict DER with low s, for
// Ed25519 the 64 bytes of RFC 8032 with s < L (crypto/ed25519 refuses a
// non-canonical s).
func verifySignature(cert *x509.Certificate, digest [32]byte, sig []byte) error {
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return errors.New("ECDSA key is not on P-256")
		}
		if _, err := parseECDSASignature(sig); err != nil {
			return err
		}
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			return errors.New("ECDSA signature does not verify")
		}
	case ed25519.PublicKey:
		if !ed25519.Verify(pub, digest[:], sig) {
			return errors.New("Ed25519 signature does not verify")
		}
	default:
		return errors.New("unsupported public key type")
	}
	return nil
}
