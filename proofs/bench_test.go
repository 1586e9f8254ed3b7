package proofs_test

import (
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/benchutil"
	"github.com/eo-mixnet/eo/proofs"
)

func batchInputs(n int) (*group.Scalar, *group.Element, []*group.Element, []*group.Element, []byte, []byte) {
	x := group.MustRandomScalar()
	X := new(group.Element).ScalarBaseMult(x)
	H := make([]*group.Element, n)
	Y := make([]*group.Element, n)
	var encH, encY []byte
	P := new(group.Element).ScalarBaseMult(group.MustRandomScalar())
	xP := new(group.Element).ScalarMult(x, P)
	for i := range H {
		if i == 0 {
			H[i], Y[i] = P, xP
		} else {
			H[i] = new(group.Element).Add(H[i-1], P)
			Y[i] = new(group.Element).Add(Y[i-1], xP)
		}
		encH = append(encH, H[i].Bytes()...)
		encY = append(encY, Y[i].Bytes()...)
	}
	return x, X, H, Y, encH, encY
}

// BenchmarkBatchDLEQ measures proving and verifying one batched DLEQ over n
// pairs (the decryption-factor proof), per pair. Proving excludes computing
// the factors Y_i = x·H_i themselves (1 SM each).
func BenchmarkBatchDLEQ(b *testing.B) {
	G := group.NewGeneratorElement()
	for _, n := range []int{1000, 10000} {
		x, X, H, Y, encH, encY := batchInputs(n)
		b.Run(fmt.Sprintf("prove/n=%d", n), func(b *testing.B) {
			sm := benchutil.SM()
			for b.Loop() {
				if _, err := proofs.ProveBatchDLEQ(proofs.NewTranscript("b"), G, X, H, Y, encH, encY, x, rand.Reader); err != nil {
					b.Fatal(err)
				}
			}
			benchutil.Report(b, sm, n, "pair")
		})
		p, _ := proofs.ProveBatchDLEQ(proofs.NewTranscript("b"), G, X, H, Y, encH, encY, x, rand.Reader)
		b.Run(fmt.Sprintf("verify/n=%d", n), func(b *testing.B) {
			sm := benchutil.SM()
			for b.Loop() {
				if err := proofs.VerifyBatchDLEQ(proofs.NewTranscript("b"), G, X, H, Y, encH, encY, p); err != nil {
					b.Fatal(err)
				}
			}
			benchutil.Report(b, sm, n, "pair")
		})
	}
}

func BenchmarkSchnorr(b *testing.B) {
	x := group.MustRandomScalar()
	G := group.NewGeneratorElement()
	X := new(group.Element).ScalarBaseMult(x)
	p, _ := proofs.ProveSchnorr(proofs.NewTranscript("b"), G, X, x, rand.Reader)
	b.Run("prove", func(b *testing.B) {
		sm := benchutil.SM()
		for b.Loop() {
			proofs.ProveSchnorr(proofs.NewTranscript("b"), G, X, x, rand.Reader)
		}
		benchutil.Report(b, sm, 1, "proof")
	})
	b.Run("verify", func(b *testing.B) {
		sm := benchutil.SM()
		for b.Loop() {
			if err := proofs.VerifySchnorr(proofs.NewTranscript("b"), G, X, p); err != nil {
				b.Fatal(err)
			}
		}
		benchutil.Report(b, sm, 1, "proof")
	})
}

func BenchmarkDeriveGenerators(b *testing.B) {
	sm := benchutil.SM()
	for b.Loop() {
		if _, err := proofs.DeriveGenerators("bench", 1000); err != nil {
			b.Fatal(err)
		}
	}
	benchutil.Report(b, sm, 1000, "generator")
}
