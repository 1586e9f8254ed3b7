package record

// This file simulates a whole election in one process, with no network:
// key generation among N in-memory authorities, ballot validation, one mix
// per chosen authority and threshold decryption. It is a simulation — one
// process holds every authority's secrets — for tests, benchmarks, the
// record corpus and examples; the daemon (package orchestra) runs the same
// steps between real authorities.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/chain"
	"github.com/eo-mixnet/eo/shuffle"
	"github.com/eo-mixnet/eo/threshold"
)

// QuestionKeys is the outcome of the key generation of one question:
// the public part, and every authority's secret share (index i−1 for
// authority i) — which only an in-process simulation ever holds together.
type QuestionKeys struct {
	Public     *threshold.DKGPublic
	Transcript *threshold.DKGTranscript
	Shares     []*threshold.KeyShare
}

// SimulateKeys runs the distributed key generation of every
// question among N in-memory authorities, delivering every message.
func SimulateKeys(cfg *ElectionConfig, rand io.Reader) ([]*QuestionKeys, error) {
	return SimulateKeysLosing(cfg, rand, nil)
}

// SimulateKeysLosing is SimulateKeys where the private messages (the
// shares) from one authority to another for which lose is true are lost;
// a phase that waits for a lost message expires, as the daemon's round
// timeout makes it.
func SimulateKeysLosing(cfg *ElectionConfig, rand io.Reader, lose func(from, to int) bool) ([]*QuestionKeys, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	out := make([]*QuestionKeys, len(cfg.Questions))
	for q, qc := range cfg.Questions {
		keys, err := runDKGInMemory(cfg.ElectionID, qc.SessionID, cfg.N, cfg.T, rand, lose)
		if err != nil {
			return nil, fmt.Errorf("record: key generation of question %d: %w", q, err)
		}
		out[q] = keys
	}
	return out, nil
}

type inflight struct {
	from, to int
	data     []byte
}

func runDKGInMemory(electionID, sessionID string, n, t int, rand io.Reader, lose func(from, to int) bool) (*QuestionKeys, error) {
	nodes := make([]*threshold.DKG, n+1)
	for i := 1; i <= n; i++ {
		d, err := threshold.NewDKG(threshold.DKGConfig{ElectionID: electionID, SessionID: sessionID, N: n, T: t, Self: i, Rand: rand})
		if err != nil {
			return nil, err
		}
		nodes[i] = d
	}
	var queue []inflight
	send := func(from int, o *threshold.DKGOutbox) {
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
			if lose == nil || !lose(from, p.To()) {
				queue = append(queue, inflight{from, p.To(), p.Bytes()})
			}
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
		if round > 64 {
			return nil, errors.New("key generation does not finish")
		}
		// Every message was delivered: the authorities furthest behind
		// wait for a lost one; they give up on it (as the daemon's round
		// timeout makes them), the others wait for them.
		lowest := threshold.Phase(255)
		for i := 1; i <= n; i++ {
			if !nodes[i].Done() {
				lowest = min(lowest, nodes[i].Phase())
			}
		}
		for i := 1; i <= n; i++ {
			if !nodes[i].Done() && nodes[i].Phase() == lowest {
				o, err := nodes[i].Expire()
				if err != nil {
					return nil, err
				}
				send(i, o)
			}
		}
	}
	keys := &QuestionKeys{Shares: make([]*threshold.KeyShare, n)}
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

// SimulateOptions chooses who mixes and who decrypts.
type SimulateOptions struct {
	Mixers     []int // authorities that mix, in order; distinct, at least T of them honest
	Decryptors []int // authorities that publish decryption shares; at least T of them honest
	// BadMixers, among Mixers, sign a mix whose proof of shuffle does not
	// verify, and BadDecryptors, among Decryptors, a decryption share
	// whose proof does not verify: the authorities reject them and the
	// record blames their authors.
	BadMixers, BadDecryptors []int
	Sign                     Signer   // signs the mixes and the decryption shares
	Verify                   Verifier // checks the mixes' signatures, as every authority does
	// Votes is the vote file. With more than one question the record
	// holds it, and the ballot files are its parts (ballot.SplitFile):
	// Simulate splits it when ballots is nil, else checks them.
	Votes []byte
	Rand  io.Reader // crypto/rand if nil
}

// Simulate validates the ballots of every question, mixes them through the
// chosen authorities, verifying each mix before the next (as every
// authority does), and decrypts with the chosen authorities' shares, each
// signed. ballots[q] is question q's ballot file; it may be nil if
// opt.Votes is set.
func Simulate(cfg *ElectionConfig, keys []*QuestionKeys, ballots [][]byte, opt SimulateOptions) (*ElectionRecord, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	widths := make([]int, len(cfg.Questions))
	for q, qc := range cfg.Questions {
		widths[q] = qc.Width
	}
	if opt.Votes != nil {
		split, err := ballot.SplitFile(opt.Votes, widths)
		if err != nil {
			return nil, malformed("%v", err)
		}
		if ballots == nil {
			ballots = split
		} else if len(ballots) != len(split) || !slices.EqualFunc(ballots, split, bytes.Equal) {
			return nil, malformed("the ballot files are not the parts of the vote file")
		}
	}
	if len(keys) != len(cfg.Questions) || len(ballots) != len(cfg.Questions) {
		return nil, malformed("%d questions, %d keys, %d ballot files", len(cfg.Questions), len(keys), len(ballots))
	}
	if err := checkParticipants(cfg, opt.Mixers, opt.BadMixers, "mixers"); err != nil {
		return nil, err
	}
	if err := checkParticipants(cfg, opt.Decryptors, opt.BadDecryptors, "decryptors"); err != nil {
		return nil, err
	}
	if opt.Sign == nil || opt.Verify == nil {
		return nil, malformed("missing signer or verifier")
	}
	rec := &ElectionRecord{Config: *cfg}
	switch {
	case len(cfg.Questions) == 1:
		rec.VotesHash = VotesHash(ballots[0])
	case opt.Votes != nil:
		rec.Votes, rec.VotesHash = opt.Votes, VotesHash(opt.Votes)
	}
	for q, qc := range cfg.Questions {
		qr, err := tallyQuestion(cfg, q, qc, keys[q], ballots[q], opt)
		if err != nil {
			return nil, fmt.Errorf("record: question %d: %w", q, err)
		}
		rec.Questions = append(rec.Questions, qr)
	}
	return rec, nil
}

func checkParticipants(cfg *ElectionConfig, who, bad []int, what string) error {
	seen := map[int]bool{}
	for _, i := range who {
		if i < 1 || i > cfg.N || seen[i] {
			return malformed("%s: authority %d is out of range or repeated", what, i)
		}
		seen[i] = true
	}
	for _, i := range bad {
		if !seen[i] {
			return malformed("bad %s: authority %d is not among the %s", what, i, what)
		}
		delete(seen, i)
	}
	if len(seen) < cfg.T {
		return malformed("%d honest %s, the threshold is %d", len(seen), what, cfg.T)
	}
	return nil
}

func tallyQuestion(cfg *ElectionConfig, q int, qc QuestionConfig, keys *QuestionKeys, data []byte, opt SimulateOptions) (*QuestionRecord, error) {
	pk := keys.Public.PublicKey
	bctx := ballot.Context{ElectionID: cfg.ElectionID, Question: q, PK: pk, Width: qc.Width}
	list, excluded := ballot.ValidateList(bctx, data)
	if list == nil {
		return nil, malformed("no valid ballot to tally")
	}
	qr := &QuestionRecord{Config: qc, Transcript: keys.Transcript, Ballots: data, Excluded: excluded, Input: list.Bytes()}
	c, err := chain.New(chain.Config{ElectionID: cfg.ElectionID, Question: q, SessionID: qc.SessionID, PublicKey: pk, Width: qc.Width,
		Authorities: cfg.N, Threshold: cfg.T, VerifySignature: opt.Verify}, list)
	if err != nil {
		return nil, err
	}
	// Each mixer mixes the chain's current list; every mix is judged by
	// the chain's rule before the next, as every authority does.
	for _, mixer := range opt.Mixers {
		p := c.Next()
		out, proof, err := shuffle.ShuffleAndProve(opt.Rand, c.Context(p), c.Generators(), c.Current())
		if err != nil {
			return nil, fmt.Errorf("mix %d: %w", p, err)
		}
		pb := proof.Bytes()
		bad := slices.Contains(opt.BadMixers, mixer)
		if bad {
			pb = bytes.Clone(pb)
			pb[len(pb)-32] ^= 1 // the last response of the proof: it no longer verifies
		}
		sig, err := opt.Sign(mixer, c.Digest(out.Bytes(), pb))
		if err != nil {
			return nil, fmt.Errorf("mix %d: signing: %w", p, err)
		}
		v, err := c.Offer(chain.Mix{Position: p, Mixer: mixer, Output: out.Bytes(), Proof: pb, Signature: sig})
		if err != nil {
			return nil, fmt.Errorf("mix %d by authority %d: %w", p, mixer, err)
		}
		if v.Accepted == bad {
			return nil, fmt.Errorf("mix %d by authority %d: internal error: accepted %v", p, mixer, v.Accepted)
		}
	}
	for _, r := range c.Rejected() {
		qr.RejectedMixes = append(qr.RejectedMixes, r.Mix)
	}
	qr.Mixes = c.Accepted()
	final, err := c.Final()
	if err != nil {
		return nil, err
	}
	fb := final.Bytes()
	var msgs []*threshold.DecryptionShareMessage
	for _, i := range opt.Decryptors {
		m, err := keys.Shares[i-1].DecryptionShare(keys.Public, final, opt.Rand)
		if err != nil {
			return nil, fmt.Errorf("decryption share of authority %d: %w", i, err)
		}
		b := m.Bytes()
		bad := slices.Contains(opt.BadDecryptors, i)
		if bad {
			b = bytes.Clone(b)
			b[len(b)-32] ^= 1 // the proof's response: it no longer verifies
		}
		sig, err := opt.Sign(i, ShareDigest(cfg.ElectionID, q, i, fb, b))
		if err != nil {
			return nil, fmt.Errorf("decryption share of authority %d: signing: %w", i, err)
		}
		sr := ShareRecord{Authority: i, Message: b, Signature: sig}
		if bad {
			qr.RejectedShares = append(qr.RejectedShares, sr)
			continue
		}
		msgs = append(msgs, m)
		qr.Shares = append(qr.Shares, sr)
	}
	dec, err := threshold.ThresholdDecrypt(keys.Public, final, msgs)
	if err != nil {
		return nil, err
	}
	qr.Plaintexts = PlaintextLines(dec.Plaintexts)
	qr.Counts = PlaintextCounts(qr.Plaintexts)
	return qr, nil
}
