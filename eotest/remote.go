package eotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/par"
	"github.com/eo-mixnet/eo/orchestra"
	"github.com/eo-mixnet/eo/peers"
	"github.com/eo-mixnet/eo/record"
)

// Harness plays the election web server against running authorities: it
// holds the local authority's identity (its client certificate, which the
// authorities trust), serves the vote files and receives the callbacks
// over mutual TLS, and drives the public API of the director, which is
// the local authority.
type Harness struct {
	id       *peers.Identity
	store    *peers.Store
	client   *http.Client
	srv      *http.Server
	ln       net.Listener
	base     string // https://host:port of this harness, as the authorities reach it
	director string // https://host:port of the director's API
	progress io.Writer

	mu      sync.Mutex
	votes   map[string][]byte
	waits   map[string]chan orchestra.Callback
	created map[string]*orchestra.Callback // the creation callbacks received
}

// HarnessOptions configure NewHarness.
type HarnessOptions struct {
	Dir string // the local authority's directory
	// Listen is where the harness serves ballots and callbacks (":8000");
	// PublicHost is the host the authorities use to reach it (the local
	// authority's address).
	Listen, PublicHost string
	Progress           io.Writer
}

// NewHarness starts the harness's HTTPS server.
func NewHarness(o HarnessOptions) (*Harness, error) {
	id, store, err := peers.Open(o.Dir)
	if err != nil {
		return nil, err
	}
	if o.Listen == "" {
		o.Listen = ":8000"
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("eotest: serving ballots and callbacks: %w", err)
	}
	host := o.PublicHost
	if host == "" {
		host = id.Config.IPAddress
	}
	if host == "" {
		host = id.Hostname()
	}
	apiHost := id.Config.IPAddress
	if apiHost == "" {
		apiHost = id.Hostname()
	}
	h := &Harness{id: id, store: store, client: peers.NewAnyPeerHTTPClient(id, store), ln: ln,
		base:     "https://" + net.JoinHostPort(host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)),
		director: "https://" + net.JoinHostPort(apiHost, strconv.Itoa(id.Config.Port)),
		progress: o.Progress, votes: map[string][]byte{}, waits: map[string]chan orchestra.Callback{}, created: map[string]*orchestra.Callback{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /eotest/votes/{id}", h.serveVotes)
	mux.HandleFunc("POST /eotest/callback/{id}/{action}", h.receiveCallback)
	h.srv = peers.NewHTTPServer("", id, store, mux)
	h.srv.ErrorLog = nil
	h.srv.ReadHeaderTimeout = 10 * time.Second
	go h.srv.ServeTLS(ln, "", "")
	return h, nil
}

// Close stops the harness's server.
func (h *Harness) Close() error { return h.srv.Close() }

// Hostname is the local authority's host name.
func (h *Harness) Hostname() string { return h.id.Hostname() }

func (h *Harness) logf(format string, args ...any) {
	if h.progress != nil {
		fmt.Fprintf(h.progress, format+"\n", args...)
	}
}

func (h *Harness) serveVotes(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	b, ok := h.votes[r.PathValue("id")]
	h.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	// The length, as a web server announces a file's: an authority then
	// reads the vote file in one allocation.
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

func (h *Harness) waiter(id, action string) chan orchestra.Callback {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := id + "/" + action
	if h.waits[k] == nil {
		h.waits[k] = make(chan orchestra.Callback, 1)
	}
	return h.waits[k]
}

func (h *Harness) receiveCallback(w http.ResponseWriter, r *http.Request) {
	var cb orchestra.Callback
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&cb); err != nil {
		http.Error(w, "bad callback", http.StatusBadRequest)
		return
	}
	select {
	case h.waiter(r.PathValue("id"), r.PathValue("action")) <- cb:
	default: // a repeated callback
	}
	w.WriteHeader(http.StatusOK)
}

func (h *Harness) post(ctx context.Context, path string, body any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.director+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("eotest: %s: %w", path, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("eotest: %s answered %s: %s", path, resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}

// wait waits for the callback of a request, printing a line now and then.
func (h *Harness) wait(ctx context.Context, id, action string) (*orchestra.Callback, error) {
	ch := h.waiter(id, action)
	start := time.Now()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case cb := <-ch:
			if cb.Status != "finished" {
				msg, _ := cb.Data["message"].(string)
				return nil, fmt.Errorf("eotest: the %s of election %s failed: %s", action, id, msg)
			}
			return &cb, nil
		case <-tick.C:
			h.logf("  … %s: waiting for the authorities (%.0f s)", action, time.Since(start).Seconds())
		case <-ctx.Done():
			return nil, fmt.Errorf("eotest: waiting for the %s callback of election %s: %w", action, id, context.Cause(ctx))
		}
	}
}

// Create asks the director to create an election with these authorities
// (host names, the local authority among them) and questions as the old
// web server sends them (no "width": each of width 1), and waits for its
// public keys, one per question.
func (h *Harness) Create(ctx context.Context, id string, authorities []string, threshold, questions int) ([]string, error) {
	qs := make([]json.RawMessage, questions)
	for q := range qs {
		qs[q] = mustRaw(map[string]any{"title": fmt.Sprintf("question %d", q)})
	}
	return h.create(ctx, id, authorities, threshold, qs)
}

// CreateWidths is Create with one question per width, each carrying eo's
// "width" field (ballot.QuestionWidth).
func (h *Harness) CreateWidths(ctx context.Context, id string, authorities []string, threshold int, widths []int) ([]string, error) {
	qs := make([]json.RawMessage, len(widths))
	for q, w := range widths {
		qs[q] = mustRaw(map[string]any{"title": fmt.Sprintf("question %d", q), "width": w})
	}
	return h.create(ctx, id, authorities, threshold, qs)
}

func (h *Harness) create(ctx context.Context, id string, authorities []string, threshold int, questions []json.RawMessage) ([]string, error) {
	req := orchestra.ElectionRequest{ID: mustRaw(id), CallbackURL: h.base + "/eotest/callback/" + id + "/create", Threshold: threshold, Questions: questions}
	for _, a := range authorities {
		var pemText []byte
		if strings.EqualFold(a, h.id.Hostname()) {
			pemText = h.id.CertificatePEM
		} else {
			p, err := h.store.Get(a)
			if err != nil {
				return nil, fmt.Errorf("eotest: authority %s: %w", a, err)
			}
			pemText = []byte(p.Certificate)
		}
		req.Authorities = append(req.Authorities, orchestra.RequestAuthority{Name: a, SSLCert: string(pemText)})
	}
	if err := h.post(ctx, "/public_api/election", req); err != nil {
		return nil, err
	}
	cb, err := h.wait(ctx, id, "create")
	if err != nil {
		return nil, err
	}
	if err := checkCreated(cb, req); err != nil {
		return nil, fmt.Errorf("eotest: election %s: %w", id, err)
	}
	h.mu.Lock()
	h.created[id] = cb
	h.mu.Unlock()
	var pks []string
	for _, sd := range cb.SessionData {
		pks = append(pks, sd.PublicKey)
	}
	if len(pks) != len(questions) {
		return nil, fmt.Errorf("eotest: %d public keys for %d questions", len(pks), len(questions))
	}
	return pks, nil
}

// PublicKeys asks the director for the public keys of a created election.
func (h *Harness) PublicKeys(ctx context.Context, id string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.director+"/public_api/election/"+id, nil)
	if err != nil {
		return nil, err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var st orchestra.ElectionStatus
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		return nil, fmt.Errorf("eotest: election %s: %s", id, resp.Status)
	}
	if len(st.PublicKeys) == 0 {
		return nil, fmt.Errorf("eotest: election %s is %s, it has no keys", id, st.Status)
	}
	return st.PublicKeys, nil
}

// Tally serves the vote file, asks the director to tally it and waits for
// the tally's URL and hash.
func (h *Harness) Tally(ctx context.Context, id string, votes []byte) (tallyURL, tallyHash string, err error) {
	if err := h.RequestTally(ctx, id, votes, "", ""); err != nil {
		return "", "", err
	}
	return h.WaitTally(ctx, id)
}

// Serve makes the harness serve votes as the vote file of election id.
func (h *Harness) Serve(id string, votes []byte) {
	h.mu.Lock()
	h.votes[id] = votes
	h.mu.Unlock()
}

// RequestTally serves votes and posts the tally request; votesHash and
// votesURL, if not empty, replace the true hash and the harness's URL (for
// tests of failures).
func (h *Harness) RequestTally(ctx context.Context, id string, votes []byte, votesHash, votesURL string) error {
	h.Serve(id, votes)
	if votesHash == "" {
		votesHash = record.VotesHash(votes)
	}
	if votesURL == "" {
		votesURL = h.base + "/eotest/votes/" + id
	}
	req := orchestra.TallyRequest{ElectionID: mustRaw(id), VotesURL: votesURL, VotesHash: votesHash,
		CallbackURL: h.base + "/eotest/callback/" + id + "/tally"}
	return h.post(ctx, "/public_api/tally", req)
}

// WaitTally waits for the callback of a tally: its URL and hash, or the
// reason it failed.
func (h *Harness) WaitTally(ctx context.Context, id string) (tallyURL, tallyHash string, err error) {
	cb, err := h.wait(ctx, id, "tally")
	if err != nil {
		return "", "", err
	}
	tallyURL, _ = cb.Data["tally_url"].(string)
	tallyHash, _ = cb.Data["tally_hash"].(string)
	if tallyURL == "" || tallyHash == "" {
		return "", "", errors.New("eotest: the tally callback has no tally_url or tally_hash")
	}
	return tallyURL, tallyHash, nil
}

// Post posts a raw body to the director's API and returns the status and
// the body of the answer (for tests of bad requests).
func (h *Harness) Post(ctx context.Context, path string, body []byte) (int, string, error) {
	return h.PostTo(ctx, h.director, path, body)
}

// PostTo is Post to another authority's API (base "https://host:port"),
// with this harness's certificate.
func (h *Harness) PostTo(ctx context.Context, base, path string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(msg), nil
}

// Status reads the director's status page (/status.json), with this
// harness's certificate: its own authority's operator may.
func (h *Harness) Status(ctx context.Context) (*orchestra.StatusReport, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.director+"/status.json", nil)
	if err != nil {
		return nil, err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("eotest: status: %s", resp.Status)
	}
	var st orchestra.StatusReport
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&st); err != nil {
		return nil, fmt.Errorf("eotest: status: %w", err)
	}
	return &st, nil
}

// DirectorURL is the base URL of the API this harness asks: its own
// authority's.
func (h *Harness) DirectorURL() string { return h.director }

// VotesURL is where the harness serves the vote file of an election.
func (h *Harness) VotesURL(id string) string { return h.base + "/eotest/votes/" + id }

// CreationCallback returns the creation callback of an election that
// Create received, nil if none.
func (h *Harness) CreationCallback(id string) *orchestra.Callback {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.created[id]
}

// CallbackURL is where the harness receives the callbacks of an action
// ("create" or "tally") of an election.
func (h *Harness) CallbackURL(id, action string) string {
	return h.base + "/eotest/callback/" + id + "/" + action
}

// WaitCallback waits for the callback of an action of an election and
// returns it, whatever its status.
func (h *Harness) WaitCallback(ctx context.Context, id, action string) (*orchestra.Callback, error) {
	select {
	case cb := <-h.waiter(id, action):
		return &cb, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// Download fetches tally.tar.gz and checks its hash.
func (h *Harness) Download(ctx context.Context, tallyURL, tallyHash string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tallyURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("eotest: downloading the tally: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("eotest: downloading the tally: %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<30))
	if err != nil {
		return nil, err
	}
	if got := record.VotesHash(b); got != tallyHash {
		return nil, fmt.Errorf("eotest: tally.tar.gz has hash %s, the callback said %s", got, tallyHash)
	}
	return b, nil
}

// Votes are encrypted ballots and what they encrypt.
type Votes struct {
	File []byte     // the vote file: one line per voter (ballot.JoinFile)
	Want [][]string // per question, the plaintext line of every voter (as record.PlaintextLines)
}

// Encrypt makes a vote file of n voters answering every question (of
// width 1) at random among answers, with real proofs, under the
// questions' public keys.
func Encrypt(electionID string, publicKeys []string, n, answers int) (*Votes, error) {
	return EncryptWidths(electionID, publicKeys, nil, n, answers)
}

// EncryptWidths is Encrypt for questions of these widths (nil: all 1):
// question q's ballot is widths[q] elements, each an answer at random, and
// its plaintext line their numbers joined by commas.
func EncryptWidths(electionID string, publicKeys []string, widths []int, n, answers int) (*Votes, error) {
	return encryptWidths(electionID, publicKeys, widths, n, answers, nil)
}

// encryptWidths is EncryptWidths calling progress, if not nil, with the
// number of ballots encrypted so far, now and then.
func encryptWidths(electionID string, publicKeys []string, widths []int, n, answers int, progress func(done int)) (*Votes, error) {
	if n < 1 {
		return nil, errors.New("eotest: --vcount must be at least 1")
	}
	if answers < 1 {
		answers = 4
	}
	nq := len(publicKeys)
	if widths == nil {
		widths = slices.Repeat([]int{1}, nq)
	}
	if len(widths) != nq {
		return nil, fmt.Errorf("eotest: %d widths for %d questions", len(widths), nq)
	}
	ctxs := make([]ballot.Context, nq)
	for q, text := range publicKeys {
		if widths[q] < 1 || widths[q] > elgamal.MaxWidth {
			return nil, fmt.Errorf("eotest: question %d: width %d out of 1 … %d", q, widths[q], elgamal.MaxWidth)
		}
		y, err := group.ElementFromText(text)
		if err != nil {
			return nil, fmt.Errorf("eotest: public key %d: %w", q, err)
		}
		pk, err := elgamal.DecodePublicKey(y.Bytes())
		if err != nil {
			return nil, err
		}
		pk.Precompute()
		ctxs[q] = ballot.Context{ElectionID: electionID, Question: q, PK: pk, Width: widths[q]}
	}
	plain := make([]*group.Element, answers)
	for a := range plain {
		var err error
		if plain[a], err = elgamal.EncodeUint64(uint64(a)); err != nil {
			return nil, err
		}
	}
	// choice[i][q] are voter i's answers to question q, one per element.
	choice := make([][][]int, n)
	v := &Votes{Want: make([][]string, nq)}
	for i := range choice {
		choice[i] = make([][]int, nq)
		for q := range choice[i] {
			text := make([]string, widths[q])
			for j := range text {
				a := mrand.IntN(answers)
				choice[i][q] = append(choice[i][q], a)
				text[j] = strconv.Itoa(a)
			}
			v.Want[q] = append(v.Want[q], strings.Join(text, ","))
		}
	}
	lines := make([][]byte, n)
	var encrypted atomic.Int64
	err := par.ForErr(n, 64, func(lo, hi int) error {
		if progress != nil {
			defer func() { progress(int(encrypted.Add(int64(hi - lo)))) }()
		}
		parts := make([][]byte, nq)
		for i := lo; i < hi; i++ {
			for q := range parts {
				m := make([]*group.Element, widths[q])
				for j, a := range choice[i][q] {
					m[j] = plain[a]
				}
				b, err := ballot.Encrypt(nil, ctxs[q], m, fmt.Sprintf("voter-%d", i))
				if err != nil {
					return err
				}
				parts[q] = b.MarshalLine()
			}
			line, err := ballot.JoinFile(parts)
			if err != nil {
				return err
			}
			lines[i] = append(line, '\n')
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	v.File = bytes.Join(lines, nil)
	return v, nil
}

// Check verifies a downloaded record completely (record.Verify, the code
// of eoverify), checks that its authorities and questions are the
// election's (authorities nil: any), and, if want is given, that each question's decrypted
// multiset equals the one encrypted and the counts match.
func Check(tgz []byte, electionID string, authorities []string, want [][]string) (*record.Report, error) {
	f, err := record.ReadTarGz(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("eotest: tally.tar.gz: %w", err)
	}
	return CheckFiles(f, electionID, authorities, want)
}

// CheckFiles is Check of a record already read from its archive, so that
// a caller can let go of the archive's bytes before the verification.
func CheckFiles(f record.Files, electionID string, authorities []string, want [][]string) (*record.Report, error) {
	rep := record.Verify(f, record.Options{})
	if !rep.Valid() {
		return rep, fmt.Errorf("eotest: the record does not verify: %v", rep.Failures)
	}
	var p record.Parameters
	if err := json.Unmarshal(f[record.FileParameters], &p); err != nil {
		return rep, err
	}
	if p.ElectionID != electionID {
		return rep, fmt.Errorf("eotest: the record is of election %q, not %q", p.ElectionID, electionID)
	}
	var names []string
	for _, a := range p.Authorities {
		names = append(names, a.Name)
	}
	if authorities != nil && !slices.EqualFunc(names, authorities, strings.EqualFold) {
		return rep, fmt.Errorf("eotest: the record names authorities %v, the election %v", names, authorities)
	}
	if want == nil {
		return rep, nil
	}
	if len(rep.Questions) != len(want) {
		return rep, fmt.Errorf("eotest: %d questions in the record, %d encrypted", len(rep.Questions), len(want))
	}
	for q, qr := range rep.Questions {
		if len(want[q]) > 0 {
			if w := strings.Count(want[q][0], ",") + 1; q >= len(p.Questions) || p.Questions[q].Width != w {
				return rep, fmt.Errorf("eotest: question %d: the record does not give it the width %d encrypted", q, w)
			}
		}
		got := slices.Clone(qr.Plaintexts)
		slices.Sort(got)
		exp := slices.Clone(want[q])
		slices.Sort(exp)
		if !slices.Equal(got, exp) {
			return rep, fmt.Errorf("eotest: question %d: the decrypted votes are not the votes cast", q)
		}
		counts := record.PlaintextCounts(want[q])
		if !slices.Equal(counts, qr.Counts) {
			return rep, fmt.Errorf("eotest: question %d: counts %v, cast %v", q, qr.Counts, counts)
		}
	}
	return rep, nil
}

// NewElectionID returns a fresh election id for a test run.
func NewElectionID() string {
	var b [6]byte
	rand.Read(b[:])
	return "eotest-" + time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

func mustRaw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// WriteOut writes tally.tar.gz and the record's directory into out.
func WriteOut(out string, tgz []byte) error {
	if out == "" {
		return nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "tally.tar.gz"), tgz, 0o644); err != nil {
		return err
	}
	f, err := record.ReadTarGz(bytes.NewReader(tgz))
	if err != nil {
		return err
	}
	return record.WriteDir(filepath.Join(out, "record"), f)
}

// checkCreated compares what the creation callback reports — t and every
// authority's certificate fingerprint — with what was asked: a director
// that rewrote them is caught here (threats.md A13).
func checkCreated(cb *orchestra.Callback, req orchestra.ElectionRequest) error {
	var got struct {
		Threshold   int                           `json:"threshold"`
		Authorities []orchestra.CallbackAuthority `json:"authorities"`
	}
	b, _ := json.Marshal(cb.Data)
	if err := json.Unmarshal(b, &got); err != nil {
		return fmt.Errorf("the creation callback: %w", err)
	}
	if req.Threshold != 0 && got.Threshold != req.Threshold {
		return fmt.Errorf("created with threshold %d, asked for %d", got.Threshold, req.Threshold)
	}
	if len(got.Authorities) != len(req.Authorities) {
		return fmt.Errorf("created with %d authorities, asked for %d", len(got.Authorities), len(req.Authorities))
	}
	for i, a := range req.Authorities {
		c, err := peers.ParseCertificatePEM([]byte(a.SSLCert))
		if err != nil {
			return err
		}
		if g := got.Authorities[i]; !strings.EqualFold(g.Name, a.Name) || g.Fingerprint != c.Fingerprint.String() {
			return fmt.Errorf("authority %d is %s %s, asked for %s %s", i+1, g.Name, g.Fingerprint, a.Name, c.Fingerprint)
		}
	}
	return nil
}
