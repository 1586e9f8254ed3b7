// Package vectors makes the test vectors of testdata/vectors for
// implementers of an eo verifier (doc/verify.md §12): for a small
// election, every intermediate value a verifier computes — generators,
// transcripts' bytes, challenges, derived elements, each equation's two
// sides, decoded plaintexts — one JSON file per proof kind, with negative
// cases and the check that must fail. Everything comes from fixed seeds,
// so Generate gives the same bytes on every run; the transcripts are
// rebuilt by this package's own implementation of doc/transcript.md and
// the equations evaluated from doc/verify.md's text, and Generate fails if
// eo's packages disagree with them.
//
//	go run ./internal/vectors/mkvectors
//
// regenerates the files; go test ./internal/vectors checks that the
// checked-in files are current and agree with the code.
package vectors

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/record"
)

// The small election of the vectors.
const (
	ElectionID = "eo-vectors"
	SessionID  = "q0"
	Question   = 0
	Width      = 2
	N          = 3 // authorities
	T          = 2 // threshold
)

// Dir is where the files live, relative to the repository root.
const Dir = "testdata/vectors"

func hx(b []byte) string { return hex.EncodeToString(b) }

func sc(s *group.Scalar) string  { return hx(s.Bytes()) }
func el(e *group.Element) string { return hx(e.Bytes()) }

// election is the state shared by the files.
type election struct {
	rnd     *mrand.ChaCha8
	keys    *record.QuestionKeys
	pk      *elgamal.PublicKey
	ctx     ballot.Context
	ballots []*ballot.Ballot // the four valid ballots
}

func newElection() (*election, error) {
	var seed [32]byte
	copy(seed[:], "eo/test vectors")
	rnd := mrand.NewChaCha8(seed)
	cfg := &record.ElectionConfig{ElectionID: ElectionID, N: N, T: T, Questions: []record.QuestionConfig{{SessionID: SessionID, Width: Width}}}
	keys, err := record.SimulateKeys(cfg, rnd)
	if err != nil {
		return nil, err
	}
	e := &election{rnd: rnd, keys: keys[0], pk: keys[0].Public.PublicKey}
	e.ctx = ballot.Context{ElectionID: ElectionID, Question: Question, PK: e.pk, Width: Width}
	for i, v := range votes {
		b, err := e.encrypt(e.ctx, v, voters[i])
		if err != nil {
			return nil, err
		}
		e.ballots = append(e.ballots, b)
	}
	return e, nil
}

// The four voters and their votes (one integer per pair).
var (
	voters = []string{"alice", "bob", "", "carol"}
	votes  = [][]uint64{{1, 2}, {2, 1}, {0, 3}, {5, 255}}
)

func (e *election) encrypt(ctx ballot.Context, v []uint64, voter string) (*ballot.Ballot, error) {
	m := make([]*group.Element, len(v))
	for k, x := range v {
		var err error
		if m[k], err = elgamal.EncodeUint64(x); err != nil {
			return nil, err
		}
	}
	return ballot.Encrypt(e.rnd, ctx, m, voter)
}

// Generate returns every file of testdata/vectors by name.
func Generate() (map[string][]byte, error) {
	e, err := newElection()
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, f := range []struct {
		name string
		make func(*election) (any, error)
	}{
		{"ballot-proof.json", ballotProofFile},
		{"ballot-rule.json", ballotRuleFile},
		{"vote-split.json", voteSplitFile},
		{"shuffle-proof.json", shuffleFile},
		{"decryption.json", decryptionFile},
		{"embedding.json", embeddingFile},
		{"signatures.json", signaturesFile},
	} {
		v, err := f.make(e)
		if err != nil {
			return nil, fmt.Errorf("vectors: %s: %w", f.name, err)
		}
		out[f.name] = encode(v)
	}
	return out, nil
}

func encode(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func unhex(s string) ([]byte, error) { return hex.DecodeString(s) }
