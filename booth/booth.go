// Package booth is the voter's side of eo: what a voting booth does with
// a voter's choices, from the election's public keys to the ballot line
// that the authorities accept (package ballot) and the voter's receipt,
// and the cast-or-audit check of a ballot whose randomness is revealed.
// It is the code that the booth's WebAssembly module (booth/wasm, loaded
// by web/booth/eo.js) runs in the browser, and the same code natively:
// one implementation of the ballot format, compiled twice.
//
// Requests and results are JSON, as the JavaScript module passes them
// (doc/booth.md): an election id, the questions (each its public key,
// its answers and how many may be chosen), the voter id and the choices.
// Answers are encoded as the old booth did (ballot.EncodeAnswers,
// doc/ballot-answers.md). Bad input is an error that names the question
// and the field at fault; it never gives a ballot.
//
// Encrypt and Audit are constant time where ballot.Encrypt is: in the
// randomness. Encoding the choices (ballot.EncodeAnswers) is not.
package booth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
)

// Question is one question of an election as the booth needs it.
type Question struct {
	// PublicKey is the question's public key in the text encoding of
	// package group (43 characters of unpadded base64url), as the
	// authorities publish it (the creation callback's session data).
	PublicKey string `json:"publicKey"`
	// Answers is the number of answers n, or the list of the answers
	// (the old web server's "answers"; only its length counts).
	Answers json.RawMessage `json:"answers"`
	// MaxChoices is how many answers may be chosen (the old "max"); 1
	// if absent.
	MaxChoices *int `json:"maxChoices,omitempty"`
	// Width, if not zero, is the question's width when the election
	// gave it one (eo's "width"); it must be at least the width the
	// answers need (ballot.AnswersWidth), and the vote is then written
	// with leading zero elements.
	Width int `json:"width,omitempty"`
	// Title is ignored: it lets a page pass its questions as it shows them.
	Title string `json:"title,omitempty"`
}

// Request is what EncryptBallot and AuditBallot take.
type Request struct {
	ElectionID string     `json:"electionId"`
	Questions  []Question `json:"questions"`
	VoterID    string     `json:"voterId"`
	// Choices[q] are the ids (0-based, in the voter's order) of the
	// answers chosen for question q, none for a blank vote.
	Choices [][]int `json:"choices"`
}

// AuditRequest is what CheckAudit takes: an audited ballot, its revealed
// randomness and the election it was made for.
type AuditRequest struct {
	ElectionID string     `json:"electionId"`
	Questions  []Question `json:"questions"`
	// VoterID, if not empty, must be the voter id the line carries.
	VoterID string `json:"voterId,omitempty"`
	// Choices, if not nil, are the choices the voter made: CheckAudit
	// then checks that the ballot encrypts exactly those.
	Choices    [][]int    `json:"choices,omitempty"`
	Line       string     `json:"line"`
	Randomness [][]string `json:"randomness"`
}

// Ballot is the result of EncryptBallot and AuditBallot.
type Ballot struct {
	// Line is the ballot line the authorities accept: for one question
	// the ballot's line (ballot.Ballot.MarshalLine), for several the vote
	// file's line that joins them (ballot.JoinFile).
	Line string `json:"line"`
	// Receipt is the hex SHA-256 of Line.
	Receipt string `json:"receipt"`
	// Randomness, for an audited ballot only, is the randomness r_j of
	// every pair, question by question, in the text encoding of scalars.
	Randomness [][]string `json:"randomness,omitempty"`
}

// Opened is what CheckAudit finds in an audited ballot.
type Opened struct {
	Receipt string  `json:"receipt"`
	Choices [][]int `json:"choices"`
}

// DecodeRequest decodes a Request from JSON, strictly: unknown fields
// and trailing data are errors.
func DecodeRequest(data []byte) (*Request, error) {
	req := new(Request)
	if err := decodeStrict(data, req); err != nil {
		return nil, err
	}
	return req, nil
}

// DecodeAuditRequest decodes an AuditRequest from JSON, as DecodeRequest.
func DecodeAuditRequest(data []byte) (*AuditRequest, error) {
	req := new(AuditRequest)
	if err := decodeStrict(data, req); err != nil {
		return nil, err
	}
	return req, nil
}

func decodeStrict(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("booth: the request is not what the booth takes: %v", err)
	}
	if d.More() {
		return errors.New("booth: the request has data after its end")
	}
	return nil
}

// question is a checked Question.
type question struct {
	ctx  ballot.Context
	n, k int // answers, and how many may be chosen
}

// keys caches the decoded public keys, whose precomputed tables make every
// ballot after the first faster. It holds at most maxCachedKeys.
var keys = struct {
	sync.Mutex
	m map[string]*elgamal.PublicKey
}{m: map[string]*elgamal.PublicKey{}}

const maxCachedKeys = 64

func publicKey(text string) (*elgamal.PublicKey, error) {
	keys.Lock()
	defer keys.Unlock()
	if pk, ok := keys.m[text]; ok {
		return pk, nil
	}
	pk, err := elgamal.PublicKeyFromText(text)
	if err != nil {
		return nil, err
	}
	pk.Precompute()
	if len(keys.m) >= maxCachedKeys {
		clear(keys.m)
	}
	keys.m[text] = pk
	return pk, nil
}

// questions checks the election's questions and returns their contexts.
func questions(electionID string, qs []Question) ([]question, error) {
	if electionID == "" {
		return nil, errors.New("booth: no election id")
	}
	if len(qs) == 0 {
		return nil, errors.New("booth: no questions")
	}
	out := make([]question, len(qs))
	for i, q := range qs {
		pk, err := publicKey(q.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("booth: question %d: the public key %q is not a key: %v", i, short(q.PublicKey), err)
		}
		n, err := answerCount(q.Answers)
		if err != nil {
			return nil, fmt.Errorf("booth: question %d: %v", i, err)
		}
		k := 1
		if q.MaxChoices != nil {
			k = *q.MaxChoices
		}
		needed, err := ballot.AnswersWidth(n, k)
		if err != nil {
			return nil, fmt.Errorf("booth: question %d: %v", i, err)
		}
		w := needed
		if q.Width != 0 {
			if q.Width < needed || q.Width > elgamal.MaxWidth {
				return nil, fmt.Errorf("booth: question %d: width %d, its votes need %d … %d", i, q.Width, needed, elgamal.MaxWidth)
			}
			w = q.Width
		}
		out[i] = question{ctx: ballot.Context{ElectionID: electionID, Question: i, PK: pk, Width: w}, n: n, k: k}
	}
	return out, nil
}

// Widths checks an election's questions (their keys, answers, choices
// and widths) and returns their widths, as the vote file's lines have
// them (ballot.SplitFile).
func Widths(electionID string, qs []Question) ([]int, error) {
	checked, err := questions(electionID, qs)
	if err != nil {
		return nil, err
	}
	widths := make([]int, len(checked))
	for i := range checked {
		widths[i] = checked[i].ctx.Width
	}
	return widths, nil
}

// answerCount reads "answers": a number, or a list whose length counts.
func answerCount(raw json.RawMessage) (int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, errors.New(`no "answers"`)
	}
	if raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return 0, fmt.Errorf(`"answers" is not a list: %v`, err)
		}
		return len(list), nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err != nil || n < 0 {
		return 0, fmt.Errorf(`"answers" %s is neither a list nor a number of answers`, short(string(raw)))
	}
	return n, nil
}

func short(s string) string {
	const limit = 48
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}

// plaintexts encodes choices for q, with the leading zero elements of a
// question given a larger width.
func (q *question) plaintexts(choices []int) ([]*group.Element, error) {
	m, err := ballot.EncodeAnswers(q.n, q.k, choices)
	if err != nil {
		return nil, err
	}
	if pad := q.ctx.Width - len(m); pad > 0 {
		zero, err := elgamal.EncodeUint64(0)
		if err != nil {
			panic("booth: internal error: " + err.Error())
		}
		m = append(slices.Repeat([]*group.Element{zero}, pad), m...)
	}
	return m, nil
}

// Encrypt encrypts the voter's choices with randomness from rand
// (crypto/rand if nil) and returns the ballot line and its receipt.
func Encrypt(rand io.Reader, req *Request) (*Ballot, error) {
	return encrypt(rand, req, false)
}

// Audit is Encrypt that also reveals the randomness of the ballot, for
// the voter to check it (CheckAudit) instead of casting it: a booth must
// never cast a ballot it has audited.
func Audit(rand io.Reader, req *Request) (*Ballot, error) {
	return encrypt(rand, req, true)
}

func encrypt(rand io.Reader, req *Request, audit bool) (*Ballot, error) {
	qs, err := questions(req.ElectionID, req.Questions)
	if err != nil {
		return nil, err
	}
	if req.VoterID == "" {
		return nil, errors.New("booth: no voter id")
	}
	if len(req.Choices) != len(qs) {
		return nil, fmt.Errorf("booth: choices for %d questions, the election has %d", len(req.Choices), len(qs))
	}
	ms := make([][]*group.Element, len(qs))
	for i := range qs {
		if ms[i], err = qs[i].plaintexts(req.Choices[i]); err != nil {
			return nil, fmt.Errorf("booth: question %d: %v", i, err)
		}
	}
	out := &Ballot{}
	lines := make([][]byte, len(qs))
	for i := range qs {
		var b *ballot.Ballot
		if audit {
			var r []*group.Scalar
			b, r, err = ballot.EncryptForAudit(rand, qs[i].ctx, ms[i], req.VoterID)
			rs := make([]string, len(r))
			for j := range r {
				rs[j] = group.ScalarText(r[j])
			}
			out.Randomness = append(out.Randomness, rs)
		} else {
			b, err = ballot.Encrypt(rand, qs[i].ctx, ms[i], req.VoterID)
		}
		if err != nil {
			return nil, fmt.Errorf("booth: question %d: %v", i, err)
		}
		lines[i] = b.MarshalLine()
	}
	line, err := ballot.JoinFile(lines)
	if err != nil {
		panic("booth: internal error: " + err.Error())
	}
	out.Line, out.Receipt = string(line), Receipt(line)
	return out, nil
}

// Receipt returns the receipt of a ballot line: the hex SHA-256 of its
// bytes (without a line end).
func Receipt(line []byte) string {
	h := sha256.Sum256(line)
	return hex.EncodeToString(h[:])
}

// CheckAudit checks an audited ballot: its line splits into the
// election's questions, every question's ballot is one the authorities
// would accept (its proofs verify), and the revealed randomness opens it
// (ballot.OpenAudited) to plaintexts that encode a vote. If req.Choices
// is given, it re-encrypts those choices with the revealed randomness and
// compares the result with the ballot, pair by pair. It returns the
// ballot's receipt and the choices it encrypts, and an error naming the
// question and the check that failed.
func CheckAudit(req *AuditRequest) (*Opened, error) {
	qs, err := questions(req.ElectionID, req.Questions)
	if err != nil {
		return nil, err
	}
	if len(req.Randomness) != len(qs) {
		return nil, fmt.Errorf("booth: randomness for %d questions, the election has %d", len(req.Randomness), len(qs))
	}
	if req.Choices != nil && len(req.Choices) != len(qs) {
		return nil, fmt.Errorf("booth: choices for %d questions, the election has %d", len(req.Choices), len(qs))
	}
	line := []byte(req.Line)
	widths := make([]int, len(qs))
	for i := range qs {
		widths[i] = qs[i].ctx.Width
	}
	parts, err := ballot.SplitFile(line, widths)
	if err != nil {
		return nil, fmt.Errorf("booth: %v", err)
	}
	out := &Opened{Receipt: Receipt(line), Choices: make([][]int, len(qs))}
	for i, q := range qs {
		b, err := ballot.ParseLine(parts[i])
		if err != nil {
			return nil, fmt.Errorf("booth: question %d: %v", i, err)
		}
		if req.VoterID != "" && b.VoterID() != req.VoterID {
			return nil, fmt.Errorf("booth: the ballot is voter %q's, not %q's", b.VoterID(), req.VoterID)
		}
		r := make([]*group.Scalar, len(req.Randomness[i]))
		for j, text := range req.Randomness[i] {
			if r[j], err = group.ScalarFromText(text); err != nil {
				return nil, fmt.Errorf("booth: question %d: randomness %d: %v", i, j, err)
			}
		}
		m, err := ballot.OpenAudited(q.ctx, b, r)
		if err != nil {
			return nil, fmt.Errorf("booth: question %d: %v", i, err)
		}
		if out.Choices[i], err = ballot.DecodeAnswers(q.n, q.k, m); err != nil {
			return nil, fmt.Errorf("booth: question %d: the ballot does not encrypt a vote: %v", i, err)
		}
		if req.Choices == nil {
			continue
		}
		want, err := q.plaintexts(req.Choices[i])
		if err != nil {
			return nil, fmt.Errorf("booth: question %d: %v", i, err)
		}
		trivial := elgamal.NewCiphertext(len(want)) // (identity, M_j)
		for j := range want {
			trivial.Alpha[j].Set(group.NewIdentityElement())
			trivial.Beta[j].Set(want[j])
		}
		re := elgamal.ReEncryptWith(q.ctx.PK, trivial, r)
		ct := b.Ciphertext()
		for j := range want {
			if re.Alpha[j].Equal(ct.Alpha[j]) != 1 || re.Beta[j].Equal(ct.Beta[j]) != 1 {
				return nil, fmt.Errorf("booth: question %d: pair %d: the ballot does not encrypt the choices %v, it encrypts %v", i, j, req.Choices[i], out.Choices[i])
			}
		}
	}
	return out, nil
}
