package orchestra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/eolog"
	"github.com/eo-mixnet/eo/peers"
)

// maxRequestBody bounds the bodies of the public API.
const maxRequestBody = 1 << 20

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /public_api/election", s.webServersOnly(s.handleElection))
	mux.HandleFunc("POST /public_api/tally", s.webServersOnly(s.handleTally))
	mux.HandleFunc("GET /public_api/election/{id}", s.webServersOnly(s.handleStatus))
	mux.HandleFunc("GET /public_data/{id}/tally.tar.gz", s.handleTallyFile)
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	s.statusRoutes(mux, s.webServersOnly)
	return mux
}

// webServersOnly serves h only to the clients that may call the public
// API (mayCallAPI); the others get 403 with the reason.
func (s *Server) webServersOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		host, _ := peers.PeerFromContext(r.Context())
		if err := s.mayCallAPI(host); err != nil {
			s.apiError(w, r, http.StatusForbidden, "%v", err)
			return
		}
		h(w, r)
	}
}

// ElectionRequest is the body of POST /public_api/election, as the old
// web server sends it; fields eo does not use are ignored.
type ElectionRequest struct {
	ID          json.RawMessage    `json:"id"` // a number or a string
	Questions   []json.RawMessage  `json:"questions"`
	Authorities []RequestAuthority `json:"authorities"`
	CallbackURL string             `json:"callback_url"`
	// Threshold is eo's addition: any Threshold of the authorities can
	// decrypt (default: all of them).
	Threshold int `json:"threshold,omitempty"`
}

// RequestAuthority is one entry of an election request's authorities.
type RequestAuthority struct {
	Name         string `json:"name"`
	OrchestraURL string `json:"orchestra_url"`
	SSLCert      string `json:"ssl_cert"`
}

// TallyRequest is the body of POST /public_api/tally.
type TallyRequest struct {
	ElectionID  json.RawMessage `json:"election_id"`
	VotesURL    string          `json:"votes_url"`
	VotesHash   string          `json:"votes_hash"`
	CallbackURL string          `json:"callback_url"`
}

// apiError answers a request with a status and a JSON reason, and logs it.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, code int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	peer, _ := peers.PeerFromContext(r.Context())
	s.log.Warn("request refused", "path", r.URL.Path, eolog.Peer(peer), "status", code, "reason", msg)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func accepted(w http.ResponseWriter, id string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(map[string]string{"election_id": id, "status": "accepted"})
}

// decodeBody reads a JSON object body of at most maxRequestBody bytes.
func decodeBody(r *http.Request, dst any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return err
	}
	if len(b) > maxRequestBody {
		return fmt.Errorf("body larger than %d bytes", maxRequestBody)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// electionID accepts the old API's integer ids and eo's string ids.
func electionID(raw json.RawMessage) (string, error) {
	if len(raw) == 0 {
		return "", errors.New("missing election id")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var n json.Number
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&n); err != nil {
			return "", errors.New("the election id is neither a string nor a number")
		}
		if _, err := strconv.ParseUint(n.String(), 10, 63); err != nil {
			return "", fmt.Errorf("the election id %s is not a non-negative integer", n)
		}
		s = n.String()
	}
	return s, checkID(s)
}

func checkCallbackURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" || p.Host == "" {
		return fmt.Errorf("callback_url %q: want an https:// URL", u)
	}
	return nil
}

func (s *Server) handleElection(w http.ResponseWriter, r *http.Request) {
	var req ElectionRequest
	if err := decodeBody(r, &req); err != nil {
		s.apiError(w, r, http.StatusBadRequest, "%v", err)
		return
	}
	id, err := electionID(req.ID)
	if err != nil {
		s.apiError(w, r, http.StatusBadRequest, "%v", err)
		return
	}
	if len(req.Questions) == 0 {
		s.apiError(w, r, http.StatusBadRequest, "election %s: missing questions", id)
		return
	}
	if len(req.Authorities) == 0 {
		s.apiError(w, r, http.StatusBadRequest, "election %s: missing authorities", id)
		return
	}
	if err := checkCallbackURL(req.CallbackURL); err != nil {
		s.apiError(w, r, http.StatusBadRequest, "election %s: %v", id, err)
		return
	}
	owner, _ := peers.PeerFromContext(r.Context())
	ownerFP, err := s.ownerFingerprint(owner)
	if err != nil {
		s.apiError(w, r, http.StatusForbidden, "election %s: the client %s: %v", id, owner, err)
		return
	}
	su := setup{ElectionID: id, Director: s.Hostname(), Owner: strings.ToLower(owner), OwnerFingerprint: ownerFP.String(),
		Threshold: req.Threshold, Questions: len(req.Questions)}
	for q, raw := range req.Questions {
		width, err := ballot.QuestionWidth(raw)
		if err != nil {
			s.apiError(w, r, http.StatusBadRequest, "election %s: question %d: %v", id, q, err)
			return
		}
		su.Widths = append(su.Widths, width)
	}
	if su.Threshold == 0 {
		su.Threshold = len(req.Authorities)
	}
	for i, a := range req.Authorities {
		if a.Name == "" || a.SSLCert == "" {
			s.apiError(w, r, http.StatusBadRequest, "election %s: authority %d: missing name or ssl_cert", id, i+1)
			return
		}
		pemText, err := canonicalPEM(a.SSLCert)
		if err != nil {
			s.apiError(w, r, http.StatusBadRequest, "election %s: authority %s: ssl_cert: %v", id, a.Name, err)
			return
		}
		su.Authorities = append(su.Authorities, authority{Name: strings.ToLower(a.Name), Certificate: pemText})
	}
	if err := s.checkSetup(&su); err != nil {
		s.apiError(w, r, http.StatusBadRequest, "election %s: %v", id, err)
		return
	}
	e, err := s.create(&su, req.CallbackURL)
	if errors.Is(err, errDuplicate) {
		s.apiError(w, r, http.StatusConflict, "election %s exists", id)
		return
	}
	if err != nil {
		s.apiError(w, r, http.StatusInternalServerError, "election %s: state not written: %v", id, err)
		return
	}
	e.log.Info("election requested", eolog.Phase("setup"), "authorities", len(su.Authorities), "threshold", su.Threshold, "questions", su.Questions)
	accepted(w, id)
	e.start(e.runCreate)
}

var votesHashRE = regexp.MustCompile(`^ni:///sha-256;[A-Za-z0-9_-]{43}$`)

func (s *Server) handleTally(w http.ResponseWriter, r *http.Request) {
	var req TallyRequest
	if err := decodeBody(r, &req); err != nil {
		s.apiError(w, r, http.StatusBadRequest, "%v", err)
		return
	}
	id, err := electionID(req.ElectionID)
	if err != nil {
		s.apiError(w, r, http.StatusBadRequest, "%v", err)
		return
	}
	if u, err := url.Parse(req.VotesURL); err != nil || u.Scheme != "https" || u.Host == "" {
		s.apiError(w, r, http.StatusBadRequest, "election %s: votes_url %q: want an https:// URL", id, req.VotesURL)
		return
	}
	if !votesHashRE.MatchString(req.VotesHash) {
		s.apiError(w, r, http.StatusBadRequest, "election %s: votes_hash %q: want ni:///sha-256;<base64url>", id, req.VotesHash)
		return
	}
	if err := checkCallbackURL(req.CallbackURL); err != nil {
		s.apiError(w, r, http.StatusBadRequest, "election %s: %v", id, err)
		return
	}
	s.mu.Lock()
	e := s.elections[id]
	s.mu.Unlock()
	if e == nil {
		s.apiError(w, r, http.StatusNotFound, "election %s does not exist here", id)
		return
	}
	su := e.status().Setup
	if client, _ := peers.PeerFromContext(r.Context()); !strings.EqualFold(client, su.Owner) {
		s.apiError(w, r, http.StatusForbidden, "election %s: only its owner %s may ask for its tally, not %s", id, su.Owner, client)
		return
	}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || peers.FingerprintOf(r.TLS.PeerCertificates[0].Raw).String() != su.OwnerFingerprint {
		s.apiError(w, r, http.StatusForbidden, "election %s: its owner %s created it with another certificate", id, su.Owner)
		return
	}
	if err := s.checkVotesURL(&su, req.VotesURL); err != nil {
		s.apiError(w, r, http.StatusBadRequest, "election %s: %v", id, err)
		return
	}
	tr := tallyRequest{Director: s.Hostname(), VotesURL: req.VotesURL, VotesHash: req.VotesHash}
	e.mu.Lock()
	status, same := e.st.Status, e.st.Tally != nil && e.st.Tally.VotesURL == req.VotesURL && e.st.Tally.VotesHash == req.VotesHash
	switch {
	case status == statusCreated:
		e.st.Status, e.st.Tally, e.st.TallyCB = statusTallying, &tr, req.CallbackURL
		err = e.save()
	case same && (status == statusTallying || status == statusTallied):
		// The owner fails over from another authority (down, or slow to
		// answer): this one calls back when its tally ends, or now.
		e.st.TallyCB, e.st.CallbackSent = req.CallbackURL, false
		err = e.save()
	}
	e.mu.Unlock()
	if err != nil {
		s.apiError(w, r, http.StatusInternalServerError, "election %s: state not written: %v", id, err)
		return
	}
	if status != statusCreated {
		if !same || (status != statusTallying && status != statusTallied) {
			s.apiError(w, r, http.StatusConflict, "election %s is %s, not created", id, status)
			return
		}
		e.log.Info("tally asked for again by its owner; this authority calls back", eolog.Phase("tally"), "status", status)
		accepted(w, id)
		if status == statusTallied {
			e.callbackTallied(e.status().TallyHash)
		}
		return
	}
	s.metrics.sessionStarted("tally")
	e.log.Info("tally requested", eolog.Phase("tally"), "votes_url", req.VotesURL)
	accepted(w, id)
	e.start(e.runTally)
}

// ElectionStatus is the answer of GET /public_api/election/{id}.
type ElectionStatus struct {
	ElectionID string   `json:"election_id"`
	Status     string   `json:"status"`
	Reason     string   `json:"reason,omitempty"`
	PublicKeys []string `json:"public_keys,omitempty"`
	TallyHash  string   `json:"tally_hash,omitempty"`
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	e := s.elections[r.PathValue("id")]
	s.mu.Unlock()
	if e == nil {
		s.apiError(w, r, http.StatusNotFound, "election %s does not exist here", r.PathValue("id"))
		return
	}
	st := e.status()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ElectionStatus{ElectionID: e.id, Status: st.Status, Reason: st.Reason, PublicKeys: st.PublicKeys, TallyHash: st.TallyHash})
}

func (s *Server) handleTallyFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	e := s.elections[r.PathValue("id")]
	s.mu.Unlock()
	if e == nil || e.status().Status != statusTallied {
		s.apiError(w, r, http.StatusNotFound, "no tally for election %s here", r.PathValue("id"))
		return
	}
	f, err := os.Open(filepath.Join(e.dir, fileTallyGz))
	if err != nil {
		s.apiError(w, r, http.StatusNotFound, "no tally for election %s here", e.id)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/gzip")
	io.Copy(w, f)
}
