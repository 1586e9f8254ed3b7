package vectors

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/eo-mixnet/eo/ballot"
)

// BallotRuleFile is ballot-rule.json.
type BallotRuleFile struct {
	Description string     `json:"description"`
	Election    string     `json:"election"`
	Question    int        `json:"question"`
	Width       int        `json:"width"`
	PublicKey   string     `json:"public_key"`
	Cases       []RuleCase `json:"cases"`
}

// RuleCase is a ballot file and the rule's verdict on it.
type RuleCase struct {
	Name     string             `json:"name"`
	File     string             `json:"file"`
	Excluded []ballot.Exclusion `json:"excluded"`
	Accepted []int              `json:"accepted_lines"`
}

func ballotRuleFile(e *election) (any, error) {
	A, B, X, C := e.ballots[0].MarshalLine(), e.ballots[1].MarshalLine(), e.ballots[2].MarshalLine(), e.ballots[3].MarshalLine()
	a2, err := e.encrypt(e.ctx, []uint64{7, 7}, "alice")
	if err != nil {
		return nil, err
	}
	aInvalid, err := e.encrypt(ballotContext(e, "eo-other"), []uint64{9, 9}, "alice")
	if err != nil {
		return nil, err
	}
	narrow := e.ctx
	narrow.Width = 1
	aNarrow, err := e.encrypt(narrow, []uint64{9}, "alice")
	if err != nil {
		return nil, err
	}
	A2, AInv, ANarrow := a2.MarshalLine(), aInvalid.MarshalLine(), aNarrow.MarshalLine()
	AMal := []byte(`{"choices":[]}|alice`)
	join := func(eol string, lines ...[]byte) string {
		var b strings.Builder
		for _, l := range lines {
			b.Write(l)
			b.WriteString(eol)
		}
		return b.String()
	}
	type ex = ballot.Exclusion
	cases := []RuleCase{
		{"CRLF line endings: every ballot counts", join("\r\n", A, B, X, C), nil, []int{1, 2, 3, 4}},
		{"LF, the last line without its newline", join("\n", A, B, X) + string(C), nil, []int{1, 2, 3, 4}},
		{"a later valid ballot of the same voter supersedes", join("\n", A, B, A2), []ex{{Line: 1, Reason: "superseded by line 3"}}, []int{2, 3}},
		{"a later line with an invalid proof supersedes nothing", join("\n", A, AInv), []ex{{Line: 2, Reason: ballot.ReasonProof}}, []int{1}},
		{"a later malformed line supersedes nothing", join("\n", A, AMal), []ex{{Line: 2, Reason: ballot.ReasonMalformed}}, []int{1}},
		{"a later line of the wrong width supersedes nothing", join("\n", A, ANarrow), []ex{{Line: 2, Reason: ballot.ReasonWidth}}, []int{1}},
		{"a replayed older ballot supersedes nothing", join("\n", A, A2, A), []ex{{Line: 1, Reason: "superseded by line 2"}, {Line: 3, Reason: ballot.ReasonDuplicate}}, []int{2}},
		{"the same line twice counts once", join("\n", X, X), []ex{{Line: 2, Reason: ballot.ReasonDuplicate}}, []int{1}},
		{"a copy excluded as a copy blocks nothing more", join("\n", X, X, X), []ex{{Line: 2, Reason: ballot.ReasonDuplicate}, {Line: 3, Reason: ballot.ReasonDuplicate}}, []int{1}},
		{"empty lines, one of them a lone CR", join("\n", A, nil, []byte("\r"), B), []ex{{Line: 2, Reason: ballot.ReasonEmpty}, {Line: 3, Reason: ballot.ReasonEmpty}}, []int{1, 4}},
		{"only one CR is removed", join("\r\r\n", A) + join("\n", B), []ex{{Line: 1, Reason: ballot.ReasonMalformed}}, []int{2}},
		{"an empty file", "", nil, nil},
		{"everything at once, CRLF", join("\r\n", A, []byte("garbage"), B, AInv, X, ANarrow, X, A2, nil, C, A),
			[]ex{{Line: 1, Reason: "superseded by line 8"}, {Line: 2, Reason: ballot.ReasonMalformed}, {Line: 4, Reason: ballot.ReasonProof},
				{Line: 6, Reason: ballot.ReasonWidth}, {Line: 7, Reason: ballot.ReasonDuplicate}, {Line: 9, Reason: ballot.ReasonEmpty},
				{Line: 11, Reason: ballot.ReasonDuplicate}}, []int{3, 5, 8, 10}},
	}
	for i := range cases {
		if cases[i].Excluded == nil {
			cases[i].Excluded = []ballot.Exclusion{}
		}
		if cases[i].Accepted == nil {
			cases[i].Accepted = []int{}
		}
		if err := CheckRule(e.ctx, cases[i]); err != nil {
			return nil, err
		}
	}
	return &BallotRuleFile{
		Description: "The ballot rule (doc/verify.md §3.3) on ballot files of question 0: the exclusions, in line order, and the lines accepted. Lines of a file are cut at \\n with one trailing \\r removed.",
		Election:    ElectionID, Question: Question, Width: Width, PublicKey: hx(e.pk.Bytes()), Cases: cases,
	}, nil
}

// CheckRule checks that ballot.Validate gives a case's verdict.
func CheckRule(ctx ballot.Context, c RuleCase) error {
	acc, excl := ballot.Validate(ctx, []byte(c.File))
	if excl == nil {
		excl = []ballot.Exclusion{}
	}
	if !slices.Equal(excl, c.Excluded) {
		return fmt.Errorf("%s: ballot.Validate excludes %v, want %v", c.Name, excl, c.Excluded)
	}
	lines := strings.Split(c.File, "\n")
	if len(acc) != len(c.Accepted) {
		return fmt.Errorf("%s: %d accepted, want %d", c.Name, len(acc), len(c.Accepted))
	}
	for k, l := range c.Accepted {
		if want := strings.TrimSuffix(lines[l-1], "\r"); string(acc[k].MarshalLine()) != want {
			return fmt.Errorf("%s: accepted ballot %d is not line %d", c.Name, k, l)
		}
	}
	return nil
}

// VoteSplitFile is vote-split.json.
type VoteSplitFile struct {
	Description string      `json:"description"`
	Widths      []int       `json:"widths"`
	Cases       []SplitCase `json:"cases"`
}

// SplitCase is a vote file and each question's part of it.
type SplitCase struct {
	Name  string   `json:"name"`
	Votes string   `json:"votes"`
	Parts []string `json:"parts"`
}

func voteSplitFile(e *election) (any, error) {
	widths := []int{1, 2}
	narrow := e.ctx
	narrow.Width = 1
	var vote [][]byte
	for i, v := range votes[:3] {
		b0, err := e.encrypt(narrow, v[:1], voters[i])
		if err != nil {
			return nil, err
		}
		line, err := ballot.JoinFile([][]byte{b0.MarshalLine(), e.ballots[i].MarshalLine()})
		if err != nil {
			return nil, err
		}
		vote = append(vote, line)
	}
	cat := func(parts ...string) string { return strings.Join(parts, "") }
	v0, v1, v2 := string(vote[0]), string(vote[1]), string(vote[2])
	cases := []SplitCase{
		{Name: "three voters, LF", Votes: cat(v0, "\n", v1, "\n", v2, "\n")},
		{Name: "three voters, CRLF: the parts keep CRLF", Votes: cat(v0, "\r\n", v1, "\r\n", v2, "\r\n")},
		{Name: "garbage, an empty line, a line of question 1 alone, no final newline", Votes: cat(v0, "\ngarbage\r\n\n", string(e.ballots[1].MarshalLine()), "\n", v2)},
	}
	for i := range cases {
		parts, err := ballot.SplitFile([]byte(cases[i].Votes), widths)
		if err != nil {
			return nil, err
		}
		spec := splitSpec([]byte(cases[i].Votes), widths)
		for q := range parts {
			if !bytes.Equal(parts[q], spec[q]) {
				return nil, fmt.Errorf("%s: question %d: ballot.SplitFile and the spec's rule differ", cases[i].Name, q)
			}
			cases[i].Parts = append(cases[i].Parts, string(parts[q]))
		}
	}
	return &VoteSplitFile{
		Description: "Splitting a vote file into each question's ballot file (doc/verify.md §3.4), questions of widths 1 and 2.",
		Widths:      widths, Cases: cases,
	}, nil
}

// splitSpec is doc/verify.md §3.4, written from the text.
func splitSpec(votes []byte, widths []int) [][]byte {
	W := 0
	for _, w := range widths {
		W += w
	}
	out := make([][]byte, len(widths))
	for len(votes) > 0 {
		piece, rest, nl := bytes.Cut(votes, []byte("\n"))
		votes = rest
		body, cr := bytes.CutSuffix(piece, []byte("\r"))
		choices, proofs, suffix, ok := scanSpec(body)
		for q := range widths {
			if ok && len(choices) == W && len(proofs) == W {
				s := 0
				for _, w := range widths[:q] {
					s += w
				}
				part := `{"choices":[` + strings.Join(choices[s:s+widths[q]], ",") + `],"proofs":[` + strings.Join(proofs[s:s+widths[q]], ",") + `]}` + suffix
				out[q] = append(out[q], part...)
				if cr {
					out[q] = append(out[q], '\r')
				}
			} else {
				out[q] = append(out[q], piece...)
			}
			if nl {
				out[q] = append(out[q], '\n')
			}
		}
	}
	return out
}

func scanSpec(b []byte) (choices, proofs []string, suffix string, ok bool) {
	s := string(b)
	objects := func(prefix string) ([]string, bool) {
		var objs []string
		if !strings.HasPrefix(s, prefix) {
			return nil, false
		}
		s = s[len(prefix):]
		for {
			if !strings.HasPrefix(s, "{") {
				return nil, false
			}
			end := strings.IndexByte(s, '}')
			if end < 0 || strings.Contains(s[1:end], "{") {
				return nil, false
			}
			objs = append(objs, s[:end+1])
			s = s[end+1:]
			if !strings.HasPrefix(s, ",") {
				return objs, true
			}
			s = s[1:]
		}
	}
	if choices, ok = objects(`{"choices":[`); !ok {
		return
	}
	if proofs, ok = objects(`],"proofs":[`); !ok {
		return
	}
	if !strings.HasPrefix(s, "]}") {
		return nil, nil, "", false
	}
	s = s[2:]
	if s != "" && s[0] != '|' {
		return nil, nil, "", false
	}
	return choices, proofs, s, true
}
