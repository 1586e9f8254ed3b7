package orchestra

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/eo-mixnet/eo/internal/atomicfile"
)

// Statuses of an election at one authority (election.json).
const (
	statusCreating = "creating" // key generation running
	statusCreated  = "created"  // keys ready, waiting for a tally
	statusTallying = "tallying"
	statusTallied  = "tallied"
	statusFailed   = "failed"
)

// setup is the configuration every authority of an election agrees on: the
// body of msgSetup, checked by each against its own trust store.
type setup struct {
	ElectionID string `json:"election_id"`
	Director   string `json:"director"`
	// Owner is the client that created the election (a web server, or an
	// authority's operator for a test election) and OwnerFingerprint its
	// certificate's: only it may ask for the tally, and the ballots are
	// fetched from its host, pinned to that certificate.
	Owner            string `json:"owner"`
	OwnerFingerprint string `json:"owner_fingerprint"`
	Threshold        int    `json:"threshold"`
	Questions        int    `json:"questions"`
	// Widths are the questions' widths (pairs per ballot); absent, every
	// question has width 1.
	Widths      []int       `json:"widths,omitempty"`
	Authorities []authority `json:"authorities"` // authority i is Authorities[i-1]
}

// width returns the width of question q.
func (su *setup) width(q int) int {
	if q < len(su.Widths) {
		return su.Widths[q]
	}
	return 1
}

// widths returns the width of every question, in order.
func (su *setup) widths() []int {
	w := make([]int, su.Questions)
	for q := range w {
		w[q] = su.width(q)
	}
	return w
}

// authority is one authority of an election.
type authority struct {
	Name        string `json:"name"`
	Certificate string `json:"certificate"` // PEM, canonical re-encoding of the DER
}

// tallyRequest is the body of msgTally.
type tallyRequest struct {
	Director  string `json:"director"`
	VotesURL  string `json:"votes_url"`
	VotesHash string `json:"votes_hash"`
}

// state is election.json, written atomically at every change of status
// before anything that depends on it is sent.
type state struct {
	Setup         setup         `json:"setup"`
	Status        string        `json:"status"`
	Reason        string        `json:"reason,omitempty"`
	CreateCB      string        `json:"create_callback_url,omitempty"` // director of the creation only
	Tally         *tallyRequest `json:"tally,omitempty"`
	TallyCB       string        `json:"tally_callback_url,omitempty"` // the authority the owner asked (any may be)
	TallyHash     string        `json:"tally_hash,omitempty"`
	CallbackSent  bool          `json:"callback_sent,omitempty"`
	PublicKeys    []string      `json:"public_keys,omitempty"` // per question, once created
	Qualified     [][]int       `json:"qualified,omitempty"`
	TallyFinished bool          `json:"tally_finished,omitempty"`
	// Absent are the authorities that took no part in a phase that ended
	// without them (key generation or tally); Blamed those the transcript
	// or the record proves misbehaved. Names, for the operator.
	Absent []string `json:"absent,omitempty"`
	Blamed []string `json:"blamed,omitempty"`
}

// Files of an election's directory (elections/<id>/ under the authority
// directory). Everything is written with atomicfile; key shares with mode
// 0600.
const (
	fileState   = "election.json"
	fileVotes   = "votes.jsonl"
	fileTallyGz = "tally.tar.gz"
	// dirTally is the tally machine's store (package tally names its
	// files: mixes, verdicts, shares, signed parameters).
	dirTally = "tally"
)

func fileDKG(q int) string { return fmt.Sprintf("q%d.dkg", q) }

func saveJSON(path string, v any, perm os.FileMode) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'), perm)
}

func loadState(dir string) (*state, error) {
	b, err := os.ReadFile(filepath.Join(dir, fileState))
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, fileState), err)
	}
	return &st, nil
}
