package ballot

import (
	"bytes"
	"flag"
	"testing"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/fuzzseed"
	"github.com/stretchr/testify/require"
)

// The fuzz targets check that no input panics and that whatever parses
// serialises back to the very same bytes. Their seed corpora live in
// testdata/fuzz/<Name>/ and are written by
//
//	go test -run TestWriteFuzzSeeds -write-seeds ./ballot

var writeSeeds = flag.Bool("write-seeds", false, "rewrite the fuzz seed corpora in testdata/fuzz")

// fuzzContext is the context of FuzzVerifyBallot's seeds.
func fuzzContext(t testing.TB) Context {
	return Context{ElectionID: "fuzz-election", Question: 0, PK: testKey(t, 1).Public()}
}

func FuzzParseBallotLine(f *testing.F) {
	ctx := testContext(f, 1)
	f.Add(testBallot(f, ctx, 1, 1, "").MarshalLine())
	f.Add(testBallot(f, ctx, 2, 2, "voter-2").MarshalLine())
	f.Fuzz(func(t *testing.T, line []byte) {
		b, err := ParseLine(line)
		if err != nil {
			require.Nil(t, b)
			require.ErrorIs(t, err, group.ErrEncoding)
			return
		}
		require.Equal(t, line, b.MarshalLine())
		require.LessOrEqual(t, b.Width(), elgamal.MaxWidth)
		ct, err := elgamal.DecodeCiphertext(b.CiphertextBytes(), b.Width())
		require.NoError(t, err)
		require.True(t, ct.Equal(b.Ciphertext()))
	})
}

func FuzzVerifyBallot(f *testing.F) {
	ctx := fuzzContext(f)
	f.Add(testBallot(f, ctx, 1, 1, "").MarshalLine(), ctx.ElectionID, 0)
	f.Add(testBallot(f, ctx, 2, 3, "v").MarshalLine(), ctx.ElectionID, 0)
	f.Fuzz(func(t *testing.T, line []byte, election string, question int) {
		b, err := ParseLine(line)
		if err != nil {
			return
		}
		c := Context{ElectionID: election, Question: question, PK: ctx.PK}
		err = Verify(c, b)
		errs := VerifyAll(c, []*Ballot{b, b}, nil)
		require.Equal(t, err == nil, errs[0] == nil, "single: %v, batch: %v", err, errs[0])
		if err == nil {
			require.ErrorIs(t, errs[1], ErrDuplicate)
		} else {
			require.Error(t, errs[1])
		}
	})
}

// TestWriteFuzzSeeds writes the seed corpora: valid inputs made with
// fixed randomness and a few invalid ones near them.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("run with -write-seeds to rewrite testdata/fuzz")
	}
	write := func(target, name string, values ...any) { fuzzseed.Write(t, target, name, values...) }
	ctx := testContext(t, 1)
	w1 := testBallot(t, ctx, 101, 1, "").MarshalLine()
	w3 := testBallot(t, ctx, 102, 3, "voter-102").MarshalLine()
	write("FuzzParseBallotLine", "valid-w1", w1)
	write("FuzzParseBallotLine", "valid-w3-voter", w3)
	write("FuzzParseBallotLine", "truncated", w3[:len(w3)/2])
	write("FuzzParseBallotLine", "trailing-newline", append(bytes.Clone(w1), '\n'))
	write("FuzzParseBallotLine", "empty-voter", append(bytes.Clone(w1), '|'))
	write("FuzzParseBallotLine", "identity-alpha", bytes.Replace(w1, w1[len(`{"choices":[{"alpha":"`):][:43], []byte(group.EncodeText(make([]byte, 32))), 1))
	write("FuzzParseBallotLine", "whitespace", bytes.ReplaceAll(w1, []byte(","), []byte(", ")))
	fctx := fuzzContext(t)
	write("FuzzVerifyBallot", "valid-w1", testBallot(t, fctx, 103, 1, "").MarshalLine(), fctx.ElectionID, 0)
	write("FuzzVerifyBallot", "valid-w2-voter", testBallot(t, fctx, 104, 2, "voter-104").MarshalLine(), fctx.ElectionID, 0)
	write("FuzzVerifyBallot", "other-election", testBallot(t, fctx, 105, 1, "").MarshalLine(), "other", 0)
	write("FuzzVerifyBallot", "other-question", testBallot(t, fctx, 106, 1, "").MarshalLine(), fctx.ElectionID, 3)
	write("FuzzVerifyBallot", "empty-election", testBallot(t, fctx, 107, 1, "").MarshalLine(), "", 0)
}
