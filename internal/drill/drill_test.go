package drill

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseCrashAt(t *testing.T) {
	for in, want := range map[string]struct {
		point string
		n     int
	}{
		"": {"", 0}, "created": {"created", 1}, "dkg-message:3": {"dkg-message", 3},
	} {
		p, n, err := ParseCrashAt(in)
		require.NoError(t, err, in)
		require.Equal(t, want.point, p, in)
		require.Equal(t, want.n, n, in)
	}
	for _, in := range []string{":1", "created:0", "created:-1", "created:x", "created:"} {
		_, _, err := ParseCrashAt(in)
		require.Error(t, err, in)
	}
}

func TestAuthority(t *testing.T) {
	var honest *Authority
	require.NoError(t, honest.Check())
	require.Equal(t, "", honest.Adversary())
	require.False(t, honest.Is(BadShuffle))
	require.Nil(t, honest.DKG(1, 3))
	for _, k := range Kinds {
		require.NoError(t, (&Authority{Kind: k}).Check())
	}
	require.Error(t, (&Authority{Kind: "bad"}).Check())
	require.Error(t, (&Authority{CrashAt: "x:0"}).Check())
	require.Equal(t, &DKG{Kind: BadDealer, Victim: 1}, (&Authority{Kind: BadDealer}).DKG(3, 3))
	require.Equal(t, &DKG{Kind: FalseComplaint, Victim: 3}, (&Authority{Kind: FalseComplaint}).DKG(2, 3))
	require.Nil(t, (&Authority{Kind: BadShuffle}).DKG(2, 3))
}
