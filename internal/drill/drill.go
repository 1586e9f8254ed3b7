// Package drill describes eo's fault drills: authorities that misbehave on
// purpose (an adversary kind) and daemons that kill themselves at a named
// point (the crash drill). The others must end the election correctly or
// stop it cleanly, and blame the culprit.
//
// The package is internal so that drills are reachable from this module's
// test code only, never from a configuration file or a user of the library:
// package threshold takes a *DKG in DKGConfig.Drill and package orchestra a
// *Authority in Options.Drill, fields that code outside this module cannot
// set. eotest's local clusters set them (eotest full --local N --adversary
// KIND:AUTHORITY), and only an eorchestra binary built with -tags drill
// reads the crash drill from $EO_CRASH_AT (Env).
package drill

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The adversary kinds. An authority with one misbehaves that way; its
// victim, where it has one, is the next authority (Victim).
const (
	BadDealer      = "bad-dealer"       // deals a bad share to its victim and defends it with the same bad share
	FalseComplaint = "false-complaint"  // accuses its victim's honest deal
	BadShuffle     = "bad-shuffle"      // publishes a signed mix whose proof does not verify
	BadDecryption  = "bad-decryption"   // publishes a decryption share with a wrong factor
	Garbage        = "garbage-messages" // sends malformed messages to every authority, and otherwise follows the protocol
)

// Kinds lists the adversary kinds, for flags and their help.
var Kinds = []string{BadDealer, FalseComplaint, BadShuffle, BadDecryption, Garbage}

// CheckKind returns an error unless kind is one of Kinds or empty (an
// honest authority).
func CheckKind(kind string) error {
	if kind == "" || slices.Contains(Kinds, kind) {
		return nil
	}
	return fmt.Errorf("drill: adversary %q: want one of %v", kind, Kinds)
}

// Victim returns the authority that authority self of n picks on: the
// next one, cyclically.
func Victim(self, n int) int { return self%n + 1 }

// Env names the environment variable of the crash drill, read only by an
// eorchestra binary built with -tags drill: "point" or "point:n" (see
// Authority.CrashAt).
const Env = "EO_CRASH_AT"

// Authority is what one authority of a test does wrong. The zero value,
// like a nil *Authority, is an honest authority that never crashes.
type Authority struct {
	// Kind is the adversary kind (one of Kinds), or "" for an honest one.
	Kind string
	// CrashAt makes the daemon kill itself with SIGKILL at the named point
	// of its run, "point" at its first passage or "point:n" at its n-th
	// (doc/daemon.md lists the points); "" never.
	CrashAt string
	// LateStart makes the authority start its key generations this late
	// (a director: after the setup's delivery), as a starved machine
	// would.
	LateStart time.Duration
	// At, if set, is called at each crash point the authority passes (the
	// names CrashAt takes), in process, with the server's context:
	// eotest's --down drills stop the authority there, and the call
	// returns once ctx is done. nil: nothing.
	At func(ctx context.Context, point string)
}

// Late returns a's LateStart, 0 for a nil a.
func (a *Authority) Late() time.Duration {
	if a == nil {
		return 0
	}
	return a.LateStart
}

// Check returns an error if a's kind or crash point is not well formed.
func (a *Authority) Check() error {
	if a == nil {
		return nil
	}
	if err := CheckKind(a.Kind); err != nil {
		return err
	}
	_, _, err := ParseCrashAt(a.CrashAt)
	return err
}

// Adversary returns a's kind, "" for a nil a.
func (a *Authority) Adversary() string {
	if a == nil {
		return ""
	}
	return a.Kind
}

// Is reports whether a misbehaves as kind.
func (a *Authority) Is(kind string) bool { return a != nil && a.Kind == kind }

// DKG returns the key-generation drill of authority self of n with a, nil
// unless a's kind misbehaves in the key generation (BadDealer,
// FalseComplaint).
func (a *Authority) DKG(self, n int) *DKG {
	if a == nil || (a.Kind != BadDealer && a.Kind != FalseComplaint) {
		return nil
	}
	return &DKG{Kind: a.Kind, Victim: Victim(self, n)}
}

// ParseCrashAt splits a crash point "point" or "point:n" into its name and
// n ≥ 1 (1 without ":n"). The empty string is no point: "", 0, nil.
func ParseCrashAt(s string) (point string, n int, err error) {
	if s == "" {
		return "", 0, nil
	}
	point, n = s, 1
	if p, c, ok := strings.Cut(s, ":"); ok {
		point = p
		if n, err = strconv.Atoi(c); err != nil || n < 1 {
			return "", 0, fmt.Errorf("drill: crash point %q: want point or point:n with n ≥ 1", s)
		}
	}
	if point == "" {
		return "", 0, errors.New("drill: crash point with an empty name")
	}
	return point, n, nil
}

// DKG is what one authority does wrong in a key generation.
type DKG struct {
	// Kind is BadDealer (its share to Victim is bad, and it opens the same
	// bad share when Victim complains) or FalseComplaint (it complains
	// against Victim's honest deal).
	Kind string
	// Victim is the authority it picks on, 1 … n, not itself.
	Victim int
}
