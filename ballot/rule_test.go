package ballot

import (
	"bytes"
	"testing"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/testrand"
	"github.com/stretchr/testify/require"
)

func TestValidateReasons(t *testing.T) {
	pk := testKey(t, 5).Public()
	ctx := Context{ElectionID: "e-reasons", Question: 0, PK: pk, Width: 1}
	m, err := elgamal.EncodeUint64(1)
	require.NoError(t, err)
	anon, err := Encrypt(testrand.New(6), ctx, []*group.Element{m}, "")
	require.NoError(t, err)
	other, err := Encrypt(testrand.New(7), Context{ElectionID: "another", Question: 0, PK: pk, Width: 1}, []*group.Element{m}, "")
	require.NoError(t, err)
	var f bytes.Buffer
	for _, l := range [][]byte{anon.MarshalLine(), other.MarshalLine(), anon.MarshalLine()} {
		f.Write(l)
		f.WriteByte('\n')
	}
	acc, excl := Validate(ctx, f.Bytes())
	require.Len(t, acc, 1)
	require.Equal(t, []Exclusion{{2, ReasonProof}, {3, ReasonDuplicate}}, excl)
}

// Ciphertexts is the mix input: the accepted ballots' ciphertexts in
// order, encoded as the bytes they were parsed from.
func TestCiphertexts(t *testing.T) {
	pk := testKey(t, 8).Public()
	ctx := Context{ElectionID: "e-input", Question: 0, PK: pk, Width: 2}
	var f bytes.Buffer
	var want []byte
	for i := range 5 {
		m := make([]*group.Element, 2)
		for k := range m {
			var err error
			m[k], err = elgamal.EncodeUint64(uint64(10*i + k))
			require.NoError(t, err)
		}
		b, err := Encrypt(testrand.New(uint64(20+i)), ctx, m, "")
		require.NoError(t, err)
		f.Write(b.MarshalLine())
		f.WriteByte('\n')
		want = append(want, b.CiphertextBytes()...)
	}
	acc, excl := Validate(ctx, f.Bytes())
	require.Empty(t, excl)
	l, err := Ciphertexts(acc)
	require.NoError(t, err)
	require.Equal(t, 5, l.Len())
	require.Equal(t, 2, l.Width())
	require.Equal(t, want, l.Bytes())
	again, err := elgamal.NewList(l.Ciphertexts())
	require.NoError(t, err)
	require.Equal(t, want, again.Bytes(), "the stored encodings are the canonical ones")
	for i, b := range acc {
		require.True(t, b.Ciphertext().Equal(l.At(i)))
		require.NotSame(t, b.ct.Alpha[0], l.At(i).Alpha[0], "the list holds copies")
	}

	_, err = Ciphertexts(nil)
	require.Error(t, err)
	one, err := Encrypt(testrand.New(30), Context{ElectionID: "e-input", Question: 0, PK: pk, Width: 1}, []*group.Element{group.NewGeneratorElement()}, "")
	require.NoError(t, err)
	_, err = Ciphertexts([]*Ballot{acc[0], one})
	require.Error(t, err)
	_, err = Ciphertexts([]*Ballot{acc[0], nil})
	require.Error(t, err)
}

// ruleFile joins lines into a ballot file, each ended by eol.
func ruleFile(eol string, lines ...[]byte) []byte {
	var f bytes.Buffer
	for _, l := range lines {
		f.Write(l)
		f.WriteString(eol)
	}
	return f.Bytes()
}

func ruleBallot(t *testing.T, ctx Context, seed uint64, vote uint64, voter string) *Ballot {
	t.Helper()
	m, err := elgamal.EncodeUint64(vote)
	require.NoError(t, err)
	b, err := Encrypt(testrand.New(seed), ctx, []*group.Element{m}, voter)
	require.NoError(t, err)
	return b
}

// A file with CRLF line endings loses no ballot: each line's '\r' is
// removed, with or without a voter id, on the last line without its '\n'
// too; and the verdicts are those of the same file with LF endings.
func TestValidateCRLF(t *testing.T) {
	pk := testKey(t, 40).Public()
	ctx := Context{ElectionID: "e-crlf", Question: 0, PK: pk, Width: 1}
	a := ruleBallot(t, ctx, 41, 1, "alice").MarshalLine()
	b := ruleBallot(t, ctx, 42, 2, "").MarshalLine()
	c := ruleBallot(t, ctx, 43, 3, "carol").MarshalLine()
	lf := ruleFile("\n", a, b, []byte("garbage"), c)
	crlf := ruleFile("\r\n", a, b, []byte("garbage"), c)
	accLF, exLF := Validate(ctx, lf)
	accCRLF, exCRLF := Validate(ctx, crlf)
	require.Len(t, accCRLF, 3)
	require.Equal(t, exLF, exCRLF)
	require.Equal(t, []Exclusion{{3, ReasonMalformed}}, exCRLF)
	for i := range accLF {
		require.Equal(t, accLF[i].MarshalLine(), accCRLF[i].MarshalLine())
	}
	// The last line without its '\n', and mixed endings.
	acc, ex := Validate(ctx, append(ruleFile("\n", a), append(b, '\r')...))
	require.Len(t, acc, 2)
	require.Empty(t, ex)
	// Only one '\r' is removed; a lone "\r" line is empty.
	acc, ex = Validate(ctx, ruleFile("\r\r\n", a))
	require.Empty(t, acc)
	require.Equal(t, []Exclusion{{1, ReasonMalformed}}, ex)
	_, ex = Validate(ctx, ruleFile("\n", a, []byte("\r"), b))
	require.Equal(t, []Exclusion{{2, ReasonEmpty}}, ex)
	// A '\r' inside the line is still malformed.
	_, ex = Validate(ctx, ruleFile("\n", append(bytes.Clone(a[:len(a)-1]), '\r', a[len(a)-1])))
	require.Equal(t, []Exclusion{{1, ReasonMalformed}}, ex)
}

// Only a valid ballot supersedes: a later malformed, mis-sized, invalid or
// copied line of the same voter id cancels nothing, and a valid later one
// wins.
func TestValidateSupersede(t *testing.T) {
	pk := testKey(t, 50).Public()
	ctx := Context{ElectionID: "e-supersede", Question: 0, PK: pk, Width: 1}
	first := ruleBallot(t, ctx, 51, 1, "alice")
	second := ruleBallot(t, ctx, 52, 2, "alice")
	bob := ruleBallot(t, ctx, 53, 3, "bob")
	wrongElection := ruleBallot(t, Context{ElectionID: "other", Question: 0, PK: pk, Width: 1}, 54, 2, "alice")
	wide, err := Encrypt(testrand.New(55), Context{ElectionID: "e-supersede", Question: 0, PK: pk, Width: 2},
		[]*group.Element{group.NewGeneratorElement(), group.NewGeneratorElement()}, "alice")
	require.NoError(t, err)
	malformedAlice := append([]byte(`{"choices":[]}|`), "alice"...)

	tests := []struct {
		name    string
		lines   [][]byte
		want    []Exclusion
		winners []*Ballot
	}{
		{"later valid wins", [][]byte{first.MarshalLine(), bob.MarshalLine(), second.MarshalLine()},
			[]Exclusion{{1, "superseded by line 3"}}, []*Ballot{bob, second}},
		{"later invalid proof cancels nothing", [][]byte{first.MarshalLine(), wrongElection.MarshalLine()},
			[]Exclusion{{2, ReasonProof}}, []*Ballot{first}},
		{"later malformed cancels nothing", [][]byte{first.MarshalLine(), malformedAlice},
			[]Exclusion{{2, ReasonMalformed}}, []*Ballot{first}},
		{"later wrong width cancels nothing", [][]byte{first.MarshalLine(), wide.MarshalLine()},
			[]Exclusion{{2, ReasonWidth}}, []*Ballot{first}},
		{"replay of an older ballot cancels nothing", [][]byte{first.MarshalLine(), second.MarshalLine(), first.MarshalLine()},
			[]Exclusion{{1, "superseded by line 2"}, {3, ReasonDuplicate}}, []*Ballot{second}},
		{"the same line twice counts once", [][]byte{first.MarshalLine(), first.MarshalLine()},
			[]Exclusion{{2, ReasonDuplicate}}, []*Ballot{first}},
		{"invalid between valid ones", [][]byte{first.MarshalLine(), wrongElection.MarshalLine(), second.MarshalLine()},
			[]Exclusion{{1, "superseded by line 3"}, {2, ReasonProof}}, []*Ballot{second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc, ex := Validate(ctx, ruleFile("\n", tt.lines...))
			require.Equal(t, tt.want, ex)
			require.Len(t, acc, len(tt.winners))
			for i, w := range tt.winners {
				require.Equal(t, w.MarshalLine(), acc[i].MarshalLine())
			}
		})
	}
}

// A ballot excluded as a copy blocks nothing: only accepted-so-far valid
// ballots count as originals.
func TestValidateDuplicateOfExcluded(t *testing.T) {
	pk := testKey(t, 60).Public()
	ctx := Context{ElectionID: "e-dup", Question: 0, PK: pk, Width: 1}
	a := ruleBallot(t, ctx, 61, 1, "").MarshalLine()
	acc, ex := Validate(ctx, ruleFile("\n", a, a, a))
	require.Len(t, acc, 1)
	require.Equal(t, []Exclusion{{2, ReasonDuplicate}, {3, ReasonDuplicate}}, ex)
}

// SplitFile keeps CRLF line endings on every question's part, so that a
// multi-question CRLF vote file loses no ballot, with or without voter
// ids.
func TestSplitFileCRLF(t *testing.T) {
	pk0, pk1 := testKey(t, 70).Public(), testKey(t, 71).Public()
	c0 := Context{ElectionID: "e-split", Question: 0, PK: pk0, Width: 1}
	c1 := Context{ElectionID: "e-split", Question: 1, PK: pk1, Width: 2}
	var lf, crlf []byte
	for i, voter := range []string{"v1", ""} {
		b0, err := Encrypt(testrand.New(uint64(72+i)), c0, []*group.Element{group.NewGeneratorElement()}, voter)
		require.NoError(t, err)
		b1, err := Encrypt(testrand.New(uint64(74+i)), c1, []*group.Element{group.NewGeneratorElement(), group.NewGeneratorElement()}, voter)
		require.NoError(t, err)
		line, err := JoinFile([][]byte{b0.MarshalLine(), b1.MarshalLine()})
		require.NoError(t, err)
		lf = append(append(lf, line...), '\n')
		crlf = append(append(crlf, line...), "\r\n"...)
	}
	crlf = append(crlf, "junk\r\n"...)
	partsLF, err := SplitFile(lf, []int{1, 2})
	require.NoError(t, err)
	parts, err := SplitFile(crlf, []int{1, 2})
	require.NoError(t, err)
	for q, ctx := range []Context{c0, c1} {
		require.Equal(t, append(bytes.ReplaceAll(partsLF[q], []byte("\n"), []byte("\r\n")), "junk\r\n"...), parts[q])
		acc, ex := Validate(ctx, parts[q])
		require.Len(t, acc, 2, "question %d", q)
		require.Equal(t, []Exclusion{{3, ReasonMalformed}}, ex)
	}
}
