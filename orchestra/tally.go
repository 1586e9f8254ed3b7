package orchestra

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/chain"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/eolog"
	"github.com/eo-mixnet/eo/internal/atomicfile"
	"github.com/eo-mixnet/eo/peers"
	"github.com/eo-mixnet/eo/record"
	"github.com/eo-mixnet/eo/shuffle"
	"github.com/eo-mixnet/eo/tally"
	"github.com/eo-mixnet/eo/threshold"
)

// startTally handles msgTally: an authority of the election relays the
// tally request its owner made to it (any authority may be asked: the
// owner fails over from one that is down). Whoever relays it, the ballots
// must be on the owner's host, served under the owner's certificate, and
// match votes_hash (votes): no authority can substitute a vote file.
// Anything else is refused with its reason.
func (e *election) startTally(host string, env *envelope) {
	var tr tallyRequest
	if err := json.Unmarshal(env.Fields[0], &tr); err != nil || !strings.EqualFold(tr.Director, host) {
		e.log.Warn("malformed tally request; dropped", eolog.Peer(host))
		return
	}
	st := e.status()
	if err := e.srv.checkVotesURL(&st.Setup, tr.VotesURL); err != nil {
		e.log.Error("tally request refused", eolog.Peer(host), eolog.Err(err))
		go e.srv.sendAbort(host, e.id, fmt.Sprintf("%s refused the tally: %v", e.srv.Hostname(), err))
		return
	}
	switch {
	case st.Status == statusTallying || st.Status == statusTallied:
		if st.Tally != nil && st.Tally.VotesURL == tr.VotesURL && st.Tally.VotesHash == tr.VotesHash {
			return // a duplicate, or the same request relayed by another authority
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
		// The owner asked this authority: it tells the others, and goes
		// on with those it reaches (any t finish the tally).
		rctx, stop := context.WithCancel(ctx)
		defer stop()
		e.relayTally(rctx, (&envelope{Election: e.id, Fields: [][]byte{mustJSON(tr)}}).bytes())
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
	// earlier mixer is skipped or rejected; tallyMix drops it if the
	// position differs.
	if e.self > 1 {
		for _, qu := range qs {
			if done, _ := filepath.Glob(filepath.Join(e.dir, dirTally, fmt.Sprintf("q%d.mix-%d-at-*", qu.q, e.self))); len(done) > 0 {
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

	// The mixes, the decryption and the signed parameters: package
	// tally's machine (the any-t rule), driven here.
	rec.VotesHash = tr.VotesHash
	cfg := tally.Config{
		Election:    rec.Config,
		VotesHash:   tr.VotesHash,
		Authorities: e.authorities(),
		Self:        e.self,
		Step:        time.Duration(e.srv.cfg.StepTimeout),
		Grace:       e.srv.cfg.grace(),
		Resend:      time.Duration(e.srv.cfg.ResendAfter),
		Sign: func(d [32]byte) ([]byte, error) {
			key := record.Key{Authority: e.authorities()[e.self-1], Signer: e.srv.signer()}
			return key.Sign(d)
		},
		Mix:   e.tallyMix(qs),
		Crash: e.srv.crashPoint,
		Drill: e.tallyDrill(),
	}
	// The vote file is read again, from this authority's copy checked
	// against votes_hash, when the record is built: the mixing, which
	// holds the most, holds no vote file (#18).
	votesPath := filepath.Join(e.dir, fileVotes)
	cfg.LoadVotes = func() ([]byte, error) {
		b, err := os.ReadFile(votesPath)
		if err != nil {
			return nil, err
		}
		if got := record.VotesHash(b); got != tr.VotesHash {
			return nil, fmt.Errorf("%s changed since it was checked: its hash is %s, votes_hash %s", votesPath, got, tr.VotesHash)
		}
		return b, nil
	}
	for _, qu := range qs {
		qu.rec.Ballots = nil
		cfg.Questions = append(cfg.Questions, tally.Question{Record: qu.rec, Chain: qu.chain, Public: qu.pub, Share: qu.share})
	}
	m, err := tally.New(cfg, fileStore{dir: filepath.Join(e.dir, dirTally)}, time.Now())
	if err != nil {
		return err
	}
	// The machine outlives this phase a while: it answers authorities
	// that catch up (keepEnded).
	sctx, cancel := context.WithCancel(e.srv.ctx)
	ts := newTallySender(sctx, e)
	res, err := e.driveTally(ctx, m, ts)
	for _, qu := range qs {
		qu.takePrecomputed(false) // an offline phase not used: let it go
		if qu.share != nil {
			qu.share.Wipe()
		}
	}
	if err != nil {
		var stop *tally.Stopped
		if errors.As(err, &stop) {
			e.update(func(st *state) { st.Absent = e.names(stop.Missing) })
		}
		e.keepEnded(m, ts, cancel)
		return err
	}
	e.keepEnded(m, ts, cancel)

	t0 = time.Now()
	// Straight to the file, hashed on the way: the archive is about the
	// size of every list of the election, not worth a copy in memory (#18).
	hw := &hashWriter{h: sha256.New()}
	if err := atomicfile.Write(filepath.Join(e.dir, fileTallyGz), 0o644, func(w io.Writer) error {
		bw := bufio.NewWriterSize(io.MultiWriter(w, hw), 1<<20)
		if err := record.WriteTarGz(bw, res.Files); err != nil {
			return err
		}
		return bw.Flush()
	}); err != nil {
		return err
	}
	hash := record.HashName([32]byte(hw.h.Sum(nil)))
	phase("record", t0)
	e.srv.crashPoint("record")
	e.log.Info("record written", eolog.Phase("record"), "tally_hash", hash, "bytes", hw.n,
		"signers", strings.Join(e.names(res.Signers), ","), "absent", strings.Join(e.names(res.Absent), ","),
		"blamed", strings.Join(e.names(res.Blamed), ","), "skipped", strings.Join(e.names(res.Skipped), ","))
	if err := e.update(func(st *state) {
		st.Status, st.TallyHash = statusTallied, hash
		st.Absent, st.Blamed = e.names(res.Absent), e.names(res.Blamed)
	}); err != nil {
		return err
	}
	e.srv.metrics.sessionEnded(statusTallied)
	e.sum.phase("total", time.Since(start))
	e.sum.log(e.log, "tally")
	e.callbackTallied(hash)
	return nil
}

// authorities are the election's authorities as the record names them.
func (e *election) authorities() []record.Authority {
	su := e.status().Setup
	auths := make([]record.Authority, len(su.Authorities))
	for i, a := range su.Authorities {
		auths[i] = record.Authority{Index: i + 1, Name: a.Name, Certificate: a.Certificate}
	}
	return auths
}

// names returns the names of authorities by index.
func (e *election) names(idx []int) []string {
	out := []string{}
	for _, i := range idx {
		if i >= 1 && i <= e.n() {
			out = append(out, e.name(i))
		}
	}
	return out
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
	b, err := readAllSized(resp.Body, resp.ContentLength, e.srv.cfg.MaxVotesBytes)
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
	input, excluded := ballot.ValidateList(bctx, data)
	if input == nil {
		return nil, errors.New("no valid ballot to tally")
	}
	if min := e.srv.cfg.Policy.MinBallots; input.Len() < min {
		return nil, fmt.Errorf("%s refuses to decrypt %d accepted ballots: its policy's min_ballots is %d", e.srv.Hostname(), input.Len(), min)
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

// verifySignature checks authority j's signature over a digest (a mix's,
// a decryption share's) with the certificate of the election's setup.
func (e *election) verifySignature(j int, digest [32]byte, sig []byte) error {
	a := record.Authority{Index: j, Name: e.name(j), Certificate: e.st.Setup.Authorities[j-1].Certificate}
	return a.VerifySignature(digest, sig)
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

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("orchestra: internal error: " + err.Error())
	}
	return b
}

// hashWriter hashes and counts what is written through it.
type hashWriter struct {
	h hash.Hash
	n int64
}

func (w *hashWriter) Write(p []byte) (int, error) {
	w.h.Write(p)
	w.n += int64(len(p))
	return len(p), nil
}

// readAllSized reads r whole, up to max+1 bytes, in one allocation when
// the length is announced: the tally keeps the vote file in memory, and
// io.ReadAll's doublings would leave garbage as large (#18).
func readAllSized(r io.Reader, announced, max int64) ([]byte, error) {
	if announced < 0 || announced > max {
		return io.ReadAll(io.LimitReader(r, max+1))
	}
	b := make([]byte, announced)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	rest, err := io.ReadAll(io.LimitReader(r, max+1-announced)) // more than announced: the size and hash checks judge
	if err != nil {
		return nil, err
	}
	return append(b, rest...), nil
}
