package vectors

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	mrand "math/rand/v2"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
)

var b64 = base64.RawURLEncoding

// Expectations of a ballot-proof case (doc/verify.md §3.1, §3.2).
const (
	ExpectValid            = "valid"
	ExpectMalformed        = "malformed"
	ExpectInvalidChallenge = "invalid-challenge"
	ExpectInvalidEquation  = "invalid-equation"
	ExpectWrongWidth       = "wrong-width"
)

// BallotProofFile is ballot-proof.json.
type BallotProofFile struct {
	Description string       `json:"description"`
	Election    string       `json:"election"`
	Question    int          `json:"question"`
	Width       int          `json:"width"`
	PublicKey   string       `json:"public_key"`
	Base        string       `json:"base_point"`
	Cases       []BallotCase `json:"cases"`
}

// BallotCase is one line and what a verifier must find.
type BallotCase struct {
	Name    string         `json:"name"`
	Line    string         `json:"line"`
	Expect  string         `json:"expect"`
	Choice  *int           `json:"failing_choice,omitempty"` // for invalid-*: the first choice that fails
	Voter   string         `json:"voter_id,omitempty"`
	Choices []BallotChoice `json:"choices,omitempty"` // for lines that parse
}

// BallotChoice is one choice's values and its recomputed transcript.
type BallotChoice struct {
	Alpha      string `json:"alpha"`
	Beta       string `json:"beta"`
	Commitment string `json:"commitment"`
	Challenge  string `json:"challenge"`
	Response   string `json:"response"`
	// Transcript is the bytes hashed for this choice's challenge (items 1
	// to 12 of doc/verify.md §3.2), Computed the challenge they give.
	Transcript     string `json:"transcript"`
	Computed       string `json:"computed_challenge"`
	ChallengeMatch bool   `json:"challenge_matches"`
	EquationHolds  bool   `json:"equation_holds"`
	EquationLHS    string `json:"s_B"`       // s·B
	EquationRHS    string `json:"R_plus_cA"` // R + c·α
}

// ballotTranscripts rebuilds the transcript of each choice of a parsed
// ballot from doc/verify.md §3.2.
func ballotTranscripts(ctx ballot.Context, b *ballot.Ballot) []BallotChoice {
	w := b.Width()
	base := newTr(ballot.Protocol)
	base.str("group", "ristretto255")
	base.list("B", group.NewGeneratorElement().Bytes())
	base.str("election", ctx.ElectionID)
	base.u64("question", uint64(ctx.Question))
	base.list("pk", ctx.PK.Bytes())
	base.str("voter", b.VoterID())
	base.u64("width", uint64(w))
	enc := b.CiphertextBytes()
	base.list("ciphertext", enc)
	out := make([]BallotChoice, w)
	for j := range out {
		p := b.Proof(j)
		t := base.clone()
		t.u64("choice", uint64(j))
		t.list("R", p.Commitment.Bytes())
		c := t.challenge("c")
		alpha, err := group.DecodeElement(enc[64*j : 64*j+32])
		if err != nil {
			panic(err)
		}
		lhs := new(group.Element).ScalarBaseMult(p.Response)
		rhs := new(group.Element).Add(p.Commitment, new(group.Element).ScalarMult(p.Challenge, alpha))
		out[j] = BallotChoice{
			Alpha: hx(enc[64*j : 64*j+32]), Beta: hx(enc[64*j+32 : 64*j+64]),
			Commitment: el(p.Commitment), Challenge: sc(p.Challenge), Response: sc(p.Response),
			Transcript: hx(t.b), Computed: sc(c), ChallengeMatch: c.Equal(p.Challenge) == 1,
			EquationHolds: lhs.Equal(rhs) == 1, EquationLHS: el(lhs), EquationRHS: el(rhs),
		}
	}
	return out
}

// textAt returns the offset in a canonical line of the j-th text of key.
func textAt(line string, key string, j int) (start int) {
	idx := -1
	from := 0
	for range j + 1 {
		i := strings.Index(line[from:], `"`+key+`":"`)
		if i < 0 {
			panic("vectors: no " + key)
		}
		idx = from + i + len(key) + 4
		from = idx
	}
	return idx
}

func replaceText(line, key string, j int, raw []byte) string {
	i := textAt(line, key, j)
	return line[:i] + b64.EncodeToString(raw) + line[i+43:]
}

func scalarPlusOne(text string) []byte {
	raw, err := b64.DecodeString(text)
	if err != nil {
		panic(err)
	}
	s, err := group.DecodeScalar(raw)
	if err != nil {
		panic(err)
	}
	return s.Add(s, group.ScalarFromUint64(1)).Bytes()
}

// ell is ℓ, little endian: the smallest 32 bytes that are not a canonical
// scalar.
var ell = []byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}

func ballotProofFile(e *election) (any, error) {
	line := func(i int) string { return string(e.ballots[i].MarshalLine()) }
	alice := line(0)
	cut := strings.LastIndexByte(alice, '|')
	aliceJSON := alice[:cut]
	other, err := e.encrypt(ballotContext(e, "eo-other"), votes[0], "alice")
	if err != nil {
		return nil, err
	}
	long, err := e.encrypt(e.ctx, votes[1], strings.Repeat("v", 256))
	if err != nil {
		return nil, err
	}
	accent, err := e.encrypt(e.ctx, votes[2], "zoë ñ 選挙")
	if err != nil {
		return nil, err
	}
	// A ballot of width 3, with valid proofs, for this width-2 question
	// (its own randomness, so that the other files do not change).
	wide, err := func() (*ballot.Ballot, error) {
		var seed [32]byte
		copy(seed[:], "eo/test vectors: width 3")
		ctx := e.ctx
		ctx.Width = 3
		m := make([]*group.Element, 3)
		for k := range m {
			if m[k], err = elgamal.EncodeUint64(uint64(k + 1)); err != nil {
				return nil, err
			}
		}
		return ballot.Encrypt(mrand.NewChaCha8(seed), ctx, m, "dave")
	}()
	if err != nil {
		return nil, err
	}
	// The two choices and the two proofs of alice's line swapped.
	swapped := func() string {
		b := e.ballots[0]
		enc := b.CiphertextBytes()
		var choices, proofs []string
		for _, j := range []int{1, 0} {
			p := b.Proof(j)
			choices = append(choices, `{"alpha":"`+b64.EncodeToString(enc[64*j:64*j+32])+`","beta":"`+b64.EncodeToString(enc[64*j+32:64*j+64])+`"}`)
			proofs = append(proofs, `{"commitment":"`+b64.EncodeToString(p.Commitment.Bytes())+`","challenge":"`+
				b64.EncodeToString(p.Challenge.Bytes())+`","response":"`+b64.EncodeToString(p.Response.Bytes())+`"}`)
		}
		return `{"choices":[` + strings.Join(choices, ",") + `],"proofs":[` + strings.Join(proofs, ",") + `]}|alice`
	}()
	identity := make([]byte, 32)
	nonCanonical := bytes.Repeat([]byte{0xff}, 32)
	// A text whose last character has non-zero low bits: the same 32
	// bytes would need those bits zero.
	badText := func() string {
		i := textAt(alice, "alpha", 0) + 42
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		k := strings.IndexByte(alphabet, alice[i])
		return alice[:i] + string(alphabet[k|1]) + alice[i+1:]
	}()
	oneProof := func() string {
		p1 := textAt(aliceJSON, "commitment", 1) - 15
		return aliceJSON[:p1-1] + "]}|alice"
	}()
	cases := []struct {
		name, line, expect string
	}{
		{"alice: valid, with a voter id", alice, ExpectValid},
		{"bob: valid", line(1), ExpectValid},
		{"no voter id: valid", line(2), ExpectValid},
		{"carol: valid", line(3), ExpectValid},
		{"voter id of 256 bytes: valid", string(long.MarshalLine()), ExpectValid},
		{"voter id with non-ASCII letters: valid", string(accent.MarshalLine()), ExpectValid},
		{"response s_0 plus one: the equation fails", replaceText(alice, "response", 0, scalarPlusOne(alice[textAt(alice, "response", 0):][:43])), ExpectInvalidEquation},
		{"challenge c_1 plus one: the challenge differs", replaceText(alice, "challenge", 1, scalarPlusOne(alice[textAt(alice, "challenge", 1):][:43])), ExpectInvalidChallenge},
		{"voter id changed: the challenge differs", aliceJSON + "|mallory", ExpectInvalidChallenge},
		{"voter id removed: the challenge differs", aliceJSON, ExpectInvalidChallenge},
		{"made for another election: the challenge differs", string(other.MarshalLine()), ExpectInvalidChallenge},
		{"choices and proofs swapped: the challenge differs", swapped, ExpectInvalidChallenge},
		{"alpha_0 is the identity", replaceText(alice, "alpha", 0, identity), ExpectMalformed},
		{"beta_1 is the identity", replaceText(alice, "beta", 1, identity), ExpectMalformed},
		{"commitment R_0 is the identity", replaceText(alice, "commitment", 0, identity), ExpectMalformed},
		{"alpha_0 is not a canonical encoding", replaceText(alice, "alpha", 0, nonCanonical), ExpectMalformed},
		{"challenge c_0 is ℓ", replaceText(alice, "challenge", 0, ell), ExpectMalformed},
		{"text with non-zero trailing bits", badText, ExpectMalformed},
		{"one proof for two choices", oneProof, ExpectMalformed},
		{"empty voter id", aliceJSON + "|", ExpectMalformed},
		{"voter id of 257 bytes", aliceJSON + "|" + strings.Repeat("v", 257), ExpectMalformed},
		{"tab in the voter id", aliceJSON + "|ali\tce", ExpectMalformed},
		{"'|' in the voter id", aliceJSON + "|al|ice", ExpectMalformed},
		{"DEL in the voter id", aliceJSON + "|ali\x7fce", ExpectMalformed},
		{"line ending left on the line (the rule removes it first)", alice + "\r", ExpectMalformed},
		{"a space after a colon", strings.Replace(alice, `"alpha":"`, `"alpha": "`, 1), ExpectMalformed},
		{"keys in another order", strings.Replace(strings.Replace(alice, `"choices"`, `"x"`, 1), `"proofs"`, `"choices"`, 1), ExpectMalformed},
		{"no choice", `{"choices":[],"proofs":[]}|alice`, ExpectMalformed},
		{"three choices for a question of width 2, valid proofs", string(wide.MarshalLine()), ExpectWrongWidth},
	}
	f := &BallotProofFile{
		Description: "Ballot lines of question 0 and their proofs (doc/verify.md §3.1, §3.2): for each line that parses, every choice's values (hex), the transcript bytes hashed for its challenge, the recomputed challenge and both sides of s·B = R + c·α. expect: valid, malformed (§3.1), wrong-width (the line parses with a width other than the question's: the ballot rule of §3.3 excludes it as `wrong number of choices` before any proof is checked; its proofs, listed, are valid), invalid-challenge or invalid-equation (§3.2), with the first failing choice: every choice's challenge is compared, in index order, before any equation is checked.",
		Election:    ElectionID, Question: Question, Width: Width, PublicKey: hx(e.pk.Bytes()), Base: el(group.NewGeneratorElement()),
	}
	for _, c := range cases {
		bc := BallotCase{Name: c.name, Line: c.line, Expect: c.expect}
		b, perr := ballot.ParseLine([]byte(c.line))
		if (perr != nil) != (c.expect == ExpectMalformed) {
			return nil, fmt.Errorf("%s: ParseLine: %v, want %s", c.name, perr, c.expect)
		}
		if perr == nil {
			bc.Voter = b.VoterID()
			bc.Choices = ballotTranscripts(e.ctx, b)
			got := ExpectValid
			if b.Width() != Width {
				got = ExpectWrongWidth
			}
			for j, ch := range bc.Choices {
				if got != ExpectValid {
					break
				}
				if !ch.ChallengeMatch {
					got, bc.Choice = ExpectInvalidChallenge, &j
					break
				}
			}
			if got == ExpectValid {
				for j, ch := range bc.Choices {
					if !ch.EquationHolds {
						got, bc.Choice = ExpectInvalidEquation, &j
						break
					}
				}
			}
			if got != c.expect {
				return nil, fmt.Errorf("%s: the spec's computation gives %s, want %s", c.name, got, c.expect)
			}
			if err := CheckBallotVerdict(e.ctx, b, got, bc.Choice); err != nil {
				return nil, fmt.Errorf("%s: %w", c.name, err)
			}
		}
		f.Cases = append(f.Cases, bc)
	}
	return f, nil
}

func ballotContext(e *election, electionID string) ballot.Context {
	ctx := e.ctx
	ctx.ElectionID = electionID
	return ctx
}

// CheckBallotVerdict checks that ballot.Verify agrees with an expectation
// of ballot-proof.json.
func CheckBallotVerdict(ctx ballot.Context, b *ballot.Ballot, expect string, choice *int) error {
	err := ballot.Verify(ctx, b)
	switch expect {
	case ExpectValid:
		return err
	case ExpectWrongWidth:
		want := fmt.Sprintf("%d choices, the question has %d", b.Width(), ctx.Width)
		if err == nil || !strings.Contains(err.Error(), want) {
			return fmt.Errorf("ballot.Verify: %v, want %q", err, want)
		}
		return nil
	case ExpectInvalidChallenge, ExpectInvalidEquation:
		if err == nil {
			return errors.New("ballot.Verify accepts it")
		}
		want := fmt.Sprintf("choice %d: challenge mismatch", *choice)
		if expect == ExpectInvalidEquation {
			want = fmt.Sprintf("choice %d: equation", *choice)
		}
		if !strings.Contains(err.Error(), want) {
			return fmt.Errorf("ballot.Verify: %v, want %q", err, want)
		}
		return nil
	}
	return fmt.Errorf("unknown expectation %q", expect)
}
