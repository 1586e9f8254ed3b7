package vectors

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/eo-mixnet/eo/chain"
	"github.com/eo-mixnet/eo/record"
)

// SignaturesFile is signatures.json.
type SignaturesFile struct {
	Description string         `json:"description"`
	Digests     []DigestVector `json:"digests"`
	Keys        []KeyVector    `json:"keys"`
	Cases       []SigCase      `json:"cases"`
}

// DigestVector is a signed digest: the bytes hashed and the SHA-256.
type DigestVector struct {
	Name   string `json:"name"`
	Hashed string `json:"hashed"`
	Digest string `json:"digest"`
}

// KeyVector is a signer's certificate.
type KeyVector struct {
	Type        string `json:"type"`
	Certificate string `json:"certificate"`
}

// SigCase is a signature over a digest and whether it is accepted.
type SigCase struct {
	Name      string `json:"name"`
	Key       int    `json:"key"` // index into keys
	Digest    string `json:"digest"`
	Signature string `json:"signature"`
	Accept    bool   `json:"accept"`
}

// detSigner signs with RFC 6979 deterministic ECDSA whatever rand it is
// given.
type detSigner struct{ sk *ecdsa.PrivateKey }

func (s detSigner) Public() crypto.PublicKey { return s.sk.Public() }

func (s detSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.sk.Sign(nil, digest, opts)
}

func vectorKey(signer crypto.Signer) (*record.Key, error) {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "authority.example"},
		DNSNames: []string{"authority.example"}, NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter: time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		return nil, err
	}
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return &record.Key{Authority: record.Authority{Index: 1, Name: "authority.example", Certificate: cert}, Signer: signer}, nil
}

func preimage(label string, election string, k, i int, blobs ...[]byte) []byte {
	b := []byte(label)
	b = binary.BigEndian.AppendUint32(b, uint32(len(election)))
	b = append(b, election...)
	b = binary.BigEndian.AppendUint64(b, uint64(k))
	b = binary.BigEndian.AppendUint64(b, uint64(i))
	for _, x := range blobs {
		h := sha256.Sum256(x)
		b = append(b, h[:]...)
	}
	return b
}

func signaturesFile(e *election) (any, error) {
	f := &SignaturesFile{Description: "The three signed digests of a record (record.md §3.2, §3.7, §3.8) with the bytes hashed, and signatures over a digest in accepted and refused encodings (doc/verify.md §8): ECDSA P-256 strict DER with low s, Ed25519 with S < L. The mix digest is over the byte strings input, output, proof; the share digest over list and share."}
	params := []byte("{\n  \"version\": 2\n}\n")
	pd := append([]byte("eo/record/v2 parameters"), params...)
	md := preimage("eo/record/v1 mix", ElectionID, 0, 1, []byte("input"), []byte("output"), []byte("proof"))
	sd := preimage("eo/record/v2 share", ElectionID, 0, 2, []byte("list"), []byte("share"))
	for _, d := range []struct {
		name   string
		hashed []byte
		got    [32]byte
	}{
		{"parameters", pd, record.ParametersDigest(params)},
		{"mix (question 0, position 1)", md, chain.Digest(ElectionID, 0, 1, []byte("input"), []byte("output"), []byte("proof"))},
		{"share (question 0, authority 2)", sd, record.ShareDigest(ElectionID, 0, 2, []byte("list"), []byte("share"))},
	} {
		if sha256.Sum256(d.hashed) != d.got {
			return nil, fmt.Errorf("%s digest differs from the spec", d.name)
		}
		f.Digests = append(f.Digests, DigestVector{Name: d.name, Hashed: hx(d.hashed), Digest: hx(d.got[:])})
	}
	digest := record.ParametersDigest(params)
	seed := sha256.Sum256([]byte("eo/test vectors ecdsa"))
	sk, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
	if err != nil {
		return nil, err
	}
	ek, err := vectorKey(detSigner{sk})
	if err != nil {
		return nil, err
	}
	edSeed := sha256.Sum256([]byte("eo/test vectors ed25519"))
	edk, err := vectorKey(ed25519.NewKeyFromSeed(edSeed[:]))
	if err != nil {
		return nil, err
	}
	f.Keys = []KeyVector{{"ECDSA P-256", ek.Authority.Certificate}, {"Ed25519", edk.Authority.Certificate}}
	low, err := ek.Sign(digest)
	if err != nil {
		return nil, err
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(low, &rs); err != nil {
		return nil, err
	}
	n := elliptic.P256().Params().N
	derInt := func(x *big.Int, pad int) []byte {
		b := x.Bytes()
		if b[0]&0x80 != 0 {
			pad++
		}
		b = append(make([]byte, pad), b...)
		return append([]byte{0x02, byte(len(b))}, b...)
	}
	seq := func(parts ...[]byte) []byte {
		var body []byte
		for _, p := range parts {
			body = append(body, p...)
		}
		return append([]byte{0x30, byte(len(body))}, body...)
	}
	high := seq(derInt(rs.R, 0), derInt(new(big.Int).Sub(n, rs.S), 0))
	padded := seq(derInt(rs.R, 1), derInt(rs.S, 0))
	body := append(derInt(rs.R, 0), derInt(rs.S, 0)...)
	longForm := append([]byte{0x30, 0x81, byte(len(body))}, body...)
	edSig, err := edk.Sign(digest)
	if err != nil {
		return nil, err
	}
	// S + L: the same signature with a non-canonical S.
	L, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	sLE := make([]byte, 32)
	copy(sLE, edSig[32:])
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		sLE[i], sLE[j] = sLE[j], sLE[i]
	}
	sPlusL := new(big.Int).Add(new(big.Int).SetBytes(sLE), L).FillBytes(make([]byte, 32))
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		sPlusL[i], sPlusL[j] = sPlusL[j], sPlusL[i]
	}
	edHigh := append(append([]byte{}, edSig[:32]...), sPlusL...)
	flipped := append([]byte{}, edSig...)
	flipped[0] ^= 1
	cases := []SigCase{
		{"ECDSA, strict DER, low s", 0, hx(digest[:]), hx(low), true},
		{"ECDSA, high s (n − s): refused", 0, hx(digest[:]), hx(high), false},
		{"ECDSA, r with a superfluous zero byte: refused", 0, hx(digest[:]), hx(padded), false},
		{"ECDSA, long-form sequence length: refused", 0, hx(digest[:]), hx(longForm), false},
		{"ECDSA, a byte after the sequence: refused", 0, hx(digest[:]), hx(append(append([]byte{}, low...), 0)), false},
		{"Ed25519", 1, hx(digest[:]), hx(edSig), true},
		{"Ed25519, S + L: refused", 1, hx(digest[:]), hx(edHigh), false},
		{"Ed25519, R changed: refused", 1, hx(digest[:]), hx(flipped), false},
	}
	keys := []*record.Key{ek, edk}
	for _, c := range cases {
		sig, _ := unhex(c.Signature)
		err := keys[c.Key].Authority.VerifySignature(digest, sig)
		if (err == nil) != c.Accept {
			return nil, fmt.Errorf("%s: record verifies it: %v", c.Name, err)
		}
	}
	f.Cases = cases
	return f, nil
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
