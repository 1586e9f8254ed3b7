// Package peers holds what an eo authority knows about the other
// authorities, and how it talks to them.
//
//   - An [Identity] is this authority's own directory: its configuration, a
//     self-signed certificate and the private key (mode 0600; a looser mode
//     is refused).
//   - A [Package] is the one-line JSON an operator copies from one authority
//     to another ("eopeers --show-mine", then "eopeers --install").
//   - A [Store] is the trust store: one file per installed peer. Trust is
//     exactly the set of certificates in it, pinned by the SHA-256 of the
//     leaf certificate ([Fingerprint]); there is no certificate authority.
//     Each peer is installed under a [Role]: [RoleAuthority] (the default,
//     and what a package without a "role" is) or [RoleWebServer], an
//     election web server. Ask [Store.TrustedAs] (or [Store.AuthenticateRole],
//     [PeerRoleFromContext]) before letting a peer do what only one role may.
//     A running process sees installs and uninstalls without a restart: the
//     store re-reads its directory whenever the directory's modification time
//     changes, a stat(2) that every handshake and every message performs.
//   - An [Endpoint] is the QUIC transport between authorities: TLS 1.3,
//     client certificates on both sides, ALPN "eo/1", typed and size-limited
//     messages, streaming for long ciphertext lists, reconnection, and the
//     sender's identity taken from its authenticated certificate. Only
//     peers installed as authorities may connect or be dialed. It watches
//     the trust store and closes at once the connections of a peer that is
//     uninstalled, replaced, or no longer an authority.
//   - [ServerTLSConfig], [ClientTLSConfig], [NewHTTPClient] and [RequirePeer]
//     give HTTPS over TCP the same pinning.
//
// The package does no logging: every failure is returned as an error whose
// text starts with "peers: ". The formats are documented in doc/peers.md.
package peers
