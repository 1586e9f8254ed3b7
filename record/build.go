package record

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/threshold"
)

// Version is the record format version, the "version" of parameters.json.
const Version = 1

// Authority is one authority as the record names it.
type Authority struct {
	Index       int    `json:"index"`       // 1 … n
	Name        string `json:"name"`        // host name
	Certificate string `json:"certificate"` // PEM, the certificate its peers installed
}

// Question is one question as parameters.json describes it.
type Question struct {
	Index     int    `json:"index"`
	SessionID string `json:"session_id"`
	Width     int    `json:"width"`
	VotesHash string `json:"votes_hash"` // ni:///sha-256;<base64url> of ballots.jsonl
	PublicKey string `json:"public_key"` // the joint key, group text encoding
}

// Parameters is parameters.json.
type Parameters struct {
	Version     int         `json:"version"`
	Group       string      `json:"group"`
	ElectionID  string      `json:"election_id"`
	Threshold   int         `json:"threshold"`
	Authorities []Authority `json:"authorities"`
	Questions   []Question  `json:"questions"`
}

// MixInfo is q<k>/mix-<j>/mix.json.
type MixInfo struct {
	Mix   int `json:"mix"`
	Mixer int `json:"mixer"`
}

// VotesHash returns the ni URI (RFC 6920) of the SHA-256 of data, as the
// old API's votes_hash: "ni:///sha-256;" and the unpadded base64url digest.
func VotesHash(data []byte) string {
	s := sha256.Sum256(data)
	return "ni:///sha-256;" + base64.RawURLEncoding.EncodeToString(s[:])
}

// canonicalJSON is the one JSON form of the record: two-space indentation,
// no HTML escaping, a final newline. Readers re-encode what they parse and
// reject any other bytes.
func canonicalJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		panic("record: internal error: " + err.Error())
	}
	return buf.Bytes()
}

// ParametersDigest is what every authority signs to vouch for a record's
// parameters (and so for every certificate in it): SHA-256 of
// "eo/record/v1 parameters" ‖ the bytes of parameters.json.
func ParametersDigest(parameters []byte) [32]byte {
	return sha256.Sum256(append([]byte("eo/record/v1 parameters"), parameters...))
}

// Key is an authority's signing key with its certificate.
type Key struct {
	Authority Authority
	Signer    crypto.Signer // ECDSA P-256 or Ed25519, the certificate's key
}

// Sign signs a 32-byte digest: ASN.1 ECDSA with SHA-256 semantics (the
// digest is the hash), or Ed25519 over the digest bytes.
func (k *Key) Sign(digest [32]byte) ([]byte, error) {
	switch k.Signer.Public().(type) {
	case *ecdsa.PublicKey:
		return k.Signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	case ed25519.PublicKey:
		return k.Signer.Sign(rand.Reader, digest[:], crypto.Hash(0))
	}
	return nil, errors.New("record: unsupported key type")
}

// verifySignature checks sig over digest with the certificate's key.
func verifySignature(cert *x509.Certificate, digest [32]byte, sig []byte) error {
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
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

// GenerateKey makes an authority key with a self-signed ECDSA P-256
// certificate, as `eopeers --init` would, for in-process elections and
// tests.
func GenerateKey(index int, name string) (*Key, error) {
	sk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, sk.Public(), sk)
	if err != nil {
		return nil, err
	}
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return &Key{Authority: Authority{Index: index, Name: name, Certificate: pemText}, Signer: sk}, nil
}

// MixSigner returns a Signer that signs with keys[i−1].
func MixSigner(keys []*Key) Signer {
	return func(authority int, digest [32]byte) ([]byte, error) {
		if authority < 1 || authority > len(keys) {
			return nil, fmt.Errorf("record: no key for authority %d", authority)
		}
		return keys[authority-1].Sign(digest)
	}
}

// MixVerifier returns a Verifier of the signatures of keys[i−1].
func MixVerifier(keys []*Key) Verifier {
	return func(authority int, digest [32]byte, sig []byte) error {
		if authority < 1 || authority > len(keys) {
			return fmt.Errorf("record: no key for authority %d", authority)
		}
		return keys[authority-1].Authority.VerifySignature(digest, sig)
	}
}

// File names of a record (doc/record.md).
const (
	FileParameters = "parameters.json"
	fileDKG        = "dkg.bin"
	fileBallots    = "ballots.jsonl"
	fileExcluded   = "excluded.json"
	fileInput      = "input.bin"
	fileMixInfo    = "mix.json"
	fileOutput     = "output.bin"
	fileProof      = "proof.bin"
	fileSignature  = "signature.bin"
	filePlaintexts = "plaintexts.txt"
	fileCounts     = "counts.json"
)

func qdir(q int) string         { return fmt.Sprintf("q%d/", q) }
func mixdir(q, j int) string    { return fmt.Sprintf("q%d/mix-%d/", q, j) }
func shareFile(q, i int) string { return fmt.Sprintf("q%d/decryption/share-%d.bin", q, i) }
func paramSigFile(i int) string { return fmt.Sprintf("signatures/parameters-%d.sig", i) }
func rejectedMixDir(q, i int) string {
	return fmt.Sprintf("q%d/rejected/mix-%d/", q, i)
}
func rejectedShareFile(q, i int) string { return fmt.Sprintf("q%d/rejected/share-%d.bin", q, i) }
func plaintextText(l []string) []byte {
	if len(l) == 0 {
		return []byte{}
	}
	return []byte(strings.Join(l, "\n") + "\n")
}

// Build turns an election record into files, and has every authority sign
// the parameters. keys[i−1] is authority i's key.
func Build(rec *ElectionRecord, keys []*Key) (Files, error) {
	auths := make([]Authority, len(keys))
	for i, k := range keys {
		auths[i] = k.Authority
	}
	params, err := ParametersOf(rec, auths)
	if err != nil {
		return nil, err
	}
	digest := ParametersDigest(params)
	sigs := make([][]byte, len(keys))
	for i, k := range keys {
		if sigs[i], err = k.Sign(digest); err != nil {
			return nil, err
		}
	}
	return Assemble(rec, params, sigs)
}

// ParametersOf returns the bytes of parameters.json for an election record
// and its authorities (auths[i−1] is authority i): what every authority
// signs (ParametersDigest) before the record is assembled. Authorities
// that build the record apart compute the same bytes from the same
// inputs.
func ParametersOf(rec *ElectionRecord, auths []Authority) ([]byte, error) {
	cfg := rec.Config
	if len(auths) != cfg.N {
		return nil, fmt.Errorf("record: %d authorities named, the election has %d", len(auths), cfg.N)
	}
	if len(rec.Questions) != len(cfg.Questions) {
		return nil, fmt.Errorf("record: %d question records, the election has %d questions", len(rec.Questions), len(cfg.Questions))
	}
	p := Parameters{Version: Version, Group: "ristretto255", ElectionID: cfg.ElectionID, Threshold: cfg.T}
	for i, a := range auths {
		if a.Index != i+1 {
			return nil, fmt.Errorf("record: authority %d is given index %d", i+1, a.Index)
		}
		p.Authorities = append(p.Authorities, a)
	}
	for q, qr := range rec.Questions {
		pub, _, err := threshold.VerifyDKGTranscript(qr.Transcript)
		if err != nil {
			return nil, fmt.Errorf("record: question %d: %w", q, err)
		}
		p.Questions = append(p.Questions, Question{Index: q, SessionID: qr.Config.SessionID, Width: qr.Config.Width,
			VotesHash: VotesHash(qr.Ballots), PublicKey: pub.PublicKey.String()})
	}
	return canonicalJSON(p), nil
}

// Assemble turns an election record into files with the given
// parameters.json (ParametersOf) and every authority's signature of
// ParametersDigest(params), sigs[i−1] being authority i's. It checks the
// counts only: the signatures are for the caller (or Verify) to check.
func Assemble(rec *ElectionRecord, params []byte, sigs [][]byte) (Files, error) {
	if len(sigs) != rec.Config.N {
		return nil, fmt.Errorf("record: %d parameter signatures for %d authorities", len(sigs), rec.Config.N)
	}
	f := Files{}
	for q, qr := range rec.Questions {
		d := qdir(q)
		f[d+fileDKG] = qr.Transcript.Bytes()
		f[d+fileBallots] = qr.Ballots
		excl := qr.Excluded
		if excl == nil {
			excl = []ballot.Exclusion{}
		}
		f[d+fileExcluded] = canonicalJSON(excl)
		f[d+fileInput] = qr.Input
		for j, m := range qr.Mixes {
			md := mixdir(q, j+1)
			f[md+fileMixInfo] = canonicalJSON(MixInfo{Mix: j + 1, Mixer: m.Mixer})
			f[md+fileOutput] = m.Output
			f[md+fileProof] = m.Proof
			f[md+fileSignature] = m.Signature
		}
		for _, s := range qr.Shares {
			f[shareFile(q, s.Authority)] = s.Message
		}
		for _, m := range qr.RejectedMixes {
			md := rejectedMixDir(q, m.Mixer)
			f[md+fileMixInfo] = canonicalJSON(MixInfo{Mix: m.Position, Mixer: m.Mixer})
			f[md+fileOutput] = m.Output
			f[md+fileProof] = m.Proof
			f[md+fileSignature] = m.Signature
		}
		for _, s := range qr.RejectedShares {
			f[rejectedShareFile(q, s.Authority)] = s.Message
		}
		f[d+filePlaintexts] = plaintextText(qr.Plaintexts)
		f[d+fileCounts] = canonicalJSON(qr.Counts)
	}
	f[FileParameters] = params
	for i, sig := range sigs {
		f[paramSigFile(i+1)] = sig
	}
	return f, nil
}

// VerifySignature checks sig, the authority's signature of digest (a
// parameters or mix digest), with the key of its certificate.
func (a Authority) VerifySignature(digest [32]byte, sig []byte) error {
	block, rest := pem.Decode([]byte(a.Certificate))
	if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
		return fmt.Errorf("record: authority %d: certificate is not one PEM certificate", a.Index)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fmt.Errorf("record: authority %d: certificate: %w", a.Index, err)
	}
	if err := verifySignature(cert, digest, sig); err != nil {
		return fmt.Errorf("record: authority %d: %w", a.Index, err)
	}
	return nil
}
