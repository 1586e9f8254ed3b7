package ballot

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/eo-mixnet/eo/elgamal"
)

// An election's vote file, as the web server dumps it and votes_hash
// names it, has one line per voter. With one question it is that
// question's ballot file. With Q > 1 questions of widths w_0, …, w_{Q-1},
// a line holds the voter's choices and proofs of every question one after
// the other, question q's w_q choices (the pairs of one ciphertext under
// question q's key) and w_q proofs after those of questions 0 … q-1; with
// every width 1 this is the old format, one choice per question:
//
//	{"choices":[c_0,…,c_{W-1}],"proofs":[p_0,…,p_{W-1}]}|voterid   (W = w_0 + … + w_{Q-1})
//
// SplitFile derives question q's ballot file from it by keeping, on every
// line, question q's choices and proofs only, c_s … c_{s+w_q-1} and
// p_s … p_{s+w_q-1} with s = w_0 + … + w_{q-1}, and the same voter suffix.
// A line that ends in "\r\n" is split without its '\r', and each part
// ends in "\r\n" too (CRLF line endings are kept, as Validate reads them).
// A line that is not of that shape (garbage, a total number of choices or
// proofs other than W, anything but the canonical byte layout) is copied
// unchanged into every question's file, where Validate excludes it with
// its reason. The byte-exact rule is in doc/verify.md ("Splitting the vote
// file"). The rule is deterministic and byte-exact, so a verifier
// recomputes each question's ballots.jsonl from the vote file. It fails
// only if widths is empty or a width is not in 1 … elgamal.MaxWidth.
func SplitFile(data []byte, widths []int) ([][]byte, error) {
	if len(widths) < 1 {
		return nil, errors.New("ballot: no question to split the vote file for")
	}
	total := 0
	for q, w := range widths {
		if w < 1 || w > elgamal.MaxWidth {
			return nil, fmt.Errorf("ballot: question %d: width %d out of range (1 to %d)", q, w, elgamal.MaxWidth)
		}
		total += w
	}
	if len(widths) == 1 {
		return [][]byte{data}, nil
	}
	out := make([]bytes.Buffer, len(widths))
	for len(data) > 0 {
		line, rest, found := bytes.Cut(data, []byte{'\n'})
		data = rest
		body, cr := bytes.CutSuffix(line, []byte{'\r'})
		parts, ok := splitVoteLine(body, widths, total)
		for q := range out {
			if ok {
				out[q].Write(parts[q])
				if cr {
					out[q].WriteByte('\r')
				}
			} else {
				out[q].Write(line)
			}
			if found {
				out[q].WriteByte('\n')
			}
		}
	}
	files := make([][]byte, len(widths))
	for q := range out {
		files[q] = out[q].Bytes()
	}
	return files, nil
}

// JoinFile is the inverse of SplitFile for one voter: it joins the
// voter's ballot lines, one per question, each with as many proofs as
// choices and all with the same voter suffix, into the vote file's line;
// SplitFile with the lines' widths gives them back. One line is returned
// as it is.
func JoinFile(lines [][]byte) ([]byte, error) {
	if len(lines) == 1 {
		return bytes.Clone(lines[0]), nil
	}
	var choices, proofs [][]byte
	var suffix []byte
	for q, l := range lines {
		c, p, s, ok := scanVoteLine(l)
		if !ok || len(c) != len(p) || len(c) > elgamal.MaxWidth {
			return nil, malformed("question %d: not a canonical ballot line", q)
		}
		if q > 0 && !bytes.Equal(s, suffix) {
			return nil, malformed("question %d: another voter id", q)
		}
		suffix = s
		choices, proofs = append(choices, c...), append(proofs, p...)
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

// splitVoteLine cuts a vote file's line into one ballot line per
// question; total is the sum of the widths.
func splitVoteLine(line []byte, widths []int, total int) ([][]byte, bool) {
	c, p, s, ok := scanVoteLine(line)
	if !ok || len(c) != total || len(p) != total {
		return nil, false
	}
	parts := make([][]byte, len(widths))
	at := 0
	for q, w := range widths {
		parts[q] = voteLine(c[at:at+w], p[at:at+w], s)
		at += w
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
