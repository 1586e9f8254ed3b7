package orchestra

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/eo-mixnet/eo/eolog"
)

// progressLogEvery is how often reportProgress logs one phase's progress
// at most (its first report and its completion are always logged).
const progressLogEvery = 5 * time.Second

// progressBoard is what the phases of every election report of their
// progress (reportProgress), for the status page and the event log.
type progressBoard struct {
	mu sync.Mutex
	el map[string]*electionProgress // by election id
}

// electionProgress is one election's phases, in the order they first
// reported.
type electionProgress struct {
	log    *slog.Logger
	phases []*phaseProgress
	byName map[string]*phaseProgress
}

// phaseProgress is one phase of one election: done of total units (ballots
// validated, mixes, decryption shares …).
type phaseProgress struct {
	name        string
	done, total int
	started     time.Time // first report
	updated     time.Time // last report
	finished    time.Time // first report with done >= total; zero before
	logged      time.Time // last logged
}

// reportProgress records that phase of election electionID has done units
// of total, for the status page, and logs it as an Info event (attributes
// election, phase, done, total, percent) at most every progressLogEvery
// per phase, and always on the first report and when done reaches total.
//
// It is safe for concurrent use and cheap enough for hot loops: one mutex
// and two map look-ups, O(1), no allocation after a phase's first report
// except when it logs. Phase names are free-form and shown as given
// ("keygen", "validate", "mix", "decrypt", "q0 mix" …); a phase that
// reports done below its last value after it finished starts again.
// total <= 0 means unknown.
func (s *Server) reportProgress(electionID, phase string, done, total int) {
	now := time.Now()
	b := &s.progress
	b.mu.Lock()
	if b.el == nil {
		b.el = map[string]*electionProgress{}
	}
	ep := b.el[electionID]
	if ep == nil {
		ep = &electionProgress{log: s.log.With(eolog.Election(electionID)), byName: map[string]*phaseProgress{}}
		b.el[electionID] = ep
	}
	p := ep.byName[phase]
	if p == nil {
		p = &phaseProgress{name: phase, started: now}
		ep.byName[phase] = p
		ep.phases = append(ep.phases, p)
	} else if !p.finished.IsZero() && done < p.done {
		*p = phaseProgress{name: phase, started: now}
	}
	p.done, p.total, p.updated = done, total, now
	complete := total > 0 && done >= total
	log := p.logged.IsZero() || now.Sub(p.logged) >= progressLogEvery
	if complete && p.finished.IsZero() {
		p.finished, log = now, true
	}
	if log {
		p.logged = now
	}
	logger := ep.log
	b.mu.Unlock()
	if !log {
		return
	}
	attrs := []any{eolog.Phase(phase), slog.Int("done", done), slog.Int("total", total)}
	if total > 0 {
		attrs = append(attrs, slog.Float64("percent", percent(done, total)))
	}
	logger.Info("progress", attrs...)
}

// percent is done/total in percent, rounded to a tenth.
func percent(done, total int) float64 {
	if total <= 0 {
		return 0
	}
	return float64(done*1000/total) / 10
}

// The status page: what this authority is doing, for its operator. It is
// served in plain HTTP on status_listen (loopback by default) and through
// the HTTPS API to the installed web servers, as HTML at /status (with a
// script, /status.js, that refreshes it) and as JSON at /status.json.
// Nothing on it is secret: states, counts, times, host names, certificate
// fingerprints and the reasons of failures, all of which are in the event
// log or the record already.

// StatusReport is /status.json.
type StatusReport struct {
	Authority   string           `json:"authority"`
	Fingerprint string           `json:"fingerprint"`
	Time        time.Time        `json:"time"`
	Started     time.Time        `json:"started"`
	Elections   []ElectionReport `json:"elections"`
	Peers       []PeerReport     `json:"peers"`
}

// ElectionReport is one election in a StatusReport.
type ElectionReport struct {
	ID          string           `json:"id"`
	Status      string           `json:"status"` // creating, created, tallying, tallied, failed
	Reason      string           `json:"reason,omitempty"`
	Director    string           `json:"director"`
	Owner       string           `json:"owner"`
	Threshold   int              `json:"threshold"`
	Authorities []string         `json:"authorities"`
	Questions   []QuestionReport `json:"questions"`
	Phases      []PhaseReport    `json:"phases"`
	// Absent and Blamed are the authorities the last phase went on
	// without, and those proved to have misbehaved.
	Absent    []string         `json:"absent,omitempty"`
	Blamed    []string         `json:"blamed,omitempty"`
	Approvals []ApprovalReport `json:"approvals,omitempty"`
	// Record is the path of the tally's record on this authority's API,
	// once tallied, and TallyHash its hash.
	Record    string `json:"record,omitempty"`
	TallyHash string `json:"tally_hash,omitempty"`
}

// QuestionReport is one question of an election.
type QuestionReport struct {
	Session string `json:"session"`
	Width   int    `json:"width"`
}

// PhaseReport is one phase's progress as reported by reportProgress.
type PhaseReport struct {
	Name     string     `json:"name"`
	Done     int        `json:"done"`
	Total    int        `json:"total"`
	Percent  float64    `json:"percent"`
	Started  time.Time  `json:"started"`
	Updated  time.Time  `json:"updated"`
	Finished *time.Time `json:"finished,omitempty"`
	// Seconds is how long the phase took, or has taken so far.
	Seconds float64 `json:"seconds"`
	// ETASeconds estimates the time left at the phase's mean rate so far;
	// absent when finished or unknown.
	ETASeconds *float64 `json:"eta_seconds,omitempty"`
}

// ApprovalReport is a trustee's approval that an election waits for.
type ApprovalReport struct {
	Authority string    `json:"authority"`
	Kind      string    `json:"kind,omitempty"`
	Since     time.Time `json:"since,omitzero"`
}

// PeerReport is another installed authority or web server.
type PeerReport struct {
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	Fingerprint string     `json:"fingerprint"`
	Connected   bool       `json:"connected"`
	LastSeen    *time.Time `json:"last_seen,omitempty"` // last message received
	LastSent    *time.Time `json:"last_sent,omitempty"` // last message it took
	LastError   string     `json:"last_error,omitempty"`
}

// peerLog is what this authority saw of its peers (handleMessage, send).
type peerLog struct {
	mu   sync.Mutex
	seen map[string]*peerSeen // by lower-case host name
}

type peerSeen struct {
	recv, sent time.Time
	err        string
}

func (l *peerLog) note(host string, recv bool, err error) {
	now := time.Now()
	key := strings.ToLower(host)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string]*peerSeen{}
	}
	p := l.seen[key]
	if p == nil {
		p = &peerSeen{}
		l.seen[key] = p
	}
	switch {
	case recv:
		p.recv = now
	case err == nil:
		p.sent, p.err = now, ""
	default:
		p.err = err.Error()
	}
}

// connectedWithin is how recent a message must be for a peer to count as
// connected when the transport cannot say (the peers' idle timeout).
const connectedWithin = 30 * time.Second

// Status returns what the status page shows.
func (s *Server) Status() StatusReport {
	now := time.Now()
	r := StatusReport{Authority: s.Hostname(), Fingerprint: s.id.Fingerprint().String(), Time: now.UTC(),
		Started: s.metrics.startTime.UTC(), Elections: []ElectionReport{}, Peers: []PeerReport{}}
	s.mu.Lock()
	els := make([]*election, 0, len(s.elections))
	for _, e := range s.elections {
		els = append(els, e)
	}
	s.mu.Unlock()
	slices.SortFunc(els, func(a, b *election) int { return strings.Compare(a.id, b.id) })
	for _, e := range els {
		r.Elections = append(r.Elections, s.electionReport(e, now))
	}

	connected := map[string]bool{}
	lister, canList := s.tr.(interface{ Peers() []string })
	if canList {
		for _, h := range lister.Peers() {
			connected[strings.ToLower(h)] = true
		}
	}
	pkgs, _ := s.store.List()
	s.peers.mu.Lock()
	defer s.peers.mu.Unlock()
	for _, p := range pkgs {
		if strings.EqualFold(p.Hostname, s.Hostname()) {
			continue
		}
		pr := PeerReport{Name: p.Hostname, Role: string(p.EffectiveRole()), Fingerprint: p.Fingerprint().String()}
		if seen := s.peers.seen[p.Key()]; seen != nil {
			pr.LastSeen, pr.LastSent, pr.LastError = timePtr(seen.recv), timePtr(seen.sent), seen.err
			if !canList {
				pr.Connected = now.Sub(seen.recv) < connectedWithin || now.Sub(seen.sent) < connectedWithin && seen.err == ""
			}
		}
		if canList {
			pr.Connected = connected[p.Key()]
		}
		r.Peers = append(r.Peers, pr)
	}
	return r
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func (s *Server) electionReport(e *election, now time.Time) ElectionReport {
	st := e.status()
	er := ElectionReport{ID: e.id, Status: st.Status, Reason: st.Reason, Director: st.Setup.Director,
		Owner: st.Setup.Owner, Threshold: st.Setup.Threshold, Absent: st.Absent, Blamed: st.Blamed,
		Phases: []PhaseReport{}, TallyHash: st.TallyHash}
	for _, a := range st.Setup.Authorities {
		er.Authorities = append(er.Authorities, a.Name)
	}
	for q := range st.Setup.Questions {
		er.Questions = append(er.Questions, QuestionReport{Session: sessionID(q), Width: st.Setup.width(q)})
	}
	if st.Status == statusTallied {
		er.Record = "/public_data/" + e.id + "/" + fileTallyGz
	}

	b := &s.progress
	b.mu.Lock()
	if ep := b.el[e.id]; ep != nil {
		for _, p := range ep.phases {
			er.Phases = append(er.Phases, p.report(now))
		}
	}
	b.mu.Unlock()

	a := &e.approvals
	a.mu.Lock()
	if a.self {
		er.Approvals = append(er.Approvals, ApprovalReport{Authority: s.Hostname()})
	}
	for k, w := range a.others {
		if !w.done && now.Sub(w.last) < approvalFresh && k.from >= 1 && k.from <= len(st.Setup.Authorities) {
			er.Approvals = append(er.Approvals, ApprovalReport{Authority: st.Setup.Authorities[k.from-1].Name, Kind: k.kind, Since: w.first.UTC()})
		}
	}
	a.mu.Unlock()
	slices.SortFunc(er.Approvals, func(x, y ApprovalReport) int { return strings.Compare(x.Authority+x.Kind, y.Authority+y.Kind) })
	return er
}

func (p *phaseProgress) report(now time.Time) PhaseReport {
	r := PhaseReport{Name: p.name, Done: p.done, Total: p.total, Percent: percent(p.done, p.total),
		Started: p.started.UTC(), Updated: p.updated.UTC(), Finished: timePtr(p.finished)}
	end := now
	if !p.finished.IsZero() {
		end = p.finished
	}
	r.Seconds = end.Sub(p.started).Seconds()
	if p.finished.IsZero() && p.done > 0 && p.total > p.done {
		eta := r.Seconds / float64(p.done) * float64(p.total-p.done)
		r.ETASeconds = &eta
	}
	return r
}

//go:embed status.html status.js
var statusFiles embed.FS

var statusTemplate = template.Must(template.New("status.html").Funcs(template.FuncMap{
	"secs": func(f float64) string {
		return (time.Duration(f*10) * time.Second / 10).String()
	},
	"ago": func(now time.Time, t *time.Time) string {
		if t == nil {
			return "never"
		}
		return now.Sub(*t).Truncate(time.Second).String() + " ago"
	},
}).ParseFS(statusFiles, "status.html"))

// statusRoutes adds the status page's routes to mux, wrapped in wrap.
func (s *Server) statusRoutes(mux *http.ServeMux, wrap func(http.HandlerFunc) http.HandlerFunc) {
	mux.HandleFunc("GET /status", wrap(s.serveStatusHTML))
	mux.HandleFunc("GET /status.json", wrap(s.serveStatusJSON))
	mux.HandleFunc("GET /status.js", wrap(s.serveStatusJS))
}

// statusHandler is what status_listen serves.
func (s *Server) statusHandler() http.Handler {
	mux := http.NewServeMux()
	s.statusRoutes(mux, func(h http.HandlerFunc) http.HandlerFunc { return h })
	mux.Handle("GET /{$}", http.RedirectHandler("/status", http.StatusFound))
	mux.HandleFunc("GET /public_data/{id}/tally.tar.gz", s.handleTallyFile)
	return mux
}

func statusHeaders(w http.ResponseWriter, contentType string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'")
}

func (s *Server) serveStatusJSON(w http.ResponseWriter, r *http.Request) {
	statusHeaders(w, "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(s.Status())
}

func (s *Server) serveStatusHTML(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if err := statusTemplate.Execute(&buf, s.Status()); err != nil {
		s.log.Error("status page", eolog.Err(err))
		http.Error(w, "status page failed", http.StatusInternalServerError)
		return
	}
	statusHeaders(w, "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

func (s *Server) serveStatusJS(w http.ResponseWriter, r *http.Request) {
	b, _ := statusFiles.ReadFile("status.js")
	statusHeaders(w, "text/javascript; charset=utf-8")
	w.Write(b)
}
