package eotest

import (
	"bytes"
	"fmt"
	mrand "math/rand/v2"
	"slices"

	"github.com/eo-mixnet/eo/ballot"
)

// Spoiled says how Spoil changed a vote file: the exclusions the ballot
// rule must make, by reason.
type Spoiled struct {
	Garbage   int // lines that are not ballots
	Repeated  int // later copies of voters' lines: excluded as duplicates (doc/verify.md, the ballot rule)
	BadProofs int // ballots whose proof was broken (their votes are not cast)
}

// Spoil turns about fraction of a vote file's lines bad, in three equal
// parts: garbage lines inserted, voters' lines repeated later in the file
// (the later copy is a duplicate: a replayed ballot cancels nothing), and ballots whose proof is broken
// (their votes leave Want). It returns the new file and updates v.Want.
func Spoil(v *Votes, fraction float64) (*Spoiled, error) {
	lines := bytes.SplitAfter(v.File, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	n := len(lines)
	k := int(fraction * float64(n) / 3)
	if fraction > 0 && k == 0 {
		k = 1
	}
	if 3*k > n {
		return nil, fmt.Errorf("eotest: cannot spoil %d of %d lines", 3*k, n)
	}
	perm := mrand.Perm(n)
	broken, repeated := perm[:k], perm[k:2*k]
	s := &Spoiled{Garbage: k, Repeated: k, BadProofs: k}
	for _, i := range broken {
		// Change a low-order character of every proof's response: the
		// line still parses, every question's proof fails.
		l := lines[i]
		key := []byte(`"response":"`)
		for off := 0; ; {
			k := bytes.Index(l[off:], key)
			if k < 0 {
				break
			}
			at := off + k + len(key) + 5
			if l[at] == 'A' {
				l[at] = 'B'
			} else {
				l[at] = 'A'
			}
			off = at
		}
	}
	out := make([][]byte, 0, n+2*k)
	out = append(out, lines...)
	for _, i := range repeated {
		out = append(out, lines[i])
	}
	for range k {
		junk := fmt.Sprintf(`{"choices":[{"alpha":"%x"}],"proofs":[]}`+"\n", mrand.Uint64())
		at := mrand.IntN(len(out) + 1)
		out = slices.Insert(out, at, []byte(junk))
	}
	file := bytes.Join(out, nil)
	for q := range v.Want {
		keep := v.Want[q][:0:0]
		for i, w := range v.Want[q] {
			if !slices.Contains(broken, i) {
				keep = append(keep, w)
			}
		}
		v.Want[q] = keep
	}
	v.File = file
	return s, nil
}

// CheckExclusions compares a verified record's exclusions with what Spoil
// did: every question excludes exactly that many lines for each reason.
func CheckExclusions(excluded [][]ballot.Exclusion, s *Spoiled) error {
	for q, ex := range excluded {
		var garbage, repeated, bad int
		for _, x := range ex {
			switch {
			case x.Reason == ballot.ReasonMalformed:
				garbage++
			case x.Reason == ballot.ReasonProof:
				bad++
			case x.Reason == ballot.ReasonDuplicate:
				repeated++
			default:
				return fmt.Errorf("eotest: question %d: line %d excluded for an unexpected reason %q", q, x.Line, x.Reason)
			}
		}
		if garbage != s.Garbage || repeated != s.Repeated || bad != s.BadProofs {
			return fmt.Errorf("eotest: question %d: excluded %d malformed, %d duplicates, %d invalid proofs; spoiled %d, %d, %d",
				q, garbage, repeated, bad, s.Garbage, s.Repeated, s.BadProofs)
		}
	}
	return nil
}
