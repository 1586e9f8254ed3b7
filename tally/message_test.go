package tally

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range []*Message{
		{Kind: KindMix, Q: 3, Author: 2, Parent: 1, Position: 2, Fields: [][]byte{[]byte("out"), []byte("proof"), []byte("sig")}},
		{Kind: KindShare, Q: 0, Author: 7, Parent: 3, Position: 3, Fields: [][]byte{{}, []byte("sig")}},
		{Kind: KindParams, Author: 1, Fields: [][]byte{[]byte("{}"), []byte("sig")}},
		{Kind: KindAsk, Q: 1, Author: 4, Parent: int(KindShare), Position: 3<<8 | 2},
		{Kind: KindStop, Author: 2, Fields: [][]byte{[]byte("refused")}},
	} {
		b := m.Bytes()
		got, err := DecodeMessage(b)
		require.NoError(t, err, "%s", m.Kind)
		if len(m.Fields) == 0 {
			m.Fields = nil
		}
		require.Equal(t, m, got)
		require.Equal(t, b, got.Bytes())
	}
}

// TestDecodeMessageRejects: short, long, unknown and misshapen input is
// refused with ErrMalformed.
func TestDecodeMessageRejects(t *testing.T) {
	good := (&Message{Kind: KindMix, Q: 1, Author: 2, Parent: 1, Position: 2, Fields: [][]byte{[]byte("a"), []byte("b"), []byte("c")}}).Bytes()
	bad := map[string][]byte{
		"empty":          nil,
		"short header":   good[:headerSize-1],
		"truncated":      good[:len(good)-1],
		"trailing":       append(bytes.Clone(good), 0),
		"unknown kind":   append([]byte{9}, good[1:]...),
		"kind zero":      append([]byte{0}, good[1:]...),
		"question 64":    append([]byte{good[0], 0, 64}, good[3:]...),
		"author 0":       append(append(bytes.Clone(good[:3]), 0), good[4:]...),
		"too few fields": append(bytes.Clone(good[:7]), 2),
		"huge field":     append(bytes.Clone(good[:headerSize]), 0xff, 0xff, 0xff, 0xff),
	}
	for name, b := range bad {
		_, err := DecodeMessage(b)
		require.True(t, errors.Is(err, ErrMalformed), "%s: %v", name, err)
	}
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add((&Message{Kind: KindMix, Q: 1, Author: 2, Parent: 1, Position: 2, Fields: [][]byte{[]byte("a"), []byte("b"), []byte("c")}}).Bytes())
	f.Add((&Message{Kind: KindAsk, Author: 1, Parent: 3}).Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			return
		}
		if !bytes.Equal(m.Bytes(), b) {
			t.Fatalf("not canonical: %x", b)
		}
	})
}
