package peers

import (
	"errors"
	"fmt"
)

// A Role says what an installed peer may ask of this authority. Every peer
// in the trust store has exactly one.
//
// The spellings are the values of the "role" field of a peer package and of
// eopeers --role; they are lower case, without separators.
type Role string

const (
	// RoleAuthority is an election authority: it takes part in the peer
	// protocol (the QUIC transport), and nothing else. A package without a
	// role, as election-orchestra and the first eo wrote, is an authority's.
	RoleAuthority Role = "authority"
	// RoleWebServer is an election web server, the owner of the elections
	// it creates: it may call the public API and serves the ballots and
	// receives the callbacks, but it never takes part in the peer protocol.
	RoleWebServer Role = "webserver"
)

// ErrWrongRole is wrapped by the errors about a peer that is installed,
// with the certificate it presents, but under another role than the one
// the operation needs (for instance a web server dialed for the peer
// protocol).
var ErrWrongRole = errors.New("installed with another role")

// ErrRoleChanged is returned by Install for a host name that is installed
// under another role, unless forced.
var ErrRoleChanged = errors.New("installed under another role (use --force to change it)")

// ParseRole parses the spelling of a role: "authority" or "webserver".
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.Valid() {
		return r, nil
	}
	return "", fmt.Errorf("peers: role %q is not %q or %q", truncate(s), RoleAuthority, RoleWebServer)
}

// Valid reports whether r is RoleAuthority or RoleWebServer. The empty
// Role is not valid.
func (r Role) Valid() bool { return r == RoleAuthority || r == RoleWebServer }

// String returns the spelling of the role.
func (r Role) String() string { return string(r) }

// orDefault returns r, or RoleAuthority for the empty Role.
func (r Role) orDefault() Role {
	if r == "" {
		return RoleAuthority
	}
	return r
}

type roleChangedError struct {
	host     string
	old, new Role
}

func (e *roleChangedError) Error() string {
	return fmt.Sprintf("peers: %s is installed as %s, the package would make it %s; use --force to change its role", e.host, e.old, e.new)
}

func (e *roleChangedError) Is(target error) bool { return target == ErrRoleChanged }

func wrongRole(host string, have, want Role) error {
	return fmt.Errorf("peers: %s is %w: %s, not %s", host, ErrWrongRole, have, want)
}
