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
