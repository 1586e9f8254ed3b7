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

// Validate applies eo's deterministic ballot rule to the ballot
// file of one question (threats.md A8, A9), which every authority and
// every verifier recomputes identically:
//
//  1. the file is split at '\n' (a final newline ends the last line); an
//     empty line is excluded (ReasonEmpty);
//  2. a line that does not parse (ParseLine: canonical JSON,
//     canonical non-identity group elements) is excluded (ReasonMalformed),
//     and so is one of another width (ReasonWidth);
//  3. of the remaining lines with the same voter id, the last one wins, as
//     in the old web server's dump; the earlier ones are excluded
//     (ReasonSuperseded, naming the winning line);
//  4. a ballot whose proofs of knowledge do not verify for this election,
//     question and key is excluded (ReasonProof), and so is a valid ballot
//     whose ciphertext repeats one of an earlier valid ballot
//     (ReasonDuplicate).
//
// It returns the accepted ballots in line order and the exclusions in line
// order.
func Validate(ctx Context, data []byte) ([]*Ballot, []Exclusion) {
	lines := bytes.Split(data, []byte{'\n'})
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	excluded := map[int]string{}
	parsed, perrs := ParseLines(lines)
	for i, l := range lines {
		if len(l) == 0 {
			excluded[i] = ReasonEmpty
			parsed[i] = nil
			continue
		}
		b, err := parsed[i], perrs[i]
		if err != nil {
			excluded[i] = ReasonMalformed
			parsed[i] = nil
			continue
		}
		if b.Width() != ctx.Width {
			excluded[i] = ReasonWidth
			parsed[i] = nil
		}
	}
	last := map[string]int{}
	for i, b := range parsed {
		if b != nil && b.VoterID() != "" {
			last[b.VoterID()] = i
		}
	}
	var cand []*Ballot
	var candLine []int
	for i, b := range parsed {
		if b == nil {
			continue
		}
		if id := b.VoterID(); id != "" && last[id] != i {
			excluded[i] = fmt.Sprintf(ReasonSuperseded, last[id]+1)
			continue
		}
		cand = append(cand, b)
		candLine = append(candLine, i)
	}
	errs := VerifyAll(ctx, cand, nil)
	var accepted []*Ballot
	for k, b := range cand {
		if errs[k] != nil {
			if errors.Is(errs[k], ErrDuplicate) {
				excluded[candLine[k]] = ReasonDuplicate
			} else {
				excluded[candLine[k]] = ReasonProof
			}
			continue
		}
		accepted = append(accepted, b)
	}
	out := make([]Exclusion, 0, len(excluded))
	for i := range lines {
		if r, ok := excluded[i]; ok {
			out = append(out, Exclusion{Line: i + 1, Reason: r})
		}
	}
	return accepted, out
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
