package peers

import (
	"context"
	"net/http"
)

// NewHTTPClient returns an HTTP client for the HTTPS API of the installed
// peer hostname: it presents id's certificate and accepts only the peer's
// installed certificate (see ClientTLSConfig). Requests may use the peer's
// IP address or name in the URL; the pinning does not depend on it.
func NewHTTPClient(id *Identity, store *Store, hostname string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   ClientTLSConfig(id, store, hostname, HTTPSProtocols...),
		ForceAttemptHTTP2: true,
	}}
}

// NewPinnedHTTPClient returns an HTTP client that accepts only the server
// certificate whose fingerprint is fp (see PinnedClientTLSConfig), for
// instance to download ballots from the election web server.
func NewPinnedHTTPClient(id *Identity, fp Fingerprint, serverName string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   PinnedClientTLSConfig(id, fp, serverName, HTTPSProtocols...),
		ForceAttemptHTTP2: true,
	}}
}

// NewAnyPeerHTTPClient returns an HTTP client that presents id's
// certificate and accepts any server whose certificate is installed in
// store (see AnyPeerClientTLSConfig): the daemon's client for votes_url
// and callback_url.
func NewAnyPeerHTTPClient(id *Identity, store *Store) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   AnyPeerClientTLSConfig(id, store, HTTPSProtocols...),
		ForceAttemptHTTP2: true,
	}}
}

// NewHTTPServer returns an HTTPS server for addr whose TLS configuration is
// ServerTLSConfig (client certificates required, installed peers only) and
// whose handler is RequirePeer(store, h). Start it with ListenAndServeTLS("",
// "") or ServeTLS(l, "", ""). Set its ErrorLog: net/http logs refused
// handshakes there, to the standard logger by default.
func NewHTTPServer(addr string, id *Identity, store *Store, h http.Handler) *http.Server {
	return &http.Server{
		Addr:      addr,
		Handler:   RequirePeer(store, h),
		TLSConfig: ServerTLSConfig(id, store, HTTPSProtocols...),
	}
}

type peerKey struct{}

type authenticatedPeer struct {
	host string
	role Role
}

// RequirePeer checks every request, not only every connection, against the
// trust store, so that a peer uninstalled while it holds a kept-alive
// connection is refused at its next request: a request without a TLS client
// certificate installed in store gets 403 Forbidden; otherwise h serves it,
// and PeerFromContext gives the peer's host name and PeerRoleFromContext
// its role, as the store said for this request. Peers of any role pass:
// h decides what each role may do.
func RequirePeer(store *Store, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, role, err := store.AuthenticateRole(r.TLS)
		if err != nil {
			http.Error(w, "forbidden: client certificate not installed", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), peerKey{}, authenticatedPeer{host, role})))
	})
}

// PeerFromContext returns the host name of the authenticated peer of a
// request served through RequirePeer.
func PeerFromContext(ctx context.Context) (string, bool) {
	p, ok := ctx.Value(peerKey{}).(authenticatedPeer)
	return p.host, ok
}

// PeerRoleFromContext returns the role of the authenticated peer of a
// request served through RequirePeer: the role it was installed under when
// the request was checked.
func PeerRoleFromContext(ctx context.Context) (Role, bool) {
	p, ok := ctx.Value(peerKey{}).(authenticatedPeer)
	return p.role, ok
}
