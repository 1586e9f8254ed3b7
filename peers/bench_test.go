package peers

import (
	"testing"

	"github.com/eo-mixnet/eo/internal/testctx"
)

// BenchmarkStreamCiphertexts streams a list of 100 000 random 64-byte
// records (a ciphertext list of width 1) from one endpoint to another on
// loopback; the receiver decodes it record by record into a preallocated
// slice.
func BenchmarkStreamCiphertexts(b *testing.B) {
	a, c := newAuthority(b, "a"), newAuthority(b, "b")
	mutualTrust(b, a, c)
	a.start(b)
	c.start(b)
	list := newRecordList(100_000)
	ctx := testctx.Context(b)
	// Warm the connection up.
	if err := a.ep.Send(ctx, "b", Message{Type: tmsgHello}); err != nil {
		b.Fatal(err)
	}
	if _, _, err := c.ep.Receive(ctx); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(list.size())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		errc := make(chan error, 1)
		go func() { errc <- a.ep.Send(ctx, "b", Message{Type: tmsgList, Stream: list, Size: list.size()}) }()
		_, msg, err := c.ep.Receive(ctx)
		if err != nil {
			b.Fatal(err)
		}
		got, err := readRecords(msg.Stream, msg.Size)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != len(list.records) {
			b.Fatal("short list")
		}
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(list.records)), "ns/ct")
}
