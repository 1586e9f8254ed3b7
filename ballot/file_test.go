package ballot

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/testrand"
	"github.com/stretchr/testify/require"
)

// flatLine is a vote file's line of the canonical layout with n empty
// choice and proof objects: shaped right, no ballot inside.
func flatLine(n int, suffix string) string {
	objs := strings.TrimSuffix(strings.Repeat("{},", n), ",")
	return `{"choices":[` + objs + `],"proofs":[` + objs + `]}` + suffix
}

func TestSplitJoinVotes(t *testing.T) {
	for _, widths := range [][]int{{1, 1, 1}, {1, 3}, {3, 1}, {2, 1, 3}, {3}} {
		t.Run(fmt.Sprint(widths), func(t *testing.T) {
			testSplitJoin(t, widths)
		})
	}
}

func testSplitJoin(t *testing.T, widths []int) {
	nq, total := len(widths), 0
	var ctxs []Context
	for q, w := range widths {
		ctxs = append(ctxs, Context{ElectionID: "e", Question: q, PK: testKey(t, uint64(10+q)).Public(), Width: w})
		total += w
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
			m := make([]*group.Element, widths[q])
			for j := range m {
				var err error
				m[j], err = elgamal.EncodeUint64(uint64(100*v + 10*q + j))
				require.NoError(t, err)
			}
			b, err := Encrypt(testrand.New(uint64(100*v+q)), ctxs[q], m, id)
			require.NoError(t, err)
			lines = append(lines, b.MarshalLine())
			want[q] = append(append(want[q], b.MarshalLine()...), '\n')
		}
		joined, err := JoinFile(lines)
		require.NoError(t, err)
		if nq > 1 {
			c, p, _, ok := scanVoteLine(joined)
			require.True(t, ok)
			require.Len(t, c, total)
			require.Len(t, p, total)
		}
		// Split gives the lines back.
		back, err := SplitFile(joined, widths)
		require.NoError(t, err)
		require.Equal(t, lines, back)
		file.Write(joined)
		file.WriteByte('\n')
	}
	// Lines not of the shape are copied unchanged into every question's
	// file, where the ballot rule excludes them.
	garbage := []string{"", "garbage", `{"choices":[{"alpha":"x","beta":"y"}],"proofs":[{}]}`,
		flatLine(total, "x"), flatLine(total-1, ""), flatLine(total+1, "|v"),
		strings.Replace(flatLine(total, ""), "{}]", "{},{}]", 1),               // one choice too many
		strings.Replace(flatLine(total, ""), "[{}", "[{{}}", 1),                // nested
		strings.Replace(flatLine(total, "|v"), `],"proofs"`, `], "proofs"`, 1), // a space
	}
	for _, g := range garbage {
		file.WriteString(g + "\n")
		for q := range want {
			want[q] = append(want[q], g+"\n"...)
		}
	}
	// A line of the shape is split, whatever its objects; they are
	// excluded then.
	if nq > 1 {
		file.WriteString(flatLine(total, "|v") + "\n")
		for q, w := range widths {
			want[q] = append(want[q], flatLine(w, "|v")+"\n"...)
		}
	}
	file.WriteString("no final newline")
	for q := range want {
		want[q] = append(want[q], "no final newline"...)
	}
	files, err := SplitFile(file.Bytes(), widths)
	require.NoError(t, err)
	require.Len(t, files, nq)
	if nq == 1 {
		require.Equal(t, file.Bytes(), files[0])
	}
	for q := range files {
		require.Equal(t, string(want[q]), string(files[q]), "question %d", q)
		acc, excl := Validate(ctxs[q], files[q])
		require.Len(t, acc, 5, "question %d", q)
		for _, b := range acc {
			require.Equal(t, widths[q], b.Width())
		}
		if nq > 1 {
			require.Len(t, excl, len(garbage)+2, "question %d", q)
		}
	}
}

func TestSplitJoinErrors(t *testing.T) {
	for _, widths := range [][]int{nil, {}, {0}, {1, 0}, {-1, 2}, {1, elgamal.MaxWidth + 1}} {
		_, err := SplitFile([]byte("x\n"), widths)
		require.Error(t, err, "widths %v", widths)
	}
	files, err := SplitFile([]byte(flatLine(2, "")), []int{1, elgamal.MaxWidth})
	require.NoError(t, err)
	require.Equal(t, []string{flatLine(2, ""), flatLine(2, "")}, []string{string(files[0]), string(files[1])})

	ctx0 := Context{ElectionID: "e", Question: 0, PK: testKey(t, 1).Public()}
	ctx1 := Context{ElectionID: "e", Question: 1, PK: testKey(t, 2).Public()}
	a := testBallot(t, ctx0, 3, 1, "a")
	b := testBallot(t, ctx1, 4, 3, "b")
	b2 := testBallot(t, ctx1, 5, 3, "a")
	for name, lines := range map[string][][]byte{
		"garbage":                   {[]byte("garbage"), []byte("x")},
		"two voter ids":             {a.MarshalLine(), b.MarshalLine()},
		"fewer proofs than choices": {a.MarshalLine(), []byte(`{"choices":[{},{}],"proofs":[{}]}|a`)},
		"trailing bytes":            {a.MarshalLine(), append(b2.MarshalLine(), 'x')},
	} {
		_, err := JoinFile(lines)
		require.Error(t, err, name)
	}
	joined, err := JoinFile([][]byte{a.MarshalLine(), b2.MarshalLine()})
	require.NoError(t, err)
	files, err = SplitFile(joined, []int{1, 3})
	require.NoError(t, err)
	require.Equal(t, [][]byte{a.MarshalLine(), b2.MarshalLine()}, files)
	// The same line split with other widths is not split right, and the
	// ballot rule catches it.
	files, err = SplitFile(joined, []int{2, 2})
	require.NoError(t, err)
	acc, excl := Validate(Context{ElectionID: "e", Question: 0, PK: ctx0.PK, Width: 2}, files[0])
	require.Empty(t, acc)
	require.Len(t, excl, 1)
}
