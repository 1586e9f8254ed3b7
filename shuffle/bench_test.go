package shuffle

import (
	"crypto/rand"
	"fmt"
	"runtime"
	"testing"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/benchutil"
)

// benchInputs returns n cheap-to-make random ciphertexts of width w: sums
// of a few random elements, as good as encryptions for timing.
func benchInputs(b *testing.B, n, w int) (*Context, *Generators, *elgamal.List) {
	sk, err := elgamal.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	P := new(group.Element).ScalarBaseMult(group.MustRandomScalar())
	Q := new(group.Element).ScalarBaseMult(group.MustRandomScalar())
	acc := new(group.Element).Set(P)
	inputs := make([]*elgamal.Ciphertext, n)
	for i := range inputs {
		c := &elgamal.Ciphertext{}
		for k := 0; k < w; k++ {
			acc.Add(acc, Q)
			c.Alpha = append(c.Alpha, new(group.Element).Set(acc))
			acc.Add(acc, P)
			c.Beta = append(c.Beta, new(group.Element).Set(acc))
		}
		inputs[i] = c
	}
	ctx := &Context{ElectionID: "bench", SessionID: "q0", Position: 1, PublicKey: sk.Public(), Width: w}
	gens, err := NewGenerators("bench", "q0", n)
	if err != nil {
		b.Fatal(err)
	}
	in, err := elgamal.NewList(inputs)
	if err != nil {
		b.Fatal(err)
	}
	return ctx, gens, in
}

var benchSizes = []struct{ n, w int }{{1000, 1}, {10000, 1}, {100000, 1}, {10000, 3}}

// BenchmarkShuffle reports, per ciphertext and as a ratio to one scalar
// multiplication measured in the same run: the offline precomputation,
// the online shuffle and proof, their sum, and verification: from the
// encoded lists and proof (verify), and with the input list already
// decoded, as it is for every mix of a chain (verify-chained). Run -cpu 1
// and -cpu 2 as two commands: with -cpu 1,2 the sub-benchmarks ran at
// GOMAXPROCS 2 both times (go1.26).
func BenchmarkShuffle(b *testing.B) {
	for _, sz := range benchSizes {
		name := fmt.Sprintf("n=%d/w=%d", sz.n, sz.w)
		ctx, gens, in := benchInputs(b, sz.n, sz.w)
		var encOut, proof []byte
		b.Run("prove/"+name, func(b *testing.B) {
			sm := benchutil.SM()
			for b.Loop() {
				out, p, err := ShuffleAndProve(rand.Reader, ctx, gens, in)
				if err != nil {
					b.Fatal(err)
				}
				encOut, proof = out.Bytes(), p.Bytes()
			}
			benchutil.Report(b, sm, sz.n, "ct")
			b.ReportMetric(float64(len(proof))/float64(sz.n), "proof-B/ct")
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
		})
		// proved makes the output and proof when prove did not run.
		proved := func(b *testing.B) {
			if proof == nil {
				out, p, err := ShuffleAndProve(rand.Reader, ctx, gens, in)
				if err != nil {
					b.Fatal(err)
				}
				encOut, proof = out.Bytes(), p.Bytes()
			}
		}
		b.Run("verify/"+name, func(b *testing.B) {
			proved(b)
			encIn := in.Bytes()
			sm := benchutil.SM()
			for b.Loop() {
				in, err := elgamal.DecodeListN(encIn, sz.w, sz.n)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := VerifyBytes(ctx, gens, in, encOut, proof); err != nil {
					b.Fatal(err)
				}
			}
			benchutil.Report(b, sm, sz.n, "ct")
		})
		// A mix in a chain: its input list is the previous mix's verified
		// output (or the checked ballots), already decoded; what a mix adds
		// is its output list and proof, decoded and verified.
		b.Run("verify-chained/"+name, func(b *testing.B) {
			proved(b)
			sm := benchutil.SM()
			for b.Loop() {
				if _, err := VerifyBytes(ctx, gens, in, encOut, proof); err != nil {
					b.Fatal(err)
				}
			}
			benchutil.Report(b, sm, sz.n, "ct")
		})
	}
}

func BenchmarkGenerators(b *testing.B) {
	sm := benchutil.SM()
	for b.Loop() {
		if _, err := NewGenerators("bench", "q", 10000); err != nil {
			b.Fatal(err)
		}
	}
	benchutil.Report(b, sm, 10000, "generator")
}
