// Command neff compares eo's shuffle with kyber's Neff shuffle (Go,
// Ed25519) in one run on this machine: same n, width 1, one core, each
// figure also as a ratio to eo's unit SM measured in the same run. It
// lives in its own module so that eo never depends on kyber.
//
//	cd bench/neff && go run . -n 10000
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"go.dedis.ch/kyber/v3"
	"go.dedis.ch/kyber/v3/group/edwards25519"
	"go.dedis.ch/kyber/v3/proof"
	"go.dedis.ch/kyber/v3/shuffle"
	"go.dedis.ch/kyber/v3/xof/blake2xb"

	"github.com/eo-mixnet/eo/bench"
)

type report struct {
	N             int     `json:"n"`
	SMNs          float64 `json:"sm_ns"`
	KyberProveNs  float64 `json:"kyber_shuffle_prove_ns_per_ct"`
	KyberVerifyNs float64 `json:"kyber_verify_ns_per_ct"`
	KyberProveSM  float64 `json:"kyber_shuffle_prove_sm_per_ct"`
	KyberVerifySM float64 `json:"kyber_verify_sm_per_ct"`
	KyberProofB   float64 `json:"kyber_proof_bytes_per_ct"`
	EoProveSM     float64 `json:"eo_shuffle_prove_sm_per_ct"`
	EoVerifySM    float64 `json:"eo_verify_sm_per_ct"`
	EoProofB      float64 `json:"eo_proof_bytes_per_ct"`
	SpeedupProve  float64 `json:"eo_speedup_prove"`
	SpeedupVerify float64 `json:"eo_speedup_verify"`
}

func main() {
	n := flag.Int("n", 10000, "number of ciphertexts")
	flag.Parse()
	runtime.GOMAXPROCS(1)

	suite := edwards25519.NewBlakeSHA256Ed25519WithRand(blake2xb.New(nil))
	rand := suite.RandomStream()
	h := suite.Scalar().Pick(rand)
	H := suite.Point().Mul(h, nil)
	X := make([]kyber.Point, *n)
	Y := make([]kyber.Point, *n)
	for i := range X {
		r := suite.Scalar().Pick(rand)
		m := suite.Point().Pick(rand)
		X[i] = suite.Point().Mul(r, nil)
		Y[i] = suite.Point().Add(suite.Point().Mul(r, H), m)
	}
	sm := bench.SM()
	start := time.Now()
	Xbar, Ybar, prover := shuffle.Shuffle(suite, nil, H, X, Y, rand)
	prf, err := proof.HashProve(suite, "PairShuffle", prover)
	if err != nil {
		fmt.Fprintln(os.Stderr, "neff:", err)
		os.Exit(1)
	}
	prove := time.Since(start)
	start = time.Now()
	if err := proof.HashVerify(suite, "PairShuffle", shuffle.Verifier(suite, nil, H, X, Y, Xbar, Ybar), prf); err != nil {
		fmt.Fprintln(os.Stderr, "neff: kyber proof does not verify:", err)
		os.Exit(1)
	}
	verify := time.Since(start)

	eo, err := bench.ShuffleBench(*n, 1, 1, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "neff:", err)
		os.Exit(1)
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(*n) }
	rep := report{N: *n, SMNs: sm,
		KyberProveNs: per(prove), KyberVerifyNs: per(verify),
		KyberProveSM: per(prove) / sm, KyberVerifySM: per(verify) / sm,
		KyberProofB: float64(len(prf)) / float64(*n),
		EoProveSM:   eo.ShuffleProveSM * eo.SMNs / sm, EoVerifySM: eo.VerifySM * eo.SMNs / sm,
		EoProofB: eo.ProofBytesPerCt}
	rep.SpeedupProve = rep.KyberProveSM / rep.EoProveSM
	rep.SpeedupVerify = rep.KyberVerifySM / rep.EoVerifySM
	json.NewEncoder(os.Stdout).Encode(rep)
}
