package proofs_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/kat"
	"github.com/eo-mixnet/eo/proofs"
	"github.com/stretchr/testify/require"
)

// TestKAT recomputes the known answers and verifies the stored proofs with
// the verifiers, so that both a change of the prover and a change of the
// verifier are caught.
func TestKAT(t *testing.T) {
	data, err := os.ReadFile("testdata/kat.json")
	require.NoError(t, err)
	var want kat.File
	require.NoError(t, json.Unmarshal(data, &want))
	require.Equal(t, &want, kat.Compute(), "known answers changed; if intended, run go run ./internal/kat/katgen")

	dec := func(s string) []byte {
		b, err := hex.DecodeString(s)
		require.NoError(t, err)
		return b
	}
	x, err := group.DecodeScalar(dec(want.SchnorrSecret))
	require.NoError(t, err)
	B := group.NewGeneratorElement()
	X := new(group.Element).ScalarBaseMult(x)
	ps, err := proofs.DecodeSchnorr(dec(want.SchnorrProof))
	require.NoError(t, err)
	require.NoError(t, proofs.VerifySchnorr(kat.Context(), B, X, ps))
	H, err := group.DecodeElement(dec(want.DLEQBase))
	require.NoError(t, err)
	pd, err := proofs.DecodeDLEQ(dec(want.DLEQProof))
	require.NoError(t, err)
	require.NoError(t, proofs.VerifyDLEQ(kat.Context(), B, X, H, new(group.Element).ScalarMult(x, H), pd))
	var hs, ys []*group.Element
	for _, s := range want.BatchDLEQBases {
		h, err := group.DecodeElement(dec(s))
		require.NoError(t, err)
		hs = append(hs, h)
		ys = append(ys, new(group.Element).ScalarMult(x, h))
	}
	pb, err := proofs.DecodeDLEQ(dec(want.BatchDLEQProof))
	require.NoError(t, err)
	require.NoError(t, proofs.VerifyBatchDLEQ(kat.Context(), B, X, hs, ys, nil, nil, pb))
}
