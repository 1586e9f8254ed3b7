package record

import (
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
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ed25519Key is an authority key with a self-signed Ed25519 certificate.
func ed25519Key(t *testing.T, index int, name string) *Key {
	t.Helper()
	_, sk, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, sk.Public(), sk)
	require.NoError(t, err)
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return &Key{Authority: Authority{Index: index, Name: name, Certificate: cert}, Signer: sk}
}

func derRS(t *testing.T, sig []byte) (r, s *big.Int) {
	t.Helper()
	var v struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(sig, &v)
	require.NoError(t, err)
	require.Empty(t, rest)
	return v.R, v.S
}

// derInt is the DER INTEGER of x with extra leading zero bytes.
func derInt(x *big.Int, extraZeros int) []byte {
	b := x.Bytes()
	if b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	for range extraZeros {
		b = append([]byte{0}, b...)
	}
	return append([]byte{0x02, byte(len(b))}, b...)
}

func derSeq(parts ...[]byte) []byte {
	var body []byte
	for _, p := range parts {
		body = append(body, p...)
	}
	return append([]byte{0x30, byte(len(body))}, body...)
}

// TestECDSAOneEncoding: an ECDSA signature has one accepted byte form:
// strict DER with low s (threats.md A15). Every other encoding of a valid
// (r, s), and (r, n − s), which ecdsa.VerifyASN1 accepts, is refused.
func TestECDSAOneEncoding(t *testing.T) {
	k, err := GenerateKey(1, "a1")
	require.NoError(t, err)
	n := elliptic.P256().Params().N
	half := new(big.Int).Rsh(n, 1)
	digest := sha256.Sum256([]byte("message"))
	// Key.Sign always gives low s; the signer alone gives high s about
	// half the time.
	high := 0
	for range 64 {
		sig, err := k.Sign(digest)
		require.NoError(t, err)
		_, s := derRS(t, sig)
		require.LessOrEqual(t, s.Cmp(half), 0)
		require.NoError(t, k.Authority.VerifySignature(digest, sig))
		raw, err := k.Signer.(*ecdsa.PrivateKey).Sign(rand.Reader, digest[:], nil)
		require.NoError(t, err)
		if _, s := derRS(t, raw); s.Cmp(half) > 0 {
			high++
		}
	}
	require.Positive(t, high, "the raw signer never gave a high s")

	sig, err := k.Sign(digest)
	require.NoError(t, err)
	r, s := derRS(t, sig)
	pub := k.Signer.Public().(*ecdsa.PublicKey)
	highS := derSeq(derInt(r, 0), derInt(new(big.Int).Sub(n, s), 0))
	require.True(t, ecdsa.VerifyASN1(pub, digest[:], highS), "the standard library accepts (r, n − s)")
	for name, bad := range map[string][]byte{
		"high s (r, n - s)":         highS,
		"leading zero in r":         derSeq(derInt(r, 1), derInt(s, 0)),
		"leading zero in s":         derSeq(derInt(r, 0), derInt(s, 1)),
		"long-form sequence length": append([]byte{0x30, 0x81, sig[1]}, sig[2:]...),
		"trailing byte":             append(append([]byte{}, sig...), 0),
		"third integer":             derSeq(derInt(r, 0), derInt(s, 0), derInt(big.NewInt(1), 0)),
		"s = 0":                     derSeq(derInt(r, 0), []byte{2, 1, 0}),
		"negative s":                derSeq(derInt(r, 0), []byte{2, 1, 0xff}),
		"r = n":                     derSeq(derInt(n, 0), derInt(s, 0)),
		"empty":                     {},
	} {
		require.Error(t, k.Authority.VerifySignature(digest, bad), name)
	}
	// The strict form of the same (r, s) verifies.
	require.NoError(t, k.Authority.VerifySignature(digest, derSeq(derInt(r, 0), derInt(s, 0))))
}

// TestEd25519Canonical: Ed25519 signatures are verified by crypto/ed25519,
// which refuses s ≥ L: adding L to s, which a lax verifier reduces away,
// is refused (threats.md A15).
func TestEd25519Canonical(t *testing.T) {
	k := ed25519Key(t, 1, "ed")
	digest := sha256.Sum256([]byte("message"))
	sig, err := k.Sign(digest)
	require.NoError(t, err)
	require.Len(t, sig, ed25519.SignatureSize)
	require.NoError(t, k.Authority.VerifySignature(digest, sig))
	fp, err := k.Authority.Fingerprint()
	require.NoError(t, err)
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, fp)

	// L = 2^252 + 27742317777372353535851937790883648493; scalars are
	// little endian.
	c, _ := new(big.Int).SetString("27742317777372353535851937790883648493", 10)
	L := new(big.Int).Lsh(big.NewInt(1), 252)
	L.Add(L, c)
	le := func(b []byte) *big.Int {
		be := make([]byte, len(b))
		for i := range b {
			be[len(b)-1-i] = b[i]
		}
		return new(big.Int).SetBytes(be)
	}
	s := le(sig[32:])
	s.Add(s, L) // < 2^256: s < L < 2^253
	sb := s.FillBytes(make([]byte, 32))
	bad := append([]byte{}, sig[:32]...)
	for i := range sb {
		bad = append(bad, sb[31-i])
	}
	require.Error(t, k.Authority.VerifySignature(digest, bad), "s + L")
	// Truncated, extended, another digest.
	require.Error(t, k.Authority.VerifySignature(digest, sig[:63]))
	require.Error(t, k.Authority.VerifySignature(digest, append(append([]byte{}, sig...), 0)))
	other := digest
	binary.BigEndian.PutUint32(other[:], 7)
	require.Error(t, k.Authority.VerifySignature(other, sig))
}

// TestEd25519Record: a record of Ed25519 authorities verifies.
func TestEd25519Record(t *testing.T) {
	fx := newElection(t, 2, 2, 3)
	keys := []*Key{ed25519Key(t, 1, "ed-1"), ed25519Key(t, 2, "ed-2")}
	rec, err := Simulate(fx.cfg, fx.keys, nil, SimulateOptions{Mixers: []int{1, 2}, Decryptors: []int{1, 2},
		Sign: MixSigner(keys), Verify: MixVerifier(keys), Votes: fx.rec.Votes})
	require.NoError(t, err)
	f, err := Build(rec, keys)
	require.NoError(t, err)
	rep := Verify(f, Options{})
	require.True(t, rep.Valid(), "%+v", rep.Failures)
}
