package ballot

import (
	"bytes"
	"fmt"
)

// An election's vote file, as the web server dumps it and votes_hash
// names it, has one line per voter. With one question it is that
// question's ballot file. With Q > 1 questions, each of width 1, line
// holds the voter's Q choices and Q proofs, choice q for question q under
// question q's key, as in the old format:
//
//	{"choices":[c_0,…,c_{Q-1}],"proofs":[p_0,…,p_{Q-1}]}|voterid
//
// SplitFile derives question q's ballot file from it by keeping, on every
// line, choice q and proof q only: {"choices":[c_q],"proofs":[p_q]} and the
// same voter suffix. A line that is not of that shape (garbage, a wrong
// number of choices, anything but the canonical byte layout) is copied
// unchanged into every question's file, where ValidateBallots excludes it
// with its reason. The rule is deterministic and byte-exact, so a verifier
// recomputes each question's ballots.jsonl from the vote file.
func SplitFile(data []byte, questions int) ([][]byte, error) {
	if questions < 1 {
		return nil, fmt.Errorf("ballot: %d questions", questions)
	}
	if questions == 1 {
		return [][]byte{data}, nil
	}
	out := make([]bytes.Buffer, questions)
	for len(data) > 0 {
		line, rest, found := bytes.Cut(data, []byte{'\n'})
		data = rest
		parts, ok := splitVoteLine(line, questions)
		for q := range out {
			if ok {
				out[q].Write(parts[q])
			} else {
				out[q].Write(line)
			}
			if found {
				out[q].WriteByte('\n')
			}
		}
	}
	files := make([][]byte, questions)
	for q := range out {
		files[q] = out[q].Bytes()
	}
	return files, nil
}

// JoinFile is the inverse of SplitFile for one voter: it joins the
// voter's ballot lines, one per question, each of width 1 and with the
// same voter suffix, into the vote file's line.
func JoinFile(lines [][]byte) ([]byte, error) {
	if len(lines) == 1 {
		return bytes.Clone(lines[0]), nil
	}
	var choices, proofs [][]byte
	var suffix []byte
	for q, l := range lines {
		c, p, s, ok := scanVoteLine(l)
		if !ok || len(c) != 1 || len(p) != 1 {
			return nil, malformed("question %d: not a canonical ballot line of width 1", q)
		}
		if q > 0 && !bytes.Equal(s, suffix) {
			return nil, malformed("question %d: another voter id", q)
		}
		suffix = s
		choices, proofs = append(choices, c[0]), append(proofs, p[0])
	}
	return voteLine(choices, proofs, suffix), nil
}

const (
	votePrefix = `{"choices":[`
	voteMiddle = `],"proofs":[`
	voteEnd    = `]}`
)

func voteLine(choices, proofs [][]byte, suffix []byte) []byte {
	var b bytes.Buffer
	b.WriteString(votePrefix)
	b.Write(bytes.Join(choices, []byte{','}))
	b.WriteString(voteMiddle)
	b.Write(bytes.Join(proofs, []byte{','}))
	b.WriteString(voteEnd)
	b.Write(suffix)
	return b.Bytes()
}

func splitVoteLine(line []byte, questions int) ([][]byte, bool) {
	c, p, s, ok := scanVoteLine(line)
	if !ok || len(c) != questions || len(p) != questions {
		return nil, false
	}
	parts := make([][]byte, questions)
	for q := range parts {
		parts[q] = voteLine(c[q:q+1], p[q:q+1], s)
	}
	return parts, true
}

// scanVoteLine cuts a line of the canonical layout into its choice
// objects, its proof objects and its voter suffix ("|id" or nothing),
// without judging their content (ParseLine does, per question).
// Objects are flat: "{" up to the first "}".
func scanVoteLine(line []byte) (choices, proofs [][]byte, suffix []byte, ok bool) {
	rest, ok := bytes.CutPrefix(line, []byte(votePrefix))
	if !ok {
		return nil, nil, nil, false
	}
	if choices, rest, ok = scanObjects(rest); !ok {
		return nil, nil, nil, false
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(voteMiddle)); !ok {
		return nil, nil, nil, false
	}
	if proofs, rest, ok = scanObjects(rest); !ok {
		return nil, nil, nil, false
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(voteEnd)); !ok {
		return nil, nil, nil, false
	}
	if len(rest) > 0 && rest[0] != '|' {
		return nil, nil, nil, false
	}
	return choices, proofs, rest, true
}

func scanObjects(b []byte) (objs [][]byte, rest []byte, ok bool) {
	for {
		if len(b) == 0 || b[0] != '{' {
			return nil, nil, false
		}
		end := bytes.IndexByte(b, '}')
		if end < 0 || bytes.IndexByte(b[1:end], '{') >= 0 {
			return nil, nil, false
		}
		objs = append(objs, b[:end+1])
		b = b[end+1:]
		if len(b) == 0 || b[0] != ',' {
			return objs, b, true
		}
		b = b[1:]
	}
}
