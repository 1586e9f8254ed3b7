package main

// The booth in a real browser: headless Chromium (Debian's chromium
// package; .ci/run installs it), driven from Go with chromedp, loads the
// page that eobooth serves and the module built from booth/wasm.
//
// Without chromium on PATH these tests skip, except under CI (CI set),
// where they fail. Screenshots go to t.ArtifactDir(), kept with
// go test -artifacts -outputdir DIR.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/booth"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/eotest"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/browsertest"
	"github.com/eo-mixnet/eo/internal/testctx"
	"github.com/eo-mixnet/eo/internal/testrand"
	"github.com/eo-mixnet/eo/internal/wasmbuild"
	"github.com/eo-mixnet/eo/record"
)

// modules are the two builds of booth/wasm, made once per test binary:
// the one a booth serves, and the test build (-tags boothtesting).
var modules struct {
	once             sync.Once
	root, prod, test string
	err              error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if modules.root != "" {
		os.RemoveAll(modules.root)
	}
	os.Exit(code)
}

// buildModules returns the directories of the two builds, each with its
// eo.wasm and wasm_exec.js.
func buildModules(t *testing.T) (prod, test string) {
	t.Helper()
	modules.once.Do(func() {
		if modules.root, modules.err = os.MkdirTemp("", "eobooth-wasm-"); modules.err != nil {
			return
		}
		modules.prod = filepath.Join(modules.root, "prod")
		modules.test = filepath.Join(modules.root, "test")
		os.Mkdir(modules.prod, 0o755)
		os.Mkdir(modules.test, 0o755)
		if modules.err = wasmbuild.Build(modules.prod); modules.err == nil {
			modules.err = wasmbuild.Build(modules.test, "boothtesting")
		}
	})
	if modules.err != nil {
		t.Fatal(modules.err)
	}
	return modules.prod, modules.test
}

// newBrowser starts headless Chromium for the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Start(t, testctx.Context(t), 1000, 1000)
}

// tab opens a new tab of the browser at url and waits for the booth to
// be ready.
func tab(t *testing.T, browser context.Context, url string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	var mu sync.Mutex
	var console []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			console = append(console, fmt.Sprintf("%s: %s", m.Type, m.Text))
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range console {
			t.Logf("console %s", m)
		}
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body[data-ready]"))); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	if state := eval[string](t, ctx, `document.body.dataset.ready`); state != "true" {
		t.Fatalf("the booth did not start: %s", eval[string](t, ctx, `document.getElementById("error").textContent`))
	}
	return ctx
}

// eval evaluates a JavaScript expression in the tab, awaiting a promise.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %.80q: %v", expr, err)
	}
	return v
}

// jsCatch evaluates a statement list that should throw and returns the
// message thrown ("" if nothing was).
func jsCatch(t *testing.T, ctx context.Context, body string) string {
	t.Helper()
	return eval[string](t, ctx, `(() => { try { `+body+`; return ""; } catch (e) { return e.message; } })()`)
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}

// startBooth serves the booth of e with the module in assets; the lines
// cast go to h.votes.
func startBooth(t *testing.T, e *election, assets string) (*handler, string) {
	t.Helper()
	h, err := newHandler(e, assets, new(bytes.Buffer))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv.URL + "/"
}

// castLines returns the lines the booth's ballot box received.
func (h *handler) castLines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := strings.TrimSuffix(h.votes.(*bytes.Buffer).String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func js(v any) string { return string(raw(v)) }

// request is the page's request for e's questions.
func request(e *election, voter string, choices [][]int) *booth.Request {
	return &booth.Request{ElectionID: e.ElectionID, Questions: e.Questions, VoterID: voter, Choices: choices}
}

// voteResult is what voteJS returns.
type voteResult struct {
	Error   string `json:"error"`
	Receipt string `json:"receipt"`
	Cast    struct {
		Receipt string `json:"receipt"`
		N       int    `json:"n"`
		Error   string `json:"error"`
	} `json:"cast"`
	Shown string `json:"shown"` // the receipt the page shows after casting
}

// voteJS votes in the page as a voter does: it ticks the answers in the
// order of choices, types the voter id, clicks Encrypt, reads the
// receipt, clicks Cast and waits for the ballot box.
const voteJS = `(async (choices, voter) => {
  const $ = (id) => document.getElementById(id);
  choices.forEach((ids, q) => ids.forEach((a) => $("q" + q + "a" + a).click()));
  $("voter").value = voter;
  $("encrypt").click();
  if ($("error").textContent) return {error: $("error").textContent};
  const receipt = $("receipt-hash").textContent;
  $("cast").click();
  const cast = await window.lastCast;
  return {receipt, cast, shown: $("cast-receipt") ? $("cast-receipt").textContent : ""};
})`

func vote(t *testing.T, ctx context.Context, choices [][]int, voter string) voteResult {
	t.Helper()
	return eval[voteResult](t, ctx, fmt.Sprintf("%s(%s, %s)", voteJS, js(choices), js(voter)))
}

// plaintextLine is what the record shows for a vote on e's question q:
// the integers of its elements, joined by commas.
func plaintextLine(t *testing.T, e *election, q int, choices []int) string {
	t.Helper()
	n, k := len(mustList(t, e.Questions[q].Answers)), *e.Questions[q].MaxChoices
	m, err := ballot.EncodeAnswers(n, k, choices)
	if err != nil {
		t.Fatal(err)
	}
	parts := make([]string, len(m))
	for j := range m {
		x, err := elgamal.DecodeInt(m[j])
		if err != nil {
			t.Fatal(err)
		}
		parts[j] = x.String()
	}
	return strings.Join(parts, ",")
}

func mustList(t *testing.T, raw json.RawMessage) []json.RawMessage {
	var l []json.RawMessage
	if err := json.Unmarshal(raw, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

// randomChoices is a random vote on e: blank, one colour or another, and
// a ranking of 0 to 5 candidates, or of all 40 (both elements used).
func randomChoices(r *mrand.Rand, i int) [][]int {
	c0 := []int{}
	if a := r.IntN(5); a < 4 {
		c0 = []int{a}
	}
	c1 := r.Perm(40)[:r.IntN(6)]
	if i%25 == 7 {
		c1 = r.Perm(40)
	}
	return [][]int{c0, c1}
}

// auditResult is what the page's Audit button leaves in window.lastAudit.
type auditResult struct {
	booth.Ballot
	Opened booth.Opened `json:"opened"`
	Error  string       `json:"error"`
}

// TestBrowserElection: voters vote in the booth page for an election of
// eotest's local authorities; the authorities tally the lines the page
// cast, and the record verifies with exactly those votes counted, while
// a wrong-key, a moved and a truncated ballot made in the page are
// excluded with their reasons. A voter's audit on the way checks.
func TestBrowserElection(t *testing.T) {
	if testing.Short() {
		t.Skip("a whole election: authorities, key generation, tally")
	}
	browser := newBrowser(t)
	prod, _ := buildModules(t)
	ctx := testctx.Context(t)

	c, err := eotest.StartCluster(ctx, eotest.ClusterOptions{N: 2, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hs, err := eotest.NewHarness(eotest.HarnessOptions{Dir: c.Dirs[0], Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Close()
	id := eotest.NewElectionID()
	pks, err := hs.CreateWidths(ctx, id, c.Names, 2, []int{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	e := electionWithKeys(id, pks[0], pks[1])
	e.Questions[1].Width = 2
	h, url := startBooth(t, e, prod)
	page := tab(t, browser, url)
	screenshot(t, page, "1-loaded")

	// A voter with the mouse: ticks, types, encrypts, audits, encrypts
	// again and casts.
	first := [][]int{{2}, {4, 0, 9}}
	var acts []chromedp.Action[chromedp.Void]
	for q, ids := range first {
		for _, a := range ids {
			acts = append(acts, chromedp.Click(chromedp.CSS(fmt.Sprintf("#q%da%d", q, a))))
		}
	}
	acts = append(acts, chromedp.SendKeys(chromedp.CSS("#voter"), "voter-0"), chromedp.Click(chromedp.CSS("#encrypt")), chromedp.WaitVisible(chromedp.CSS("#receipt-hash")))
	if err := chromedp.Do(page, acts...); err != nil {
		t.Fatal(err)
	}
	screenshot(t, page, "2-encrypted")
	if err := chromedp.Do(page, chromedp.Click(chromedp.CSS("#audit")), chromedp.WaitVisible(chromedp.CSS("#audit-result"))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, page, "3-audited")
	audited := eval[auditResult](t, page, `window.lastAudit`)
	if audited.Error != "" || !slices.EqualFunc(audited.Opened.Choices, first, slices.Equal) {
		t.Fatalf("the page's audit: %+v", audited)
	}
	opened, err := booth.CheckAudit(&booth.AuditRequest{ElectionID: id, Questions: e.Questions, VoterID: "voter-0", Choices: first, Line: audited.Line, Randomness: audited.Randomness})
	if err != nil || opened.Receipt != audited.Receipt {
		t.Fatalf("the audited ballot does not check natively: %v", err)
	}
	if err := chromedp.Do(page, chromedp.Click(chromedp.CSS("#encrypt")), chromedp.WaitVisible(chromedp.CSS("#receipt-hash")), chromedp.Click(chromedp.CSS("#cast")), chromedp.WaitVisible(chromedp.CSS("#cast-receipt"))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, page, "4-cast")

	// 99 more voters, each through the page's form.
	r := mrand.New(testrand.New(100))
	cast := [][][]int{first}
	receipts := []string{eval[string](t, page, `document.getElementById("cast-receipt").textContent`)}
	for i := 1; i < 100; i++ {
		choices := randomChoices(r, i)
		res := vote(t, page, choices, fmt.Sprintf("voter-%d", i))
		if res.Error != "" || res.Cast.Error != "" || res.Cast.Receipt != res.Receipt || res.Shown != res.Receipt || res.Cast.N != i+1 {
			t.Fatalf("voter %d: %+v", i, res)
		}
		cast = append(cast, choices)
		receipts = append(receipts, res.Receipt)
	}

	// Ballots made in the page that the authorities must exclude.
	other, _ := testElection(t, id, 7)
	bad := eval[[]string](t, page, fmt.Sprintf(`(async (wrong, good) => {
	  const out = [];
	  const post = async (line) => { const r = await fetch("ballots", {method: "POST", body: line}); if (!r.ok) throw new Error(await r.text()); out.push(line); };
	  await post(booth.eo.encryptBallot(wrong).line);
	  await post(booth.eo.encryptBallot(good).line.replace("|moved-a", "|moved-b"));
	  await post(booth.eo.encryptBallot({...good, voterId: "truncated"}).line.slice(0, -100));
	  return out;
	})(%s, %s)`, js(request(other, "wrong-key", [][]int{{1}, {1}})), js(request(e, "moved-a", [][]int{{0}, {2}}))))
	if len(bad) != 3 {
		t.Fatalf("bad ballots: %v", bad)
	}

	lines := h.castLines()
	if len(lines) != 103 {
		t.Fatalf("%d lines cast", len(lines))
	}
	for i, rc := range receipts {
		if booth.Receipt([]byte(lines[i])) != rc {
			t.Fatalf("line %d is not the ballot of receipt %s", i+1, rc)
		}
	}
	for _, l := range lines {
		if booth.Receipt([]byte(l)) == audited.Receipt {
			t.Fatal("the audited ballot was cast")
		}
	}
	votes := []byte(strings.Join(lines, "\n") + "\n")

	tallyURL, tallyHash, err := hs.Tally(ctx, id, votes)
	if err != nil {
		t.Fatal(err)
	}
	tgz, err := hs.Download(ctx, tallyURL, tallyHash)
	if err != nil {
		t.Fatal(err)
	}
	want := make([][]string, 2)
	for _, choices := range cast {
		for q := range want {
			want[q] = append(want[q], plaintextLine(t, e, q, choices[q]))
		}
	}
	rep, err := eotest.Check(tgz, id, c.Names, want)
	if err != nil {
		t.Fatal(err)
	}
	f, err := record.ReadTarGz(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	wantExcluded := []ballot.Exclusion{{Line: 101, Reason: ballot.ReasonProof}, {Line: 102, Reason: ballot.ReasonProof}, {Line: 103, Reason: ballot.ReasonMalformed}}
	for q, qr := range rep.Questions {
		var excl []ballot.Exclusion
		if err := json.Unmarshal(f[fmt.Sprintf("q%d/excluded.json", q)], &excl); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(excl, wantExcluded) {
			t.Errorf("question %d: excluded %+v, want %+v", q, excl, wantExcluded)
		}
		// The decrypted votes decode to the choices cast, as a multiset.
		n, k := len(mustList(t, e.Questions[q].Answers)), *e.Questions[q].MaxChoices
		var got, exp []string
		for _, p := range qr.Plaintexts {
			var m []*group.Element
			for _, d := range strings.Split(p, ",") {
				x, _ := new(big.Int).SetString(d, 10)
				el, err := elgamal.EncodeInt(x)
				if err != nil {
					t.Fatal(err)
				}
				m = append(m, el)
			}
			ch, err := ballot.DecodeAnswers(n, k, m)
			if err != nil {
				t.Fatalf("question %d: plaintext %s: %v", q, p, err)
			}
			got = append(got, fmt.Sprint(ch))
		}
		for _, choices := range cast {
			exp = append(exp, fmt.Sprint(choices[q]))
		}
		slices.Sort(got)
		slices.Sort(exp)
		if !slices.Equal(got, exp) {
			t.Errorf("question %d: the tally is not the choices cast", q)
		}
		t.Logf("question %d: %d votes counted, %d excluded, counts %v", q, len(qr.Plaintexts), qr.Excluded, qr.Counts[:min(4, len(qr.Counts))])
	}
}

// TestBrowserBooth: the module the booth serves, in the page, against
// election keys made here: bad input, audits, and the speed of a ballot
// in the browser next to a native one.
func TestBrowserBooth(t *testing.T) {
	browser := newBrowser(t)
	prod, _ := buildModules(t)
	e, keys := testElection(t, "e-booth", 9)
	_, url := startBooth(t, e, prod)
	page := tab(t, browser, url)

	t.Run("bad input", func(t *testing.T) {
		// Two colours where one is allowed, with the mouse.
		if err := chromedp.Do(page, chromedp.Click(chromedp.CSS("#q0a0")), chromedp.Click(chromedp.CSS("#q0a3")),
			chromedp.SendKeys(chromedp.CSS("#voter"), "voter-x"), chromedp.Click(chromedp.CSS("#encrypt"))); err != nil {
			t.Fatal(err)
		}
		msg := eval[string](t, page, `document.getElementById("error").textContent`)
		if msg != "booth: question 0: ballot: invalid answers: 2 choices, at most 1 allowed" {
			t.Errorf("the page shows %q", msg)
		}
		if n := eval[int](t, page, `document.querySelectorAll("#receipt-hash").length`); n != 0 {
			t.Error("a receipt is shown for a bad vote")
		}
		screenshot(t, page, "bad-input")
		eval[chromedp.Void](t, page, `document.getElementById("q0a3").click()`)

		good := request(e, "v", [][]int{{1}, {2, 3}})
		for _, tc := range []struct{ name, edit, want string }{
			{"unknown answer", `r.choices[0] = [4]`, "booth: question 0: ballot: invalid answers: choice 0: no answer 4 (answers are 0 … 3)"},
			{"too many choices", `r.choices[0] = [0, 1]`, "booth: question 0: ballot: invalid answers: 2 choices, at most 1 allowed"},
			{"repeated choice", `r.choices[1] = [5, 5]`, "booth: question 1: ballot: invalid answers: choice 1: answer 5 chosen twice"},
			{"wrong key encoding", `r.questions[1].publicKey = btoa("not a key at all, but long enough")`, `booth: question 1: the public key "bm90IGEga2V5`},
			{"key with padding", `r.questions[0].publicKey += "="`, "is not a key: elgamal: public key: group: invalid encoding: text must be 43 base64url characters, got 44"},
			{"empty voter id", `r.voterId = ""`, "booth: no voter id"},
			{"no voter id", `delete r.voterId`, "booth: no voter id"},
			{"choices as strings", `r.choices = [["1"], []]`, "booth: the request is not what the booth takes: json: cannot unmarshal string"},
			{"the old field max", `r.questions[0].max = 2`, `booth: the request is not what the booth takes: json: unknown field "max"`},
			{"not an object", `r = "ballot"`, "takes a request object"},
		} {
			for _, f := range []string{"encryptBallot", "auditBallot"} {
				got := jsCatch(t, page, fmt.Sprintf(`let r = %s; %s; booth.eo.%s(r)`, js(good), tc.edit, f))
				if !strings.HasPrefix(got, tc.want) && !strings.Contains(got, tc.want) {
					t.Errorf("%s: %s throws %q, want %q", tc.name, f, got, tc.want)
				}
			}
		}
		if got := jsCatch(t, page, `booth.eo.testingOnly("testingOnlyEncryptBallot", {})`); got != "eo: testingOnlyEncryptBallot: not in this build of the module" {
			t.Errorf("the served module has test-only functions: %q", got)
		}
		// The module still works after all that.
		if got := eval[booth.Ballot](t, page, fmt.Sprintf(`booth.eo.encryptBallot(%s)`, js(good))); got.Receipt != booth.Receipt([]byte(got.Line)) {
			t.Errorf("after bad input: %+v", got)
		}
	})

	t.Run("audit", func(t *testing.T) {
		req := request(e, "auditor", [][]int{{3}, {39, 0, 20}})
		got := eval[booth.Ballot](t, page, fmt.Sprintf(`booth.eo.auditBallot(%s)`, js(req)))
		ar := &booth.AuditRequest{ElectionID: e.ElectionID, Questions: e.Questions, Choices: req.Choices, Line: got.Line, Randomness: got.Randomness}
		if _, err := booth.CheckAudit(ar); err != nil {
			t.Fatalf("the browser's audited ballot does not check natively: %v", err)
		}
		// And the browser checks it: as it is, then tampered.
		opened := eval[booth.Opened](t, page, fmt.Sprintf(`booth.eo.checkAudit(%s)`, js(ar)))
		if opened.Receipt != got.Receipt || !slices.EqualFunc(opened.Choices, req.Choices, slices.Equal) {
			t.Fatalf("checkAudit: %+v", opened)
		}
		// The decrypted ballot is the vote, with the election's keys.
		parts, err := ballot.SplitFile([]byte(got.Line), []int{1, 2})
		if err != nil {
			t.Fatal(err)
		}
		for q, part := range parts {
			b, err := ballot.ParseLine(part)
			if err != nil {
				t.Fatal(err)
			}
			ch, err := ballot.DecodeAnswers(len(mustList(t, e.Questions[q].Answers)), *e.Questions[q].MaxChoices, keys[q].Decrypt(b.Ciphertext()))
			if err != nil || !slices.Equal(ch, req.Choices[q]) {
				t.Fatalf("question %d decrypts to %v, %v", q, ch, err)
			}
		}
		for _, tc := range []struct{ name, edit, want string }{
			{"another scalar", `a.randomness[1][0] = a.randomness[0][0]`, "booth: question 1: ballot: audit failed: pair 0: α ≠ r·B"},
			{"other choices", `a.choices[1] = [39, 20, 0]`, "booth: question 1: pair 1: the ballot does not encrypt the choices [39 20 0], it encrypts [39 0 20]"},
			{"another voter", `a.line = a.line.replace("|auditor", "|someone")`, "booth: question 0: ballot: ballot: proofs: invalid proof"},
			{"a scalar missing", `a.randomness[1].pop()`, "booth: question 1: ballot: audit failed: 1 scalars revealed for 2 pairs"},
		} {
			if msg := jsCatch(t, page, fmt.Sprintf(`let a = %s; %s; booth.eo.checkAudit(a)`, js(ar), tc.edit)); !strings.HasPrefix(msg, tc.want) {
				t.Errorf("%s: checkAudit throws %q, want %q", tc.name, msg, tc.want)
			}
		}
	})

	t.Run("speed", func(t *testing.T) {
		// Figures, not assertions: this machine's speed is not the test's.
		one := &election{ElectionID: "e-speed", Questions: e.Questions[:1]}
		for _, tc := range []struct {
			name string
			req  *booth.Request
			n    int
		}{
			{"one question (width 1)", request(one, "voter-speed", [][]int{{2}}), 100},
			{"two questions (widths 1 and 2)", request(e, "voter-speed", [][]int{{2}, {5, 6, 7}}), 40},
		} {
			ms := eval[float64](t, page, fmt.Sprintf(`((r, n) => {
			  booth.eo.encryptBallot(r);
			  const t0 = performance.now();
			  for (let i = 0; i < n; i++) booth.eo.encryptBallot(r);
			  return (performance.now() - t0) / n;
			})(%s, %d)`, js(tc.req), tc.n))
			if _, err := booth.Encrypt(nil, tc.req); err != nil {
				t.Fatal(err)
			}
			const native = 400
			start := time.Now()
			for range native {
				booth.Encrypt(nil, tc.req)
			}
			perBallot := time.Since(start).Seconds() * 1000 / native
			t.Logf("%s: %.2f ms per ballot in the browser, %.3f ms natively (booth.Encrypt)", tc.name, ms, perBallot)
		}
		// ballot.Encrypt alone, natively: the answers encoded and the key decoded beforehand.
		pk, err := elgamal.PublicKeyFromText(e.Questions[0].PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ballot.EncodeAnswers(4, 1, []int{2})
		if err != nil {
			t.Fatal(err)
		}
		ctx := ballot.Context{ElectionID: "e-speed", PK: pk, Width: 1}
		ballot.Encrypt(nil, ctx, m, "voter-speed")
		start := time.Now()
		for range 400 {
			ballot.Encrypt(nil, ctx, m, "voter-speed")
		}
		t.Logf("one question (width 1): %.3f ms per ballot natively (ballot.Encrypt alone)", time.Since(start).Seconds()*1000/400)
		wasm, err := os.ReadFile(filepath.Join(prod, "eo.wasm"))
		if err != nil {
			t.Fatal(err)
		}
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		w.Write(wasm)
		w.Close()
		t.Logf("eo.wasm: %d bytes, %d gzipped (gzip -9)", len(wasm), gz.Len())
	})
}

// vector is one of booth/testdata/vectors.json.
type vector struct {
	Comment string          `json:"comment"`
	Seed    string          `json:"seed"`
	Audit   bool            `json:"audit"`
	Request json.RawMessage `json:"request"`
	Ballot  booth.Ballot    `json:"ballot"`
}

// TestBrowserVectors: the same request and randomness give the same
// ballot line, byte for byte, in the browser (the test build of the
// module) and natively: booth's vectors, and fresh ones made here.
func TestBrowserVectors(t *testing.T) {
	browser := newBrowser(t)
	_, test := buildModules(t)
	e, _ := testElection(t, "e-vectors", 11)
	_, url := startBooth(t, e, test)
	page := tab(t, browser, url)

	b, err := os.ReadFile("../../booth/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	r := mrand.New(testrand.New(12))
	for i := range 20 {
		seed := fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64())
		vs = append(vs, vector{Comment: fmt.Sprintf("fresh %d", i), Seed: seed, Audit: i%4 == 3, Request: raw(request(e, fmt.Sprintf("v%d", i), randomChoices(r, i)))})
	}
	for _, v := range vs {
		req, err := booth.DecodeRequest(v.Request)
		if err != nil {
			t.Fatal(err)
		}
		f, name := booth.Encrypt, "testingOnlyEncryptBallot"
		if v.Audit {
			f, name = booth.Audit, "testingOnlyAuditBallot"
		}
		seed, _ := new(big.Int).SetString(v.Seed, 16)
		var s [32]byte
		seed.FillBytes(s[:])
		native, err := f(mrand.NewChaCha8(s), req)
		if err != nil {
			t.Fatal(err)
		}
		if v.Ballot.Line != "" && v.Ballot.Line != native.Line {
			t.Fatalf("%s: native ballot is not the vector's", v.Comment)
		}
		got := eval[booth.Ballot](t, page, fmt.Sprintf(`booth.eo.testingOnly(%q, {seed: %q, request: %s})`, name, v.Seed, v.Request))
		if got.Line != native.Line || got.Receipt != native.Receipt || !slices.EqualFunc(got.Randomness, native.Randomness, slices.Equal) {
			t.Errorf("%s: the browser's ballot is not the native one:\n%s\n%s", v.Comment, got.Line, native.Line)
		}
	}
	t.Logf("%d ballots byte-identical in the browser and natively", len(vs))
}
