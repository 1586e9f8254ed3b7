package orchestra

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/eo-mixnet/eo/eolog"
	"github.com/eo-mixnet/eo/peers"
)

// signer is this authority's certificate key, which signs its mixes and
// the record's parameters.
func (s *Server) signer() crypto.Signer { return s.id.TLS.PrivateKey.(crypto.Signer) }

// Callback is the body the director posts to a request's callback_url, in
// the old API's shape.
type Callback struct {
	Status      string         `json:"status"` // "finished" or "error"
	Reference   map[string]any `json:"reference"`
	SessionData []SessionData  `json:"session_data,omitempty"` // creation
	Data        map[string]any `json:"data,omitempty"`         // tally, and errors
}

// SessionData is one question's outcome of a creation.
type SessionData struct {
	SessionID string `json:"session_id"`
	PublicKey string `json:"pubkey"` // the joint key, group text encoding
}

func (e *election) callbackCreated() {
	st := e.status()
	if st.CreateCB == "" {
		return
	}
	cb := Callback{Status: "finished", Reference: map[string]any{"election_id": e.id, "action": "POST /election"},
		Data: map[string]any{"threshold": st.Setup.Threshold, "authorities": authorityFingerprints(&st.Setup), "absent": nonNil(st.Absent)}}
	for k, pk := range st.PublicKeys {
		cb.SessionData = append(cb.SessionData, SessionData{SessionID: sessionID(k), PublicKey: pk})
	}
	e.postCallback(st.CreateCB, cb)
}

func (e *election) callbackTallied(hash string) {
	st := e.status()
	if st.TallyCB == "" {
		return
	}
	cb := Callback{Status: "finished", Reference: map[string]any{"election_id": e.id, "action": "POST /tally"},
		Data: map[string]any{"tally_url": e.srv.publicURL() + "/public_data/" + url.PathEscape(e.id) + "/" + fileTallyGz, "tally_hash": hash,
			"absent": nonNil(st.Absent), "blamed": nonNil(st.Blamed)}}
	e.postCallback(st.TallyCB, cb)
}

// callbackError tells the web server that the running request failed,
// when this authority directs it.
func (e *election) callbackError(reason string) {
	st := e.status()
	cbURL, action := st.CreateCB, "POST /election"
	if st.Tally != nil {
		cbURL, action = st.TallyCB, "POST /tally"
	}
	if cbURL == "" {
		return
	}
	e.postCallback(cbURL, Callback{Status: "error", Reference: map[string]any{"election_id": e.id, "action": action},
		Data: map[string]any{"message": reason}})
}

// postCallback posts cb in the background, retrying with capped backoff
// until it is accepted or CallbackTimeout passes; the outcome is logged
// and kept in the state.
func (e *election) postCallback(to string, cb Callback) {
	s := e.srv
	body := mustJSON(cb)
	log := e.log.With(eolog.Phase("callback"))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		deadline := time.Now().Add(time.Duration(s.cfg.CallbackTimeout))
		backoff := 500 * time.Millisecond
		for attempt := 1; ; attempt++ {
			err := s.post(s.ctx, to, body)
			if err == nil {
				e.update(func(st *state) { st.CallbackSent = true })
				log.Info("callback delivered", "status", cb.Status, "attempts", attempt)
				return
			}
			if s.ctx.Err() != nil || time.Now().Add(backoff).After(deadline) {
				log.Error("callback not delivered; giving up", "status", cb.Status, "attempts", attempt, eolog.Err(err))
				return
			}
			log.Warn("callback failed; retrying", "attempt", attempt, "in", backoff.String(), eolog.Err(err))
			select {
			case <-time.After(backoff):
			case <-s.ctx.Done():
				return
			}
			backoff = min(2*backoff, 30*time.Second)
		}
	}()
}

func (s *Server) post(ctx context.Context, to string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", to, resp.Status)
	}
	return nil
}

func (s *Server) publicURL() string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	host := s.id.Config.IPAddress
	if host == "" {
		host = s.id.Hostname()
	}
	return "https://" + net.JoinHostPort(host, strconv.Itoa(s.id.Config.Port))
}

// CallbackAuthority is one authority of an election as a callback
// reports it: the web server compares the fingerprints with the ones its
// operator installed, and sees t and n.
type CallbackAuthority struct {
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint"` // sha256:<hex> of its certificate
}

func authorityFingerprints(su *setup) []CallbackAuthority {
	out := make([]CallbackAuthority, len(su.Authorities))
	for i, a := range su.Authorities {
		out[i].Name = a.Name
		if c, err := peers.ParseCertificatePEM([]byte(a.Certificate)); err == nil {
			out[i].Fingerprint = c.Fingerprint.String()
		}
	}
	return out
}

// nonNil makes a nil list an empty one, so JSON says [] and not null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
