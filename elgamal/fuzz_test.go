package elgamal

import (
	"bytes"
	"flag"
	"fmt"
	"github.com/eo-mixnet/eo/internal/fuzzseed"
	"strings"
	"testing"

	"github.com/eo-mixnet/eo/group"
	"github.com/stretchr/testify/require"
)

// The fuzz targets check that no input panics, that every error wraps the
// documented sentinel, and that whatever parses serialises back to the
// very same bytes. Their seed corpora live in testdata/fuzz/<Name>/ and are
// written by
//
//	go test -run TestWriteFuzzSeeds -write-seeds ./elgamal

var writeSeeds = flag.Bool("write-seeds", false, "rewrite the fuzz seed corpora in testdata/fuzz")

// fuzzContext is the context of FuzzVerifyBallot's seeds.
func fuzzContext(t testing.TB) BallotContext {
	return BallotContext{ElectionID: "fuzz-election", Question: 0, PK: testKey(t, 1).Public()}
}

func FuzzParseBallotLine(f *testing.F) {
	ctx := testContext(f, 1)
	f.Add(testBallot(f, ctx, 1, 1, "").MarshalLine())
	f.Add(testBallot(f, ctx, 2, 2, "voter-2").MarshalLine())
	f.Fuzz(func(t *testing.T, line []byte) {
		b, err := ParseBallotLine(line)
		if err != nil {
			require.Nil(t, b)
			require.ErrorIs(t, err, group.ErrEncoding)
			return
		}
		require.Equal(t, line, b.MarshalLine())
		require.LessOrEqual(t, b.Width(), MaxWidth)
		ct, err := DecodeCiphertext(b.CiphertextBytes(), b.Width())
		require.NoError(t, err)
		require.True(t, ct.Equal(b.Ciphertext()))
	})
}

func FuzzDecodeCiphertextList(f *testing.F) {
	for _, w := range []int{1, 3} {
		f.Add(EncodeList(testCiphertexts(f, uint64(w), 2, w)), w, 2)
	}
	f.Fuzz(func(t *testing.T, data []byte, width, n int) {
		cs, err := DecodeList(data, width)
		if err != nil {
			require.ErrorIs(t, err, group.ErrEncoding)
		} else {
			require.Equal(t, data, append([]byte{}, EncodeList(cs)...))
			for _, c := range cs {
				require.Equal(t, width, c.Width())
				js, err := c.MarshalJSON()
				require.NoError(t, err)
				var back Ciphertext
				require.NoError(t, back.UnmarshalJSON(js))
				require.True(t, c.Equal(&back))
			}
		}
		cs, err = DecodeListN(data, width, n)
		if err != nil {
			require.ErrorIs(t, err, group.ErrEncoding)
			return
		}
		require.Len(t, cs, n)
		require.Equal(t, data, append([]byte{}, EncodeList(cs)...))
		if n == 1 {
			c, err := DecodeCiphertext(data, width)
			require.NoError(t, err)
			require.True(t, c.Equal(cs[0]))
		}
	})
}

func FuzzDecodePublicKey(f *testing.F) {
	pk := testKey(f, 1).Public()
	f.Add(pk.Bytes())
	f.Add([]byte(pk.String()))
	f.Add(make([]byte, 32))
	f.Fuzz(func(t *testing.T, data []byte) {
		if pk, err := DecodePublicKey(data); err != nil {
			require.ErrorIs(t, err, group.ErrEncoding)
		} else {
			require.Equal(t, data, pk.Bytes())
			require.Equal(t, 0, pk.Element().IsIdentity())
			back, err := PublicKeyFromText(pk.String())
			require.NoError(t, err)
			require.True(t, pk.Equal(back))
		}
		if pk, err := PublicKeyFromText(string(data)); err != nil {
			require.ErrorIs(t, err, group.ErrEncoding)
		} else {
			require.Equal(t, string(data), pk.String())
		}
		if k, err := DecodePrivateKey(data); err != nil {
			require.ErrorIs(t, err, group.ErrEncoding)
		} else {
			require.Equal(t, data, k.Bytes())
		}
	})
}

func FuzzDecodePlaintext(f *testing.F) {
	for _, m := range []string{"", "a", "vote for 7", strings.Repeat("x", PlaintextSize)} {
		e, err := EncodePlaintext([]byte(m))
		require.NoError(f, err)
		f.Add(e.Bytes())
		f.Add([]byte(m))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Element → message → element.
		if e, err := group.DecodeElement(data); err == nil {
			m, err := DecodePlaintext(e)
			if err != nil {
				require.ErrorIs(t, err, ErrInvalidPlaintext)
			} else {
				e2, err := EncodePlaintext(m)
				require.NoError(t, err)
				require.Equal(t, data, e2.Bytes())
			}
			if n, err := DecodeInt(e); err == nil {
				e2, err := EncodeInt(n)
				require.NoError(t, err)
				require.Equal(t, data, e2.Bytes())
			}
		}
		// Message → element → message.
		e, err := EncodePlaintext(data)
		if len(data) > PlaintextSize {
			require.ErrorIs(t, err, ErrInvalidPlaintext)
			return
		}
		require.NoError(t, err)
		m, err := DecodePlaintext(e)
		require.NoError(t, err)
		require.Equal(t, data, append([]byte{}, m...))
	})
}

func FuzzVerifyBallot(f *testing.F) {
	ctx := fuzzContext(f)
	f.Add(testBallot(f, ctx, 1, 1, "").MarshalLine(), ctx.ElectionID, 0)
	f.Add(testBallot(f, ctx, 2, 3, "v").MarshalLine(), ctx.ElectionID, 0)
	f.Fuzz(func(t *testing.T, line []byte, election string, question int) {
		b, err := ParseBallotLine(line)
		if err != nil {
			return
		}
		c := BallotContext{ElectionID: election, Question: question, PK: ctx.PK}
		err = VerifyBallot(c, b)
		errs := VerifyBallots(c, []*Ballot{b, b}, nil)
		require.Equal(t, err == nil, errs[0] == nil, "single: %v, batch: %v", err, errs[0])
		if err == nil {
			require.ErrorIs(t, errs[1], ErrDuplicateBallot)
		} else {
			require.Error(t, errs[1])
		}
	})
}

func FuzzCiphertextJSON(f *testing.F) {
	for _, w := range []int{1, 2} {
		js, err := testCiphertexts(f, uint64(w), 1, w)[0].MarshalJSON()
		require.NoError(f, err)
		f.Add(js)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Ciphertext
		if err := c.UnmarshalJSON(data); err != nil {
			require.ErrorIs(t, err, group.ErrEncoding)
			return
		}
		js, err := c.MarshalJSON()
		require.NoError(t, err)
		if bytes.Equal(js, data) {
			return
		}
		// Whitespace or key order differed: the canonical form is stable.
		var back Ciphertext
		require.NoError(t, back.UnmarshalJSON(js))
		require.True(t, c.Equal(&back))
		js2, _ := back.MarshalJSON()
		require.Equal(t, js, js2)
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

	for _, w := range []int{1, 3} {
		list := EncodeList(testCiphertexts(t, uint64(100+w), 3, w))
		write("FuzzDecodeCiphertextList", fmt.Sprintf("valid-w%d-n3", w), list, w, 3)
		write("FuzzDecodeCiphertextList", fmt.Sprintf("wrong-n-w%d", w), list, w, 4)
		write("FuzzDecodeCiphertextList", fmt.Sprintf("short-w%d", w), list[:len(list)-1], w, 3)
	}
	write("FuzzDecodeCiphertextList", "identity-alpha", make([]byte, 64), 1, 1)
	write("FuzzDecodeCiphertextList", "huge-n", make([]byte, 64), 1, 1<<62)
	write("FuzzDecodeCiphertextList", "empty", []byte{}, 1, 0)

	pk := testKey(t, 101).Public()
	write("FuzzDecodePublicKey", "valid-binary", pk.Bytes())
	write("FuzzDecodePublicKey", "valid-text", []byte(pk.String()))
	write("FuzzDecodePublicKey", "identity", make([]byte, 32))
	write("FuzzDecodePublicKey", "top-bit", elementWithTopBit(t))
	write("FuzzDecodePublicKey", "rfc9496-bad-0", mustHex(t, badEncodings[0]))
	write("FuzzDecodePublicKey", "padded-text", []byte(pk.String()+"="))

	for i, m := range []string{"", "yes", "candidate 12", strings.Repeat("\xff", PlaintextSize)} {
		e, err := EncodePlaintext([]byte(m))
		require.NoError(t, err)
		write("FuzzDecodePlaintext", fmt.Sprintf("valid-element-%d", i), e.Bytes())
		write("FuzzDecodePlaintext", fmt.Sprintf("message-%d", i), []byte(m))
	}
	n, err := EncodeUint64(1234567890)
	require.NoError(t, err)
	write("FuzzDecodePlaintext", "valid-int", n.Bytes())
	write("FuzzDecodePlaintext", "too-long", bytes.Repeat([]byte{1}, PlaintextSize+1))
	write("FuzzDecodePlaintext", "random-element", randElement(t, testRand(5)).Bytes())

	fctx := fuzzContext(t)
	write("FuzzVerifyBallot", "valid-w1", testBallot(t, fctx, 103, 1, "").MarshalLine(), fctx.ElectionID, 0)
	write("FuzzVerifyBallot", "valid-w2-voter", testBallot(t, fctx, 104, 2, "voter-104").MarshalLine(), fctx.ElectionID, 0)
	write("FuzzVerifyBallot", "other-election", testBallot(t, fctx, 105, 1, "").MarshalLine(), "other", 0)
	write("FuzzVerifyBallot", "other-question", testBallot(t, fctx, 106, 1, "").MarshalLine(), fctx.ElectionID, 3)
	write("FuzzVerifyBallot", "empty-election", testBallot(t, fctx, 107, 1, "").MarshalLine(), "", 0)

	for i, w := range []int{1, 3} {
		js, err := testCiphertexts(t, uint64(110+w), 1, w)[0].MarshalJSON()
		require.NoError(t, err)
		write("FuzzCiphertextJSON", fmt.Sprintf("valid-w%d", w), js)
		if i == 1 {
			write("FuzzCiphertextJSON", "spaced", bytes.ReplaceAll(js, []byte(","), []byte(" ,\n ")))
			write("FuzzCiphertextJSON", "duplicate-key", bytes.Replace(js, []byte(`"beta"`), []byte(`"alpha"`), 1))
		}
	}
}
