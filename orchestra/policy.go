package orchestra

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/eo-mixnet/eo/peers"
)

// Policy is this authority's own rules for the elections it takes part
// in (the "policy" object of eorchestra.json). Every authority applies its
// own to every setup and tally, whoever directs them: a director cannot
// lower them (doc/daemon.md, "Who may ask what").
type Policy struct {
	// MinThreshold is the smallest t this authority accepts; default 2
	// (for elections of 2 or more authorities): with t = 1 every authority
	// alone holds the whole key and can decrypt any ballot.
	MinThreshold int `json:"min_threshold,omitempty"`
	// MinBallots is the smallest number of accepted ballots this authority
	// decrypts; default 2, so that no tally is the decryption of one
	// voter's ballot. Raise it where small tallies would identify voters.
	MinBallots int `json:"min_ballots,omitempty"`
	// Owners, if set, are the only hosts that may own elections here (web
	// servers, or authorities for their operators' test elections); by
	// default any installed web server, or any authority of the election.
	Owners []string `json:"owners,omitempty"`
	// Approval is "auto" (the default) or "manual": with manual, creating
	// and tallying an election wait for the trustee's eotasks --accept.
	Approval string `json:"approval,omitempty"`
	// ApprovalTimeout is how long a task waits for the trustee's decision
	// before it expires and the election ends (24h).
	ApprovalTimeout Duration `json:"approval_timeout,omitempty"`
}

func (p Policy) withDefaults() Policy {
	if p.MinThreshold == 0 {
		p.MinThreshold = 2
	}
	if p.MinBallots == 0 {
		p.MinBallots = 2
	}
	if p.Approval == "" {
		p.Approval = approvalAuto
	}
	p.ApprovalTimeout = Duration(p.ApprovalTimeout.or(24 * time.Hour))
	return p
}

const (
	approvalAuto   = "auto"
	approvalManual = "manual"
)

func (p *Policy) check() error {
	switch {
	case p.MinThreshold < 0 || p.MinThreshold > 32:
		return fmt.Errorf("policy: min_threshold %d: 1 to 32", p.MinThreshold)
	case p.MinBallots < 0:
		return fmt.Errorf("policy: min_ballots %d is negative", p.MinBallots)
	}
	switch p.Approval {
	case "", approvalAuto, approvalManual:
	default:
		return fmt.Errorf("policy: approval %q: want auto or manual", p.Approval)
	}
	for _, o := range p.Owners {
		if err := peers.CheckHostname(o); err != nil {
			return fmt.Errorf("policy: owners: %w", err)
		}
	}
	return nil
}

// checkPolicy applies this authority's policy to a setup: the threshold
// and the owner.
func (s *Server) checkPolicy(su *setup) error {
	p := s.cfg.Policy
	if min := min(p.MinThreshold, len(su.Authorities)); su.Threshold < min {
		return fmt.Errorf("threshold %d of %d authorities is below this authority's min_threshold %d", su.Threshold, len(su.Authorities), min)
	}
	if len(p.Owners) > 0 && !slices.ContainsFunc(p.Owners, func(o string) bool { return strings.EqualFold(o, su.Owner) }) {
		return fmt.Errorf("the owner %s is not among this authority's allowed owners", su.Owner)
	}
	return nil
}

// checkOwner checks the setup's owner against this authority's trust
// store: an installed web server with exactly that certificate, or one of
// the election's authorities (whose certificates the setup names) for its
// operator's test elections.
func (s *Server) checkOwner(su *setup) error {
	if su.Owner == "" || su.OwnerFingerprint == "" {
		return fmt.Errorf("the setup names no owner")
	}
	fp, err := peers.ParseFingerprint(su.OwnerFingerprint)
	if err != nil {
		return fmt.Errorf("owner %s: %w", su.Owner, err)
	}
	if i := su.index(su.Owner); i != 0 {
		c, err := peers.ParseCertificatePEM([]byte(su.Authorities[i-1].Certificate))
		if err != nil || c.Fingerprint != fp {
			return fmt.Errorf("owner %s: the fingerprint is not its certificate's in the setup", su.Owner)
		}
		return nil
	}
	if !s.store.Trusted(su.Owner, fp) {
		return fmt.Errorf("the owner %s with certificate %s is not installed here", su.Owner, fp)
	}
	if r, err := s.store.Role(su.Owner); err != nil || r != peers.RoleWebServer {
		return fmt.Errorf("the owner %s is not installed here as a web server", su.Owner)
	}
	return nil
}

// mayCallAPI says whether the client host may call the public API: an
// installed web server, or this authority's own certificate (its
// operator's eotest).
func (s *Server) mayCallAPI(host string) error {
	if strings.EqualFold(host, s.Hostname()) {
		return nil
	}
	r, err := s.store.Role(host)
	if err != nil {
		return fmt.Errorf("%s is not installed here", host)
	}
	if r != peers.RoleWebServer {
		return fmt.Errorf("%s is installed here as %s; only web servers (and this authority's operator) may call the public API", host, r)
	}
	return nil
}

// ownerFingerprint returns the fingerprint of the certificate host is
// installed with here, or this authority's own.
func (s *Server) ownerFingerprint(host string) (peers.Fingerprint, error) {
	if strings.EqualFold(host, s.Hostname()) {
		return s.id.Fingerprint(), nil
	}
	pkg, err := s.store.Get(host)
	if err != nil {
		return peers.Fingerprint{}, err
	}
	return pkg.Fingerprint(), nil
}

// checkVotesURL accepts a votes_url only on the owner's host: its host
// name, or the address its package (or this authority's identity) names.
func (s *Server) checkVotesURL(su *setup, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" {
		return fmt.Errorf("votes_url %q: want an https:// URL", raw)
	}
	host := u.Hostname()
	if strings.EqualFold(host, su.Owner) {
		return nil
	}
	var ip string
	if strings.EqualFold(su.Owner, s.Hostname()) {
		ip = s.id.Config.IPAddress
	} else if pkg, err := s.store.Get(su.Owner); err == nil {
		ip = pkg.IPAddress
	}
	if ip != "" && net.ParseIP(host) != nil && net.ParseIP(host).Equal(net.ParseIP(ip)) {
		return nil
	}
	return fmt.Errorf("votes_url %q is not on the owner's host %s", raw, su.Owner)
}
