package record

// The record's data model: what an election record holds before it
// becomes files (Build, Assemble) and after a verifier read it.

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/chain"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/par"
	"github.com/eo-mixnet/eo/threshold"
)

// QuestionConfig describes one question of an election: its ballots are
// ciphertexts of Width pairs under the key of session SessionID.
type QuestionConfig struct {
	SessionID string
	Width     int
}

// ElectionConfig is what every authority agrees on before key generation.
type ElectionConfig struct {
	ElectionID string
	N, T       int
	Questions  []QuestionConfig
}

func (c *ElectionConfig) check() error {
	if c == nil || c.ElectionID == "" {
		return malformed("missing election id")
	}
	if c.N < 1 || c.N > threshold.MaxAuthorities || c.T < 1 || c.T > c.N {
		return malformed("threshold %d of %d authorities is out of range", c.T, c.N)
	}
	if len(c.Questions) == 0 {
		return malformed("an election needs at least one question")
	}
	seen := map[string]bool{}
	for q, qc := range c.Questions {
		if qc.SessionID == "" || seen[qc.SessionID] {
			return malformed("question %d: missing or repeated session id %q", q, qc.SessionID)
		}
		seen[qc.SessionID] = true
		if qc.Width < 1 || qc.Width > elgamal.MaxWidth {
			return malformed("question %d: width %d out of range", q, qc.Width)
		}
	}
	return nil
}

// Signer signs a digest (a mix's chain.Digest, a share's ShareDigest) on
// behalf of an authority (1-based index).
type Signer func(authority int, digest [32]byte) ([]byte, error)

// Verifier checks an authority's signature over a digest.
type Verifier func(authority int, digest [32]byte, sig []byte) error

// QuestionRecord is everything the record holds about one question.
type QuestionRecord struct {
	Config     QuestionConfig
	Transcript *threshold.DKGTranscript
	Ballots    []byte             // the ballot file as received
	Excluded   []ballot.Exclusion // ValidateBallots' exclusions
	Input      []byte             // the accepted ciphertexts, ballot.Ciphertexts(…).Bytes()
	Mixes      []chain.Mix        // the accepted mixes, in chain order
	Shares     []ShareRecord      // decryption shares of the last list
	// RejectedMixes are signed mixes whose proof did not verify, each
	// with the position in the chain it was offered for (chain.Rejection
	// without its reason, which any verifier recomputes); RejectedShares
	// are decryption shares that did not verify, each signed by its
	// authority (an unsigned one proves nothing). The record keeps them so
	// that anyone can check the blame.
	RejectedMixes  []chain.Mix
	RejectedShares []ShareRecord
	Plaintexts     []string // one line per ballot: its decoded plaintexts (PlaintextText)
	Counts         []Count  // PlaintextCounts of Plaintexts
}

// ShareRecord is one authority's decryption share of a question's last
// list: threshold.DecryptionShareMessage.Bytes, with the authority's
// signature over ShareDigest(election, question, authority, the list's
// bytes, Message).
type ShareRecord struct {
	Authority int
	Message   []byte
	Signature []byte
}

// Count is how many ballots decrypted to one plaintext line.
type Count struct {
	Plaintext string `json:"plaintext"`
	Count     int    `json:"count"`
}

// ElectionRecord is the content of an election record before it becomes
// files.
type ElectionRecord struct {
	Config ElectionConfig
	// VotesHash is the vote file's ni URI (VotesHash) as the owner named
	// it; ParametersOf derives it from the ballots when it is empty and
	// fails when it differs.
	VotesHash string
	// Votes is the vote file, which the record holds (votes.jsonl) when
	// the election has more than one question: each question's Ballots is
	// its part, ballot.SplitFile. With one question it is that question's
	// Ballots and may be nil.
	Votes []byte
	// Absent are the authorities (1 … n) that took no part in the tally:
	// they mixed, decrypted and signed nothing.
	Absent    []int
	Questions []*QuestionRecord
}

// InvalidPlaintext stands in a plaintext line for a pair that does not
// decode as an embedded integer (a voter encrypted something else).
const InvalidPlaintext = "invalid"

// PlaintextLines renders decrypted ballots: one line per ballot, its
// pairs' plaintexts as decimal integers (elgamal.DecodeInt) separated by
// commas, InvalidPlaintext for a pair that does not decode.
//
// An election has few distinct plaintexts, and decoding one tries about
// four candidate encodings (a square root each): each distinct element
// is decoded once, by its encoding, for the first maxKnownPlaintexts
// distinct ones (voters who encrypt garbage must not grow it with N).
func PlaintextLines(pt [][]*group.Element) []string {
	lines, _ := plaintextLines(pt, maxKnownPlaintexts)
	return lines
}

// plaintextLines is PlaintextLines keeping at most maxKnown plaintexts;
// it also returns how many it kept.
func plaintextLines(pt [][]*group.Element, maxKnown int64) ([]string, int64) {
	out := make([]string, len(pt))
	var known sync.Map // [group.ElementSize]byte → string
	var size atomic.Int64
	par.For(len(pt), 256, func(lo, hi int) {
		var key [group.ElementSize]byte
		for j := lo; j < hi; j++ {
			parts := make([]string, len(pt[j]))
			for k, m := range pt[j] {
				copy(key[:], m.Bytes())
				if v, ok := known.Load(key); ok {
					parts[k] = v.(string)
					continue
				}
				parts[k] = plaintextPart(m)
				// A place is taken before the store, so that workers
				// racing past the bound cannot overshoot it.
				if size.Add(1) > maxKnown {
					size.Add(-1)
				} else if _, loaded := known.LoadOrStore(key, parts[k]); loaded {
					size.Add(-1)
				}
			}
			out[j] = strings.Join(parts, ",")
		}
	})
	return out, size.Load()
}

// maxKnownPlaintexts bounds the distinct plaintexts PlaintextLines keeps.
const maxKnownPlaintexts = 1 << 14

// plaintextPart renders one decrypted pair of PlaintextLines.
func plaintextPart(m *group.Element) string {
	v, err := elgamal.DecodeInt(m)
	if err != nil {
		return InvalidPlaintext
	}
	return v.String()
}

// PlaintextCounts counts the plaintext lines, sorted by plaintext in
// numeric order, pair by pair (InvalidPlaintext before any number).
func PlaintextCounts(lines []string) []Count {
	m := map[string]int{}
	for _, l := range lines {
		m[l]++
	}
	out := make([]Count, 0, len(m))
	for p, c := range m {
		out = append(out, Count{Plaintext: p, Count: c})
	}
	sortCounts(out)
	return out
}

func sortCounts(c []Count) {
	keys := make(map[string][]*big.Int, len(c))
	for _, x := range c {
		var ks []*big.Int
		for _, p := range strings.Split(x.Plaintext, ",") {
			v, ok := new(big.Int).SetString(p, 10)
			if !ok {
				v = big.NewInt(-1) // InvalidPlaintext sorts first
			}
			ks = append(ks, v)
		}
		keys[x.Plaintext] = ks
	}
	slices.SortFunc(c, func(a, b Count) int {
		ka, kb := keys[a.Plaintext], keys[b.Plaintext]
		for i := range min(len(ka), len(kb)) {
			if d := ka[i].Cmp(kb[i]); d != 0 {
				return d
			}
		}
		if d := len(ka) - len(kb); d != 0 {
			return d
		}
		return strings.Compare(a.Plaintext, b.Plaintext)
	})
}

// ErrSimulation wraps the errors of a simulation's configuration.
var ErrSimulation = errors.New("record: bad simulation")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrSimulation}, args...)...)
}
