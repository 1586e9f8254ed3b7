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
	var kept []*Ballot
	lines := SplitLines(data)
	valid, excluded := checkLines(ctx, lines, func(b *Ballot) { kept = append(kept, b) })
	var accepted []*Ballot
	for _, k := range supersede(valid, excluded) {
		accepted = append(accepted, kept[k])
	}
	return accepted, exclusions(len(lines), excluded)
}

// ValidateList is Validate for a mix: it returns the ciphertexts of the
// accepted ballots, in line order, as the mix's input list (what
// Ciphertexts makes of Validate's ballots, byte for byte), nil if no
// ballot is accepted. It holds only the ciphertexts of the ballots that
// passed so far and one chunk of parsed ballots, not every ballot with
// its proofs.
func ValidateList(ctx Context, data []byte) (*elgamal.List, []Exclusion) {
	lines := SplitLines(data)
	w := ctx.Width
	if w < 1 || w > elgamal.MaxWidth {
		// No ballot has this width: step 2 excludes every line.
		_, excluded := checkLines(ctx, lines, func(*Ballot) {})
		return nil, exclusions(len(lines), excluded)
	}
	// Room for every line: the blocks never move as they fill. The
	// ciphertexts are kept in affine form (half the memory of Elements),
	// converted a batch at a time with one inversion; pending holds the
	// batch, in the list's order (α then β of each pair).
	pts := make([]group.Affine, 0, 2*w*len(lines))
	enc := make([]byte, 0, w*elgamal.CiphertextSize*len(lines))
	const batch = 1024
	pending := make([]*group.Element, 0, batch+2*w)
	flush := func() {
		pts = pts[:len(pts)+len(pending)]
		group.AffineFromElements(pts[len(pts)-len(pending):], pending)
		pending = pending[:0]
	}
	valid, excluded := checkLines(ctx, lines, func(b *Ballot) {
		for j := range w {
			pending = append(pending, b.ct.Alpha[j], b.ct.Beta[j])
		}
		if len(pending) >= batch {
			flush()
		}
		enc = append(enc, b.enc...)
	})
	flush()
	n := 0
	for _, k := range supersede(valid, excluded) {
		// In place: k ≥ n.
		copy(pts[2*w*n:2*w*(n+1)], pts[2*w*k:2*w*(k+1)])
		copy(enc[w*elgamal.CiphertextSize*n:], enc[w*elgamal.CiphertextSize*k:w*elgamal.CiphertextSize*(k+1)])
		n++
	}
	out := exclusions(len(lines), excluded)
	if n == 0 {
		return nil, out
	}
	l, err := elgamal.NewListPoints(w, pts[:2*w*n:2*w*n], enc[:w*elgamal.CiphertextSize*n:w*elgamal.CiphertextSize*n])
	if err != nil {
		// Every ciphertext was decoded from enc and refused the
		// identity: this cannot happen.
		panic("ballot: internal error: " + err.Error())
	}
	return l, out
}

// validateChunk is how many lines the rule parses and verifies at once:
// the parsed ballots and their proofs take memory for one chunk, not for
// the whole file. Tests lower it to cross chunk boundaries.
var validateChunk = 1 << 15

// validLine is a ballot that passed steps 1 to 4 of the rule.
type validLine struct {
	line int // 0-based
	id   string
}

// checkLines applies steps 1 to 4 of the rule to lines, a chunk at a
// time, and calls keep with every ballot that passes them, in line order.
// It returns those ballots' lines and the exclusions so far, by 0-based
// line.
func checkLines(ctx Context, lines [][]byte, keep func(*Ballot)) ([]validLine, map[int]string) {
	excluded := map[int]string{}
	var valid []validLine
	seen := make(map[[group.ElementSize]byte]int)
	cands := 0
	for lo := 0; lo < len(lines); lo += validateChunk {
		chunk := lines[lo:min(lo+validateChunk, len(lines))]
		parsed, perrs := ParseLines(chunk)
		var cand []*Ballot
		var candLine []int
		for i, l := range chunk {
			switch {
			case len(l) == 0:
				excluded[lo+i] = ReasonEmpty
			case perrs[i] != nil:
				excluded[lo+i] = ReasonMalformed
			case parsed[i].Width() != ctx.Width:
				excluded[lo+i] = ReasonWidth
			default:
				cand = append(cand, parsed[i])
				candLine = append(candLine, lo+i)
			}
		}
		// Steps 3 and 4: the proofs, then, among the valid ballots in
		// line order (across the chunks), the copies: VerifyAll over the
		// whole file.
		errs := verifyProofs(ctx, cand, nil)
		markCopies(cand, errs, seen, cands)
		cands += len(cand)
		for k, b := range cand {
			switch {
			case errs[k] == nil:
				valid = append(valid, validLine{candLine[k], b.VoterID()})
				keep(b)
			case errors.Is(errs[k], ErrDuplicate):
				excluded[candLine[k]] = ReasonDuplicate
			default:
				excluded[candLine[k]] = ReasonProof
			}
		}
	}
	return valid, excluded
}

// supersede applies step 5 of the rule: of the valid ballots with one
// voter id, the last one wins. It adds the others to excluded and returns
// the indices into valid of the accepted ballots, in order.
func supersede(valid []validLine, excluded map[int]string) []int {
	last := map[string]int{}
	for _, v := range valid {
		if v.id != "" {
			last[v.id] = v.line
		}
	}
	var accepted []int
	for k, v := range valid {
		if v.id != "" && last[v.id] != v.line {
			excluded[v.line] = fmt.Sprintf(ReasonSuperseded, last[v.id]+1)
			continue
		}
		accepted = append(accepted, k)
	}
	return accepted
}

// exclusions returns the exclusions of a file of n lines in line order.
func exclusions(n int, excluded map[int]string) []Exclusion {
	out := make([]Exclusion, 0, len(excluded))
	for i := range n {
		if r, ok := excluded[i]; ok {
			out = append(out, Exclusion{Line: i + 1, Reason: r})
		}
	}
	return out
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
