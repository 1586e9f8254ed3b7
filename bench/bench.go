// Package bench measures eo's hot paths in one run and reports them as
// ratios to one variable-base scalar multiplication (SM) measured in the
// same run, so figures from a shared, noisy machine stay comparable. It
// backs `eotest bench`; the go test benchmarks of each package measure the
// same operations in finer detail.
package bench

import (
	"crypto/rand"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/par"
	"github.com/eo-mixnet/eo/shuffle"
)

// ShuffleReport is the result of ShuffleBench, one JSON line of `eotest bench`.
type ShuffleReport struct {
	SMNs            float64 `json:"sm_ns"`
	N               int     `json:"n"`
	Width           int     `json:"width"`
	Procs           int     `json:"procs"`
	ShuffleNsPerCt  float64 `json:"shuffle_ns_per_ct"` // re-encrypt and permute alone
	ProveNsPerCt    float64 `json:"prove_ns_per_ct"`   // everything the proof adds, offline and online
	OfflineNsPerCt  float64 `json:"offline_ns_per_ct"` // shuffle.Precompute (before the ballots arrive)
	OnlineNsPerCt   float64 `json:"online_ns_per_ct"`  // shuffle.Shuffle (after)
	VerifyNsPerCt   float64 `json:"verify_ns_per_ct"`  // decoding the input list, then shuffle.VerifyBytes: decoding the output list and the proof, and verifying
	GeneratorsNsCt  float64 `json:"generators_ns_per_ct"`
	ProofBytesPerCt float64 `json:"proof_bytes_per_ct"`
	ProveHeapPerCt  float64 `json:"prove_peak_heap_bytes_per_ct"`  // peak live heap of shuffle + prove beyond the lists
	VerifyHeapPerCt float64 `json:"verify_peak_heap_bytes_per_ct"` // same for verification
	ShuffleSM       float64 `json:"shuffle_sm_per_ct"`
	ShuffleProveSM  float64 `json:"shuffle_prove_sm_per_ct"`
	VerifySM        float64 `json:"verify_sm_per_ct"`
}

// SM measures one constant-time variable-base scalar multiplication, in
// nanoseconds: the best of twenty rounds of 50 on one goroutine, so that
// a burst of other work on a shared machine does not inflate the unit.
func SM() float64 {
	s := group.MustRandomScalar()
	P := new(group.Element).ScalarBaseMult(group.MustRandomScalar())
	best := time.Duration(1 << 62)
	for round := 0; round < 20; round++ {
		start := time.Now()
		for i := 0; i < 50; i++ {
			P.ScalarMult(s, P)
		}
		best = min(best, time.Since(start))
	}
	return float64(best.Nanoseconds()) / 50
}

// Inputs returns n distinct ciphertexts of width w under a fresh key, made
// cheaply (sums of two random points), which time like encryptions.
func Inputs(n, w int) (*elgamal.PublicKey, []*elgamal.Ciphertext, error) {
	sk, err := elgamal.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	P := new(group.Element).ScalarBaseMult(group.MustRandomScalar())
	Q := new(group.Element).ScalarBaseMult(group.MustRandomScalar())
	acc := new(group.Element).Set(P)
	elems := make([]group.Element, 2*n*w)
	inputs := make([]*elgamal.Ciphertext, n)
	for i := range inputs {
		c := &elgamal.Ciphertext{Alpha: make([]*group.Element, w), Beta: make([]*group.Element, w)}
		for k := 0; k < w; k++ {
			acc.Add(acc, Q)
			c.Alpha[k] = elems[2*(i*w+k)].Set(acc)
			acc.Add(acc, P)
			c.Beta[k] = elems[2*(i*w+k)+1].Set(acc)
		}
		inputs[i] = c
	}
	return sk.Public(), inputs, nil
}

// ShuffleBench shuffles, proves and verifies n ciphertexts of width w with
// GOMAXPROCS set to procs for the duration, and reports the costs. With
// mem, it proves and verifies a second time to measure peak memory.
func ShuffleBench(n, w, procs int, mem bool) (*ShuffleReport, error) {
	if n < 1 || w < 1 || procs < 1 {
		return nil, fmt.Errorf("bench: n, width and procs must be positive")
	}
	old := runtime.GOMAXPROCS(procs)
	defer runtime.GOMAXPROCS(old)
	pk, inputs, err := Inputs(n, w)
	if err != nil {
		return nil, err
	}
	in, err := elgamal.NewList(inputs)
	if err != nil {
		return nil, err
	}
	ctx := &shuffle.Context{ElectionID: "bench", SessionID: "q0", Position: 1, PublicKey: pk, Width: w}
	pk.Precompute()
	sm := SM()
	rep := &ShuffleReport{SMNs: sm, N: n, Width: w, Procs: procs}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(n) }

	start := time.Now()
	gens, err := shuffle.NewGenerators("bench", "q0", n)
	if err != nil {
		return nil, err
	}
	rep.GeneratorsNsCt = per(time.Since(start))

	// The shuffle alone: re-encrypt every ciphertext (permuting is free).
	start = time.Now()
	out := make([]*elgamal.Ciphertext, n)
	err = par.ForErr(n, 256, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			c, err := elgamal.ReEncrypt(rand.Reader, pk, inputs[i])
			if err != nil {
				return err
			}
			out[i] = c
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.ShuffleNsPerCt = per(time.Since(start))

	out = nil
	start = time.Now()
	pre, err := shuffle.Precompute(rand.Reader, ctx, gens, n)
	if err != nil {
		return nil, err
	}
	offline := time.Since(start)
	start = time.Now()
	outList, proof, err := shuffle.Shuffle(pre, in)
	if err != nil {
		return nil, err
	}
	online := time.Since(start)
	encOut, pb := outList.Bytes(), proof.Bytes()
	outList = nil
	pre, proof = nil, nil
	rep.OfflineNsPerCt, rep.OnlineNsPerCt = per(offline), per(online)
	rep.ProveNsPerCt = per(offline+online) - rep.ShuffleNsPerCt
	rep.ProofBytesPerCt = float64(len(pb)) / float64(n)

	// Verification time: from the encoded lists, as a record verifier
	// that reads them from files does it.
	encIn := in.Bytes()
	start = time.Now()
	in2, err := elgamal.DecodeListN(encIn, w, n)
	if err == nil {
		_, err = shuffle.VerifyBytes(ctx, gens, in2, encOut, pb)
	}
	if err != nil {
		return nil, fmt.Errorf("bench: the proof just made does not verify: %w", err)
	}
	in2 = nil
	rep.VerifyNsPerCt = per(time.Since(start))
	// The unit again, after the work: the smaller measurement counts.
	sm = min(sm, SM())
	rep.SMNs = sm
	rep.ShuffleSM = rep.ShuffleNsPerCt / sm
	rep.ShuffleProveSM = (rep.OfflineNsPerCt + rep.OnlineNsPerCt) / sm
	rep.VerifySM = rep.VerifyNsPerCt / sm

	if mem {
		if err := measureMemory(rep, ctx, gens, in, encOut, pb); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// measureMemory proves and verifies again under frequent collection
// (GOGC=10), so that the sampled peak approximates the live heap rather
// than uncollected garbage, and records the peaks beyond the lists.
func measureMemory(rep *ShuffleReport, ctx *shuffle.Context, gens *shuffle.Generators, in *elgamal.List, encOut, pb []byte) error {
	n, w := rep.N, rep.Width
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	base := heapBase()
	peak := watchHeap()
	pre, err := shuffle.Precompute(rand.Reader, ctx, gens, n)
	if err != nil {
		return err
	}
	outs, proof, err := shuffle.Shuffle(pre, in)
	if err != nil {
		return err
	}
	provePeak := peak()
	pb2 := proof.Bytes()
	pre, proof = nil, nil
	// What stays live now is the output list (and pb2, subtracted): its
	// size is not counted, everything else at the peak is.
	lists := heapBase() - uint64(len(pb2)) - base
	rep.ProveHeapPerCt = float64(provePeak-base-lists) / float64(n)
	runtime.KeepAlive(outs)
	runtime.KeepAlive(pb2)
	outs, pb2 = nil, nil

	// Verification starts from decoded lists, as in a record verifier.
	inputs2, err := elgamal.DecodeListN(in.Bytes(), w, n)
	if err != nil {
		return err
	}
	outputs2, err := elgamal.DecodeListN(encOut, w, n)
	if err != nil {
		return err
	}
	base = heapBase()
	peak = watchHeap()
	dp, err := shuffle.DecodeProof(pb, n, w)
	if err == nil {
		err = shuffle.Verify(ctx, gens, inputs2, outputs2, dp)
	}
	if err != nil {
		return fmt.Errorf("bench: the proof just made does not verify: %w", err)
	}
	rep.VerifyHeapPerCt = float64(peak()-base) / float64(n)
	runtime.KeepAlive(inputs2)
	runtime.KeepAlive(outputs2)
	return nil
}

// heapBase collects garbage and returns the live heap.
func heapBase() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// watchHeap samples the heap every millisecond until the returned function
// is called, which returns the largest HeapAlloc seen. Garbage not yet
// collected counts, so the figure is an upper bound of the live peak.
func watchHeap() func() uint64 {
	stop := make(chan struct{})
	done := make(chan uint64)
	go func() {
		var ms runtime.MemStats
		var peak uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stop:
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(stop); return <-done }
}

// parFor calls fn(i) for i in [0, n) on up to GOMAXPROCS goroutines.
func parFor(n int, fn func(i int)) {
	par.For(n, 64, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			fn(i)
		}
	})
}
