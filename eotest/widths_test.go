package eotest

import (
	"strings"
	"testing"

	"github.com/eo-mixnet/eo/internal/testctx"

	"github.com/stretchr/testify/require"
)

func TestQuestionWidths(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		questions int
		widths    []int
		want      []int // nil: refused
	}{
		{0, nil, []int{1}},
		{3, nil, []int{1, 1, 1}},
		{0, []int{3}, []int{3}},
		{2, []int{3}, []int{3, 3}},
		{0, []int{1, 3}, []int{1, 3}},
		{2, []int{1, 3}, []int{1, 3}},
		{3, []int{1, 3}, nil},
		{1, []int{1, 3}, nil},
		{-1, nil, nil},
		{1, []int{0}, nil},
		{0, []int{1, 1025}, nil},
		{2, []int{1024}, []int{1024, 1024}},
	} {
		got, err := QuestionWidths(tc.questions, tc.widths)
		if tc.want == nil {
			require.Error(t, err, "%d questions, widths %v", tc.questions, tc.widths)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
	}
}

// An election with questions of widths 1 and 3, end to end: the request's
// "width" reaches every authority, the vote file's lines split by width,
// and each question's tally is the multiset of the ballots cast, a
// 3-element ballot decrypting to its three numbers.
func TestFullWidths(t *testing.T) {
	t.Parallel()
	ctx := testctx.Context(t)
	res, err := Full(ctx, Options{Local: 2, Widths: []int{1, 3}, Votes: 20})
	require.NoError(t, err)
	require.Len(t, res.Counts, 2)
	for q, w := range []int{1, 3} {
		total := 0
		for _, c := range res.Counts[q] {
			require.Len(t, strings.Split(c.Plaintext, ","), w, "question %d", q)
			total += c.Count
		}
		require.Equal(t, 20, total)
	}
	require.Zero(t, res.Excluded)

	_, err = Full(ctx, Options{Local: 2, Questions: 3, Widths: []int{1, 3}, Votes: 5})
	require.ErrorContains(t, err, "2 widths for 3 questions")
}
