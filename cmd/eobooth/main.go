// Command eobooth serves eo's demo voting booth:
//
//	eobooth --election FILE [--listen ADDR] [--votes FILE] [--assets DIR]
//	eobooth --id ID --keys PK[,PK…] [--answers N] [--max K] [--listen ADDR] …
//
// It serves the booth's page and module (web/booth: index.html, eo.js,
// eo.wasm, wasm_exec.js), the election the page asks for at
// /election.json, and a ballot box: a POST of a ballot line to /ballots
// appends it to the vote file (--votes, one line per ballot, as the
// authorities' tally request takes it) and answers {"receipt": HEX, "n": N},
// the line's receipt (SHA-256) and its number. The box stores what it is
// given (at most one line of the longest ballot of the election); it is
// the authorities' ballot rule that decides which lines count.
//
// The election is a JSON file (--election; doc/booth.md):
//
//	{"electionId": "…", "title": "…", "postUrl": "ballots",
//	 "questions": [{"title": "…", "publicKey": "…", "answers": ["…", …],
//	                "maxChoices": 1, "width": 0}]}
//
// or, for a quick try, --id and --keys (one key per question, the keys
// the authorities published when they created the election) with
// --answers answers and at most --max choices per question. The election
// is checked at start: its keys, answers and widths.
//
// eo.wasm and wasm_exec.js are build outputs (go generate ./web/booth):
// eobooth serves them from --assets if given, else those embedded when it
// was built, else answers 404 and says so at start.
//
// Output rules, followed everywhere in this file: errors go to standard
// error as one line "eobooth: message", lower case, without a final
// period; the address served goes to standard output. The exit status is
// 0 when interrupted, 1 for an error and 2 for a usage error.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/booth"
	boothweb "github.com/eo-mixnet/eo/web/booth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// election is what /election.json serves.
type election struct {
	ElectionID string           `json:"electionId"`
	Title      string           `json:"title,omitempty"`
	PostURL    string           `json:"postUrl,omitempty"`
	Questions  []booth.Question `json:"questions"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("eobooth", flag.ContinueOnError)
	fl.SetOutput(stderr)
	listen := fl.String("listen", "127.0.0.1:8080", "address to serve on")
	file := fl.String("election", "", "the election, a JSON `file`")
	id := fl.String("id", "", "the election `id` (without --election)")
	keys := fl.String("keys", "", "the questions' public `keys`, comma-separated (without --election)")
	answers := fl.Int("answers", 4, "answers per question (with --keys)")
	maxChoices := fl.Int("max", 1, "choices allowed per question (with --keys)")
	votes := fl.String("votes", "", "append the ballots cast to this `file` (default: keep none)")
	assets := fl.String("assets", "", "serve eo.wasm and wasm_exec.js from this `dir`")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "eobooth: unexpected argument %q\n", fl.Arg(0))
		return 2
	}
	var e *election
	switch {
	case *file != "" && (*id != "" || *keys != ""):
		fmt.Fprintln(stderr, "eobooth: --election excludes --id and --keys")
		return 2
	case *file != "":
		b, err := os.ReadFile(*file)
		if err != nil {
			fmt.Fprintf(stderr, "eobooth: %v\n", err)
			return 1
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		e = new(election)
		if err := d.Decode(e); err != nil {
			fmt.Fprintf(stderr, "eobooth: %s: %v\n", *file, err)
			return 1
		}
	case *id != "" && *keys != "":
		e = &election{ElectionID: *id}
		for i, k := range strings.Split(*keys, ",") {
			n, _ := json.Marshal(*answers)
			e.Questions = append(e.Questions, booth.Question{Title: fmt.Sprintf("Question %d", i+1), PublicKey: k, Answers: n, MaxChoices: maxChoices})
		}
	default:
		fmt.Fprintln(stderr, "eobooth: give --election FILE, or --id and --keys")
		return 2
	}
	var out io.Writer
	if *votes != "" {
		f, err := os.OpenFile(*votes, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "eobooth: %v\n", err)
			return 1
		}
		defer f.Close()
		out = f
	}
	h, err := newHandler(e, *assets, out)
	if err != nil {
		fmt.Fprintf(stderr, "eobooth: %v\n", err)
		return 1
	}
	if _, err := fs.Stat(h.files, "eo.wasm"); err != nil {
		fmt.Fprintln(stderr, "eobooth: no eo.wasm: run go generate ./web/booth and build again, or give --assets")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "eobooth: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(stdout, "http://%s/\n", ln.Addr())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "eobooth: %v\n", err)
		return 1
	}
	return 0
}

// handler serves the booth, its election and its ballot box.
type handler struct {
	mux      *http.ServeMux
	files    fs.FS
	election []byte // /election.json
	maxLine  int

	mu    sync.Mutex
	votes io.Writer // nil: none kept
	n     int
}

// newHandler checks e and returns the booth's handler; the ballots cast
// go to votes (nil: nowhere).
func newHandler(e *election, assets string, votes io.Writer) (*handler, error) {
	widths, err := booth.Widths(e.ElectionID, e.Questions)
	if err != nil {
		return nil, fmt.Errorf("the election: %v", err)
	}
	if e.PostURL == "" {
		e.PostURL = "ballots"
	}
	js, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	total := 0 // the longest line: every question at its width, the longest voter id
	for _, w := range widths {
		total += w
	}
	h := &handler{mux: http.NewServeMux(), files: boothweb.FS(), election: js, maxLine: ballot.LineLen(total, ballot.MaxVoterIDLen), votes: votes}
	if assets != "" {
		h.files = overlay{dir: os.DirFS(assets), base: h.files}
	}
	h.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { h.serveFile(w, r, "index.html") })
	h.mux.HandleFunc("GET /election.json", h.serveElection)
	h.mux.HandleFunc("POST /ballots", h.cast)
	h.mux.HandleFunc("GET /{name}", func(w http.ResponseWriter, r *http.Request) { h.serveFile(w, r, r.PathValue("name")) })
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.mux.ServeHTTP(w, r)
}

func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	if !slices.Contains(boothweb.Names, name) || name == "index.html" && r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(h.files, name)
	if err != nil {
		http.Error(w, name+" is not built: go generate ./web/booth", http.StatusNotFound)
		return
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

func (h *handler) serveElection(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(h.election)
}

// cast takes one ballot line (a final line end is dropped) and appends it
// to the vote file.
func (h *handler) cast(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(h.maxLine)+3))
	if err != nil {
		http.Error(w, "reading the ballot: "+err.Error(), http.StatusBadRequest)
		return
	}
	line := bytes.TrimSuffix(bytes.TrimSuffix(body, []byte{'\n'}), []byte{'\r'})
	switch {
	case len(line) == 0:
		http.Error(w, "no ballot", http.StatusBadRequest)
		return
	case len(line) > h.maxLine:
		http.Error(w, fmt.Sprintf("a ballot line of this election has at most %d bytes", h.maxLine), http.StatusRequestEntityTooLarge)
		return
	case bytes.ContainsAny(line, "\r\n"):
		http.Error(w, "a ballot is one line", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	var werr error
	if h.votes != nil {
		_, werr = h.votes.Write(append(line, '\n'))
	}
	if werr == nil {
		h.n++
	}
	n := h.n
	h.mu.Unlock()
	if werr != nil {
		http.Error(w, "storing the ballot failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"receipt": booth.Receipt(line), "n": n})
}

// overlay opens a name in dir first, then in base.
type overlay struct{ dir, base fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	if f, err := o.dir.Open(filepath.ToSlash(name)); err == nil {
		return f, nil
	}
	return o.base.Open(name)
}
