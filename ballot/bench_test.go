package ballot

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/benchutil"
	"github.com/eo-mixnet/eo/internal/testrand"
)

// Every benchmark reports its time per ballot and the ratio to one
// variable-base scalar multiplication (SM) timed in the same benchmark.
// Run on one core with, e.g.,
//
//	go test -run XXX -bench . -benchtime 3x -cpu 1 ./ballot

var sinkAny any

// measureSM is the unit, measured in the same benchmark.
func measureSM(*testing.B) float64 { return benchutil.SM() }

// reportSM reports the time per item as ns/<unit> and SM/<unit>.
func reportSM(b *testing.B, sm float64, count int, unit string) {
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(count)
	b.ReportMetric(per, "ns/"+unit)
	b.ReportMetric(per/sm, "SM/"+unit)
}

// benchLines holds width-1 ballot lines for the benchmarks, made once.
var benchLines = sync.OnceValue(func() [][]byte {
	ctx := benchContext()
	out := make([][]byte, 10000)
	r := testrand.New(8)
	m := []*group.Element{group.NewGeneratorElement()}
	for i := range out {
		b, err := Encrypt(r, ctx, m, fmt.Sprintf("voter-%05d", i))
		if err != nil {
			panic(err)
		}
		out[i] = b.MarshalLine()
	}
	return out
})

var benchKey = sync.OnceValue(func() *elgamal.PrivateKey {
	k, err := elgamal.GenerateKey(testrand.New(9))
	if err != nil {
		panic(err)
	}
	return k
})

func benchContext() Context {
	return Context{ElectionID: "bench-election", Question: 0, PK: benchKey().Public(), Width: 1}
}

func benchBallots(b *testing.B, n int) []*Ballot {
	lines := benchLines()[:n]
	bs, errs := ParseLines(lines)
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return bs
}

func BenchmarkEncryptBallot(b *testing.B) {
	sm := measureSM(b)
	ctx := benchContext()
	ctx.PK.Precompute()
	m := []*group.Element{group.NewGeneratorElement()}
	r := testrand.New(10)
	b.ReportAllocs()
	for b.Loop() {
		bl, err := Encrypt(r, ctx, m, "voter")
		if err != nil {
			b.Fatal(err)
		}
		sinkAny = bl
	}
	reportSM(b, sm, 1, "ballot")
}

func BenchmarkParseBallotLine(b *testing.B) {
	sm := measureSM(b)
	line := benchLines()[0]
	b.ReportAllocs()
	for b.Loop() {
		bl, err := ParseLine(line)
		if err != nil {
			b.Fatal(err)
		}
		sinkAny = bl
	}
	reportSM(b, sm, 1, "ballot")
}

// BenchmarkVerifyBallot is individual verification: challenge and one
// double-base multiplication per ballot.
func BenchmarkVerifyBallot(b *testing.B) {
	sm := measureSM(b)
	ctx := benchContext()
	bl := benchBallots(b, 1)[0]
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(ctx, bl); err != nil {
			b.Fatal(err)
		}
	}
	reportSM(b, sm, 1, "ballot")
}

// BenchmarkVerifyBallots is batched verification of parsed ballots.
func BenchmarkVerifyBallots(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ctx := benchContext()
			bs := benchBallots(b, n)
			sm := measureSM(b)
			var t benchutil.Best
			b.ReportAllocs()
			for b.Loop() {
				t.Begin()
				errs := VerifyAll(ctx, bs, nil)
				t.End()
				for i, err := range errs {
					if err != nil {
						b.Fatal(i, err)
					}
				}
			}
			reportSM(b, sm, n, "ballot")
			t.Report(b, sm, n, "ballot")
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
		})
	}
}

// BenchmarkParseAndVerifyBallots is the whole path from lines: parsing
// (with every group-membership check) and batched verification.
func BenchmarkParseAndVerifyBallots(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ctx := benchContext()
			lines := benchLines()[:n]
			sm := measureSM(b)
			var t benchutil.Best
			b.ReportAllocs()
			for b.Loop() {
				t.Begin()
				bs, perrs := ParseLines(lines)
				verrs := VerifyAll(ctx, bs, nil)
				t.End()
				for i := range perrs {
					if perrs[i] != nil || verrs[i] != nil {
						b.Fatal(i, perrs[i], verrs[i])
					}
				}
			}
			reportSM(b, sm, n, "ballot")
			t.Report(b, sm, n, "ballot")
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
		})
	}
}
