package booth

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/testrand"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

// testKeys returns n key pairs drawn from seed.
func testKeys(t testing.TB, seed uint64, n int) []*elgamal.PrivateKey {
	t.Helper()
	r := testrand.New(seed)
	out := make([]*elgamal.PrivateKey, n)
	for i := range out {
		k, err := elgamal.GenerateKey(r)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = k
	}
	return out
}

func raw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func intp(k int) *int { return &k }

// testQuestion is a question of n answers, at most k chosen, under key.
func testQuestion(key *elgamal.PrivateKey, n, k, width int) Question {
	return Question{PublicKey: key.Public().String(), Answers: raw(n), MaxChoices: intp(k), Width: width}
}

// Vector is one vector of testdata/vectors.json: a request and a seed for
// the randomness, and the ballot they give, natively and in the browser
// (cmd/eobooth's browser tests run the same file through the test build
// of the module).
type Vector struct {
	Comment string          `json:"comment"`
	Seed    string          `json:"seed"`  // 64 hex digits: a ChaCha8 seed
	Audit   bool            `json:"audit"` // Audit instead of Encrypt
	Request json.RawMessage `json:"request"`
	Ballot  Ballot          `json:"ballot"`
}

// SeededRand is the randomness of a vector: math/rand/v2's ChaCha8 from
// the 32 bytes of seed, as the test build of the module takes it.
func SeededRand(t testing.TB, seed string) *mrand.ChaCha8 {
	t.Helper()
	b, err := hex.DecodeString(seed)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad seed %q", seed)
	}
	return mrand.NewChaCha8([32]byte(b))
}

func makeVectors(t *testing.T) []Vector {
	keys := testKeys(t, 16, 3)
	req := func(voter string, qs []Question, choices ...[]int) json.RawMessage {
		return raw(Request{ElectionID: "booth-vectors", Questions: qs, VoterID: voter, Choices: choices})
	}
	one := []Question{testQuestion(keys[0], 4, 1, 0)}
	two := []Question{testQuestion(keys[0], 8, 3, 0), testQuestion(keys[1], 3, 1, 0)}
	wide := []Question{testQuestion(keys[2], 40, 40, 0)}
	padded := []Question{testQuestion(keys[1], 4, 1, 3)}
	named := []Question{{Title: "Which?", PublicKey: keys[0].Public().String(), Answers: raw([]string{"red", "green", "blue"})}}
	vs := []Vector{
		{Comment: "one question, answer 2 of 4", Request: req("voter-1", one, []int{2})},
		{Comment: "one question, blank vote", Request: req("voter-2", one, []int{})},
		{Comment: "two questions joined in one vote line", Request: req("voter-3", two, []int{7, 0}, nil)},
		{Comment: "a question of width 2: 37 choices of 40", Request: req("voter-4", wide, []int{39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3})},
		{Comment: "a question given width 3: two leading zero elements", Request: req("voter-5", padded, []int{1})},
		{Comment: "answers as a list, maxChoices absent (1)", Request: req("voter-6 with spaces, ünïcode", named, []int{0})},
		{Comment: "an audited ballot reveals its randomness", Audit: true, Request: req("voter-7", one, []int{3})},
		{Comment: "an audited ballot of two questions", Audit: true, Request: req("voter-8", two, []int{1, 2, 3}, []int{0})},
	}
	for i := range vs {
		vs[i].Seed = fmt.Sprintf("%064x", i+1)
	}
	return vs
}

// run makes v's ballot natively.
func (v *Vector) run(t testing.TB) *Ballot {
	t.Helper()
	r, err := DecodeRequest(v.Request)
	if err != nil {
		t.Fatal(err)
	}
	f := Encrypt
	if v.Audit {
		f = Audit
	}
	b, err := f(SeededRand(t, v.Seed), r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVectors(t *testing.T) {
	const file = "testdata/vectors.json"
	if *update {
		vs := makeVectors(t)
		for i := range vs {
			vs[i].Ballot = *vs[i].run(t)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", " ")
		if err := enc.Encode(vs); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var vs []Vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(makeVectors(t)) {
		t.Fatalf("%s has %d vectors, makeVectors %d: run go test -run TestVectors -update", file, len(vs), len(makeVectors(t)))
	}
	for _, v := range vs {
		got := v.run(t)
		if got.Line != v.Ballot.Line || got.Receipt != v.Ballot.Receipt || !slices.EqualFunc(got.Randomness, v.Ballot.Randomness, slices.Equal) {
			t.Errorf("%s: the ballot is not the vector's", v.Comment)
		}
		if Receipt([]byte(v.Ballot.Line)) != v.Ballot.Receipt {
			t.Errorf("%s: the receipt is not the SHA-256 of the line", v.Comment)
		}
	}
}

// TestEncryptDecrypts: ballots are what the authorities accept
// (ballot.Validate on each question's file) and decrypt to the choices.
func TestEncryptDecrypts(t *testing.T) {
	keys := testKeys(t, 3, 3)
	qs := []Question{testQuestion(keys[0], 4, 1, 0), testQuestion(keys[1], 40, 40, 0), testQuestion(keys[2], 9, 2, 2)}
	widths, err := Widths("e1", qs)
	if err != nil || !slices.Equal(widths, []int{1, 2, 2}) {
		t.Fatalf("Widths = %v, %v", widths, err)
	}
	rnd := mrand.New(testrand.New(4))
	var file bytes.Buffer
	var want [][][]int
	for i := range 12 {
		var choices [][]int
		for q, n := range []int{4, 40, 9} {
			k := []int{1, 40, 2}[q]
			c := rnd.IntN(k + 1)
			choices = append(choices, rnd.Perm(n)[:c])
		}
		b, err := Encrypt(nil, &Request{ElectionID: "e1", Questions: qs, VoterID: fmt.Sprintf("v%d", i), Choices: choices})
		if err != nil {
			t.Fatal(err)
		}
		file.WriteString(b.Line + "\n")
		want = append(want, choices)
	}
	files, err := ballot.SplitFile(file.Bytes(), widths)
	if err != nil {
		t.Fatal(err)
	}
	for q := range qs {
		pk := keys[q].Public()
		accepted, excluded := ballot.Validate(ballot.Context{ElectionID: "e1", Question: q, PK: pk, Width: widths[q]}, files[q])
		if len(excluded) != 0 || len(accepted) != len(want) {
			t.Fatalf("question %d: %d accepted, excluded %v", q, len(accepted), excluded)
		}
		for i, b := range accepted {
			m := keys[q].Decrypt(b.Ciphertext())
			n := []int{4, 40, 9}[q]
			k := []int{1, 40, 2}[q]
			got, err := ballot.DecodeAnswers(n, k, m)
			if err != nil || !slices.Equal(got, want[i][q]) {
				t.Fatalf("question %d, voter %d: decrypts to %v, %v; want %v", q, i, got, err, want[i][q])
			}
		}
	}
}

func TestAudit(t *testing.T) {
	keys := testKeys(t, 5, 2)
	qs := []Question{testQuestion(keys[0], 8, 3, 0), testQuestion(keys[1], 40, 40, 0)}
	req := &Request{ElectionID: "e2", Questions: qs, VoterID: "v", Choices: [][]int{{2, 7}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37}}}
	b, err := Audit(nil, req)
	if err != nil {
		t.Fatal(err)
	}
	audit := func() *AuditRequest {
		return &AuditRequest{ElectionID: "e2", Questions: qs, VoterID: "v", Choices: req.Choices, Line: b.Line,
			Randomness: [][]string{slices.Clone(b.Randomness[0]), slices.Clone(b.Randomness[1])}}
	}
	got, err := CheckAudit(audit())
	if err != nil {
		t.Fatal(err)
	}
	if got.Receipt != b.Receipt || !slices.EqualFunc(got.Choices, req.Choices, slices.Equal) {
		t.Fatalf("CheckAudit = %+v", got)
	}
	reveal := audit()
	reveal.Choices, reveal.VoterID = nil, ""
	if got, err := CheckAudit(reveal); err != nil || !slices.EqualFunc(got.Choices, req.Choices, slices.Equal) {
		t.Fatalf("CheckAudit without choices = %+v, %v", got, err)
	}

	other, err := Audit(nil, req) // the same choices, other randomness
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, want string
		edit       func(a *AuditRequest)
	}{
		{"another ballot's randomness", "question 0: ballot: audit failed: pair 0: α ≠ r·B", func(a *AuditRequest) { a.Randomness[0] = other.Randomness[0] }},
		{"randomness of the second pair swapped", "question 1: ballot: audit failed: pair 0", func(a *AuditRequest) {
			a.Randomness[1][0], a.Randomness[1][1] = a.Randomness[1][1], a.Randomness[1][0]
		}},
		{"a scalar missing", "question 1: ballot: audit failed: 1 scalars revealed for 2 pairs", func(a *AuditRequest) { a.Randomness[1] = a.Randomness[1][:1] }},
		{"a scalar that is not one", "question 0: randomness 0", func(a *AuditRequest) { a.Randomness[0][0] = "x" }},
		{"other choices", "question 0: pair 0: the ballot does not encrypt the choices [7 2], it encrypts [2 7]", func(a *AuditRequest) { a.Choices[0] = []int{7, 2} }},
		{"another voter", `the ballot is voter "v"'s, not "w"'s`, func(a *AuditRequest) { a.VoterID = "w" }},
		{"another election", "question 0: ballot: ballot: proofs: invalid proof", func(a *AuditRequest) { a.ElectionID = "e3" }},
		{"keys swapped", "question 0: ballot: ballot: proofs: invalid proof", func(a *AuditRequest) {
			a.Questions = []Question{qs[0], qs[1]}
			a.Questions[0].PublicKey, a.Questions[1].PublicKey = qs[1].PublicKey, qs[0].PublicKey
		}},
		{"a tampered line", "question 0", func(a *AuditRequest) { a.Line = tamper(a.Line) }},
		{"the other ballot's line", "question 0: ballot: audit failed: pair 0: α ≠ r·B", func(a *AuditRequest) { a.Line = other.Line }},
	} {
		a := audit()
		tc.edit(a)
		_, err := CheckAudit(a)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: CheckAudit = %v, want %q", tc.name, err, tc.want)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
	}
}

// tamper changes one character of the first choice's α.
func tamper(line string) string {
	i := strings.Index(line, `"alpha":"`) + len(`"alpha":"`) + 5
	c := byte('A')
	if line[i] == 'A' {
		c = 'B'
	}
	return line[:i] + string(c) + line[i+1:]
}

// TestBadRequests: bad input is an error that says what is wrong, never a
// ballot.
func TestBadRequests(t *testing.T) {
	keys := testKeys(t, 6, 2)
	good := func() *Request {
		return &Request{ElectionID: "e", Questions: []Question{testQuestion(keys[0], 4, 2, 0), testQuestion(keys[1], 3, 1, 0)}, VoterID: "v", Choices: [][]int{{1}, {}}}
	}
	if _, err := Encrypt(nil, good()); err != nil {
		t.Fatal(err)
	}
	identity := group.EncodeText(make([]byte, 32))
	for _, tc := range []struct {
		name, want string
		edit       func(r *Request)
	}{
		{"unknown answer", "booth: question 0: ballot: invalid answers: choice 0: no answer 4 (answers are 0 … 3)", func(r *Request) { r.Choices[0] = []int{4} }},
		{"negative answer", "no answer -1", func(r *Request) { r.Choices[1] = []int{-1} }},
		{"too many choices", "booth: question 0: ballot: invalid answers: 3 choices, at most 2 allowed", func(r *Request) { r.Choices[0] = []int{0, 1, 2} }},
		{"repeated choice", "answer 1 chosen twice", func(r *Request) { r.Choices[0] = []int{1, 1} }},
		{"empty voter id", "booth: no voter id", func(r *Request) { r.VoterID = "" }},
		{"voter id with '|'", "voter id has a control character or '|'", func(r *Request) { r.VoterID = "a|b" }},
		{"voter id too long", "voter id longer than 256 bytes", func(r *Request) { r.VoterID = strings.Repeat("v", 257) }},
		{"no election id", "booth: no election id", func(r *Request) { r.ElectionID = "" }},
		{"no questions", "booth: no questions", func(r *Request) { r.Questions, r.Choices = nil, nil }},
		{"choices for one question of two", "booth: choices for 1 questions, the election has 2", func(r *Request) { r.Choices = r.Choices[:1] }},
		{"key not base64url", "booth: question 1: the public key", func(r *Request) { r.Questions[1].PublicKey = "not a key" }},
		{"key of standard base64", "is not a key", func(r *Request) {
			r.Questions[0].PublicKey = strings.ReplaceAll(strings.ReplaceAll(r.Questions[0].PublicKey, "-", "+"), "_", "/") + "="
		}},
		{"key too short", "is not a key", func(r *Request) { r.Questions[0].PublicKey = r.Questions[0].PublicKey[:42] }},
		{"key empty", "is not a key", func(r *Request) { r.Questions[0].PublicKey = "" }},
		{"key the identity", "is not a key", func(r *Request) { r.Questions[0].PublicKey = identity }},
		{"key not canonical", "is not a key", func(r *Request) { r.Questions[0].PublicKey = group.EncodeText(bytes.Repeat([]byte{0xff}, 32)) }},
		{"no answers", `booth: question 0: no "answers"`, func(r *Request) { r.Questions[0].Answers = nil }},
		{"answers a string", `"answers" "4" is neither a list nor a number of answers`, func(r *Request) { r.Questions[0].Answers = raw("4") }},
		{"answers negative", "is neither a list nor a number", func(r *Request) { r.Questions[0].Answers = raw(-4) }},
		{"maxChoices above answers", "at most 5 choices of 4 answers", func(r *Request) { r.Questions[0].MaxChoices = intp(5) }},
		{"width too small", "booth: question 1: width 1, its votes need 2 … 1024", func(r *Request) {
			r.Questions[1].Answers, r.Questions[1].MaxChoices, r.Questions[1].Width = raw(40), intp(40), 1
		}},
		{"width too large", "width 1025", func(r *Request) { r.Questions[0].Width = 1025 }},
	} {
		r := good()
		tc.edit(r)
		b, err := Encrypt(nil, r)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Encrypt = %v, %v; want an error with %q", tc.name, b, err, tc.want)
			continue
		}
		if _, err2 := Audit(nil, r); err2 == nil || err2.Error() != err.Error() {
			t.Errorf("%s: Audit = %v, Encrypt %v", tc.name, err2, err)
		}
		t.Logf("%s: %v", tc.name, err)
	}
}

func TestDecodeRequestStrict(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"electionId":"e","voter":"v"}`, `unknown field "voter"`},
		{`{"electionId":"e","questions":[{"publicKey":"x","answers":[],"max":2}]}`, `unknown field "max"`},
		{`{"electionId":"e","choices":[["1"]]}`, "cannot unmarshal string"},
		{`{"electionId":"e","choices":[[1.5]]}`, "cannot unmarshal number 1.5"},
		{`{"electionId":"e"} {}`, "data after its end"},
		{`[]`, "cannot unmarshal array"},
		{``, "EOF"},
	} {
		_, err := DecodeRequest([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "booth: ") {
			t.Errorf("DecodeRequest(%s) = %v, want %q", tc.in, err, tc.want)
		}
	}
}
