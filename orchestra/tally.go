package orchestra

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/chain"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/eolog"
	"github.com/eo-mixnet/eo/internal/atomicfile"
	"github.com/eo-mixnet/eo/internal/drill"
	"github.com/eo-mixnet/eo/peers"
	"github.com/eo-mixnet/eo/record"
	"github.com/eo-mixnet/eo/shuffle"
	"github.com/eo-mixnet/eo/threshold"
)

// startTally handles msgTally. Only the setup's director relays a tally
// request (its owner asked it), and the ballots must be on the owner's
// host; anything else is refused with its reason.
func (e *election) startTally(host string, env *envelope) {
	var tr tallyRequest
	if err := json.Unmarshal(env.Fields[0], &tr); err != nil || tr.Director != host {
		e.log.Warn("malformed tally request; dropped", eolog.Peer(host))
		return
	}
	st := e.status()
	if !strings.EqualFold(host, st.Setup.Director) {
		e.log.Error("tally request from an authority that does not direct this election; refused", eolog.Peer(host))
		go e.srv.sendAbort(host, e.id, fmt.Sprintf("%s: only the election's director %s relays its owner's tally request, not %s", e.srv.Hostname(), st.Setup.Director, host))
		return
	}
	if err := e.srv.checkVotesURL(&st.Setup, tr.VotesURL); err != nil {
		e.log.Error("tally request refused", eolog.Peer(host), eolog.Err(err))
		go e.srv.sendAbort(host, e.id, fmt.Sprintf("%s refused the tally: %v", e.srv.Hostname(), err))
		return
	}
	switch {
	case st.Status == statusTallying || st.Status == statusTallied:
		if st.Tally != nil && *st.Tally == tr {
			return // a duplicate
		}
		e.log.Warn("a second tally request for an election being tallied; refused", eolog.Peer(host))
		go e.srv.sendAbort(host, e.id, fmt.Sprintf("%s: the election is already %s", e.srv.Hostname(), st.Status))
		return
	case st.Status != statusCreated:
		go e.srv.sendAbort(host, e.id, fmt.Sprintf("%s: the election is %s, not created", e.srv.Hostname(), st.Status))
		return
	}
	if err := e.update(func(st *state) { st.Status, st.Tally = statusTallying, &tr }); err != nil {
		e.log.Error("state not written", eolog.Err(err))
		return
	}
	e.srv.metrics.sessionStarted("tally")
	e.start(e.runTally)
}

// question is one question's tally at this authority.
type question struct {
	q     int
	pub   *threshold.DKGPublic
	share *threshold.KeyShare
	rec   *record.QuestionRecord
	pk    *elgamal.PublicKey
	chain *chain.Chain     // the mix chain, from the accepted ballots
	pre   chan precomputed // this authority's offline shuffle phase, if it started
}

type precomputed struct {
	p   *shuffle.Precomputed
	err error
}

// runTally is the tally at every authority: download and check the votes,
// validate the ballots, mix in turn (verifying every other mix), decrypt,
// sign the parameters, build and check the record; the director then
// collects every authority's record hash and calls back.
func (e *election) runTally(ctx context.Context) error {
	st := e.status()
	su, tr := st.Setup, *st.Tally
	e.sum = newSummary()
	start := time.Now()
	phase := func(name string, t0 time.Time) {
		e.sum.phase(name, time.Since(t0))
		e.srv.metrics.phase(name, time.Since(t0))
	}

	if st.Status == statusTallying && tr.Director == e.srv.Hostname() {
		body := (&envelope{Election: e.id, Fields: [][]byte{mustJSON(tr)}}).bytes()
		if err := e.broadcast(ctx, msgTally, body); err != nil {
			return err
		}
	}

	e.garbage(ctx)
	t0 := time.Now()
	votes, err := e.votes(ctx, tr)
	if err != nil {
		return err
	}
	phase("download", t0)
	files, err := ballot.SplitFile(votes, su.widths())
	if err != nil {
		return err
	}

	t0 = time.Now()
	qs := make([]*question, su.Questions)
	rec := &record.ElectionRecord{Config: record.ElectionConfig{ElectionID: e.id, N: len(su.Authorities), T: su.Threshold}}
	for k := range qs {
		qc := record.QuestionConfig{SessionID: sessionID(k), Width: su.width(k)}
		rec.Config.Questions = append(rec.Config.Questions, qc)
		qu, err := e.validate(k, qc, files[k])
		if err != nil {
			return fmt.Errorf("question %d: %w", k, err)
		}
		qs[k] = qu
		rec.Questions = append(rec.Questions, qu.rec)
		e.srv.reportProgress(e.id, "validate", k+1, su.Questions)
		e.log.Info("ballots validated", eolog.Phase("validate"), eolog.Session(qc.SessionID), "accepted", qu.chain.Current().Len(), "excluded", len(qu.rec.Excluded))
	}
	phase("validate", t0)
	if err := e.approve(ctx, TaskTally, votes, qs); err != nil {
		return err
	}

	// A mixer's offline phase (permutation commitment, re-encryption
	// factors) depends only on the number of ballots: a later mixer does
	// it while the earlier ones mix, unless its mix is already published.
	// It is made for position e.self, the one this authority takes when no
	// earlier mix is rejected; mix drops it if the position differs.
	if e.self > 1 {
		for _, qu := range qs {
			if _, err := os.Stat(filepath.Join(e.dir, fileMix(qu.q, e.self))); err == nil {
				continue
			}
			qu.pre = make(chan precomputed, 1)
			// What the offline phase needs is read here: the chain moves on
			// while it runs.
			sctx, gens, n := qu.chain.Context(e.self), qu.chain.Generators(), qu.chain.Current().Len()
			go func(pre chan<- precomputed) {
				p, err := shuffle.Precompute(nil, sctx, gens, n)
				pre <- precomputed{p, err}
			}(qu.pre)
		}
	}

	// The mixes: authority j takes the j-th turn, every other authority
	// verifies; at least t mixes must stand.
	t0 = time.Now()
	mixes := 0
	for _, qu := range qs {
		for j := 1; j <= len(su.Authorities); j++ {
			if err := e.mix(ctx, qu, j); err != nil {
				return err
			}
			mixes++
			e.srv.reportProgress(e.id, "mix", mixes, su.Questions*len(su.Authorities))
		}
		qu.rec.Mixes = qu.chain.Accepted()
		for _, r := range qu.chain.Rejected() {
			qu.rec.RejectedMixes = append(qu.rec.RejectedMixes, r.Mix)
		}
		if _, err := qu.chain.Final(); err != nil {
			var blamed []string
			for _, r := range qu.chain.Rejected() {
				blamed = append(blamed, e.name(r.Mixer))
			}
			return fmt.Errorf("question %d: only %d mixes verified, fewer than the threshold %d (rejected: %v)", qu.q, len(qu.rec.Mixes), su.Threshold, blamed)
		}
	}
	phase("mix", t0)

	// Decryption by every qualified authority; every share is verified.
	t0 = time.Now()
	for k, qu := range qs {
		if err := e.decrypt(ctx, qu); err != nil {
			return err
		}
		e.srv.reportProgress(e.id, "decrypt", k+1, su.Questions)
	}
	phase("decrypt", t0)

	// Parameters: every authority signs the same parameters.json, which
	// lists the outcome — the accepted and rejected mixes and shares, the
	// absent authorities — so that nobody can drop or forge a blame.
	rec.VotesHash = tr.VotesHash
	if su.Questions > 1 {
		rec.Votes = votes
	}
	rec.Absent = []int{}
	auths := make([]record.Authority, len(su.Authorities))
	for i, a := range su.Authorities {
		auths[i] = record.Authority{Index: i + 1, Name: a.Name, Certificate: a.Certificate}
	}
	params, err := record.ParametersOf(rec, auths)
	if err != nil {
		return err
	}
	digest := record.ParametersDigest(params)
	sigBody, err := e.publishOnce(ctx, fileParamSig(e.self), msgParamSig, func() (*envelope, error) {
		key := record.Key{Authority: auths[e.self-1], Signer: e.srv.signer()}
		sig, err := key.Sign(digest)
		return &envelope{Election: e.id, J: uint32(e.self), Fields: [][]byte{sig}}, err
	})
	if err != nil {
		return err
	}
	sigs := make([][]byte, len(auths))
	own, _ := decodeEnvelope(msgParamSig, sigBody)
	sigs[e.self-1] = own.Fields[0]

	for _, i := range e.others() {
		in, err := e.await(ctx, "the parameters' signature", i,
			&envelope{Election: e.id, Fields: [][]byte{[]byte(fileParamSig(i))}},
			func(in *inbound) bool { return in.typ == msgParamSig && in.from == i })
		if err != nil {
			return err
		}
		if int(in.env.J) != i {
			return fmt.Errorf("%s sent a parameters signature for authority %d", in.host, in.env.J)
		}
		if err := auths[i-1].VerifySignature(digest, in.env.Fields[0]); err != nil {
			return fmt.Errorf("%s's signature of the parameters does not verify: %w", e.name(i), err)
		}
		sigs[i-1] = in.env.Fields[0]
	}

	t0 = time.Now()
	files2, err := record.Assemble(rec, params, sigs)
	if err != nil {
		return err
	}
	tgz, _, err := record.TarGz(files2)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(e.dir, fileTallyGz), tgz, 0o644); err != nil {
		return err
	}
	hash := record.VotesHash(tgz)
	phase("record", t0)
	e.srv.crashPoint("record")
	e.log.Info("record written", eolog.Phase("record"), "tally_hash", hash, "bytes", len(tgz))

	if tr.Director != e.srv.Hostname() {
		if err := e.update(func(st *state) { st.Status, st.TallyHash = statusTallied, hash }); err != nil {
			return err
		}
		body := (&envelope{Election: e.id, J: uint32(e.self), Fields: [][]byte{[]byte(hash)}}).bytes()
		if err := e.sendTo(ctx, e.st.Setup.index(tr.Director), msgDone, body); err != nil {
			return err
		}
		e.srv.metrics.sessionEnded(statusTallied)
		e.sum.phase("total", time.Since(start))
		e.sum.log(e.log, "tally")
		return nil
	}
	// The director: every authority must have written the same record.
	for _, i := range e.others() {
		in, err := e.await(ctx, "the record's hash", i, &envelope{Election: e.id, Fields: [][]byte{[]byte(resendDone)}},
			func(in *inbound) bool { return in.typ == msgDone && in.from == i })
		if err != nil {
			return err
		}
		if got := string(in.env.Fields[0]); got != hash {
			return fmt.Errorf("%s wrote another record (%s, here %s)", e.name(i), got, hash)
		}
	}
	if err := e.update(func(st *state) { st.Status, st.TallyHash = statusTallied, hash }); err != nil {
		return err
	}
	e.srv.metrics.sessionEnded(statusTallied)
	e.sum.phase("total", time.Since(start))
	e.sum.log(e.log, "tally")
	e.callbackTallied(hash)
	return nil
}

// votes returns the vote file: kept from an earlier run, or downloaded
// from votes_url over mutual TLS; either way its hash is checked.
func (e *election) votes(ctx context.Context, tr tallyRequest) ([]byte, error) {
	path := filepath.Join(e.dir, fileVotes)
	if b, err := os.ReadFile(path); err == nil && record.VotesHash(b) == tr.VotesHash {
		return b, nil
	}
	dctx, cancel := context.WithTimeout(ctx, time.Duration(e.srv.cfg.StepTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(dctx, http.MethodGet, tr.VotesURL, nil)
	if err != nil {
		return nil, fmt.Errorf("votes_url: %w", err)
	}
	// Only the owner's host, pinned to the owner's certificate, serves
	// the ballots: nobody else can substitute a vote file.
	su := e.status().Setup
	fp, err := peers.ParseFingerprint(su.OwnerFingerprint)
	if err != nil {
		return nil, fmt.Errorf("the owner's fingerprint: %w", err)
	}
	resp, err := peers.NewPinnedHTTPClient(e.srv.id, fp, su.Owner).Do(req)
	if err != nil {
		return nil, fmt.Errorf("downloading the votes from the owner %s: %w", su.Owner, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("downloading the votes: %s answered %s", tr.VotesURL, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, e.srv.cfg.MaxVotesBytes+1))
	if err != nil {
		return nil, fmt.Errorf("downloading the votes: %w", err)
	}
	if int64(len(b)) > e.srv.cfg.MaxVotesBytes {
		return nil, fmt.Errorf("the vote file is larger than max_votes_bytes (%d)", e.srv.cfg.MaxVotesBytes)
	}
	if got := record.VotesHash(b); got != tr.VotesHash {
		return nil, fmt.Errorf("the votes downloaded from %s do not match votes_hash: got %s, want %s", tr.VotesURL, got, tr.VotesHash)
	}
	if err := atomicfile.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	e.srv.crashPoint("votes")
	e.log.Info("votes downloaded", eolog.Phase("download"), "bytes", len(b))
	return b, nil
}

func (e *election) validate(k int, qc record.QuestionConfig, data []byte) (*question, error) {
	pub, share, err := e.loadKeys(k)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	tb, _ := os.ReadFile(filepath.Join(e.dir, fileDKG(k)))
	tr, err := threshold.DecodeDKGTranscript(tb)
	if err != nil {
		return nil, err
	}
	pk := pub.PublicKey
	pk.Precompute()
	bctx := ballot.Context{ElectionID: e.id, Question: k, PK: pk, Width: qc.Width}
	accepted, excluded := ballot.Validate(bctx, data)
	if len(accepted) == 0 {
		return nil, errors.New("no valid ballot to tally")
	}
	if min := e.srv.cfg.Policy.MinBallots; len(accepted) < min {
		return nil, fmt.Errorf("%s refuses to decrypt %d accepted ballots: its policy's min_ballots is %d", e.srv.Hostname(), len(accepted), min)
	}
	input, err := ballot.Ciphertexts(accepted)
	if err != nil {
		return nil, err
	}
	su := e.st.Setup
	c, err := chain.New(chain.Config{ElectionID: e.id, Question: k, SessionID: qc.SessionID, PublicKey: pk, Width: qc.Width,
		Authorities: len(su.Authorities), Threshold: su.Threshold, VerifySignature: e.verifySignature}, input)
	if err != nil {
		return nil, err
	}
	qu := &question{q: k, pub: pub, share: share, pk: pk, chain: c}
	qu.rec = &record.QuestionRecord{Config: qc, Transcript: tr, Ballots: data, Excluded: excluded, Input: input.Bytes()}
	return qu, nil
}

// publishOnce returns the message stored under name, or builds, stores and
// then broadcasts it: a message is written to disk before it is sent, and
// never built twice (a restarted mixer sends its stored mix again instead
// of shuffling with fresh randomness).
func (e *election) publishOnce(ctx context.Context, name string, t peers.MessageType, build func() (*envelope, error)) ([]byte, error) {
	path := filepath.Join(e.dir, name)
	body, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		env, err := build()
		if err != nil {
			return nil, err
		}
		body = env.bytes()
		if err := atomicfile.WriteFile(path, body, 0o600); err != nil {
			return nil, err
		}
		e.srv.crashPoint(msgName(t) + "-stored")
	}
	if err := e.broadcast(ctx, t, body); err != nil {
		return nil, err
	}
	e.srv.crashPoint(msgName(t) + "-published")
	return body, nil
}

// mix takes authority j's turn in a question's mix chain (package chain
// holds the rule): this authority's own mix, or another's, offered for
// the chain's next position and judged — signature, then proof — before
// the chain goes on. A rejected mix (signed, its proof false) blames its
// mixer, is stored with a mark and kept for the record, and the chain
// goes on from the same list. A mix its mixer did not sign ends the tally:
// nothing would prove the blame. A verdict is stored before anything
// depends on it, so a restarted authority adopts it without judging again.
func (e *election) mix(ctx context.Context, qu *question, j int) error {
	c := qu.chain
	p := c.Next()
	log := e.log.With(eolog.Phase("mix"), eolog.Session(sessionID(qu.q)))
	path := filepath.Join(e.dir, fileMix(qu.q, j))
	rejectedMark := path + ".rejected"
	var body []byte
	var out *elgamal.List // the output list, if made here
	stored := false       // another's mix read back from disk
	if j == e.self {
		t0 := time.Now()
		var err error
		body, err = e.publishOnce(ctx, fileMix(qu.q, j), msgMix, func() (*envelope, error) {
			e.srv.crashPoint("mix-start")
			var list *elgamal.List
			var proof *shuffle.Proof
			var err error
			if pre := qu.takePrecomputed(p == e.self); pre != nil {
				list, proof, err = shuffle.Shuffle(pre, c.Current())
			} else {
				list, proof, err = shuffle.ShuffleAndProve(nil, c.Context(p), c.Generators(), c.Current())
			}
			if err != nil {
				return nil, err
			}
			out = list
			pb := proof.Bytes()
			if e.adversary() == drill.BadShuffle {
				// Drill: a proof that does not verify, signed all the same.
				pb[len(pb)/2] ^= 1
				out = nil
			}
			key := record.Key{Signer: e.srv.signer()}
			sig, err := key.Sign(c.Digest(list.Bytes(), pb))
			if err != nil {
				return nil, err
			}
			return &envelope{Election: e.id, Q: uint32(qu.q), J: uint32(j), Fields: [][]byte{list.Bytes(), pb, sig}}, nil
		})
		if err != nil {
			return fmt.Errorf("mix %d of question %d: %w", p, qu.q, err)
		}
		log.Info("mixed and published", "mix", p, "ciphertexts", c.Current().Len(), "seconds", time.Since(t0).Seconds())
	} else if b, err := os.ReadFile(path); err == nil {
		body, stored = b, true // judged before it was stored
	} else {
		in, err := e.await(ctx, fmt.Sprintf("mix %d of question %d", p, qu.q), j,
			&envelope{Election: e.id, Fields: [][]byte{[]byte(fileMix(qu.q, j))}},
			func(in *inbound) bool {
				return in.typ == msgMix && in.from == j && int(in.env.Q) == qu.q && int(in.env.J) == j
			})
		if err != nil {
			return err
		}
		body = in.env.bytes()
	}
	env, err := decodeEnvelope(msgMix, body)
	if err != nil {
		return err
	}
	m := chain.Mix{Position: p, Mixer: j, Output: env.Fields[0], Proof: env.Fields[1], Signature: env.Fields[2]}
	e.sum.proof(len(m.Proof))
	switch {
	case fileExists(rejectedMark): // judged and rejected before a restart
		err = c.Adopt(m, nil, errors.New("rejected before a restart"))
	case j == e.self && e.adversary() != drill.BadShuffle:
		// An honest mixer's own mix is right by construction (its output
		// is decoded here if it was read back after a restart).
		err = c.Adopt(m, out, nil)
	case stored:
		// Another's mix is stored without a mark only once accepted.
		err = c.Adopt(m, nil, nil)
	default:
		// Another's mix, or a drill adversary's own, which it judges like
		// the others do, so that its record is theirs.
		return e.judgeMix(qu, m, body, path, rejectedMark)
	}
	if err != nil {
		return fmt.Errorf("mix %d of question %d from %s: %w", p, qu.q, e.name(j), err)
	}
	return nil
}

// judgeMix offers m to the chain and stores the verdict before anything
// depends on it: an accepted mix of another authority is stored; a
// rejected one gets its mark first, then is stored, so that a restart
// never mistakes it for an accepted one.
func (e *election) judgeMix(qu *question, m chain.Mix, body []byte, path, rejectedMark string) error {
	t0 := time.Now()
	log := e.log.With(eolog.Phase("mix"), eolog.Session(sessionID(qu.q)), eolog.Peer(e.name(m.Mixer)), "mix", m.Position)
	v, err := qu.chain.Offer(m)
	if errors.Is(err, chain.ErrUnsigned) {
		return fmt.Errorf("mix %d of question %d from %s is not signed by it: %w", m.Position, qu.q, e.name(m.Mixer), err)
	}
	if err != nil {
		return fmt.Errorf("mix %d of question %d from %s: %w", m.Position, qu.q, e.name(m.Mixer), err)
	}
	if !v.Accepted {
		if err := atomicfile.WriteFile(rejectedMark, nil, 0o600); err != nil {
			return err
		}
	}
	if m.Mixer != e.self {
		if err := atomicfile.WriteFile(path, body, 0o600); err != nil {
			return err
		}
	}
	if !v.Accepted {
		log.Error("mix rejected: its proof does not verify; its mixer is blamed and the chain goes on without it", eolog.Err(v.Fault))
		return nil
	}
	if m.Mixer != e.self {
		e.srv.crashPoint("mix-verified")
	}
	log.Info("mix verified", "seconds", time.Since(t0).Seconds())
	return nil
}

// verifySignature checks authority j's signature over a digest (a mix's,
// a decryption share's) with the certificate of the election's setup.
func (e *election) verifySignature(j int, digest [32]byte, sig []byte) error {
	a := record.Authority{Index: j, Name: e.name(j), Certificate: e.st.Setup.Authorities[j-1].Certificate}
	return a.VerifySignature(digest, sig)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// takePrecomputed returns the offline phase made for this mixer, if it
// was made for the position it now takes (use), and drops it otherwise.
func (qu *question) takePrecomputed(use bool) *shuffle.Precomputed {
	if qu.pre == nil {
		return nil
	}
	pre := <-qu.pre
	qu.pre = nil
	if pre.err != nil || !use {
		return nil
	}
	return pre.p
}

// decrypt publishes this authority's decryption share of a question's
// last list (if it holds a share), collects and verifies every other
// qualified authority's, and combines them.
func (e *election) decrypt(ctx context.Context, qu *question) error {
	final, _ := qu.chain.Final() // at least t mixes stand: checked after the mixes
	ds, err := threshold.NewDecryptionSession(qu.pub, final)
	if err != nil {
		return err
	}
	shares, sigs := map[int][]byte{}, map[int][]byte{}
	rejected := map[int]bool{}
	if qu.share != nil && slices.Contains(qu.pub.Qualified, e.self) {
		body, err := e.publishOnce(ctx, fileDec(qu.q, e.self), msgShare, func() (*envelope, error) {
			e.srv.crashPoint("share-start")
			m, err := qu.share.DecryptionShare(qu.pub, final, nil)
			if err != nil {
				return nil, err
			}
			b := m.Bytes()
			if e.adversary() == drill.BadDecryption {
				// Drill: swap the first two factors; the proof fails.
				fb := m.FactorBytes()
				if k := bytes.Index(b, fb); k >= 0 && len(fb) >= 64 {
					copy(b[k:k+32], fb[32:64])
					copy(b[k+32:k+64], fb[:32])
				}
			}
			key := record.Key{Signer: e.srv.signer()}
			sig, err := key.Sign(record.ShareDigest(e.id, qu.q, e.self, final.Bytes(), b))
			if err != nil {
				return nil, err
			}
			return &envelope{Election: e.id, Q: uint32(qu.q), J: uint32(e.self), Fields: [][]byte{b, sig}}, nil
		})
		if err != nil {
			return fmt.Errorf("decryption share of question %d: %w", qu.q, err)
		}
		env, err := decodeEnvelope(msgShare, body)
		if err != nil {
			return err
		}
		shares[e.self], sigs[e.self] = env.Fields[0], env.Fields[1]
		if err := ds.Handle(e.self, env.Fields[0]); err != nil {
			if e.adversary() != drill.BadDecryption {
				return fmt.Errorf("own decryption share: %w", err)
			}
			rejected[e.self] = true // the drill's adversary judges its own like the others
		}
		qu.share.Wipe()
	}
	for _, i := range qu.pub.Qualified {
		if i == e.self {
			continue
		}
		in, err := e.await(ctx, fmt.Sprintf("the decryption share of question %d", qu.q), i,
			&envelope{Election: e.id, Fields: [][]byte{[]byte(fileDec(qu.q, i))}},
			func(in *inbound) bool { return in.typ == msgShare && int(in.env.Q) == qu.q && in.from == i })
		if err != nil {
			return err
		}
		// A share its authority did not sign proves nothing against it:
		// the tally ends, naming it, as for an unsigned mix.
		if err := e.verifySignature(i, record.ShareDigest(e.id, qu.q, i, final.Bytes(), in.env.Fields[0]), in.env.Fields[1]); err != nil {
			return fmt.Errorf("the decryption share of question %d from %s is not signed by it: %w", qu.q, e.name(i), err)
		}
		shares[i], sigs[i] = in.env.Fields[0], in.env.Fields[1]
		if err := ds.Handle(i, in.env.Fields[0]); err != nil {
			e.log.Error("decryption share rejected: it does not verify; its authority is blamed", eolog.Phase("decrypt"),
				eolog.Session(sessionID(qu.q)), eolog.Peer(in.host), eolog.Err(err))
			rejected[i] = true
		}
	}
	for _, i := range qu.pub.Qualified {
		sr := record.ShareRecord{Authority: i, Message: shares[i], Signature: sigs[i]}
		if rejected[i] {
			qu.rec.RejectedShares = append(qu.rec.RejectedShares, sr)
		} else if shares[i] != nil {
			qu.rec.Shares = append(qu.rec.Shares, sr)
		}
	}
	res, err := ds.Result()
	if err != nil {
		return fmt.Errorf("question %d: %w", qu.q, err)
	}
	qu.rec.Plaintexts = record.PlaintextLines(res.Plaintexts)
	qu.rec.Counts = record.PlaintextCounts(qu.rec.Plaintexts)
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("orchestra: internal error: " + err.Error())
	}
	return b
}
