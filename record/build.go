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
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/internal/recdigest"
	"github.com/eo-mixnet/eo/threshold"
)

// Version is the record format version, the "version" of parameters.json.
// Version 2 signs the outcome (which mixes and shares were accepted and
// rejected, who was absent) and every decryption share; a verifier refuses
// version 1 records.
const Version = 2

// Authority is one authority as the record names it.
type Authority struct {
	Index       int    `json:"index"`       // 1 … n
	Name        string `json:"name"`        // host name
	Certificate string `json:"certificate"` // PEM, the certificate its peers installed
}

// Question is one question as parameters.json describes it, with its
// outcome: what the authorities accepted and rejected, which they vouch
// for by signing the parameters.
type Question struct {
	Index     int    `json:"index"`
	SessionID string `json:"session_id"`
	Width     int    `json:"width"`
	VotesHash string `json:"votes_hash"` // ni:///sha-256;<base64url> of ballots.jsonl
	PublicKey string `json:"public_key"` // the joint key, group text encoding
	DKGHash   string `json:"dkg_hash"`   // lower-case hex SHA-256 of dkg.bin
	// Mixes are the accepted mixes in chain order (position j at index
	// j−1); RejectedMixes the rejected ones, sorted by position, then
	// mixer.
	Mixes         []MixRef `json:"mixes"`
	RejectedMixes []MixRef `json:"rejected_mixes"`
	// Shares and RejectedShares are the authorities whose decryption share
	// was accepted, rejected: sorted.
	Shares         []int `json:"shares"`
	RejectedShares []int `json:"rejected_shares"`
}

// MixRef names one mix of a question's chain: its position and its mixer.
type MixRef struct {
	Position int `json:"position"`
	Mixer    int `json:"mixer"`
}

// Parameters is parameters.json.
type Parameters struct {
	Version     int         `json:"version"`
	Group       string      `json:"group"`
	ElectionID  string      `json:"election_id"`
	VotesHash   string      `json:"votes_hash"` // the vote file's ni URI, as the owner named it
	Threshold   int         `json:"threshold"`
	Authorities []Authority `json:"authorities"`
	Absent      []int       `json:"absent"` // sorted: authorities that took no part in the tally
	Questions   []Question  `json:"questions"`
}

// MixInfo is q<k>/mix-<j>/mix.json.
type MixInfo struct {
	Mix   int `json:"mix"`
	Mixer int `json:"mixer"`
}

// VotesHash returns the ni URI (RFC 6920) of the SHA-256 of data, as the
// old API's votes_hash: "ni:///sha-256;" and the unpadded base64url digest.
func VotesHash(data []byte) string { return HashName(sha256.Sum256(data)) }

// HashName names a SHA-256 digest as VotesHash does (RFC 6920), for a
// writer that hashed a file as it wrote it.
func HashName(sum [32]byte) string {
	return "ni:///sha-256;" + base64.RawURLEncoding.EncodeToString(sum[:])
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

// ParametersDigest is what every authority that took part signs to vouch
// for a record's parameters, and so for every certificate in it and for
// the outcome they list: SHA-256 of "eo/record/v2 parameters" ‖ the bytes
// of parameters.json.
func ParametersDigest(parameters []byte) [32]byte {
	return sha256.Sum256(append([]byte("eo/record/v2 parameters"), parameters...))
}

// ShareDigest is what authority i signs for its decryption share of
// question k's last list:
//
//	SHA-256("eo/record/v2 share" ‖ u32(len E) ‖ E ‖ u64(k) ‖ u64(i) ‖
//	        SHA-256(list) ‖ SHA-256(share))
//
// with list the bytes of the list decrypted (elgamal.List.Bytes) and share
// the bytes of the decryption-share message, integers big endian
// (doc/record.md §3.8). The signature binds the share to its authority, so
// a record cannot blame an authority for a share it never sent.
func ShareDigest(electionID string, question, authority int, list, share []byte) [32]byte {
	return recdigest.Sum("eo/record/v2 share", electionID, question, authority, list, share)
}

// Key is an authority's signing key with its certificate.
type Key struct {
	Authority Authority
	Signer    crypto.Signer // ECDSA P-256 or Ed25519, the certificate's key
}

// Sign signs a 32-byte digest: ASN.1 ECDSA with SHA-256 semantics (the
// digest is the hash), normalised to low s (s ≤ n/2), the one form a
// verifier accepts; or Ed25519 over the digest bytes. The key must be
// ECDSA P-256 or Ed25519.
func (k *Key) Sign(digest [32]byte) ([]byte, error) {
	switch pub := k.Signer.Public().(type) {
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return nil, errors.New("record: ECDSA key is not on P-256")
		}
		sig, err := k.Signer.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			return nil, err
		}
		return lowS(sig)
	case ed25519.PublicKey:
		return k.Signer.Sign(rand.Reader, digest[:], crypto.Hash(0))
	}
	return nil, errors.New("record: unsupported key type")
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

// MixSigner returns a Signer that signs with keys[i−1]: mixes and
// decryption shares alike.
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
	fileVotes      = "votes.jsonl"
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

func qdir(q int) string            { return fmt.Sprintf("q%d/", q) }
func mixdir(q, j int) string       { return fmt.Sprintf("q%d/mix-%d/", q, j) }
func shareFile(q, i int) string    { return fmt.Sprintf("q%d/decryption/share-%d.bin", q, i) }
func shareSigFile(q, i int) string { return fmt.Sprintf("q%d/decryption/share-%d.sig", q, i) }
func paramSigFile(i int) string    { return fmt.Sprintf("signatures/parameters-%d.sig", i) }
func rejectedMixDir(q, i int) string {
	return fmt.Sprintf("q%d/rejected/mix-%d/", q, i)
}
func rejectedShareFile(q, i int) string    { return fmt.Sprintf("q%d/rejected/share-%d.bin", q, i) }
func rejectedShareSigFile(q, i int) string { return fmt.Sprintf("q%d/rejected/share-%d.sig", q, i) }
func plaintextText(l []string) []byte {
	if len(l) == 0 {
		return []byte{}
	}
	return []byte(strings.Join(l, "\n") + "\n")
}

// Build turns an election record into files, and has every authority that
// is not absent sign the parameters. keys[i−1] is authority i's key.
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
		if slices.Contains(rec.Absent, i+1) {
			continue
		}
		if sigs[i], err = k.Sign(digest); err != nil {
			return nil, err
		}
	}
	return Assemble(rec, params, sigs)
}

// ParametersOf returns the bytes of parameters.json for an election record
// and its authorities (auths[i−1] is authority i): what every authority
// that took part signs (ParametersDigest) before the record is assembled.
// Authorities that build the record apart compute the same bytes from the
// same inputs.
//
// The parameters list the outcome, so ParametersOf is called once the
// record is complete: rec.VotesHash (the vote file's hash as the owner
// named it; derived from the ballots if empty), rec.Votes (the vote file,
// required with more than one question: each question's Ballots must be
// its ballot.SplitFile part), rec.Absent, and for each question its
// transcript, ballots, accepted and rejected mixes and shares.
func ParametersOf(rec *ElectionRecord, auths []Authority) ([]byte, error) {
	cfg := rec.Config
	if len(auths) != cfg.N {
		return nil, fmt.Errorf("record: %d authorities named, the election has %d", len(auths), cfg.N)
	}
	if len(rec.Questions) != len(cfg.Questions) {
		return nil, fmt.Errorf("record: %d question records, the election has %d questions", len(rec.Questions), len(cfg.Questions))
	}
	votesHash, err := rec.voteFileHash()
	if err != nil {
		return nil, err
	}
	absent, err := indexSet(rec.Absent, cfg.N)
	if err != nil {
		return nil, fmt.Errorf("record: absent authorities: %w", err)
	}
	if cfg.N-len(absent) < cfg.T {
		return nil, fmt.Errorf("record: %d of %d authorities absent, fewer than the threshold %d took part", len(absent), cfg.N, cfg.T)
	}
	p := Parameters{Version: Version, Group: "ristretto255", ElectionID: cfg.ElectionID, VotesHash: votesHash,
		Threshold: cfg.T, Absent: absent}
	for i, a := range auths {
		if a.Index != i+1 {
			return nil, fmt.Errorf("record: authority %d is given index %d", i+1, a.Index)
		}
		p.Authorities = append(p.Authorities, a)
	}
	for q, qr := range rec.Questions {
		qu, err := questionOf(q, qr, cfg.N)
		if err != nil {
			return nil, fmt.Errorf("record: question %d: %w", q, err)
		}
		for _, i := range absent {
			if slices.ContainsFunc(qu.Mixes, func(m MixRef) bool { return m.Mixer == i }) ||
				slices.ContainsFunc(qu.RejectedMixes, func(m MixRef) bool { return m.Mixer == i }) ||
				slices.Contains(qu.Shares, i) || slices.Contains(qu.RejectedShares, i) {
				return nil, fmt.Errorf("record: question %d: authority %d is absent but took part", q, i)
			}
		}
		p.Questions = append(p.Questions, qu)
	}
	return canonicalJSON(p), nil
}

// questionOf is question q's entry of parameters.json.
func questionOf(q int, qr *QuestionRecord, n int) (Question, error) {
	pub, _, err := threshold.VerifyDKGTranscript(qr.Transcript)
	if err != nil {
		return Question{}, err
	}
	dkg := sha256.Sum256(qr.Transcript.Bytes())
	qu := Question{Index: q, SessionID: qr.Config.SessionID, Width: qr.Config.Width,
		VotesHash: VotesHash(qr.Ballots), PublicKey: pub.PublicKey.String(), DKGHash: hex.EncodeToString(dkg[:]),
		Mixes: []MixRef{}, RejectedMixes: []MixRef{}}
	for j, m := range qr.Mixes {
		qu.Mixes = append(qu.Mixes, MixRef{Position: j + 1, Mixer: m.Mixer})
	}
	for _, m := range qr.RejectedMixes {
		qu.RejectedMixes = append(qu.RejectedMixes, MixRef{Position: m.Position, Mixer: m.Mixer})
	}
	slices.SortFunc(qu.RejectedMixes, func(a, b MixRef) int {
		if a.Position != b.Position {
			return a.Position - b.Position
		}
		return a.Mixer - b.Mixer
	})
	var rm []int
	for _, m := range qu.RejectedMixes {
		rm = append(rm, m.Mixer)
	}
	if _, err := indexSet(rm, n); err != nil {
		return Question{}, fmt.Errorf("rejected mixers: %w", err)
	}
	if qu.Shares, err = shareSet(qr.Shares, n); err != nil {
		return Question{}, fmt.Errorf("decryption shares: %w", err)
	}
	if qu.RejectedShares, err = shareSet(qr.RejectedShares, n); err != nil {
		return Question{}, fmt.Errorf("rejected decryption shares: %w", err)
	}
	return qu, nil
}

func shareSet(s []ShareRecord, n int) ([]int, error) {
	idx := make([]int, len(s))
	for k, r := range s {
		idx[k] = r.Authority
	}
	return indexSet(idx, n)
}

// indexSet returns the authority indices sorted, never nil, and fails if
// one is repeated or out of 1 … n.
func indexSet(idx []int, n int) ([]int, error) {
	out := slices.Clone(idx)
	if out == nil {
		out = []int{}
	}
	slices.Sort(out)
	for k, i := range out {
		if i < 1 || i > n || (k > 0 && out[k-1] == i) {
			return nil, fmt.Errorf("authority %d is out of range or repeated", i)
		}
	}
	return out, nil
}

// voteFileHash is the record's top-level votes_hash: the hash of the vote
// file, which is question 0's ballot file when there is one question, and
// the file the questions' ballot files were split from otherwise.
func (rec *ElectionRecord) voteFileHash() (string, error) {
	var want string
	if len(rec.Questions) == 1 {
		if rec.Votes != nil && !bytes.Equal(rec.Votes, rec.Questions[0].Ballots) {
			return "", errors.New("record: with one question, the vote file is the question's ballot file")
		}
		want = VotesHash(rec.Questions[0].Ballots)
	} else {
		if rec.Votes == nil {
			return "", fmt.Errorf("record: an election of %d questions needs its vote file (ElectionRecord.Votes)", len(rec.Questions))
		}
		widths := make([]int, len(rec.Config.Questions))
		for q, qc := range rec.Config.Questions {
			widths[q] = qc.Width
		}
		split, err := ballot.SplitFile(rec.Votes, widths)
		if err != nil {
			return "", fmt.Errorf("record: %w", err)
		}
		for q, qr := range rec.Questions {
			if !bytes.Equal(split[q], qr.Ballots) {
				return "", fmt.Errorf("record: question %d's ballot file is not its part of the vote file (ballot.SplitFile)", q)
			}
		}
		want = VotesHash(rec.Votes)
	}
	if rec.VotesHash != "" && rec.VotesHash != want {
		return "", fmt.Errorf("record: the vote file's hash is %s, not %s as the owner named it", want, rec.VotesHash)
	}
	return want, nil
}

// Assemble turns an election record into files with the given
// parameters.json (ParametersOf) and the signatures of
// ParametersDigest(params), sigs[i−1] being authority i's, or nil when it
// did not sign: an absent authority (rec.Absent) never does, and at least
// t must. It checks the counts only: the signatures are for the caller (or
// Verify) to check. A share's signature file is written when
// ShareRecord.Signature is not nil.
func Assemble(rec *ElectionRecord, params []byte, sigs [][]byte) (Files, error) {
	if len(sigs) != rec.Config.N {
		return nil, fmt.Errorf("record: %d parameter signatures for %d authorities", len(sigs), rec.Config.N)
	}
	signed := 0
	for i, sig := range sigs {
		if sig == nil {
			continue
		}
		if slices.Contains(rec.Absent, i+1) {
			return nil, fmt.Errorf("record: authority %d is absent but signed the parameters", i+1)
		}
		signed++
	}
	if signed < rec.Config.T {
		return nil, fmt.Errorf("record: %d authorities signed the parameters, fewer than the threshold %d", signed, rec.Config.T)
	}
	f := Files{}
	if len(rec.Questions) > 1 {
		f[fileVotes] = rec.Votes
	}
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
			if s.Signature != nil {
				f[shareSigFile(q, s.Authority)] = s.Signature
			}
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
			if s.Signature != nil {
				f[rejectedShareSigFile(q, s.Authority)] = s.Signature
			}
		}
		f[d+filePlaintexts] = plaintextText(qr.Plaintexts)
		f[d+fileCounts] = canonicalJSON(qr.Counts)
	}
	f[FileParameters] = params
	for i, sig := range sigs {
		if sig != nil {
			f[paramSigFile(i+1)] = sig
		}
	}
	return f, nil
}

// certificate parses the authority's certificate as doc/verify.md §8
// accepts it: white space, one PEM CERTIFICATE block without headers,
// white space; a DER X.509 certificate with an ECDSA P-256 or Ed25519
// key. Dates and key usage are not checked.
func (a Authority) certificate() (*x509.Certificate, error) {
	in := []byte(a.Certificate)
	block, rest := pem.Decode(in)
	if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 ||
		len(bytes.TrimSpace(in[:bytes.Index(in, []byte("-----BEGIN"))])) != 0 {
		return nil, fmt.Errorf("record: authority %d: certificate is not one PEM certificate", a.Index)
	}
	if len(block.Headers) != 0 {
		return nil, fmt.Errorf("record: authority %d: certificate's PEM block has headers", a.Index)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("record: authority %d: certificate: %w", a.Index, err)
	}
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return nil, fmt.Errorf("record: authority %d: certificate's ECDSA key is not on P-256", a.Index)
		}
	case ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("record: authority %d: certificate's key is neither ECDSA P-256 nor Ed25519", a.Index)
	}
	return cert, nil
}

// VerifySignature checks sig, the authority's signature of digest (a
// parameters, mix or share digest), with the key of its certificate, in
// the one accepted encoding (doc/record.md, "Signatures").
func (a Authority) VerifySignature(digest [32]byte, sig []byte) error {
	cert, err := a.certificate()
	if err != nil {
		return err
	}
	if err := verifySignature(cert, digest, sig); err != nil {
		return fmt.Errorf("record: authority %d: %w", a.Index, err)
	}
	return nil
}

// Fingerprint returns the fingerprint of the authority's certificate as
// eopeers prints it: "sha256:" and the lower-case hex SHA-256 of its DER.
func (a Authority) Fingerprint() (string, error) {
	cert, err := a.certificate()
	if err != nil {
		return "", err
	}
	return fingerprint(cert), nil
}

func fingerprint(cert *x509.Certificate) string {
	s := sha256.Sum256(cert.Raw)
	return "sha256:" + hex.EncodeToString(s[:])
}
