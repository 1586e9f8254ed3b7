// Command mkcorpus writes the election-record corpus of testdata/records:
// small valid records (one plain, one whose authorities rejected a mix and
// a decryption share, one whose key generation refuted a complaint) and,
// derived from them by a named mutation each, broken records, every one
// with its expected outcome beside it in <name>.expect.json. Run it from
// the repository root:
//
//	go run ./record/internal/mkcorpus
//
// Key generation, ballots, shuffles and decryption shares come from a
// fixed seed, and the authorities' ECDSA keys, certificates and
// signatures (RFC 6979) from fixed seeds too, so the corpus is the same on
// every run, byte for byte. The generator keeps every key in
// memory, so that a mutation can re-sign what it changes when the record
// must get past the signature checks to reach the check it is about.
// Before writing anything it verifies each record and refuses to write a
// corpus whose outcomes differ from the expected ones.
package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/chain"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/record"
	"github.com/eo-mixnet/eo/threshold"
)

// Expect is <name>.expect.json.
type Expect struct {
	Exit  int    `json:"exit"`
	Check string `json:"check,omitempty"` // a check id that must be among the failures
	Note  string `json:"note"`
}

const electionID = "eo-corpus"

// election is the valid records with everything needed to change them.
type election struct {
	cfg   *record.ElectionConfig
	keys  []*record.QuestionKeys
	akeys []*record.Key
	bases map[string]record.Files // by the name of the record: valid, valid-blame, keygen-complaint-refuted
	rand  *mrand.ChaCha8
}

// Plaintexts of the ballots: fixed, so the counts are. Voter i votes
// votes[0][i] in question 0 and votes[1][i] in question 1.
var votes = [][][]uint64{
	{{1}, {2}, {2}, {3}, {1}},
	{{1, 2}, {2, 1}, {1, 2}, {3, 3}, {2, 1}},
}

// voteFile encrypts the votes of questions qs (with these keys) into a
// vote file: one line per voter with its ballot of every question
// (ballot.JoinFile), and a garbage line after the third.
func voteFile(cfg *record.ElectionConfig, keys []*record.QuestionKeys, rnd io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	for i := range votes[0] {
		var lines [][]byte
		for q, qc := range cfg.Questions {
			pk := keys[q].Public.PublicKey
			ctx := ballot.Context{ElectionID: cfg.ElectionID, Question: q, PK: pk, Width: qc.Width}
			row := votes[q][i]
			m := make([]*group.Element, len(row))
			for k, v := range row {
				var err error
				if m[k], err = elgamal.EncodeUint64(v); err != nil {
					return nil, err
				}
			}
			b, err := ballot.Encrypt(rnd, ctx, m, fmt.Sprintf("voter-%d", i+1))
			if err != nil {
				return nil, err
			}
			lines = append(lines, b.MarshalLine())
		}
		line, err := ballot.JoinFile(lines)
		if err != nil {
			return nil, err
		}
		buf.Write(line)
		buf.WriteByte('\n')
		if i == 2 {
			buf.WriteString(`{"not":"a ballot"}` + "\n")
		}
	}
	return buf.Bytes(), nil
}

func newElection() (*election, error) {
	var seed [32]byte
	copy(seed[:], "eo/record corpus")
	rnd := mrand.NewChaCha8(seed)
	cfg := &record.ElectionConfig{ElectionID: electionID, N: 3, T: 2,
		Questions: []record.QuestionConfig{{SessionID: "q0", Width: 1}, {SessionID: "q1", Width: 2}}}
	keys, err := record.SimulateKeys(cfg, rnd)
	if err != nil {
		return nil, err
	}
	vf, err := voteFile(cfg, keys, rnd)
	if err != nil {
		return nil, err
	}
	akeys := make([]*record.Key, cfg.N)
	for i := range akeys {
		if akeys[i], err = authorityKey(i + 1); err != nil {
			return nil, err
		}
	}
	e := &election{cfg: cfg, keys: keys, akeys: akeys, bases: map[string]record.Files{}, rand: rnd}
	// The valid record: mixed by authorities 1 and 2, decrypted by all.
	if e.bases["valid"], err = e.simulate(cfg, keys, vf, record.SimulateOptions{Mixers: []int{1, 2}, Decryptors: []int{1, 2, 3}}); err != nil {
		return nil, err
	}
	// The same ballots, where authority 3 signs a mix for position 2 whose
	// proof fails, and a decryption share whose proof fails.
	if e.bases["valid-blame"], err = e.simulate(cfg, keys, vf, record.SimulateOptions{Mixers: []int{1, 3, 2}, BadMixers: []int{3},
		Decryptors: []int{1, 2, 3}, BadDecryptors: []int{3}}); err != nil {
		return nil, err
	}
	// One question, whose key generation lost dealer 2's share for
	// authority 3: 3 complains, 2 opens the share, and the transcript
	// shows a refuted complaint of 3's, which is not misbehaviour.
	cfg1 := &record.ElectionConfig{ElectionID: electionID, N: 3, T: 2, Questions: []record.QuestionConfig{{SessionID: "refuted", Width: 1}}}
	keys1, err := record.SimulateKeysLosing(cfg1, rnd, func(from, to int) bool { return from == 2 && to == 3 })
	if err != nil {
		return nil, err
	}
	vf1, err := voteFile(cfg1, keys1, rnd)
	if err != nil {
		return nil, err
	}
	if e.bases["keygen-complaint-refuted"], err = e.simulate(cfg1, keys1, vf1, record.SimulateOptions{Mixers: []int{1, 2}, Decryptors: []int{1, 2, 3}}); err != nil {
		return nil, err
	}
	if err := e.ballotRuleBases(vf); err != nil {
		return nil, err
	}
	return e, nil
}

// ballotRuleBases adds the valid records of the ballot rule's decided
// cases (doc/verify.md §3.3), from a randomness of their own so that the
// other records do not change with them: the vote file with CRLF line
// endings; voter 2 appending a line whose proofs are for another
// election; voter 1 voting again and its first line replayed after.
func (e *election) ballotRuleBases(vf []byte) error {
	var seed [32]byte
	copy(seed[:], "eo/record corpus ballot rule")
	rnd := mrand.NewChaCha8(seed)
	line := func(electionID string, vote func(q int) []uint64, voter string) ([]byte, error) {
		var lines [][]byte
		for q, qc := range e.cfg.Questions {
			ctx := ballot.Context{ElectionID: electionID, Question: q, PK: e.keys[q].Public.PublicKey, Width: qc.Width}
			var m []*group.Element
			for _, v := range vote(q) {
				x, err := elgamal.EncodeUint64(v)
				if err != nil {
					return nil, err
				}
				m = append(m, x)
			}
			b, err := ballot.Encrypt(rnd, ctx, m, voter)
			if err != nil {
				return nil, err
			}
			lines = append(lines, b.MarshalLine())
		}
		return ballot.JoinFile(lines)
	}
	invalid, err := line("eo-other", func(q int) []uint64 { return votes[q][0] }, "voter-2")
	if err != nil {
		return err
	}
	revote, err := line(electionID, func(q int) []uint64 { return []uint64{3, 3}[:e.cfg.Questions[q].Width] }, "voter-1")
	if err != nil {
		return err
	}
	first, _, _ := bytes.Cut(vf, []byte{'\n'})
	sim := func(name string, file []byte) error {
		opt := record.SimulateOptions{Mixers: []int{2, 3}, Decryptors: []int{1, 2, 3}, Sign: record.MixSigner(e.akeys),
			Verify: record.MixVerifier(e.akeys), Votes: file, Rand: rnd}
		rec, err := record.Simulate(e.cfg, e.keys, nil, opt)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		e.bases[name], err = record.Build(rec, e.akeys)
		return err
	}
	if err := sim("ballots-crlf", bytes.ReplaceAll(vf, []byte("\n"), []byte("\r\n"))); err != nil {
		return err
	}
	if err := sim("ballots-later-invalid", append(append(bytes.Clone(vf), invalid...), '\n')); err != nil {
		return err
	}
	replay := append(append(bytes.Clone(vf), revote...), '\n')
	return sim("ballots-replay", append(append(replay, first...), '\n'))
}

// wantExcluded checks question 0's and 1's exclusions in the ballot rule's
// records: what doc/verify.md §3.3 decides for them.
func wantExcluded(name string, f record.Files) error {
	want := map[string]string{
		// Line 4 is the garbage line (voteFile).
		"ballots-crlf":          `[{"line":4,"reason":"malformed"}]`,
		"ballots-later-invalid": `[{"line":4,"reason":"malformed"},{"line":7,"reason":"invalid proof"}]`,
		"ballots-replay":        `[{"line":1,"reason":"superseded by line 7"},{"line":4,"reason":"malformed"},{"line":8,"reason":"duplicate ciphertext"}]`,
		"ballots-old-rule":      `[{"line":2,"reason":"superseded by line 7"},{"line":4,"reason":"malformed"}]`,
	}[name]
	if want == "" {
		return nil
	}
	for q := range 2 {
		var got []ballot.Exclusion
		if err := json.Unmarshal(f[fmt.Sprintf("q%d/excluded.json", q)], &got); err != nil {
			return err
		}
		b, _ := json.Marshal(got)
		if string(b) != want {
			return fmt.Errorf("question %d excludes %s, want %s", q, b, want)
		}
	}
	return nil
}

// simulate runs an election of cfg with the corpus's keys and builds its
// record.
func (e *election) simulate(cfg *record.ElectionConfig, keys []*record.QuestionKeys, vf []byte, opt record.SimulateOptions) (record.Files, error) {
	opt.Sign, opt.Verify, opt.Votes, opt.Rand = record.MixSigner(e.akeys), record.MixVerifier(e.akeys), vf, e.rand
	rec, err := record.Simulate(cfg, keys, nil, opt)
	if err != nil {
		return nil, err
	}
	return record.Build(rec, e.akeys)
}

// detSigner signs with RFC 6979 deterministic ECDSA, whatever rand it
// is given, so that the corpus is the same on every run.
type detSigner struct{ sk *ecdsa.PrivateKey }

func (s detSigner) Public() crypto.PublicKey { return s.sk.Public() }

func (s detSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.sk.Sign(nil, digest, opts)
}

// authorityKey is authority i's ECDSA P-256 key, derived from a fixed
// seed, with a self-signed certificate as record.GenerateKey makes but
// with fixed serial number and validity.
func authorityKey(i int) (*record.Key, error) {
	seed := sha256.Sum256([]byte(fmt.Sprintf("eo/record corpus authority %d", i)))
	sk, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("authority-%d.example", i)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(i)),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	signer := detSigner{sk}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, sk.Public(), signer)
	if err != nil {
		return nil, err
	}
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return &record.Key{Authority: record.Authority{Index: i, Name: name, Certificate: cert}, Signer: signer}, nil
}

func clone(f record.Files) record.Files {
	out := record.Files{}
	for k, v := range f {
		out[k] = bytes.Clone(v)
	}
	return out
}

// canonicalJSON is the record's one JSON form (doc/record.md).
func canonicalJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func (e *election) parameters(f record.Files) (*record.Parameters, error) {
	var p record.Parameters
	if err := json.Unmarshal(f[record.FileParameters], &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// resignParameters writes p and has every authority that is not absent
// sign it again.
func (e *election) resignParameters(f record.Files, p *record.Parameters) error {
	b := canonicalJSON(p)
	f[record.FileParameters] = b
	d := record.ParametersDigest(b)
	for i, k := range e.akeys {
		name := fmt.Sprintf("signatures/parameters-%d.sig", i+1)
		delete(f, name)
		if slices.Contains(p.Absent, i+1) {
			continue
		}
		sig, err := k.Sign(d)
		if err != nil {
			return err
		}
		f[name] = sig
	}
	return nil
}

// editParameters changes the parameters of f and has them signed again.
func (e *election) editParameters(f record.Files, edit func(p *record.Parameters)) error {
	p, err := e.parameters(f)
	if err != nil {
		return err
	}
	edit(p)
	return e.resignParameters(f, p)
}

// mixInput is the input of mix j of question q.
func mixInput(f record.Files, q, j int) []byte {
	if j == 1 {
		return f[fmt.Sprintf("q%d/input.bin", q)]
	}
	return f[fmt.Sprintf("q%d/mix-%d/output.bin", q, j-1)]
}

// signMix signs mix j of question q, as it now is, with authority a's key.
func (e *election) signMix(f record.Files, q, j, a int) error {
	d := fmt.Sprintf("q%d/mix-%d/", q, j)
	digest := chain.Digest(electionID, q, j, mixInput(f, q, j), f[d+"output.bin"], f[d+"proof.bin"])
	sig, err := e.akeys[a-1].Sign(digest)
	if err != nil {
		return err
	}
	f[d+"signature.bin"] = sig
	return nil
}

// finalList is the list question q decrypts: the output of its last mix.
func finalList(f record.Files, q int) []byte {
	j := 0
	for f[fmt.Sprintf("q%d/mix-%d/output.bin", q, j+1)] != nil {
		j++
	}
	return f[fmt.Sprintf("q%d/mix-%d/output.bin", q, j)]
}

// signShare signs authority i's decryption share of question q, as it now
// is, with i's key.
func (e *election) signShare(f record.Files, q, i int) error {
	name := fmt.Sprintf("q%d/decryption/share-%d", q, i)
	sig, err := e.akeys[i-1].Sign(record.ShareDigest(electionID, q, i, finalList(f, q), f[name+".bin"]))
	if err != nil {
		return err
	}
	f[name+".sig"] = sig
	return nil
}

// setVotes replaces the vote file of f, and so every question's ballot
// file, with their hashes in the parameters, signed again.
func (e *election) setVotes(f record.Files, vf []byte) error {
	widths := make([]int, len(e.cfg.Questions))
	for q, qc := range e.cfg.Questions {
		widths[q] = qc.Width
	}
	split, err := ballot.SplitFile(vf, widths)
	if err != nil {
		return err
	}
	f["votes.jsonl"] = vf
	for q := range split {
		f[fmt.Sprintf("q%d/ballots.jsonl", q)] = split[q]
	}
	return e.editParameters(f, func(p *record.Parameters) {
		p.VotesHash = record.VotesHash(vf)
		for q := range p.Questions {
			p.Questions[q].VotesHash = record.VotesHash(split[q])
		}
	})
}

// setDKGHash writes question q's dkg.bin hash, as the file now is, into
// the parameters, signed again.
func (e *election) setDKGHash(f record.Files, q int) error {
	h := sha256.Sum256(f[fmt.Sprintf("q%d/dkg.bin", q)])
	return e.editParameters(f, func(p *record.Parameters) { p.Questions[q].DKGHash = hex.EncodeToString(h[:]) })
}

// highS replaces the ECDSA signature in f[name] by (r, n − s), the other
// signature of the same message that ecdsa.VerifyASN1 accepts.
func highS(f record.Files, name string) error {
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(f[name], &sig); err != nil {
		return err
	}
	sig.S.Sub(elliptic.P256().Params().N, sig.S)
	b, err := asn1.Marshal(sig)
	if err != nil {
		return err
	}
	f[name] = b
	return nil
}

// derZeroR re-encodes the ECDSA signature in f[name] with a leading zero
// byte in r: the same integer in a second, non-minimal BER form.
func derZeroR(f record.Files, name string) error {
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(f[name], &sig); err != nil {
		return err
	}
	intTLV := func(x *big.Int, pad bool) []byte {
		b := x.Bytes()
		if pad || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		if pad && len(b) > 1 && b[1]&0x80 != 0 { // the sign byte is there already: add one more
			b = append([]byte{0}, b...)
		}
		return append([]byte{0x02, byte(len(b))}, b...)
	}
	body := append(intTLV(sig.R, true), intTLV(sig.S, false)...)
	f[name] = append([]byte{0x30, byte(len(body))}, body...)
	return nil
}

func (e *election) mixer(f record.Files, q, j int) (int, error) {
	var info record.MixInfo
	if err := json.Unmarshal(f[fmt.Sprintf("q%d/mix-%d/mix.json", q, j)], &info); err != nil {
		return 0, err
	}
	return info.Mixer, nil
}

func swap(b []byte, i, j, size int) {
	tmp := bytes.Clone(b[i : i+size])
	copy(b[i:i+size], b[j:j+size])
	copy(b[j:j+size], tmp)
}

// A mutation turns a copy of a valid record (base, "valid" if empty) into
// a broken one.
type mutation struct {
	name   string
	base   string
	expect Expect
	apply  func(e *election, f record.Files) error
}

func unchanged(e *election, f record.Files) error { return nil }

// swapFactors swaps the first two decryption factors of authority i's
// share of question q (doc/threshold.md §2): the share decodes, its proof
// fails.
func swapFactors(f record.Files, q, i int) {
	b := f[fmt.Sprintf("q%d/decryption/share-%d.bin", q, i)]
	off := 4 + 1 + 1 + 1 + len(electionID) + 1 + len(fmt.Sprintf("q%d", q)) + 1 + 2 + 4
	swap(b, off, off+32, 32)
}

var mutations = []mutation{
	{"valid", "", Expect{Exit: 0, Note: "3 authorities, threshold 2, 2 questions (widths 1 and 2) split from one vote file of 5 voters and a garbage line, mixed by authorities 1 and 2, decrypted by all three"},
		unchanged},

	{"valid-blame", "valid-blame", Expect{Exit: 0, Note: "the valid record's election where authority 3 signed a mix for position 2 whose proof fails (rejected: the chain goes on with authority 2) and a decryption share whose proof fails (rejected), in both questions: 3 is blamed four times, each blame signed by 3 and listed in the signed parameters; the record is valid"},
		unchanged},

	{"keygen-complaint-refuted", "keygen-complaint-refuted", Expect{Exit: 0, Note: "one question; in key generation dealer 2's share for authority 3 was lost, 3 complained and 2 opened a valid share: the transcript shows a refuted complaint of 3's, an event, not blame; the record is valid"},
		unchanged},

	{"ballot-bad-proof", "", Expect{Exit: 1, Check: "B2", Note: "votes.jsonl line 2 carries line 1's proof response in question 0; the ballot files, every votes_hash updated and the parameters re-signed, so only the ballot rule finds it: q0/excluded.json no longer matches (B2) nor does q0/input.bin (B3)"},
		func(e *election, f record.Files) error {
			lines := bytes.Split(f["votes.jsonl"], []byte{'\n'})
			resp := func(l []byte) (int, error) {
				i := bytes.Index(l, []byte(`"response":"`))
				if i < 0 {
					return 0, errors.New("no response in ballot line")
				}
				return i + len(`"response":"`), nil
			}
			i0, err := resp(lines[0])
			if err != nil {
				return err
			}
			i1, err := resp(lines[1])
			if err != nil {
				return err
			}
			copy(lines[1][i1:i1+group.TextSize], lines[0][i0:i0+group.TextSize])
			return e.setVotes(f, bytes.Join(lines, []byte{'\n'}))
		}},

	{"votes-mismatch", "", Expect{Exit: 1, Check: "B4", Note: "votes.jsonl has one more garbage line, votes_hash updated and the parameters re-signed, but the questions' ballots.jsonl were not split from it again: they are not its parts (ballot.SplitFile)"},
		func(e *election, f record.Files) error {
			f["votes.jsonl"] = append(f["votes.jsonl"], "garbage\n"...)
			return e.editParameters(f, func(p *record.Parameters) { p.VotesHash = record.VotesHash(f["votes.jsonl"]) })
		}},

	{"version-1", "", Expect{Exit: 2, Check: "P2", Note: "parameters.json says version 1, re-signed: a version 1 record is refused (version 2 signs the outcome and the blame)"},
		func(e *election, f record.Files) error {
			return e.editParameters(f, func(p *record.Parameters) { p.Version = 1 })
		}},

	{"mix-swapped-outputs", "", Expect{Exit: 1, Check: "M5", Note: "q0 mix 1: output ciphertexts 0 and 1 swapped and the mix re-signed by its mixer, so the proof of shuffle is what fails"},
		func(e *election, f record.Files) error {
			swap(f["q0/mix-1/output.bin"], 0, elgamal.CiphertextSize, elgamal.CiphertextSize)
			m, err := e.mixer(f, 0, 1)
			if err != nil {
				return err
			}
			return e.signMix(f, 0, 1, m)
		}},

	{"mix-unsigned-swap", "", Expect{Exit: 1, Check: "M4", Note: "q0 mix 2: output ciphertexts 0 and 1 swapped, not re-signed: the mixer's signature fails (M4) before the proof (M5)"},
		func(e *election, f record.Files) error {
			swap(f["q0/mix-2/output.bin"], 0, elgamal.CiphertextSize, elgamal.CiphertextSize)
			return nil
		}},

	{"mix-proof-byte", "", Expect{Exit: 1, Check: "M5", Note: "q1 mix 2: the low bit of the response k_A in proof.bin flipped (still a canonical scalar) and the mix re-signed: the proof of shuffle fails"},
		func(e *election, f record.Files) error {
			const n, w = 5, 2
			pb := f["q1/mix-2/proof.bin"]
			if len(pb) != 9+32*(5*n+3*w+6) {
				return fmt.Errorf("proof of %d bytes", len(pb))
			}
			pb[9+32*(3*n+3+2*w)] ^= 1 // k_A, little endian
			m, err := e.mixer(f, 1, 2)
			if err != nil {
				return err
			}
			return e.signMix(f, 1, 2, m)
		}},

	{"mix-wrong-signer", "", Expect{Exit: 1, Check: "M4", Note: "q0 mix 1 is signed with authority 3's key, but mix.json names authority 1"},
		func(e *election, f record.Files) error { return e.signMix(f, 0, 1, 3) }},

	{"mix-same-mixer-twice", "", Expect{Exit: 1, Check: "M2", Note: "q1 mix 2 is by authority 1, which also did mix 1; signed by authority 1, listed so in the re-signed parameters, the proofs are valid"},
		func(e *election, f record.Files) error {
			f["q1/mix-2/mix.json"] = canonicalJSON(record.MixInfo{Mix: 2, Mixer: 1})
			if err := e.editParameters(f, func(p *record.Parameters) { p.Questions[1].Mixes[1].Mixer = 1 }); err != nil {
				return err
			}
			return e.signMix(f, 1, 2, 1)
		}},

	{"mix-fewer-than-threshold", "", Expect{Exit: 1, Check: "M1", Note: "q0 has only mix 1 (threshold 2); the decryption shares (signed), plaintexts and counts were recomputed from mix 1's output and the parameters list one mix, re-signed, so that only the number of mixes is wrong"},
		func(e *election, f record.Files) error {
			for _, n := range f.Names() {
				if strings.HasPrefix(n, "q0/mix-2/") {
					delete(f, n)
				}
			}
			if err := e.editParameters(f, func(p *record.Parameters) { p.Questions[0].Mixes = p.Questions[0].Mixes[:1] }); err != nil {
				return err
			}
			return e.redecrypt(f, 0, f["q0/mix-1/output.bin"])
		}},

	{"sig-mix-high-s", "", Expect{Exit: 1, Check: "M4", Note: "q0 mix 1's ECDSA signature (r, s) replaced by (r, n − s), which ecdsa.VerifyASN1 accepts: only low s is accepted, so a valid record has one byte form"},
		func(e *election, f record.Files) error { return highS(f, "q0/mix-1/signature.bin") }},

	{"sig-mix-der-padding", "", Expect{Exit: 1, Check: "M4", Note: "q0 mix 2's ECDSA signature re-encoded with a superfluous leading zero byte in r: the same (r, s) in a second, non-DER form, refused"},
		func(e *election, f record.Files) error { return derZeroR(f, "q0/mix-2/signature.bin") }},

	{"sig-parameters-high-s", "", Expect{Exit: 1, Check: "P6", Note: "authority 1's ECDSA signature over the parameters (r, s) replaced by (r, n − s): refused"},
		func(e *election, f record.Files) error { return highS(f, "signatures/parameters-1.sig") }},

	{"decryption-bad-factor", "", Expect{Exit: 1, Check: "D1", Note: "q0 share of authority 2: decryption factors 0 and 1 swapped and the share re-signed by 2; its proof fails and 2 is blamed, the other two shares still decrypt (no D2)"},
		func(e *election, f record.Files) error {
			swapFactors(f, 0, 2)
			return e.signShare(f, 0, 2)
		}},

	{"decryption-too-few-shares", "", Expect{Exit: 1, Check: "D2", Note: "q1 shares of authorities 1 and 3 have factors 0 and 1 swapped, re-signed: both are blamed (D1) and one valid share is fewer than the threshold (D2)"},
		func(e *election, f record.Files) error {
			for _, i := range []int{1, 3} {
				swapFactors(f, 1, i)
				if err := e.signShare(f, 1, i); err != nil {
					return err
				}
			}
			return nil
		}},

	{"decryption-unsigned-share", "", Expect{Exit: 2, Check: "D1", Note: "q0/decryption/share-1.sig is missing: an unsigned share is not used (and the record is incomplete)"},
		func(e *election, f record.Files) error {
			delete(f, "q0/decryption/share-1.sig")
			return nil
		}},

	{"blame-added-share", "", Expect{Exit: 1, Check: "P7", Note: "authority 3's share of q0 is absent (removed, and the parameters list shares 1 and 2, re-signed), then garbage added as q0/rejected/share-3.bin: the signed parameters list no rejected share, so the forged blame is refused"},
		func(e *election, f record.Files) error {
			delete(f, "q0/decryption/share-3.bin")
			delete(f, "q0/decryption/share-3.sig")
			if err := e.editParameters(f, func(p *record.Parameters) { p.Questions[0].Shares = []int{1, 2} }); err != nil {
				return err
			}
			f["q0/rejected/share-3.bin"] = []byte("garbage")
			return nil
		}},

	{"blame-forged-share", "", Expect{Exit: 1, Check: "D3", Note: "authority 3's share of q0 replaced by garbage in q0/rejected/share-3.bin, listed as rejected in the parameters and re-signed by all, but with no signature of 3's over the share: an unsigned rejected share is a false blame"},
		func(e *election, f record.Files) error {
			share := f["q0/decryption/share-3.bin"]
			delete(f, "q0/decryption/share-3.bin")
			delete(f, "q0/decryption/share-3.sig")
			bad := bytes.Clone(share)
			bad[len(bad)-1] ^= 1
			f["q0/rejected/share-3.bin"] = bad
			return e.editParameters(f, func(p *record.Parameters) {
				p.Questions[0].Shares = []int{1, 2}
				p.Questions[0].RejectedShares = []int{3}
			})
		}},

	{"blame-dropped", "valid-blame", Expect{Exit: 2, Check: "P7", Note: "valid-blame with q0/rejected/ deleted: the signed parameters still list the rejected mix and share, so the blame cannot be dropped silently"},
		func(e *election, f record.Files) error {
			for _, n := range f.Names() {
				if strings.HasPrefix(n, "q0/rejected/") {
					delete(f, n)
				}
			}
			return nil
		}},

	{"wrong-plaintext", "", Expect{Exit: 1, Check: "T1", Note: "q0 plaintexts.txt: the first line changed to another candidate; counts.json left as it was"},
		func(e *election, f record.Files) error {
			name := "q0/plaintexts.txt"
			lines := strings.Split(string(f[name]), "\n")
			if lines[0] == "1" {
				lines[0] = "2"
			} else {
				lines[0] = "1"
			}
			f[name] = []byte(strings.Join(lines, "\n"))
			return nil
		}},

	{"wrong-count", "", Expect{Exit: 1, Check: "C1", Note: "q1 counts.json: the first count increased by one, in canonical form"},
		func(e *election, f record.Files) error {
			var c []record.Count
			if err := json.Unmarshal(f["q1/counts.json"], &c); err != nil {
				return err
			}
			c[0].Count++
			f["q1/counts.json"] = canonicalJSON(c)
			return nil
		}},

	{"truncated-proof", "", Expect{Exit: 2, Check: "M5", Note: "q1 mix 1: proof.bin lost its last 32 bytes: the proof does not decode (malformed M5; the signature fails too, M4)"},
		func(e *election, f record.Files) error {
			b := f["q1/mix-1/proof.bin"]
			f["q1/mix-1/proof.bin"] = b[:len(b)-32]
			return nil
		}},

	{"missing-counts", "", Expect{Exit: 2, Check: "C1", Note: "q1/counts.json is missing: the record is incomplete"},
		func(e *election, f record.Files) error {
			delete(f, "q1/counts.json")
			return nil
		}},

	{"dkg-bitflip", "", Expect{Exit: 1, Check: "K2", Note: "q0/dkg.bin: the top bit of dealer 1's first commitment flipped, dkg_hash updated and re-signed: the container decodes, but that deal message does not (non-canonical element), so the transcript does not verify"},
		func(e *election, f record.Files) error {
			f["q0/dkg.bin"][dealOffset("q0")+31] ^= 0x80
			return e.setDKGHash(f, 0)
		}},

	{"dkg-hash-mismatch", "", Expect{Exit: 1, Check: "P7", Note: "q0/dkg.bin: the top bit of dealer 1's first commitment flipped, dkg_hash left as signed: the transcript is not the one the authorities signed for (P7), and it does not verify (K2)"},
		func(e *election, f record.Files) error {
			f["q0/dkg.bin"][dealOffset("q0")+31] ^= 0x80
			return nil
		}},

	{"dkg-bitflip-label", "", Expect{Exit: 2, Check: "K1", Note: "q1/dkg.bin: one bit of the label eo/dkg-transcript/v1 flipped, dkg_hash updated and re-signed: not a key-generation transcript"},
		func(e *election, f record.Files) error {
			f["q1/dkg.bin"][1] ^= 0x01
			return e.setDKGHash(f, 1)
		}},

	{"dkg-swapped-commitments", "", Expect{Exit: 1, Check: "K2", Note: "q1/dkg.bin: dealer 1's commitments C_0 and C_1 swapped, dkg_hash updated and re-signed: the transcript decodes but does not verify (the echoes no longer match)"},
		func(e *election, f record.Files) error {
			b := f["q1/dkg.bin"]
			off := dealOffset("q1")
			swap(b, off, off+32, 32)
			return e.setDKGHash(f, 1)
		}},

	{"ballots-crlf", "ballots-crlf", Expect{Exit: 0, Note: "the valid record's vote file with CRLF line endings: one '\\r' is removed from each line (doc/verify.md §3.3), so every ballot counts and only the garbage line is excluded; each question's ballots.jsonl keeps the CRLF endings (§3.4)"},
		unchanged},

	{"ballots-later-invalid", "ballots-later-invalid", Expect{Exit: 0, Note: "voter-2 appends a line whose proofs are for another election: it is excluded as an invalid proof and supersedes nothing, so voter-2's earlier ballot counts (doc/verify.md §3.3: only a valid ballot supersedes)"},
		unchanged},

	{"ballots-replay", "ballots-replay", Expect{Exit: 0, Note: "voter-1 votes again (line 7), then its first line is replayed (line 8): the replay is a copy of line 1 and is excluded as a duplicate before the voters' last lines are taken, so the new vote counts and line 1 is superseded by line 7 (doc/verify.md §3.3)"},
		unchanged},

	{"ballots-old-rule", "ballots-later-invalid", Expect{Exit: 1, Check: "B2", Note: "ballots-later-invalid with excluded.json as a rule that lets any well-formed later line supersede would write it (voter-2's line 2 superseded by its invalid line 7): the rule of doc/verify.md §3.3 disagrees (B2)"},
		func(e *election, f record.Files) error {
			for q := range 2 {
				f[fmt.Sprintf("q%d/excluded.json", q)] = canonicalJSON([]ballot.Exclusion{{Line: 2, Reason: "superseded by line 7"}, {Line: 4, Reason: ballot.ReasonMalformed}})
			}
			return nil
		}},

	{"mix-proof-undecodable-b", "", Expect{Exit: 2, Check: "M5", Note: "q0 mix 1: B_1 in proof.bin replaced by 32 bytes 0xff (not a canonical encoding), the mix re-signed by its mixer: the proof is malformed (exit 2), not invalid, although the changed challenge breaks equation (A) too (doc/verify.md §4.2)"},
		func(e *election, f record.Files) error {
			const n = 5 // accepted ballots of q0
			pb := f["q0/mix-1/proof.bin"]
			if len(pb) != 9+32*(5*n+3*1+6) {
				return fmt.Errorf("proof of %d bytes", len(pb))
			}
			copy(pb[9+32*n:], bytes.Repeat([]byte{0xff}, 32))
			m, err := e.mixer(f, 0, 1)
			if err != nil {
				return err
			}
			return e.signMix(f, 0, 1, m)
		}},

	{"extra-file", "", Expect{Exit: 2, Check: "F1", Note: "an unexpected file, notes.txt, at the top of the record"},
		func(e *election, f record.Files) error {
			f["notes.txt"] = []byte("not part of a record\n")
			return nil
		}},
}

// dealOffset is the offset in dkg.bin of C_0 in dealer 1's deal message
// (doc/threshold.md §2 and §4).
func dealOffset(session string) int {
	hdr := 1 + len("eo/dkg-transcript/v1") + 1 + len(electionID) + 1 + len(session) + 1 + 1
	msg := 4 + 1 + 1 + 1 + len(electionID) + 1 + len(session) + 1 + 1 // magic … sender, k
	return hdr + 4 + msg
}

// redecrypt has every authority decrypt final as question q's last list
// and rewrites the shares, plaintexts and counts.
func (e *election) redecrypt(f record.Files, q int, final []byte) error {
	k := e.keys[q]
	width := e.cfg.Questions[q].Width
	l, err := elgamal.DecodeList(final, width)
	if err != nil {
		return err
	}
	var msgs []*threshold.DecryptionShareMessage
	for i, s := range k.Shares {
		m, err := s.DecryptionShare(k.Public, l, e.rand)
		if err != nil {
			return err
		}
		msgs = append(msgs, m)
		f[fmt.Sprintf("q%d/decryption/share-%d.bin", q, i+1)] = m.Bytes()
		if err := e.signShare(f, q, i+1); err != nil {
			return err
		}
	}
	dec, err := threshold.ThresholdDecrypt(k.Public, l, msgs)
	if err != nil {
		return err
	}
	lines := record.PlaintextLines(dec.Plaintexts)
	f[fmt.Sprintf("q%d/plaintexts.txt", q)] = []byte(strings.Join(lines, "\n") + "\n")
	f[fmt.Sprintf("q%d/counts.json", q)] = canonicalJSON(record.PlaintextCounts(lines))
	return nil
}

// wantBlame checks the blame and the events of the valid records.
func wantBlame(name string, rep *record.Report) error {
	var blamed, events []int
	for _, b := range rep.Blame {
		blamed = append(blamed, b.Authority)
	}
	for _, ev := range rep.Events {
		events = append(events, ev.Authority)
	}
	var wantBlamed, wantEvents []int
	switch name {
	case "valid":
	case "valid-blame":
		wantBlamed = []int{3, 3, 3, 3} // mix and share, two questions
	case "keygen-complaint-refuted":
		wantEvents = []int{3}
	default:
		return nil
	}
	if !slices.Equal(blamed, wantBlamed) || !slices.Equal(events, wantEvents) {
		return fmt.Errorf("blame %+v and events %+v, want authorities %v blamed and %v in events", rep.Blame, rep.Events, wantBlamed, wantEvents)
	}
	return nil
}

func main() {
	out := flag.String("out", "testdata/records", "corpus directory (replaced)")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "mkcorpus:", err)
		os.Exit(1)
	}
}

// generate makes every record of the corpus, in the order of mutations,
// and checks that each verifies as expected.
func generate() ([]record.Files, error) {
	e, err := newElection()
	if err != nil {
		return nil, err
	}
	var records []record.Files
	for _, m := range mutations {
		base := m.base
		if base == "" {
			base = "valid"
		}
		f := clone(e.bases[base])
		if err := m.apply(e, f); err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		rep := record.Verify(f, record.Options{})
		var got []string
		for _, fl := range rep.Failures {
			got = append(got, fl.Check)
		}
		if rep.ExitCode() != m.expect.Exit || (m.expect.Check != "" && !slices.Contains(got, m.expect.Check)) {
			return nil, fmt.Errorf("%s: exit %d with failures %v, want exit %d with %s: %+v", m.name, rep.ExitCode(), got,
				m.expect.Exit, m.expect.Check, rep.Failures)
		}
		if err := wantBlame(m.name, rep); err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		if err := wantExcluded(m.name, f); err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		records = append(records, f)
	}
	return records, nil
}

func write(out string) error {
	records, err := generate()
	if err != nil {
		return err
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	for i, m := range mutations {
		if err := record.WriteDir(filepath.Join(out, m.name), records[i]); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, m.name+".expect.json"), canonicalJSON(m.expect), 0o644); err != nil {
			return err
		}
	}
	return nil
}
