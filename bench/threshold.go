package bench

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"runtime"
	"time"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/record"
	"github.com/eo-mixnet/eo/threshold"
)

// ThresholdReport holds the key-generation and threshold-decryption
// figures of `eotest bench`, as SM ratios.
type ThresholdReport struct {
	KeygenN3SM       float64 `json:"keygen_n3_t2_sm"`  // whole DKG, all parties, in memory
	KeygenN5SM       float64 `json:"keygen_n5_t3_sm"`  // same
	KeygenN10SM      float64 `json:"keygen_n10_t6_sm"` // same
	DecryptShareSMCt float64 `json:"decrypt_share_sm_per_ct"`
	VerifyShareSMCt  float64 `json:"verify_share_sm_per_ct"`
	CombineT2SMCt    float64 `json:"combine_t2_sm_per_ct"`
	DecryptShareNsCt float64 `json:"decrypt_share_ns_per_ct"`
	VerifyShareNsCt  float64 `json:"verify_share_ns_per_ct"`
	CombineT2NsCt    float64 `json:"combine_t2_ns_per_ct"`
}

// ThresholdBench measures key generation for 3, 5 and 10 authorities and
// the decryption of n ciphertexts of width 1 (one authority's factors and
// proof, verifying them, combining two shares), with GOMAXPROCS = procs.
func ThresholdBench(n, procs int, sm float64) (*ThresholdReport, error) {
	old := runtime.GOMAXPROCS(procs)
	defer runtime.GOMAXPROCS(old)
	rep := &ThresholdReport{}
	for _, c := range []struct {
		n, t int
		dst  *float64
	}{{3, 2, &rep.KeygenN3SM}, {5, 3, &rep.KeygenN5SM}, {10, 6, &rep.KeygenN10SM}} {
		cfg := &record.ElectionConfig{ElectionID: "bench", N: c.n, T: c.t, Questions: []record.QuestionConfig{{SessionID: "q0", Width: 1}}}
		start := time.Now()
		if _, err := record.SimulateKeys(cfg, nil); err != nil {
			return nil, err
		}
		*c.dst = float64(time.Since(start).Nanoseconds()) / sm
	}
	cfg := &record.ElectionConfig{ElectionID: "bench", N: 2, T: 2, Questions: []record.QuestionConfig{{SessionID: "q0", Width: 1}}}
	keys, err := record.SimulateKeys(cfg, nil)
	if err != nil {
		return nil, err
	}
	_, cts, err := Inputs(n, 1)
	if err != nil {
		return nil, err
	}
	list, err := elgamal.NewList(cts)
	if err != nil {
		return nil, err
	}
	pub := keys[0].Public
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(n) }
	start := time.Now()
	m1, err := keys[0].Shares[0].DecryptionShare(pub, list, rand.Reader)
	if err != nil {
		return nil, err
	}
	rep.DecryptShareNsCt = per(time.Since(start))
	m2, err := keys[0].Shares[1].DecryptionShare(pub, list, rand.Reader)
	if err != nil {
		return nil, err
	}
	// Verify as a peer does: from the message's bytes.
	dm, err := threshold.DecodeMessage(m1.Bytes())
	if err != nil {
		return nil, err
	}
	start = time.Now()
	v1, err := threshold.VerifyDecryptionShare(pub, list, dm.(*threshold.DecryptionShareMessage))
	if err != nil {
		return nil, err
	}
	rep.VerifyShareNsCt = per(time.Since(start))
	v2, err := threshold.VerifyDecryptionShare(pub, list, m2)
	if err != nil {
		return nil, err
	}
	start = time.Now()
	if _, _, err := threshold.CombineDecryptionShares(pub, list, []*threshold.VerifiedDecryptionShare{v1, v2}); err != nil {
		return nil, err
	}
	rep.CombineT2NsCt = per(time.Since(start))
	rep.DecryptShareSMCt = rep.DecryptShareNsCt / sm
	rep.VerifyShareSMCt = rep.VerifyShareNsCt / sm
	rep.CombineT2SMCt = rep.CombineT2NsCt / sm
	return rep, nil
}

// RecordReport is the figure of issue #5: verifying a whole record.
type RecordReport struct {
	Ballots         int     `json:"record_ballots"`
	Mixes           int     `json:"record_mixes"`
	VerifyNsBallot  float64 `json:"record_verify_ns_per_ballot"`
	VerifySMBallot  float64 `json:"record_verify_sm_per_ballot"`
	TallyNsBallot   float64 `json:"record_tally_ns_per_ballot"` // validation, mixes with cross-verification, decryption
	EncryptNsBallot float64 `json:"record_encrypt_ns_per_ballot"`
}

// RecordBench runs an in-process election with 2 authorities (threshold
// 2, both mix) over n ballots of width 1 and verifies its record, with
// GOMAXPROCS = procs.
func RecordBench(n, procs int, sm float64) (*RecordReport, error) {
	old := runtime.GOMAXPROCS(procs)
	defer runtime.GOMAXPROCS(old)
	cfg := &record.ElectionConfig{ElectionID: "bench-record", N: 2, T: 2, Questions: []record.QuestionConfig{{SessionID: "q0", Width: 1}}}
	keys, err := record.SimulateKeys(cfg, nil)
	if err != nil {
		return nil, err
	}
	pk := keys[0].Public.PublicKey
	pk.Precompute()
	ctx := ballot.Context{ElectionID: cfg.ElectionID, Question: 0, PK: pk, Width: 1}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(n) }
	start := time.Now()
	lines := make([][]byte, n)
	var choices [4]*group.Element
	for k := range choices {
		if choices[k], err = elgamal.EncodeUint64(uint64(k + 1)); err != nil {
			return nil, err
		}
	}
	errs := make([]error, n)
	parFor(n, func(i int) {
		b, err := ballot.Encrypt(nil, ctx, []*group.Element{choices[i%4]}, fmt.Sprintf("voter-%d", i))
		if err != nil {
			errs[i] = err
			return
		}
		lines[i] = append(b.MarshalLine(), '\n')
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	rep := &RecordReport{Ballots: n, Mixes: 2, EncryptNsBallot: per(time.Since(start))}
	ballots := bytes.Join(lines, nil)
	lines = nil
	k1, err := record.GenerateKey(1, "prod-a1")
	if err != nil {
		return nil, err
	}
	k2, err := record.GenerateKey(2, "prod-a2")
	if err != nil {
		return nil, err
	}
	akeys := []*record.Key{k1, k2}
	start = time.Now()
	rec, err := record.Simulate(cfg, keys, [][]byte{ballots}, record.SimulateOptions{Mixers: []int{1, 2}, Decryptors: []int{1, 2}, Sign: record.MixSigner(akeys), Verify: record.MixVerifier(akeys)})
	if err != nil {
		return nil, err
	}
	rep.TallyNsBallot = per(time.Since(start))
	files, err := record.Build(rec, akeys)
	if err != nil {
		return nil, err
	}
	rec = nil
	start = time.Now()
	r := record.Verify(files, record.Options{})
	rep.VerifyNsBallot = per(time.Since(start))
	if !r.Valid() {
		return nil, fmt.Errorf("bench: the record does not verify: %v", r.Failures)
	}
	rep.VerifySMBallot = rep.VerifyNsBallot / sm
	return rep, nil
}
