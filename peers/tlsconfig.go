package peers

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"
)

// ALPN is the application protocol of the QUIC transport between
// authorities.
const ALPN = "eo/1"

// HTTPSProtocols are the ALPN protocols of the HTTPS helpers.
var HTTPSProtocols = []string{"h2", "http/1.1"}

// ErrUntrusted is wrapped by the handshake errors of a peer whose
// certificate is not installed, or is installed for another host name.
var ErrUntrusted = errors.New("peers: certificate not trusted")

// ServerTLSConfig returns a TLS 1.3 server configuration that presents id's
// certificate, requires a client certificate and accepts exactly the
// certificates installed in store (compared by the SHA-256 of the leaf,
// within their validity period), with the given ALPN protocols. No CA is
// consulted; session tickets are off so that every connection is checked
// against the trust store as it is at that moment. The check uses the
// returned configuration's Time field as its clock, if the caller sets one.
func ServerTLSConfig(id *Identity, store *Store, nextProtos ...string) *tls.Config {
	cfg := &tls.Config{
		MinVersion:             tls.VersionTLS13,
		Certificates:           []tls.Certificate{id.TLS},
		ClientAuth:             tls.RequireAnyClientCert,
		NextProtos:             nextProtos,
		SessionTicketsDisabled: true,
	}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		_, err := store.authenticate(cs, now(cfg))
		return err
	}
	return cfg
}

// ClientTLSConfig returns a TLS 1.3 client configuration that presents id's
// certificate and accepts only the certificate installed in store for the
// peer hostname, as the store is at the moment of the handshake, within its
// validity period. The check uses the returned configuration's Time field as
// its clock, if the caller sets one.
func ClientTLSConfig(id *Identity, store *Store, hostname string, nextProtos ...string) *tls.Config {
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.TLS},
		ServerName:   hostname,
		NextProtos:   nextProtos,
		// The chain is not checked against any CA: VerifyConnection pins the
		// leaf instead.
		InsecureSkipVerify: true,
	}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		p, err := store.Get(hostname)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUntrusted, err)
		}
		return verifyPinned(cs, p.Fingerprint(), hostname, now(cfg))
	}
	return cfg
}

// PinnedClientTLSConfig returns a TLS 1.3 client configuration that accepts
// only the server certificate with fingerprint fp (for servers that are not
// authorities, such as the election web server, whose certificate comes from
// the election's configuration), presenting id's certificate if id is not
// nil.
func PinnedClientTLSConfig(id *Identity, fp Fingerprint, serverName string, nextProtos ...string) *tls.Config {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS13,
		ServerName:         serverName,
		NextProtos:         nextProtos,
		InsecureSkipVerify: true, // VerifyConnection pins the leaf
	}
	if id != nil {
		cfg.Certificates = []tls.Certificate{id.TLS}
	}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		return verifyPinned(cs, fp, serverName, now(cfg))
	}
	return cfg
}

// AnyPeerClientTLSConfig returns a TLS 1.3 client configuration that
// presents id's certificate and accepts a server whose leaf certificate is
// installed in store, under any host name: for servers named by URL rather
// than by peer, such as the election web server serving ballots and
// receiving callbacks, whose certificate an operator installed as a peer
// package.
func AnyPeerClientTLSConfig(id *Identity, store *Store, nextProtos ...string) *tls.Config {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{id.TLS},
		NextProtos:         nextProtos,
		InsecureSkipVerify: true, // VerifyConnection pins the leaf to the store
	}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		_, err := store.authenticate(cs, now(cfg))
		return err
	}
	return cfg
}

func now(cfg *tls.Config) time.Time {
	if cfg.Time != nil {
		return cfg.Time()
	}
	return time.Now()
}

// peerCertificate returns the parsed leaf of the peer, checked for key type
// and validity at now.
func peerCertificate(cs tls.ConnectionState, now time.Time) (*Certificate, error) {
	if len(cs.PeerCertificates) == 0 {
		return nil, fmt.Errorf("%w: no certificate presented", ErrUntrusted)
	}
	if cs.Version != tls.VersionTLS13 {
		return nil, errors.New("peers: TLS version is not 1.3")
	}
	c, err := ParseCertificate(cs.PeerCertificates[0].Raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	if err := c.checkValidity(now); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	return c, nil
}

func verifyPinned(cs tls.ConnectionState, want Fingerprint, name string, now time.Time) error {
	c, err := peerCertificate(cs, now)
	if err != nil {
		return err
	}
	if c.Fingerprint != want {
		return fmt.Errorf("%w: %s presented %s, the installed certificate is %s", ErrUntrusted, name, c.Fingerprint, want)
	}
	return nil
}

// authenticate returns the host name of the peer of an established
// connection: the installed peer whose certificate is the leaf presented.
func (s *Store) authenticate(cs tls.ConnectionState, now time.Time) (string, error) {
	host, _, err := s.authenticateRole(cs, now)
	return host, err
}

// authenticateRole returns the host name and the role of the peer of an
// established connection, read together from one state of the store.
func (s *Store) authenticateRole(cs tls.ConnectionState, now time.Time) (string, Role, error) {
	c, err := peerCertificate(cs, now)
	if err != nil {
		return "", "", err
	}
	host, role, ok := s.LookupRole(c.Fingerprint)
	if !ok {
		return "", "", fmt.Errorf("%w: %s is not installed", ErrUntrusted, c.Fingerprint)
	}
	return host, role, nil
}

// authenticateAs is authenticateRole for a connection that only a peer with
// the given role may make: any other is an error wrapping ErrUntrusted and
// ErrWrongRole.
func (s *Store) authenticateAs(cs tls.ConnectionState, now time.Time, want Role) (string, error) {
	host, role, err := s.authenticateRole(cs, now)
	if err != nil {
		return "", err
	}
	if role != want {
		return "", fmt.Errorf("%w: %w", ErrUntrusted, wrongRole(host, role, want))
	}
	return host, nil
}

// Authenticate returns the host name of the installed peer that presented
// the leaf certificate of cs (for instance an http.Request's TLS field), or
// an error wrapping ErrUntrusted.
func (s *Store) Authenticate(cs *tls.ConnectionState) (string, error) {
	if cs == nil {
		return "", fmt.Errorf("%w: not a TLS connection", ErrUntrusted)
	}
	return s.authenticate(*cs, time.Now())
}

// AuthenticateRole returns the host name and the role of the installed peer
// that presented the leaf certificate of cs (for instance an http.Request's
// TLS field), or an error wrapping ErrUntrusted. The name and the role are
// read together, from one state of the trust store; the authority itself
// (see Store.TrustSelf) has its own role.
func (s *Store) AuthenticateRole(cs *tls.ConnectionState) (hostname string, role Role, err error) {
	if cs == nil {
		return "", "", fmt.Errorf("%w: not a TLS connection", ErrUntrusted)
	}
	return s.authenticateRole(*cs, time.Now())
}
