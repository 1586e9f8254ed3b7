package bench

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestShuffleBench(t *testing.T) {
	rep, err := ShuffleBench(40, 2, 1, true)
	require.NoError(t, err)
	require.Equal(t, 40, rep.N)
	require.Equal(t, 2, rep.Width)
	require.Positive(t, rep.SMNs)
	require.Positive(t, rep.VerifyNsPerCt)
	require.InDelta(t, float64(9+32*(5*40+3*2+6))/40, rep.ProofBytesPerCt, 1e-9)
	_, err = ShuffleBench(0, 1, 1, false)
	require.Error(t, err)
}
