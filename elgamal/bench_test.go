package elgamal

import (
	"fmt"
	"testing"

	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/benchutil"
	"github.com/eo-mixnet/eo/internal/testrand"
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
			m := testrand.Elements(b, testrand.New(2), w)
			r := testrand.New(3)
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
	r := testrand.New(3)
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
	rs := []*group.Scalar{testrand.Scalar(b, testrand.New(4))}
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
	r := testrand.New(5)
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
	r := testrand.New(6)
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
	l, err := NewList(testCiphertexts(b, 7, n, 1))
	if err != nil {
		b.Fatal(err)
	}
	data := l.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		l, err := DecodeList(data, 1)
		if err != nil {
			b.Fatal(err)
		}
		sinkAny = l
	}
	reportSM(b, sm, n, "ct")
}

func BenchmarkNewList(b *testing.B) {
	const n = 1000
	sm := measureSM(b)
	cs := testCiphertexts(b, 8, n, 1)
	b.SetBytes(int64(n * CiphertextSize))
	for b.Loop() {
		l, err := NewList(cs)
		if err != nil {
			b.Fatal(err)
		}
		sinkAny = l
	}
	reportSM(b, sm, n, "ct")
}
