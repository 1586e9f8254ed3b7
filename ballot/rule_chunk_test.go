package ballot

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/eo-mixnet/eo/group"
	"github.com/stretchr/testify/require"
)

// referenceValidate is the ballot rule as doc/verify.md states it, on the
// whole file at once (VerifyAll over every candidate): what Validate
// computed before it worked in chunks.
func referenceValidate(ctx Context, data []byte) ([]*Ballot, []Exclusion) {
	lines := SplitLines(data)
	excluded := map[int]string{}
	parsed, perrs := ParseLines(lines)
	var cand []*Ballot
	var candLine []int
	for i, l := range lines {
		switch {
		case len(l) == 0:
			excluded[i] = ReasonEmpty
		case perrs[i] != nil:
			excluded[i] = ReasonMalformed
		case parsed[i].Width() != ctx.Width:
			excluded[i] = ReasonWidth
		default:
			cand = append(cand, parsed[i])
			candLine = append(candLine, i)
		}
	}
	errs := VerifyAll(ctx, cand, nil)
	var valid []int
	for k := range cand {
		switch {
		case errs[k] == nil:
			valid = append(valid, k)
		case errors.Is(errs[k], ErrDuplicate):
			excluded[candLine[k]] = ReasonDuplicate
		default:
			excluded[candLine[k]] = ReasonProof
		}
	}
	last := map[string]int{}
	for _, k := range valid {
		if id := cand[k].VoterID(); id != "" {
			last[id] = candLine[k]
		}
	}
	var accepted []*Ballot
	for _, k := range valid {
		if id := cand[k].VoterID(); id != "" && last[id] != candLine[k] {
			excluded[candLine[k]] = fmt.Sprintf(ReasonSuperseded, last[id]+1)
			continue
		}
		accepted = append(accepted, cand[k])
	}
	out := []Exclusion{}
	for i := range lines {
		if r, ok := excluded[i]; ok {
			out = append(out, Exclusion{Line: i + 1, Reason: r})
		}
	}
	return accepted, out
}

// Validate and ValidateList work a chunk of lines at a time; their
// verdicts are those of the rule over the whole file, whatever the chunk
// size: copies and superseded ballots across chunk boundaries included.
// ValidateList's list is Ciphertexts of Validate's ballots, byte for byte.
func TestValidateChunks(t *testing.T) {
	pk := testKey(t, 70).Public()
	ctx := Context{ElectionID: "e-chunks", Question: 0, PK: pk, Width: 1}
	voters := []string{"", "", "alice", "bob", "carol"}
	var pool [][]byte
	for i := range 12 {
		pool = append(pool, ruleBallot(t, ctx, uint64(100+i), uint64(i%4), voters[i%len(voters)]).MarshalLine())
	}
	other := ruleBallot(t, Context{ElectionID: "other", Question: 0, PK: pk, Width: 1}, 200, 1, "alice").MarshalLine()
	wide, err := Encrypt(nil, Context{ElectionID: "e-chunks", Question: 0, PK: pk, Width: 2},
		[]*group.Element{group.NewGeneratorElement(), group.NewGeneratorElement()}, "bob")
	require.NoError(t, err)
	odd := [][]byte{{}, []byte("garbage"), other, wide.MarshalLine(), append([]byte(`{"choices":[]}|`), "carol"...)}

	defer func(c int) { validateChunk = c }(validateChunk)
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 40 {
		var lines [][]byte
		for range 1 + rng.IntN(30) {
			if rng.IntN(4) == 0 {
				lines = append(lines, odd[rng.IntN(len(odd))])
			} else {
				lines = append(lines, pool[rng.IntN(len(pool))])
			}
		}
		file := ruleFile("\n", lines...)
		wantAcc, wantEx := referenceValidate(ctx, file)
		for _, chunk := range []int{1, 2, 3, 7, 1 << 15} {
			validateChunk = chunk
			name := fmt.Sprintf("trial %d, chunks of %d", trial, chunk)
			acc, ex := Validate(ctx, file)
			if ex == nil {
				ex = []Exclusion{}
			}
			require.Equal(t, wantEx, ex, name)
			require.Len(t, acc, len(wantAcc), name)
			for i := range acc {
				require.Equal(t, wantAcc[i].MarshalLine(), acc[i].MarshalLine(), name)
			}
			list, lex := ValidateList(ctx, file)
			require.Equal(t, wantEx, lex, name)
			if len(wantAcc) == 0 {
				require.Nil(t, list, name)
				continue
			}
			want, err := Ciphertexts(wantAcc)
			require.NoError(t, err)
			require.NotNil(t, list, name)
			require.Equal(t, want.Bytes(), list.Bytes(), name)
			require.Equal(t, want.Len(), list.Len(), name)
			for i, c := range list.Ciphertexts() {
				require.True(t, c.Equal(want.Ciphertexts()[i]), name)
			}
		}
	}
}

// A width out of range accepts nothing: every line is excluded.
func TestValidateListWidth(t *testing.T) {
	pk := testKey(t, 71).Public()
	ctx := Context{ElectionID: "e-w", Question: 0, PK: pk, Width: 1}
	file := ruleFile("\n", ruleBallot(t, ctx, 72, 1, "").MarshalLine())
	for _, w := range []int{0, -1, 1 << 20} {
		ctx.Width = w
		list, ex := ValidateList(ctx, file)
		require.Nil(t, list)
		require.Equal(t, []Exclusion{{1, ReasonWidth}}, ex)
	}
}
