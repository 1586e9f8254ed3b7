package ballot

import (
	"bytes"
	"testing"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/stretchr/testify/require"
)

func TestValidateReasons(t *testing.T) {
	pk := testKey(t, 5).Public()
	ctx := Context{ElectionID: "e-reasons", Question: 0, PK: pk, Width: 1}
	m, err := elgamal.EncodeUint64(1)
	require.NoError(t, err)
	anon, err := Encrypt(testRand(6), ctx, []*group.Element{m}, "")
	require.NoError(t, err)
	other, err := Encrypt(testRand(7), Context{ElectionID: "another", Question: 0, PK: pk, Width: 1}, []*group.Element{m}, "")
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
