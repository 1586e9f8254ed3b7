package group

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

var sinkElement *Element

// measureSM times one variable-base constant-time scalar multiplication, the
// unit in which eo reports every figure, in the calling benchmark's run.
func measureSM(b *testing.B) float64 {
	r := testRand(100)
	s := randScalar(b, r)
	P := randElement(b, r)
	e := new(Element)
	const n = 200
	best := time.Duration(1 << 62)
	for round := 0; round < 3; round++ {
		start := time.Now()
		for i := 0; i < n; i++ {
			e.ScalarMult(s, P)
		}
		if d := time.Since(start); d < best {
			best = d
		}
	}
	sinkElement = e
	return float64(best.Nanoseconds()) / n
}

// reportSM reports ns/op divided by count as "SM/<unit>".
func reportSM(b *testing.B, sm float64, count int, unit string) {
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(count)
	b.ReportMetric(per, "ns/"+unit)
	b.ReportMetric(per/sm, "SM/"+unit)
}

func BenchmarkScalarMult(b *testing.B) {
	r := testRand(1)
	s, P := randScalar(b, r), randElement(b, r)
	e := new(Element)
	b.ReportAllocs()
	for b.Loop() {
		e.ScalarMult(s, P)
	}
	sinkElement = e
}

func BenchmarkScalarBaseMult(b *testing.B) {
	sm := measureSM(b)
	s := randScalar(b, testRand(1))
	e := new(Element)
	b.ReportAllocs()
	for b.Loop() {
		e.ScalarBaseMult(s)
	}
	reportSM(b, sm, 1, "op")
}

func BenchmarkFixedBaseMult(b *testing.B) {
	sm := measureSM(b)
	r := testRand(1)
	s, P := randScalar(b, r), randElement(b, r)
	fb := NewFixedBase(P)
	e := new(Element)
	b.ReportAllocs()
	for b.Loop() {
		e.FixedBaseMult(s, fb)
	}
	reportSM(b, sm, 1, "op")
}

func BenchmarkNewFixedBase(b *testing.B) {
	sm := measureSM(b)
	P := randElement(b, testRand(1))
	for b.Loop() {
		NewFixedBase(P)
	}
	reportSM(b, sm, 1, "op")
}

func BenchmarkDecode(b *testing.B) {
	sm := measureSM(b)
	enc := randElement(b, testRand(1)).Bytes()
	e := new(Element)
	for b.Loop() {
		if _, err := e.SetCanonicalBytes(enc); err != nil {
			b.Fatal(err)
		}
	}
	reportSM(b, sm, 1, "op")
}

func BenchmarkEncode(b *testing.B) {
	sm := measureSM(b)
	e := randElement(b, testRand(1))
	var buf [32]byte
	for b.Loop() {
		e.bytes(&buf)
	}
	reportSM(b, sm, 1, "op")
}

func msmInputs(b *testing.B, n int) ([]*Scalar, []*Element) {
	r := testRand(7)
	s := make([]*Scalar, n)
	x := make([]*Element, n)
	P := randElement(b, r)
	for i := range s {
		s[i] = randScalar(b, r)
		// Cheap distinct points: P, 2P, 3P, ... are as good as random here.
		if i == 0 {
			x[i] = P
		} else {
			x[i] = new(Element).Add(x[i-1], P)
		}
	}
	return s, x
}

// BenchmarkMSM reports the variable-time multi-scalar multiplication per
// point, with GOMAXPROCS as set: run -cpu 1 and -cpu 2 as two commands
// (with -cpu 1,2 the sub-benchmarks ran at 2 both times, go1.26).
func BenchmarkMSM(b *testing.B) {
	for _, n := range []int{64, 256, 1000, 10000, 100000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			s, x := msmInputs(b, n)
			sm := measureSM(b)
			e := new(Element)
			b.ResetTimer()
			for b.Loop() {
				e.VarTimeMultiScalarMult(s, x)
			}
			reportSM(b, sm, n, "point")
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
		})
	}
}

// BenchmarkMSMAffine is BenchmarkMSM over points held in affine form (as
// lists of ciphertexts are): no batched inversion to load them.
func BenchmarkMSMAffine(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			s, x := msmInputs(b, n)
			aff := make([]Affine, n)
			AffineFromElements(aff, x)
			sm := measureSM(b)
			e := new(Element)
			b.ResetTimer()
			for b.Loop() {
				e.VarTimeMultiScalarMultAffine(s, aff, 1)
			}
			reportSM(b, sm, n, "point")
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
		})
	}
}

// BenchmarkDecodeAffine compares decoding into affine form with decoding
// into Elements, per element.
func BenchmarkDecodeAffine(b *testing.B) {
	const n = 4096
	_, x := msmInputs(b, n)
	enc := EncodeElements(x)
	b.Run("affine", func(b *testing.B) {
		sm := measureSM(b)
		dst := make([]Affine, n)
		for b.Loop() {
			if err := DecodeAffine(dst, enc); err != nil {
				b.Fatal(err)
			}
		}
		reportSM(b, sm, n, "element")
	})
	b.Run("elements", func(b *testing.B) {
		sm := measureSM(b)
		els, ptrs := make([]Element, n), make([]*Element, n)
		for b.Loop() {
			if _, err := DecodeElementsInto(els, ptrs, enc); err != nil {
				b.Fatal(err)
			}
		}
		reportSM(b, sm, n, "element")
	})
}

// BenchmarkMSMChunk compares, on one core and per point, the bucket
// method at n = 100 000 over affine points with full and with 128-bit
// scalars, for digit widths and chunk sizes around the ones chosen
// (maxWindowBits, chunkPoints); the machine's caches decide. Run it with
// -count 3 or more: neighbours on a shared machine move every figure.
func BenchmarkMSMChunk(b *testing.B) {
	const n = 100000
	s, x := msmInputs(b, n)
	short := make([]*Scalar, n)
	var wide [64]byte
	for i := range short {
		copy(wide[:16], s[i].Bytes())
		short[i], _ = NewScalar().SetUniformBytes(wide[:])
	}
	aff := make([]Affine, n)
	AffineFromElements(aff, x)
	for _, kind := range []struct {
		name string
		s    []*Scalar
	}{{"full", s}, {"short", short}} {
		for _, c := range []int{10, 11, 12} {
			for _, chunk := range []int{2048, chunkPoints} {
				b.Run(fmt.Sprintf("%s/c=%d/chunk=%d", kind.name, c, chunk), func(b *testing.B) {
					sm := measureSM(b)
					var out extPoint
					for b.Loop() {
						pippengerSized(&out, kind.s, 0, affineLoader(aff, 1), c, chunk)
					}
					reportSM(b, sm, n, "point")
				})
			}
		}
	}
}

// BenchmarkMSMCrossover compares the bucket method with edwards25519's
// Straus method around pippengerThreshold, on one core.
func BenchmarkMSMCrossover(b *testing.B) {
	for _, n := range []int{32, 64, 96, 128, 192} {
		s, x := msmInputs(b, n)
		b.Run(fmt.Sprintf("straus/n=%d", n), func(b *testing.B) {
			sm := measureSM(b)
			pts := make([]*Element, n)
			copy(pts, x)
			e := new(Element)
			for b.Loop() {
				e.p.VarTimeMultiScalarMult(s, elementPoints(pts))
			}
			reportSM(b, sm, n, "point")
		})
		b.Run(fmt.Sprintf("pippenger/n=%d", n), func(b *testing.B) {
			sm := measureSM(b)
			var out extPoint
			for b.Loop() {
				pippenger(&out, s, 0, elementLoader(x))
			}
			reportSM(b, sm, n, "point")
		})
	}
}
