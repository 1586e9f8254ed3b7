package elgamal

import (
	"bytes"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/eo-mixnet/eo/internal/enctest"
	"github.com/eo-mixnet/eo/internal/fuzzseed"
	"github.com/eo-mixnet/eo/internal/testrand"

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

// FuzzDecodeCiphertextList fuzzes DecodeList, DecodeListN and
// DecodeListNAliased.
func FuzzDecodeCiphertextList(f *testing.F) {
	for _, w := range []int{1, 3} {
		l, err := NewList(testCiphertexts(f, uint64(w), 2, w))
		require.NoError(f, err)
		f.Add(l.Bytes(), w, 2)
	}
	f.Fuzz(func(t *testing.T, data []byte, width, n int) {
		l, err := DecodeList(data, width)
		if err != nil {
			require.ErrorIs(t, err, group.ErrEncoding)
		} else {
			// parse → serialise gives the input back, byte for byte, and so
			// does encoding the decoded ciphertexts afresh.
			require.Equal(t, data, l.Bytes())
			require.Equal(t, width, l.Width())
			again, err := NewList(l.Ciphertexts())
			require.NoError(t, err)
			require.Equal(t, data, again.Bytes())
			for _, c := range l.Ciphertexts() {
				require.Equal(t, width, c.Width())
				js, err := c.MarshalJSON()
				require.NoError(t, err)
				var back Ciphertext
				require.NoError(t, back.UnmarshalJSON(js))
				require.True(t, c.Equal(&back))
			}
		}
		l, err = DecodeListN(data, width, n)
		// DecodeListNAliased accepts and rejects what DecodeListN does,
		// and decodes to the same list, which keeps data itself.
		kept := bytes.Clone(data)
		a, errA := DecodeListNAliased(kept, width, n)
		if err != nil {
			require.ErrorIs(t, err, group.ErrEncoding)
			require.ErrorIs(t, errA, group.ErrEncoding)
			return
		}
		require.NoError(t, errA)
		require.Equal(t, n, l.Len())
		require.Equal(t, data, l.Bytes())
		require.Equal(t, n, a.Len())
		require.Equal(t, width, a.Width())
		require.True(t, len(kept) == 0 || &a.Bytes()[0] == &kept[0], "the aliased list copied its encoding")
		for i := range n {
			require.True(t, l.At(i).Equal(a.At(i)), "ciphertext %d", i)
		}
		if n == 1 {
			c, err := DecodeCiphertext(data, width)
			require.NoError(t, err)
			require.True(t, c.Equal(l.At(0)))
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

	for _, w := range []int{1, 3} {
		l, err := NewList(testCiphertexts(t, uint64(100+w), 3, w))
		require.NoError(t, err)
		list := l.Bytes()
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
	write("FuzzDecodePublicKey", "top-bit", enctest.ElementWithTopBit())
	write("FuzzDecodePublicKey", "rfc9496-bad-0", enctest.MustHex(enctest.BadEncodings[0]))
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
	write("FuzzDecodePlaintext", "random-element", testrand.Element(t, testrand.New(5)).Bytes())

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
