package ballot

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/stretchr/testify/require"
)

func TestSplitJoinVotes(t *testing.T) {
	const nq = 3
	var ctxs []Context
	for q := 0; q < nq; q++ {
		sk, err := elgamal.GenerateKey(nil)
		require.NoError(t, err)
		ctxs = append(ctxs, Context{ElectionID: "e", Question: q, PK: sk.Public(), Width: 1})
	}
	var file bytes.Buffer
	want := make([][]byte, nq)
	for v := 0; v < 5; v++ {
		var lines [][]byte
		id := fmt.Sprintf("voter-%d", v)
		if v == 3 {
			id = ""
		}
		for q := range ctxs {
			m, err := elgamal.EncodeUint64(uint64(v + q))
			require.NoError(t, err)
			b, err := Encrypt(nil, ctxs[q], []*group.Element{m}, id)
			require.NoError(t, err)
			lines = append(lines, b.MarshalLine())
			want[q] = append(append(want[q], b.MarshalLine()...), '\n')
		}
		joined, err := JoinFile(lines)
		require.NoError(t, err)
		file.Write(joined)
		file.WriteByte('\n')
	}
	garbage := []string{"", "garbage", `{"choices":[{"alpha":"x","beta":"y"}],"proofs":[{}]}`, `{"choices":[{},{},{}],"proofs":[{},{},{}]}x`, `{"choices":[{{}},{},{}],"proofs":[{},{},{}]}`}
	for _, g := range garbage {
		file.WriteString(g + "\n")
		for q := range want {
			want[q] = append(want[q], g+"\n"...)
		}
	}
	file.WriteString("no final newline")
	for q := range want {
		want[q] = append(want[q], "no final newline"...)
	}
	files, err := SplitFile(file.Bytes(), nq)
	require.NoError(t, err)
	for q := range files {
		require.Equal(t, string(want[q]), string(files[q]), "question %d", q)
		acc, excl := Validate(ctxs[q], files[q])
		require.Len(t, acc, 5, "question %d", q)
		require.Len(t, excl, len(garbage)+1)
	}
	one, err := SplitFile(file.Bytes(), 1)
	require.NoError(t, err)
	require.Equal(t, file.Bytes(), one[0])
	_, err = SplitFile(nil, 0)
	require.Error(t, err)

	_, err = JoinFile([][]byte{[]byte("garbage"), []byte("x")})
	require.Error(t, err)
	a, _ := Encrypt(nil, ctxs[0], []*group.Element{group.NewGeneratorElement()}, "a")
	b, _ := Encrypt(nil, ctxs[1], []*group.Element{group.NewGeneratorElement()}, "b")
	_, err = JoinFile([][]byte{a.MarshalLine(), b.MarshalLine()})
	require.Error(t, err, "two voter ids")
}
