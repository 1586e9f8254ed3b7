package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/booth"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/internal/testrand"
)

func raw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func intp(k int) *int { return &k }

// testElection is an election of two questions under fresh keys: a
// choice of one colour of four, and a ranking of up to 40 of 40 answers
// (width 2).
func testElection(t testing.TB, id string, seed uint64) (*election, []*elgamal.PrivateKey) {
	t.Helper()
	r := testrand.New(seed)
	var keys []*elgamal.PrivateKey
	for range 2 {
		k, err := elgamal.GenerateKey(r)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return electionWithKeys(id, keys[0].Public().String(), keys[1].Public().String()), keys
}

func electionWithKeys(id string, pk0, pk1 string) *election {
	var names []string
	for i := range 40 {
		names = append(names, "Candidate "+string(rune('A'+i%26))+strings.Repeat("'", i/26))
	}
	return &election{ElectionID: id, Title: "Demo election " + id, Questions: []booth.Question{
		{Title: "Favourite colour", PublicKey: pk0, Answers: raw([]string{"red", "green", "blue", "yellow"}), MaxChoices: intp(1)},
		{Title: "Rank the candidates", PublicKey: pk1, Answers: raw(names), MaxChoices: intp(40)},
	}}
}

func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestHandler(t *testing.T) {
	e, _ := testElection(t, "e-handler", 1)
	assets := t.TempDir()
	os.WriteFile(filepath.Join(assets, "eo.wasm"), []byte("\x00asm fake"), 0o644)
	var votes bytes.Buffer
	h, err := newHandler(e, assets, &votes)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	for _, tc := range []struct{ path, ctype, has string }{
		{"/", "text/html", `<script type="module">`},
		{"/eo.js", "text/javascript", "export function encryptBallot"},
		{"/eo.wasm", "application/wasm", "asm fake"},
		{"/election.json", "application/json", `"postUrl":"ballots"`},
	} {
		code, ctype, body := get(t, srv.URL+tc.path)
		if code != 200 || !strings.HasPrefix(ctype, tc.ctype) || !strings.Contains(body, tc.has) {
			t.Errorf("GET %s: %d %s %.60q", tc.path, code, ctype, body)
		}
	}
	for _, path := range []string{"/index.html", "/assets.go", "/main.go", "/../go.mod", "/x"} {
		if code, _, _ := get(t, srv.URL+path); code != 404 && code != 301 {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	var got election
	_, _, body := get(t, srv.URL+"/election.json")
	if err := json.Unmarshal([]byte(body), &got); err != nil || got.ElectionID != e.ElectionID || len(got.Questions) != 2 {
		t.Fatalf("election.json: %v %+v", err, got)
	}

	// The ballot box: one line, at most the longest line of the election.
	b, err := booth.Encrypt(nil, &booth.Request{ElectionID: e.ElectionID, Questions: e.Questions, VoterID: "v1", Choices: [][]int{{1}, {3, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	maxLine := ballot.LineLen(3, ballot.MaxVoterIDLen)
	for _, tc := range []struct {
		body string
		code int
	}{
		{b.Line, 200},
		{b.Line + "\n", 200},
		{"", 400},
		{"\n", 400},
		{"a\nb", 400},
		{strings.Repeat("x", maxLine), 200},
		{strings.Repeat("x", maxLine+1), 413},
	} {
		resp, err := http.Post(srv.URL+"/ballots", "text/plain", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("POST %.20q…: %d %s, want %d", tc.body, resp.StatusCode, msg, tc.code)
			continue
		}
		if tc.code == 200 {
			var r struct {
				Receipt string `json:"receipt"`
				N       int    `json:"n"`
			}
			if err := json.Unmarshal(msg, &r); err != nil || r.Receipt != booth.Receipt([]byte(strings.TrimSuffix(tc.body, "\n"))) {
				t.Errorf("POST: %s, %v", msg, err)
			}
		}
	}
	want := b.Line + "\n" + b.Line + "\n" + strings.Repeat("x", maxLine) + "\n"
	if votes.String() != want {
		t.Errorf("the vote file is %.200q", votes.String())
	}
}

func TestHandlerRefusesBadElections(t *testing.T) {
	e, _ := testElection(t, "e", 2)
	for _, tc := range []struct {
		name, want string
		edit       func(e *election)
	}{
		{"no id", "no election id", func(e *election) { e.ElectionID = "" }},
		{"bad key", "question 1: the public key", func(e *election) { e.Questions[1].PublicKey = "x" }},
		{"width too small", "width 1, its votes need 2", func(e *election) { e.Questions[1].Width = 1 }},
	} {
		c := *e
		c.Questions = append([]booth.Question(nil), e.Questions...)
		tc.edit(&c)
		if _, err := newHandler(&c, "", nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: newHandler = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestRun(t *testing.T) {
	e, _ := testElection(t, "e-run", 3)
	dir := t.TempDir()
	file := filepath.Join(dir, "election.json")
	os.WriteFile(file, raw(e), 0o644)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"electionId":"e","questions":[],"extra":1}`), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{nil, 2, "eobooth: give --election FILE, or --id and --keys\n"},
		{[]string{"--election", file, "--id", "x"}, 2, "eobooth: --election excludes --id and --keys\n"},
		{[]string{"--election", file, "extra"}, 2, "eobooth: unexpected argument \"extra\"\n"},
		{[]string{"--election", bad}, 1, "eobooth: " + bad + ": json: unknown field \"extra\"\n"},
		{[]string{"--election", filepath.Join(dir, "none.json")}, 1, "no such file"},
		{[]string{"--id", "e", "--keys", "x,y"}, 1, "eobooth: the election: booth: question 0: the public key \"x\" is not a key"},
		{[]string{"--election", file, "--listen", "127.0.0.1:-1"}, 1, "eobooth: listen tcp"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.err) {
			t.Errorf("eobooth %v: %d, %q; want %d, %q", tc.args, code, stderr.String(), tc.code, tc.err)
		}
	}

	// It serves until its context ends.
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int)
	pw := &syncBuffer{}
	go func() {
		done <- run(ctx, []string{"--id", "e-flags", "--keys", e.Questions[0].PublicKey + "," + e.Questions[1].PublicKey, "--answers", "3", "--max", "2", "--listen", "127.0.0.1:0"}, pw, &stderr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(pw.String(), "\n") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	url := strings.TrimSpace(pw.String())
	code, _, body := get(t, url+"election.json")
	if code != 200 || !strings.Contains(body, `"electionId":"e-flags"`) || !strings.Contains(body, `"answers":3,"maxChoices":2`) {
		t.Errorf("election.json from flags: %d %s", code, body)
	}
	cancel()
	if c := <-done; c != 0 {
		t.Errorf("exit %d, %s", c, stderr.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
