package ballot

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
)

// Exclusion is a ballot line left out of the tally, and why.
type Exclusion struct {
	Line   int    `json:"line"` // 1-based line number in the ballot file
	Reason string `json:"reason"`
}

// Reasons for excluding a ballot line: a fixed vocabulary, so that any
// verifier can recompute excluded.json byte for byte.
const (
	ReasonEmpty      = "empty line"
	ReasonMalformed  = "malformed"               // not a canonical ballot line (ParseLine)
	ReasonWidth      = "wrong number of choices" // parses, but not with the question's width
	ReasonSuperseded = "superseded by line %d"   // a later line of the same voter id
	ReasonProof      = "invalid proof"           // a proof of knowledge does not verify
	ReasonDuplicate  = "duplicate ciphertext"    // valid, but repeats an earlier valid ballot's ciphertext
)

// Validate applies eo's deterministic ballot rule to the ballot file of
// one question, which every authority and every verifier recomputes
// identically. The rule is specified, step by step, in doc/verify.md
// ("The ballot rule"); in short:
//
//  1. the file is split at '\n' (a final newline ends the last line, it
//     does not start an empty one) and one '\r' at the end of a line is
//     removed, so that a file with CRLF line endings means what it says;
//     an empty line is excluded (ReasonEmpty);
//  2. a line that does not parse (ParseLine) is excluded (ReasonMalformed),
//     and so is one of another width (ReasonWidth);
//  3. a ballot whose proofs of knowledge do not verify for this election,
//     question and key is excluded (ReasonProof);
//  4. in line order, a valid ballot that has an α in common with an
//     earlier valid ballot not itself excluded here is excluded
//     (ReasonDuplicate): a copy, or a replay of an older ballot;
//  5. of the ballots left with the same voter id, the last one wins; the
//     earlier ones are excluded (ReasonSuperseded, naming the winning
//     line). Only a valid ballot supersedes: a malformed, mis-sized,
//     invalid or copied line cancels nobody's vote.
//
// Each excluded line has the reason of the first step that excludes it.
// It returns the accepted ballots in line order and the exclusions in line
// order.
func Validate(ctx Context, data []byte) ([]*Ballot, []Exclusion) {
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
	// Steps 3 and 4: VerifyAll checks the proofs and, among the valid
	// ballots in order, the copies.
	errs := VerifyAll(ctx, cand, nil)
	var valid []int // indices into cand
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
	// Step 5: the last valid ballot of each voter id wins.
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
	out := make([]Exclusion, 0, len(excluded))
	for i := range lines {
		if r, ok := excluded[i]; ok {
			out = append(out, Exclusion{Line: i + 1, Reason: r})
		}
	}
	return accepted, out
}

// SplitLines cuts a ballot or vote file into its lines as the ballot rule
// reads them: at each '\n', a final '\n' ending the last line rather
// than starting an empty one, and with one '\r' removed from the end of
// each line (CRLF line endings). Line i of the result is line i+1 of the
// file in the rule's 1-based numbering. The lines alias data.
func SplitLines(data []byte) [][]byte {
	lines := bytes.Split(data, []byte{'\n'})
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		lines[i] = bytes.TrimSuffix(l, []byte{'\r'})
	}
	return lines
}

// Ciphertexts returns the input of a question's mix: the ciphertexts of
// the accepted ballots (Validate), in order, as one list whose encoding is
// the bytes the ballots were parsed from, so that nothing is encoded
// again. The ciphertexts are copies, in one block. It fails if accepted is
// empty or its ballots differ in width.
func Ciphertexts(accepted []*Ballot) (*elgamal.List, error) {
	if len(accepted) == 0 {
		return nil, errors.New("ballot: no accepted ballot to mix")
	}
	n, w := len(accepted), accepted[0].Width()
	for i, b := range accepted {
		if b == nil || b.Width() != w {
			return nil, fmt.Errorf("ballot: accepted ballot %d is missing or not of width %d", i, w)
		}
	}
	elems := make([]group.Element, 2*n*w)
	cts := make([]elgamal.Ciphertext, n)
	out := make([]*elgamal.Ciphertext, n)
	ptrs := make([]*group.Element, 2*n*w)
	enc := make([]byte, 0, n*w*elgamal.CiphertextSize)
	for i, b := range accepted {
		p := ptrs[2*i*w : 2*(i+1)*w]
		for j := 0; j < w; j++ {
			p[j] = elems[2*i*w+j].Set(b.ct.Alpha[j])
			p[w+j] = elems[2*i*w+w+j].Set(b.ct.Beta[j])
		}
		cts[i] = elgamal.Ciphertext{Alpha: p[:w:w], Beta: p[w:]}
		out[i] = &cts[i]
		enc = append(enc, b.enc...)
	}
	return elgamal.NewListEncoded(out, enc)
}
