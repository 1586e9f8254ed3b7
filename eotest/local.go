// Package eotest is the test harness of eo: it runs whole elections and
// checks their outcome end to end. This first version runs the authorities
// inside one process, without the network (issue #7 puts each behind its
// own daemon, with real peer packages, QUIC and HTTPS).
package eotest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/par"
	"github.com/eo-mixnet/eo/mixnet"
	"github.com/eo-mixnet/eo/record"
)

// Options of a local election.
type Options struct {
	Authorities int    // n
	Threshold   int    // t (0: n)
	Questions   int    // questions, each of width 1 (0: 1)
	Votes       int    // ballots per question
	Answers     int    // answers per question, voted uniformly at random (0: 4)
	Out         string // directory for the record and tally.tar.gz ("" : none written)
	Progress    io.Writer
}

// PhaseTimes are the seconds each phase took.
type PhaseTimes struct {
	KeyGeneration float64 `json:"keygen_s"`
	Encryption    float64 `json:"encrypt_s"`
	Tally         float64 `json:"tally_s"` // validation, mixes with cross-verification, decryption
	Record        float64 `json:"record_s"`
	Verification  float64 `json:"verify_s"`
	Total         float64 `json:"total_s"`
}

// Result is the outcome of a local election.
type Result struct {
	ElectionID string           `json:"election_id"`
	Votes      int              `json:"votes"`
	Times      PhaseTimes       `json:"times"`
	Counts     [][]mixnet.Count `json:"counts"`
	TallyHash  string           `json:"tally_hash,omitempty"` // ni:///sha-256 of tally.tar.gz
	Checks     int              `json:"checks"`
}

func (o *Options) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// RunLocal runs a whole election with n authorities in this process: key
// generation, encryption of random ballots with proofs, validation, a mix
// by t authorities with cross-verification, threshold decryption by all,
// and the full verification of the record. It fails unless the record
// verifies and the decrypted multiset equals the encrypted one.
func RunLocal(ctx context.Context, o Options) (*Result, error) {
	if o.Threshold == 0 {
		o.Threshold = o.Authorities
	}
	if o.Questions == 0 {
		o.Questions = 1
	}
	if o.Answers == 0 {
		o.Answers = 4
	}
	if o.Votes < 1 {
		return nil, fmt.Errorf("eotest: --vcount must be at least 1")
	}
	total := time.Now()
	res := &Result{ElectionID: fmt.Sprintf("local-%d", time.Now().UnixNano()), Votes: o.Votes}
	cfg := &mixnet.ElectionConfig{ElectionID: res.ElectionID, N: o.Authorities, T: o.Threshold}
	for q := 0; q < o.Questions; q++ {
		cfg.Questions = append(cfg.Questions, mixnet.QuestionConfig{SessionID: fmt.Sprintf("question-%d", q), Width: 1})
	}
	o.logf("create: %d authorities, threshold %d, %d question(s)", o.Authorities, o.Threshold, o.Questions)
	start := time.Now()
	keys, err := mixnet.GenerateElectionKeys(cfg, nil)
	if err != nil {
		return nil, err
	}
	akeys := make([]*record.Key, o.Authorities)
	for i := range akeys {
		if akeys[i], err = record.GenerateKey(i+1, fmt.Sprintf("local-a%d", i+1)); err != nil {
			return nil, err
		}
	}
	res.Times.KeyGeneration = time.Since(start).Seconds()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	o.logf("encrypt: %d ballots per question", o.Votes)
	start = time.Now()
	files := make([][]byte, o.Questions)
	want := make([][]string, o.Questions)
	for q := range cfg.Questions {
		pk := keys[q].Public.PublicKey
		pk.Precompute()
		bctx := elgamal.BallotContext{ElectionID: cfg.ElectionID, Question: q, PK: pk, Width: 1}
		answers := make([]*group.Element, o.Answers)
		for a := range answers {
			if answers[a], err = elgamal.EncodeUint64(uint64(a)); err != nil {
				return nil, err
			}
		}
		votes := make([]int, o.Votes)
		for i := range votes {
			votes[i] = mrand.IntN(o.Answers)
			want[q] = append(want[q], fmt.Sprint(votes[i]))
		}
		lines := make([][]byte, o.Votes)
		err := par.ForErr(o.Votes, 64, func(lo, hi int) error {
			for i := lo; i < hi; i++ {
				b, err := elgamal.EncryptBallot(nil, bctx, []*group.Element{answers[votes[i]]}, fmt.Sprintf("voter-%d", i))
				if err != nil {
					return err
				}
				lines[i] = append(b.MarshalLine(), '\n')
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		files[q] = bytes.Join(lines, nil)
	}
	res.Times.Encryption = time.Since(start).Seconds()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	mixers := make([]int, o.Threshold)
	for i := range mixers {
		mixers[i] = i + 1
	}
	decryptors := make([]int, o.Authorities)
	for i := range decryptors {
		decryptors[i] = i + 1
	}
	o.logf("tally: validation, %d mixes with cross-verification, decryption", len(mixers))
	start = time.Now()
	rec, err := mixnet.Tally(cfg, keys, files, mixnet.TallyOptions{Mixers: mixers, Decryptors: decryptors, Sign: record.MixSigner(akeys)})
	if err != nil {
		return nil, err
	}
	res.Times.Tally = time.Since(start).Seconds()

	start = time.Now()
	rf, err := record.Build(rec, akeys)
	if err != nil {
		return nil, err
	}
	tgz, _, err := record.TarGz(rf)
	if err != nil {
		return nil, err
	}
	res.TallyHash = record.VotesHash(tgz)
	if o.Out != "" {
		if err := record.WriteDir(filepath.Join(o.Out, "record"), rf); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(o.Out, "tally.tar.gz"), tgz, 0o644); err != nil {
			return nil, err
		}
	}
	res.Times.Record = time.Since(start).Seconds()

	o.logf("verify: the whole record, as eoverify does")
	start = time.Now()
	rep := record.Verify(rf, record.Options{})
	res.Times.Verification = time.Since(start).Seconds()
	res.Checks = rep.Checks
	if !rep.Valid() {
		return res, fmt.Errorf("eotest: the record does not verify: %v", rep.Failures)
	}
	for q, qr := range rep.Questions {
		got := slices.Clone(qr.Plaintexts)
		slices.Sort(got)
		exp := slices.Clone(want[q])
		slices.Sort(exp)
		if !slices.Equal(got, exp) {
			return res, fmt.Errorf("eotest: question %d: the decrypted votes are not the votes cast", q)
		}
		res.Counts = append(res.Counts, qr.Counts)
	}
	res.Times.Total = time.Since(total).Seconds()
	return res, nil
}
