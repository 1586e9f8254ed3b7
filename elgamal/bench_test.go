package elgamal

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/benchutil"
)

// Every benchmark reports its time per item and the ratio to one
// variable-base scalar multiplication (SM) timed in the same benchmark.
// Run on one core with, e.g.,
//
//	go test -run XXX -bench . -benchtime 3x -cpu 1 ./elgamal

var (
	sinkElement *group.Element
	sinkAny     any
)

// measureSM is the unit, measured in the same benchmark.
func measureSM(*testing.B) float64 { return benchutil.SM() }

// reportSM reports the time per item as ns/<unit> and SM/<unit>.
func reportSM(b *testing.B, sm float64, count int, unit string) {
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(count)
	b.ReportMetric(per, "ns/"+unit)
	b.ReportMetric(per/sm, "SM/"+unit)
}

func BenchmarkEncrypt(b *testing.B) {
	for _, w := range []int{1, 3} {
		b.Run(fmt.Sprintf("w=%d", w), func(b *testing.B) {
			sm := measureSM(b)
			pk := testKey(b, 1).Public()
			pk.Precompute()
			m := randElements(b, testRand(2), w)
			r := testRand(3)
			b.ReportAllocs()
			for b.Loop() {
				c, err := Encrypt(r, pk, m)
				if err != nil {
					b.Fatal(err)
				}
				sinkAny = c
			}
			reportSM(b, sm, w, "pair")
		})
	}
}

func BenchmarkReEncrypt(b *testing.B) {
	sm := measureSM(b)
	pk := testKey(b, 1).Public()
	c := testCiphertexts(b, 1, 1, 1)[0]
	r := testRand(3)
	pk.Precompute()
	b.ReportAllocs()
	for b.Loop() {
		c2, err := ReEncrypt(r, pk, c)
		if err != nil {
			b.Fatal(err)
		}
		sinkAny = c2
	}
	reportSM(b, sm, 1, "ct")
}

func BenchmarkReEncryptWith(b *testing.B) {
	sm := measureSM(b)
	pk := testKey(b, 1).Public()
	c := testCiphertexts(b, 1, 1, 1)[0]
	rs := []*group.Scalar{randScalar(b, testRand(4))}
	pk.Precompute()
	b.ReportAllocs()
	for b.Loop() {
		sinkAny = ReEncryptWith(pk, c, rs)
	}
	reportSM(b, sm, 1, "ct")
}

func BenchmarkDecrypt(b *testing.B) {
	sm := measureSM(b)
	k := testKey(b, 1)
	c := testCiphertexts(b, 1, 1, 1)[0]
	b.ReportAllocs()
	for b.Loop() {
		sinkAny = k.Decrypt(c)
	}
	reportSM(b, sm, 1, "ct")
}

func BenchmarkPrecompute(b *testing.B) {
	sm := measureSM(b)
	enc := testKey(b, 1).Public().Bytes()
	for b.Loop() {
		pk, _ := DecodePublicKey(enc)
		pk.Precompute()
	}
	reportSM(b, sm, 1, "key")
}

func BenchmarkEncodePlaintext(b *testing.B) {
	sm := measureSM(b)
	r := testRand(5)
	msgs := make([][]byte, 256)
	for i := range msgs {
		msgs[i] = make([]byte, PlaintextSize)
		r.Read(msgs[i])
	}
	i := 0
	for b.Loop() {
		e, err := EncodePlaintext(msgs[i%len(msgs)])
		if err != nil {
			b.Fatal(err)
		}
		sinkElement = e
		i++
	}
	reportSM(b, sm, 1, "msg")
}

func BenchmarkDecodePlaintext(b *testing.B) {
	sm := measureSM(b)
	r := testRand(6)
	es := make([]*group.Element, 256)
	for i := range es {
		m := make([]byte, PlaintextSize)
		r.Read(m)
		es[i], _ = EncodePlaintext(m)
	}
	i := 0
	for b.Loop() {
		m, err := DecodePlaintext(es[i%len(es)])
		if err != nil {
			b.Fatal(err)
		}
		sinkAny = m
		i++
	}
	reportSM(b, sm, 1, "msg")
}

func BenchmarkDecodeList(b *testing.B) {
	const n = 1000
	sm := measureSM(b)
	data := EncodeList(testCiphertexts(b, 7, n, 1))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		cs, err := DecodeList(data, 1)
		if err != nil {
			b.Fatal(err)
		}
		sinkAny = cs
	}
	reportSM(b, sm, n, "ct")
}

// benchLines holds width-1 ballot lines for the benchmarks, made once.
var benchLines = sync.OnceValue(func() [][]byte {
	ctx := benchContext()
	out := make([][]byte, 10000)
	r := testRand(8)
	m := []*group.Element{group.NewGeneratorElement()}
	for i := range out {
		b, err := EncryptBallot(r, ctx, m, fmt.Sprintf("voter-%05d", i))
		if err != nil {
			panic(err)
		}
		out[i] = b.MarshalLine()
	}
	return out
})

var benchKey = sync.OnceValue(func() *PrivateKey {
	k, err := GenerateKey(testRand(9))
	if err != nil {
		panic(err)
	}
	return k
})

func benchContext() BallotContext {
	return BallotContext{ElectionID: "bench-election", Question: 0, PK: benchKey().Public(), Width: 1}
}

func benchBallots(b *testing.B, n int) []*Ballot {
	lines := benchLines()[:n]
	bs, errs := ParseBallotLines(lines)
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
	r := testRand(10)
	b.ReportAllocs()
	for b.Loop() {
		bl, err := EncryptBallot(r, ctx, m, "voter")
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
		bl, err := ParseBallotLine(line)
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
		if err := VerifyBallot(ctx, bl); err != nil {
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
				errs := VerifyBallots(ctx, bs, nil)
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
				bs, perrs := ParseBallotLines(lines)
				verrs := VerifyBallots(ctx, bs, nil)
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
