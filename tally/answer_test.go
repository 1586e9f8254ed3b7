package tally

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// An authority whose tally ended before a restart answers asks from its
// store: its mixes, the shares it stored, its own signatures over
// parameters, and nothing else.
func TestAnswerStored(t *testing.T) {
	const self, n = 2, 3
	st := memStore{}
	put := func(name string, m *Message) *Message {
		require.NoError(t, st.Put(name, m.Bytes()))
		return m
	}
	mix := put(mixName(0, key{2, 1}), &Message{Kind: KindMix, Author: 2, Position: 1, Fields: [][]byte{{1}, {2}, {3}}})
	mix3 := put(mixName(0, key{2, 3}), &Message{Kind: KindMix, Author: 2, Parent: 1, Position: 3, Fields: [][]byte{{4}, {5}, {6}}})
	share := put(shareName(1, 3, key{1, 2}), &Message{Kind: KindShare, Q: 1, Author: 3, Parent: 1, Fields: [][]byte{{7}, {8}}})
	own := put(paramsName(self), &Message{Kind: KindParams, Author: self, Fields: [][]byte{[]byte("{}"), {9}}})
	adopted := put(adoptedName(self, 0), &Message{Kind: KindParams, Author: self, Fields: [][]byte{[]byte(`{"x":1}`), {10}}})
	put(paramsName(1), &Message{Kind: KindParams, Author: 1, Fields: [][]byte{[]byte("{}"), {11}}})
	require.NoError(t, st.Put(mixName(0, key{3, 2}), []byte("not a message")))

	ask := func(q, author int, kind Kind, pos int) []*Message {
		return AnswerStored(st, self, n, 2, &Message{Kind: KindAsk, Q: q, Author: author, Parent: int(kind), Position: pos})
	}
	require.Equal(t, []*Message{mix, mix3}, ask(0, 2, KindMix, 0))
	require.Empty(t, ask(1, 2, KindMix, 0), "another question")
	require.Empty(t, ask(0, 3, KindMix, 0), "an undecodable stored message is not sent")
	require.Equal(t, []*Message{share}, ask(1, 3, KindShare, 1<<8|2))
	require.Empty(t, ask(1, 3, KindShare, 2<<8|2), "a share of another final list")
	require.Equal(t, []*Message{own, adopted}, ask(0, self, KindParams, 0))
	require.Empty(t, ask(0, 1, KindParams, 0), "another's signature is its own to send")

	// Out of range and not an ask: no answer, no panic.
	require.Empty(t, ask(2, 2, KindMix, 0))
	require.Empty(t, ask(0, 0, KindMix, 0))
	require.Empty(t, ask(0, n+1, KindMix, 0))
	require.Empty(t, ask(0, 2, KindShare, 0xffff))
	require.Empty(t, AnswerStored(st, self, n, 2, mix))
	require.Empty(t, AnswerStored(st, self, n, 2, nil))
}
