package mixnet

// This file is the in-process reference pipeline of a whole election:
// key generation, ballot validation, one mix per participating authority
// and threshold decryption, with no network. The daemon runs the same
// steps over the transport; the record package stores and verifies what
// this produces.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/par"
	"github.com/eo-mixnet/eo/shuffle"
)

// QuestionConfig describes one question of an election: its ballots are
// ciphertexts of Width pairs under the key of session SessionID.
type QuestionConfig struct {
	SessionID string
	Width     int
}

// ElectionConfig is what every authority agrees on before key generation.
type ElectionConfig struct {
	ElectionID string
	N, T       int
	Questions  []QuestionConfig
}

func (c *ElectionConfig) check() error {
	if c == nil || c.ElectionID == "" {
		return malformed("missing election id")
	}
	if err := checkNT(c.N, c.T); err != nil {
		return err
	}
	if len(c.Questions) == 0 {
		return malformed("an election needs at least one question")
	}
	seen := map[string]bool{}
	for q, qc := range c.Questions {
		if qc.SessionID == "" || seen[qc.SessionID] {
			return malformed("question %d: missing or repeated session id %q", q, qc.SessionID)
		}
		seen[qc.SessionID] = true
		if qc.Width < 1 || qc.Width > elgamal.MaxWidth {
			return malformed("question %d: width %d out of range", q, qc.Width)
		}
	}
	return nil
}

// QuestionKeys is the outcome of the key generation of one question:
// the public part, and every authority's secret share (index i−1 for
// authority i) — which only an in-process simulation ever holds together.
type QuestionKeys struct {
	Public     *DKGPublic
	Transcript *DKGTranscript
	Shares     []*KeyShare
}

// GenerateElectionKeys runs the distributed key generation of every
// question among N in-memory authorities, delivering every message.
func GenerateElectionKeys(cfg *ElectionConfig, rand io.Reader) ([]*QuestionKeys, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	out := make([]*QuestionKeys, len(cfg.Questions))
	for q, qc := range cfg.Questions {
		keys, err := runDKGInMemory(cfg.ElectionID, qc.SessionID, cfg.N, cfg.T, rand)
		if err != nil {
			return nil, fmt.Errorf("mixnet: key generation of question %d: %w", q, err)
		}
		out[q] = keys
	}
	return out, nil
}

type inflight struct {
	from, to int
	data     []byte
}

func runDKGInMemory(electionID, sessionID string, n, t int, rand io.Reader) (*QuestionKeys, error) {
	nodes := make([]*DKG, n+1)
	for i := 1; i <= n; i++ {
		d, err := NewDKG(DKGConfig{ElectionID: electionID, SessionID: sessionID, N: n, T: t, Self: i, Rand: rand})
		if err != nil {
			return nil, err
		}
		nodes[i] = d
	}
	var queue []inflight
	send := func(from int, o *DKGOutbox) {
		if o == nil {
			return
		}
		for _, b := range o.Broadcast {
			for to := 1; to <= n; to++ {
				if to != from {
					queue = append(queue, inflight{from, to, b.Bytes()})
				}
			}
		}
		for _, p := range o.Private {
			queue = append(queue, inflight{from, p.To(), p.Bytes()})
		}
	}
	for i := 1; i <= n; i++ {
		o, err := nodes[i].Start()
		if err != nil {
			return nil, err
		}
		send(i, o)
	}
	for round := 0; ; round++ {
		for len(queue) > 0 {
			m := queue[0]
			queue = queue[1:]
			o, err := nodes[m.to].Handle(m.from, m.data)
			if err != nil {
				return nil, err
			}
			send(m.to, o)
		}
		done := true
		for i := 1; i <= n; i++ {
			done = done && nodes[i].Done()
		}
		if done {
			break
		}
		if round > 4*int(PhaseDecryptionShare) {
			return nil, errors.New("key generation does not finish")
		}
		// Every message was delivered: a phase that still waits has a
		// silent party; let the machines move on without it.
		for i := 1; i <= n; i++ {
			if !nodes[i].Done() {
				o, err := nodes[i].Expire()
				if err != nil {
					return nil, err
				}
				send(i, o)
			}
		}
	}
	keys := &QuestionKeys{Shares: make([]*KeyShare, n)}
	for i := 1; i <= n; i++ {
		res, err := nodes[i].Result()
		if err != nil {
			return nil, err
		}
		if keys.Public == nil {
			keys.Public, keys.Transcript = res.Public, res.Transcript
		} else if !bytes.Equal(res.Transcript.Bytes(), keys.Transcript.Bytes()) {
			return nil, fmt.Errorf("authorities %d and 1 ended with different transcripts", i)
		}
		keys.Shares[i-1] = res.Share
	}
	return keys, nil
}

// Exclusion is a ballot line left out of the tally, and why.
type Exclusion struct {
	Line   int    `json:"line"` // 1-based line number in the ballot file
	Reason string `json:"reason"`
}

// Reasons for excluding a ballot line: a fixed vocabulary, so that any
// verifier can recompute excluded.json byte for byte.
const (
	ReasonEmpty      = "empty line"
	ReasonMalformed  = "malformed"               // not a canonical ballot line (elgamal.ParseBallotLine)
	ReasonWidth      = "wrong number of choices" // parses, but not with the question's width
	ReasonSuperseded = "superseded by line %d"   // a later line of the same voter id
	ReasonProof      = "invalid proof"           // a proof of knowledge does not verify
	ReasonDuplicate  = "duplicate ciphertext"    // valid, but repeats an earlier valid ballot's ciphertext
)

// ValidateBallots applies eo's deterministic ballot rule to the ballot
// file of one question (threats.md A8, A9), which every authority and
// every verifier recomputes identically:
//
//  1. the file is split at '\n' (a final newline ends the last line); an
//     empty line is excluded (ReasonEmpty);
//  2. a line that does not parse (elgamal.ParseBallotLine: canonical JSON,
//     canonical non-identity group elements) is excluded (ReasonMalformed),
//     and so is one of another width (ReasonWidth);
//  3. of the remaining lines with the same voter id, the last one wins, as
//     in the old web server's dump; the earlier ones are excluded
//     (ReasonSuperseded, naming the winning line);
//  4. a ballot whose proofs of knowledge do not verify for this election,
//     question and key is excluded (ReasonProof), and so is a valid ballot
//     whose ciphertext repeats one of an earlier valid ballot
//     (ReasonDuplicate).
//
// It returns the accepted ballots in line order and the exclusions in line
// order.
func ValidateBallots(ctx elgamal.BallotContext, data []byte) ([]*elgamal.Ballot, []Exclusion) {
	lines := bytes.Split(data, []byte{'\n'})
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	excluded := map[int]string{}
	parsed, perrs := elgamal.ParseBallotLines(lines)
	for i, l := range lines {
		if len(l) == 0 {
			excluded[i] = ReasonEmpty
			parsed[i] = nil
			continue
		}
		b, err := parsed[i], perrs[i]
		if err != nil {
			excluded[i] = ReasonMalformed
			parsed[i] = nil
			continue
		}
		if b.Width() != ctx.Width {
			excluded[i] = ReasonWidth
			parsed[i] = nil
		}
	}
	last := map[string]int{}
	for i, b := range parsed {
		if b != nil && b.VoterID() != "" {
			last[b.VoterID()] = i
		}
	}
	var cand []*elgamal.Ballot
	var candLine []int
	for i, b := range parsed {
		if b == nil {
			continue
		}
		if id := b.VoterID(); id != "" && last[id] != i {
			excluded[i] = fmt.Sprintf(ReasonSuperseded, last[id]+1)
			continue
		}
		cand = append(cand, b)
		candLine = append(candLine, i)
	}
	errs := elgamal.VerifyBallots(ctx, cand, nil)
	var accepted []*elgamal.Ballot
	for k, b := range cand {
		if errs[k] != nil {
			if errors.Is(errs[k], elgamal.ErrDuplicateBallot) {
				excluded[candLine[k]] = ReasonDuplicate
			} else {
				excluded[candLine[k]] = ReasonProof
			}
			continue
		}
		accepted = append(accepted, b)
	}
	out := make([]Exclusion, 0, len(excluded))
	for i := range lines {
		if r, ok := excluded[i]; ok {
			out = append(out, Exclusion{Line: i + 1, Reason: r})
		}
	}
	return accepted, out
}

// MixDigest is what mixer j signs for its mix of a question: SHA-256 of
// "eo/record/v1 mix" ‖ len(election) (4 bytes) ‖ election ‖ question
// (8 bytes) ‖ j (8 bytes) ‖ SHA-256(input) ‖ SHA-256(output) ‖
// SHA-256(proof), integers big endian.
func MixDigest(electionID string, question, mix int, input, output, proof []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte("eo/record/v1 mix"))
	var b [8]byte
	binary.BigEndian.PutUint32(b[:4], uint32(len(electionID)))
	h.Write(b[:4])
	h.Write([]byte(electionID))
	binary.BigEndian.PutUint64(b[:], uint64(question))
	h.Write(b[:])
	binary.BigEndian.PutUint64(b[:], uint64(mix))
	h.Write(b[:])
	for _, d := range [][]byte{input, output, proof} {
		s := sha256.Sum256(d)
		h.Write(s[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Signer signs a mix digest on behalf of an authority (1-based index).
type Signer func(authority int, digest [32]byte) ([]byte, error)

// MixRecord is one mix of a question's chain.
type MixRecord struct {
	Mixer     int    // the authority that mixed (1-based)
	Output    []byte // the output list, elgamal.EncodeList
	Proof     []byte // the proof of shuffle, shuffle.Proof.Bytes
	Signature []byte // the mixer's signature over MixDigest
}

// RejectedMix is a mix the authorities rejected: its proof does not
// verify against the list at Position, which its mixer signed.
type RejectedMix struct {
	Position int
	MixRecord
}

// QuestionRecord is everything the record holds about one question.
type QuestionRecord struct {
	Config     QuestionConfig
	Transcript *DKGTranscript
	Ballots    []byte      // the ballot file as received
	Excluded   []Exclusion // ValidateBallots' exclusions
	Input      []byte      // the accepted ciphertexts, elgamal.EncodeList
	Mixes      []MixRecord
	Shares     []ShareRecord // decryption shares of the last list
	// RejectedMixes are signed mixes whose proof did not verify, each
	// with the position in the chain it was offered for; RejectedShares
	// are decryption shares that did not verify. The record keeps them so
	// that anyone can check the blame.
	RejectedMixes  []RejectedMix
	RejectedShares []ShareRecord
	Plaintexts     []string // one line per ballot: its decoded plaintexts (PlaintextText)
	Counts         []Count  // PlaintextCounts of Plaintexts
}

// ShareRecord is one authority's decryption share of a question's last
// list: DecryptionShareMessage.Bytes.
type ShareRecord struct {
	Authority int
	Message   []byte
}

// Count is how many ballots decrypted to one plaintext line.
type Count struct {
	Plaintext string `json:"plaintext"`
	Count     int    `json:"count"`
}

// ElectionRecord is the content of an election record before it becomes
// files.
type ElectionRecord struct {
	Config    ElectionConfig
	Questions []*QuestionRecord
}

// TallyOptions chooses who mixes and who decrypts.
type TallyOptions struct {
	Mixers     []int // authorities that mix, in order; at least T, distinct
	Decryptors []int // authorities that publish decryption shares; at least T
	Sign       Signer
	Rand       io.Reader // crypto/rand if nil
}

// Tally validates the ballots of every question, mixes them through the
// chosen authorities, verifying each mix before the next (as every
// authority does), and decrypts with the chosen authorities' shares.
func Tally(cfg *ElectionConfig, keys []*QuestionKeys, ballots [][]byte, opt TallyOptions) (*ElectionRecord, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if len(keys) != len(cfg.Questions) || len(ballots) != len(cfg.Questions) {
		return nil, malformed("%d questions, %d keys, %d ballot files", len(cfg.Questions), len(keys), len(ballots))
	}
	if err := checkParticipants(cfg, opt.Mixers, "mixers"); err != nil {
		return nil, err
	}
	if err := checkParticipants(cfg, opt.Decryptors, "decryptors"); err != nil {
		return nil, err
	}
	if opt.Sign == nil {
		return nil, malformed("missing signer")
	}
	rec := &ElectionRecord{Config: *cfg}
	for q, qc := range cfg.Questions {
		qr, err := tallyQuestion(cfg, q, qc, keys[q], ballots[q], opt)
		if err != nil {
			return nil, fmt.Errorf("mixnet: question %d: %w", q, err)
		}
		rec.Questions = append(rec.Questions, qr)
	}
	return rec, nil
}

func checkParticipants(cfg *ElectionConfig, who []int, what string) error {
	if len(who) < cfg.T {
		return malformed("%d %s, the threshold is %d", len(who), what, cfg.T)
	}
	seen := map[int]bool{}
	for _, i := range who {
		if i < 1 || i > cfg.N || seen[i] {
			return malformed("%s: authority %d is out of range or repeated", what, i)
		}
		seen[i] = true
	}
	return nil
}

func tallyQuestion(cfg *ElectionConfig, q int, qc QuestionConfig, keys *QuestionKeys, data []byte, opt TallyOptions) (*QuestionRecord, error) {
	pk, err := elgamal.DecodePublicKey(keys.Public.PublicKey.Bytes())
	if err != nil {
		return nil, err
	}
	bctx := elgamal.BallotContext{ElectionID: cfg.ElectionID, Question: q, PK: pk, Width: qc.Width}
	accepted, excluded := ValidateBallots(bctx, data)
	if len(accepted) == 0 {
		return nil, malformed("no valid ballot to tally")
	}
	cts := make([]*elgamal.Ciphertext, len(accepted))
	var input []byte
	for i, b := range accepted {
		cts[i] = b.Ciphertext()
		input = append(input, b.CiphertextBytes()...)
	}
	qr := &QuestionRecord{Config: qc, Transcript: keys.Transcript, Ballots: data, Excluded: excluded, Input: input}
	gens, err := shuffle.NewGenerators(cfg.ElectionID, qc.SessionID, len(cts))
	if err != nil {
		return nil, err
	}
	list, enc := cts, qr.Input
	for j, mixer := range opt.Mixers {
		ctx := &shuffle.Context{ElectionID: cfg.ElectionID, SessionID: qc.SessionID, Mixer: j + 1, PublicKey: pk, Width: qc.Width}
		out, encOut, proof, err := shuffle.ShuffleAndProve(opt.Rand, ctx, gens, list, enc)
		if err != nil {
			return nil, fmt.Errorf("mix %d: %w", j+1, err)
		}
		pb := proof.Bytes()
		// Every authority verifies the mix before the next one starts. A
		// remote authority decodes the output list it receives; here the
		// lists are at hand and only the proof is decoded.
		dp, err := shuffle.DecodeProof(pb, len(list), qc.Width)
		if err == nil {
			err = shuffle.Verify(ctx, gens, list, enc, out, encOut, dp)
		}
		if err != nil {
			return nil, fmt.Errorf("mix %d by authority %d does not verify: %w", j+1, mixer, err)
		}
		sig, err := opt.Sign(mixer, MixDigest(cfg.ElectionID, q, j+1, enc, encOut, pb))
		if err != nil {
			return nil, fmt.Errorf("mix %d: signing: %w", j+1, err)
		}
		qr.Mixes = append(qr.Mixes, MixRecord{Mixer: mixer, Output: encOut, Proof: pb, Signature: sig})
		list, enc = out, encOut
	}
	final, err := NewCiphertextListEncoded(list, enc)
	if err != nil {
		return nil, err
	}
	var msgs []*DecryptionShareMessage
	for _, i := range opt.Decryptors {
		m, err := keys.Shares[i-1].DecryptionShare(keys.Public, final, opt.Rand)
		if err != nil {
			return nil, fmt.Errorf("decryption share of authority %d: %w", i, err)
		}
		msgs = append(msgs, m)
		qr.Shares = append(qr.Shares, ShareRecord{Authority: i, Message: m.Bytes()})
	}
	dec, err := ThresholdDecrypt(keys.Public, final, msgs)
	if err != nil {
		return nil, err
	}
	qr.Plaintexts = PlaintextLines(dec.Plaintexts)
	qr.Counts = PlaintextCounts(qr.Plaintexts)
	return qr, nil
}

// InvalidPlaintext stands in a plaintext line for a pair that does not
// decode as an embedded integer (a voter encrypted something else).
const InvalidPlaintext = "invalid"

// PlaintextLines renders decrypted ballots: one line per ballot, its
// pairs' plaintexts as decimal integers (elgamal.DecodeInt) separated by
// commas, InvalidPlaintext for a pair that does not decode.
func PlaintextLines(pt [][]*group.Element) []string {
	out := make([]string, len(pt))
	par.For(len(pt), 256, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			parts := make([]string, len(pt[j]))
			for k, m := range pt[j] {
				v, err := elgamal.DecodeInt(m)
				if err != nil {
					parts[k] = InvalidPlaintext
					continue
				}
				parts[k] = v.String()
			}
			out[j] = strings.Join(parts, ",")
		}
	})
	return out
}

// PlaintextCounts counts the plaintext lines, sorted by plaintext in
// numeric order, pair by pair (InvalidPlaintext before any number).
func PlaintextCounts(lines []string) []Count {
	m := map[string]int{}
	for _, l := range lines {
		m[l]++
	}
	out := make([]Count, 0, len(m))
	for p, c := range m {
		out = append(out, Count{Plaintext: p, Count: c})
	}
	sortCounts(out)
	return out
}

func sortCounts(c []Count) {
	keys := make(map[string][]*big.Int, len(c))
	for _, x := range c {
		var ks []*big.Int
		for _, p := range strings.Split(x.Plaintext, ",") {
			v, ok := new(big.Int).SetString(p, 10)
			if !ok {
				v = big.NewInt(-1) // InvalidPlaintext sorts first
			}
			ks = append(ks, v)
		}
		keys[x.Plaintext] = ks
	}
	slices.SortFunc(c, func(a, b Count) int {
		ka, kb := keys[a.Plaintext], keys[b.Plaintext]
		for i := range min(len(ka), len(kb)) {
			if d := ka[i].Cmp(kb[i]); d != 0 {
				return d
			}
		}
		if d := len(ka) - len(kb); d != 0 {
			return d
		}
		return strings.Compare(a.Plaintext, b.Plaintext)
	})
}
