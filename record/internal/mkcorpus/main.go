// Command mkcorpus writes the election-record corpus of testdata/records:
// one small valid record and, derived from it by a named mutation each,
// broken records, every one with its expected outcome beside it in
// <name>.expect.json. Run it from the repository root:
//
//	go run ./record/internal/mkcorpus
//
// Key generation, ballots, shuffles and decryption shares come from a
// fixed seed, so they are the same on every run; the authorities' ECDSA
// certificates and signatures are not. The generator keeps every key in
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

// election is the valid record with everything needed to change it.
type election struct {
	cfg   *record.ElectionConfig
	keys  []*record.QuestionKeys
	akeys []*record.Key
	files record.Files
	rand  *mrand.ChaCha8
}

// Plaintexts of the ballots: fixed, so the counts are.
var votes = [][][]uint64{
	{{1}, {2}, {2}, {3}, {1}},
	{{1, 2}, {2, 1}, {1, 2}, {3, 3}, {2, 1}},
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
	var ballots [][]byte
	for q, qc := range cfg.Questions {
		pk := keys[q].Public.PublicKey
		ctx := ballot.Context{ElectionID: cfg.ElectionID, Question: q, PK: pk, Width: qc.Width}
		var buf bytes.Buffer
		for i, row := range votes[q] {
			m := make([]*group.Element, len(row))
			for k, v := range row {
				if m[k], err = elgamal.EncodeUint64(v); err != nil {
					return nil, err
				}
			}
			b, err := ballot.Encrypt(rnd, ctx, m, fmt.Sprintf("voter-%d", i+1))
			if err != nil {
				return nil, err
			}
			buf.Write(b.MarshalLine())
			buf.WriteByte('\n')
			if i == 2 {
				buf.WriteString(`{"not":"a ballot"}` + "\n")
			}
		}
		ballots = append(ballots, buf.Bytes())
	}
	akeys := make([]*record.Key, cfg.N)
	for i := range akeys {
		if akeys[i], err = authorityKey(i + 1); err != nil {
			return nil, err
		}
	}
	rec, err := record.Simulate(cfg, keys, ballots, record.SimulateOptions{
		Mixers: []int{1, 2}, Decryptors: []int{1, 2, 3}, Sign: record.MixSigner(akeys), Verify: record.MixVerifier(akeys), Rand: rnd})
	if err != nil {
		return nil, err
	}
	f, err := record.Build(rec, akeys)
	if err != nil {
		return nil, err
	}
	return &election{cfg: cfg, keys: keys, akeys: akeys, files: f, rand: rnd}, nil
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

// resignParameters writes p and has every authority sign it again.
func (e *election) resignParameters(f record.Files, p *record.Parameters) error {
	b := canonicalJSON(p)
	f[record.FileParameters] = b
	d := record.ParametersDigest(b)
	for i, k := range e.akeys {
		sig, err := k.Sign(d)
		if err != nil {
			return err
		}
		f[fmt.Sprintf("signatures/parameters-%d.sig", i+1)] = sig
	}
	return nil
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

// A mutation turns a copy of the valid record into a broken one.
type mutation struct {
	name   string
	expect Expect
	apply  func(e *election, f record.Files) error
}

var mutations = []mutation{
	{"valid", Expect{Exit: 0, Note: "3 authorities, threshold 2, 2 questions (widths 1 and 2), 5 ballots and a garbage line each, mixed by authorities 1 and 2, decrypted by all three"},
		func(e *election, f record.Files) error { return nil }},

	{"ballot-bad-proof", Expect{Exit: 1, Check: "B2", Note: "q0 ballot line 2 carries line 1's proof response; votes_hash updated and the parameters re-signed, so only the ballot rule finds it: excluded.json no longer matches (B2) nor does input.bin (B3)"},
		func(e *election, f record.Files) error {
			name := "q0/ballots.jsonl"
			lines := bytes.Split(f[name], []byte{'\n'})
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
			f[name] = bytes.Join(lines, []byte{'\n'})
			p, err := e.parameters(f)
			if err != nil {
				return err
			}
			p.Questions[0].VotesHash = record.VotesHash(f[name])
			return e.resignParameters(f, p)
		}},

	{"mix-swapped-outputs", Expect{Exit: 1, Check: "M5", Note: "q0 mix 1: output ciphertexts 0 and 1 swapped and the mix re-signed by its mixer, so the proof of shuffle is what fails"},
		func(e *election, f record.Files) error {
			swap(f["q0/mix-1/output.bin"], 0, elgamal.CiphertextSize, elgamal.CiphertextSize)
			m, err := e.mixer(f, 0, 1)
			if err != nil {
				return err
			}
			return e.signMix(f, 0, 1, m)
		}},

	{"mix-unsigned-swap", Expect{Exit: 1, Check: "M4", Note: "q0 mix 2: output ciphertexts 0 and 1 swapped, not re-signed: the mixer's signature fails (M4) before the proof (M5)"},
		func(e *election, f record.Files) error {
			swap(f["q0/mix-2/output.bin"], 0, elgamal.CiphertextSize, elgamal.CiphertextSize)
			return nil
		}},

	{"mix-proof-byte", Expect{Exit: 1, Check: "M5", Note: "q1 mix 2: the low bit of the response k_A in proof.bin flipped (still a canonical scalar) and the mix re-signed: the proof of shuffle fails"},
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

	{"mix-wrong-signer", Expect{Exit: 1, Check: "M4", Note: "q0 mix 1 is signed with authority 3's key, but mix.json names authority 1"},
		func(e *election, f record.Files) error { return e.signMix(f, 0, 1, 3) }},

	{"mix-same-mixer-twice", Expect{Exit: 1, Check: "M2", Note: "q1 mix 2 is by authority 1, which also did mix 1 (threats.md A11); signed by authority 1, the proofs are valid"},
		func(e *election, f record.Files) error {
			f["q1/mix-2/mix.json"] = canonicalJSON(record.MixInfo{Mix: 2, Mixer: 1})
			return e.signMix(f, 1, 2, 1)
		}},

	{"mix-fewer-than-threshold", Expect{Exit: 1, Check: "M1", Note: "q0 has only mix 1 (threshold 2); the decryption shares, plaintexts and counts were recomputed from mix 1's output so that only the number of mixes is wrong"},
		func(e *election, f record.Files) error {
			for _, n := range f.Names() {
				if strings.HasPrefix(n, "q0/mix-2/") {
					delete(f, n)
				}
			}
			return e.redecrypt(f, 0, f["q0/mix-1/output.bin"])
		}},

	{"decryption-bad-factor", Expect{Exit: 1, Check: "D1", Note: "q0 share of authority 2: decryption factors 0 and 1 swapped; its proof fails and it is blamed, the other two shares still decrypt (no D2)"},
		func(e *election, f record.Files) error {
			b := f["q0/decryption/share-2.bin"]
			off := 4 + 1 + 1 + 1 + len(electionID) + 1 + len("q0") + 1 + 2 + 4
			swap(b, off, off+32, 32)
			return nil
		}},

	{"decryption-too-few-shares", Expect{Exit: 1, Check: "D2", Note: "q1 shares of authorities 1 and 3 have factors 0 and 1 swapped: both are blamed (D1) and one valid share is fewer than the threshold (D2)"},
		func(e *election, f record.Files) error {
			for _, i := range []int{1, 3} {
				b := f[fmt.Sprintf("q1/decryption/share-%d.bin", i)]
				off := 4 + 1 + 1 + 1 + len(electionID) + 1 + len("q1") + 1 + 2 + 4
				swap(b, off, off+32, 32)
			}
			return nil
		}},

	{"wrong-plaintext", Expect{Exit: 1, Check: "T1", Note: "q0 plaintexts.txt: the first line changed to another candidate; counts.json left as it was"},
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

	{"wrong-count", Expect{Exit: 1, Check: "C1", Note: "q1 counts.json: the first count increased by one, in canonical form"},
		func(e *election, f record.Files) error {
			var c []record.Count
			if err := json.Unmarshal(f["q1/counts.json"], &c); err != nil {
				return err
			}
			c[0].Count++
			f["q1/counts.json"] = canonicalJSON(c)
			return nil
		}},

	{"truncated-proof", Expect{Exit: 2, Check: "M5", Note: "q1 mix 1: proof.bin lost its last 32 bytes: the proof does not decode (malformed M5; the signature fails too, M4)"},
		func(e *election, f record.Files) error {
			b := f["q1/mix-1/proof.bin"]
			f["q1/mix-1/proof.bin"] = b[:len(b)-32]
			return nil
		}},

	{"missing-counts", Expect{Exit: 2, Check: "C1", Note: "q1/counts.json is missing: the record is incomplete"},
		func(e *election, f record.Files) error {
			delete(f, "q1/counts.json")
			return nil
		}},

	{"dkg-bitflip", Expect{Exit: 1, Check: "K2", Note: "q0/dkg.bin: the top bit of dealer 1's first commitment flipped: the container decodes, but that deal message does not (non-canonical element), so the transcript does not verify"},
		func(e *election, f record.Files) error {
			f["q0/dkg.bin"][dealOffset("q0")+31] ^= 0x80
			return nil
		}},

	{"dkg-bitflip-label", Expect{Exit: 2, Check: "K1", Note: "q1/dkg.bin: one bit of the label eo/dkg-transcript/v1 flipped: not a key-generation transcript"},
		func(e *election, f record.Files) error {
			f["q1/dkg.bin"][1] ^= 0x01
			return nil
		}},

	{"dkg-swapped-commitments", Expect{Exit: 1, Check: "K2", Note: "q1/dkg.bin: dealer 1's commitments C_0 and C_1 swapped: the transcript decodes but does not verify (the echoes no longer match)"},
		func(e *election, f record.Files) error {
			b := f["q1/dkg.bin"]
			off := dealOffset("q1")
			swap(b, off, off+32, 32)
			return nil
		}},

	{"extra-file", Expect{Exit: 2, Check: "F1", Note: "an unexpected file, notes.txt, at the top of the record"},
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
		f := clone(e.files)
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
