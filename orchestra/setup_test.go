package orchestra

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/elgamal"
)

// The widths travel in the setup, and every authority checks them where
// it checks the setup (checkSetupShape, from acceptSetup): one per
// question, each 1 … elgamal.MaxWidth, so a director cannot hand out
// widths the ballot rule and the mix-net would not take.
func TestSetupWidths(t *testing.T) {
	t.Parallel()
	good := func() setup {
		return setup{ElectionID: "e-1", Director: "local-a1", Threshold: 2, Questions: 2, Widths: []int{1, 3},
			Authorities: []authority{{Name: "local-a1"}, {Name: "local-a2"}}}
	}
	su := good()
	require.NoError(t, (&Server{}).checkSetupShape(&su))
	require.Equal(t, []int{1, 3}, su.widths())
	su.Widths = []int{elgamal.MaxWidth, 1}
	require.NoError(t, (&Server{}).checkSetupShape(&su))

	for name, tc := range map[string]struct {
		widths []int
		want   string
	}{
		"none":          {nil, "0 widths for 2 questions"},
		"too few":       {[]int{1}, "1 widths for 2 questions"},
		"too many":      {[]int{1, 3, 1}, "3 widths for 2 questions"},
		"zero":          {[]int{1, 0}, "question 1: width 0 out of 1 … 1024"},
		"negative":      {[]int{-1, 1}, "question 0: width -1"},
		"over MaxWidth": {[]int{1, elgamal.MaxWidth + 1}, "question 1: width 1025"},
	} {
		su := good()
		su.Widths = tc.widths
		require.ErrorContains(t, (&Server{}).checkSetupShape(&su), tc.want, name)
	}

	// As msgSetup carries it: a setup without "widths" is refused too.
	var wire setup
	require.NoError(t, json.Unmarshal([]byte(`{"election_id":"e-1","director":"local-a1","threshold":1,"questions":1,
		"authorities":[{"name":"local-a1"}]}`), &wire))
	require.ErrorContains(t, (&Server{}).checkSetupShape(&wire), "0 widths for 1 questions")
	wire.Widths = []int{2}
	require.NoError(t, (&Server{}).checkSetupShape(&wire))
	b, err := json.Marshal(&wire)
	require.NoError(t, err)
	require.Contains(t, string(b), `"widths":[2]`)
}
