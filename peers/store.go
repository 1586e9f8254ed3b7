package peers

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/eo-mixnet/eo/internal/atomicfile"
)

// PackageExt is the extension of the files of the trust store:
// "<hostname>.pkg", the host name in lower case.
const PackageExt = ".pkg"

// lockName is the lock file of a trust store; dot files are not packages.
const lockName = ".lock"

// mtimeGranularity is how long after a change of the directory's
// modification time the store keeps re-reading it on every check, for file
// systems whose timestamps are coarse: two changes in one tick would
// otherwise look like one.
const mtimeGranularity = 2 * time.Second

// Errors of the trust store, always wrapped in an error that names the
// host.
var (
	// ErrNotInstalled is returned for a host name that has no package in the
	// trust store.
	ErrNotInstalled = errors.New("not installed")
	// ErrCertificateChanged is returned by Install for a host name that is
	// installed with another certificate, unless forced.
	ErrCertificateChanged = errors.New("a different certificate is installed (use --force to replace it)")
	// ErrDuplicateCertificate is returned by Install for a certificate that
	// is already installed under another host name.
	ErrDuplicateCertificate = errors.New("one certificate cannot be installed under two hostnames")
)

type changedError struct {
	host     string
	old, new Fingerprint
}

func (e *changedError) Error() string {
	return fmt.Sprintf("peers: %s is installed with a different certificate (%s installed, %s in the package); use --force to replace it", e.host, e.old, e.new)
}

func (e *changedError) Is(target error) bool { return target == ErrCertificateChanged }

func notInstalled(host string) error {
	return fmt.Errorf("peers: %s is %w", host, ErrNotInstalled)
}

// A Store is a trust store: a directory holding one peer package per file,
// named after the peer's host name. Trust is exactly the set of certificates
// in these files; nothing else (no CA bundle) is consulted. Each peer is
// trusted under one Role, the "role" field of its stored package (a stored
// package without one, written before roles existed, is an authority's):
// ask TrustedAs, not Trusted, before letting a peer do what only one role
// may.
//
// A Store is safe for concurrent use, and several processes may use one
// directory: changes are made under an flock(2) lock by writing a temporary
// file and renaming it (or removing the file), and every read first checks
// the directory's modification time, reloading the files when it changed
// (and, for file systems with coarse timestamps, on every check for two
// seconds after). So a daemon sees "eopeers --install" and "--uninstall" at
// its next handshake or message, with no restart and no polling thread.
type Store struct {
	dir string

	mu        sync.Mutex
	byHost    map[string]*storeEntry
	byFP      map[Fingerprint]string
	bad       map[string]*badEntry
	dirMod    time.Time
	checkedAt time.Time
	gen       uint64
	problems  []error

	// self is this authority's own name, certificate and role, trusted as
	// if installed (see TrustSelf); never listed.
	selfHost string
	selfFP   Fingerprint
	selfRole Role
}

type storeEntry struct {
	raw []byte
	pkg *Package
}

// A badEntry is a file of the store that is not a valid package, kept so
// that it is not parsed again while it does not change.
type badEntry struct {
	raw []byte
	err error
}

// OpenStore opens the trust store in dir, which must exist and must not be
// writable by group or others.
func OpenStore(dir string) (*Store, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("peers: trust store: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("peers: trust store %s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("peers: trust store %s has mode %04o, writable by others; it must be 0700", dir, fi.Mode().Perm())
	}
	s := &Store{dir: dir, byHost: map[string]*storeEntry{}, byFP: map[Fingerprint]string{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.reloadLocked(true); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Refresh re-reads the directory if it changed since the last read, and
// reports whether the set of trusted packages changed. It costs one stat(2)
// when nothing changed. Files that cannot be read or are not valid packages
// are left out (their peers are not trusted) and reported by Problems.
func (s *Store) Refresh() (changed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reloadLocked(false)
}

// Generation returns a number that grows each time the trusted set changes.
func (s *Store) Generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// Problems returns the files of the store that were left out at the last
// read, one error each.
func (s *Store) Problems() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.problems)
}

func (s *Store) reloadLocked(force bool) (bool, error) {
	fi, err := os.Stat(s.dir)
	if err != nil {
		return false, fmt.Errorf("peers: trust store: %w", err)
	}
	mod := fi.ModTime()
	if !force && mod.Equal(s.dirMod) && s.checkedAt.Sub(mod) > mtimeGranularity {
		return false, nil
	}
	checkedAt := time.Now()
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return false, fmt.Errorf("peers: trust store: %w", err)
	}
	byHost := make(map[string]*storeEntry, len(entries))
	byFP := make(map[Fingerprint]string, len(entries))
	bad := make(map[string]*badEntry)
	var problems []error
	changed := false
	for _, e := range entries {
		name := e.Name()
		host, ok := strings.CutSuffix(name, PackageExt)
		if !ok || strings.HasPrefix(name, ".") || !e.Type().IsRegular() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(s.dir, name))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) { // removed meanwhile
				problems = append(problems, fmt.Errorf("peers: trust store: %w", err))
			}
			continue
		}
		ent := s.byHost[host]
		if ent == nil || !bytes.Equal(ent.raw, raw) {
			if b := s.bad[host]; b != nil && bytes.Equal(b.raw, raw) {
				bad[host] = b
				problems = append(problems, b.err)
				continue
			}
			changed = true
			p, err := parseStored(host, raw)
			if err != nil {
				b := &badEntry{raw: raw, err: fmt.Errorf("%s: %w", filepath.Join(s.dir, name), err)}
				bad[host] = b
				problems = append(problems, b.err)
				continue
			}
			ent = &storeEntry{raw: raw, pkg: p}
		}
		fp := ent.pkg.Fingerprint()
		if other, dup := byFP[fp]; dup {
			// Two host names for one certificate: the sender of a message
			// would be ambiguous, so none of them is trusted.
			problems = append(problems, fmt.Errorf("peers: trust store: %s and %s have the same certificate; neither is trusted", other, host))
			delete(byHost, other)
			continue
		}
		byHost[host] = ent
		byFP[fp] = host
	}
	for fp, host := range byFP {
		if byHost[host] == nil || byHost[host].pkg.Fingerprint() != fp {
			delete(byFP, fp)
		}
	}
	if len(byHost) != len(s.byHost) {
		changed = true
	}
	s.byHost, s.byFP, s.bad, s.problems = byHost, byFP, bad, problems
	s.dirMod, s.checkedAt = mod, checkedAt
	if changed {
		s.gen++
	}
	return changed, nil
}

func parseStored(host string, raw []byte) (*Package, error) {
	p, err := decodePackage(raw)
	if err != nil {
		return nil, err
	}
	if err := p.validate(time.Time{}); err != nil {
		return nil, err
	}
	if p.Key() != host {
		return nil, fmt.Errorf("%w: hostname %q does not match the file name", ErrInvalidPackage, p.Hostname)
	}
	return p, nil
}

// Get returns the installed package of a host name (in any case). The
// package is shared: do not modify it.
func (s *Store) Get(hostname string) (*Package, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.reloadLocked(false); err != nil {
		return nil, err
	}
	e := s.byHost[strings.ToLower(hostname)]
	if e == nil {
		return nil, notInstalled(hostname)
	}
	return e.pkg, nil
}

// List returns the installed packages, sorted by host name. The packages
// are shared: do not modify them.
func (s *Store) List() ([]*Package, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.reloadLocked(false); err != nil {
		return nil, err
	}
	out := make([]*Package, 0, len(s.byHost))
	for _, e := range s.byHost {
		out = append(out, e.pkg)
	}
	slices.SortFunc(out, func(a, b *Package) int { return strings.Compare(a.Key(), b.Key()) })
	return out, nil
}

// Lookup returns the host name whose installed certificate has fingerprint
// fp.
func (s *Store) Lookup(fp Fingerprint) (hostname string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reloadLocked(false) // on error the last good state stands
	host, ok := s.byFP[fp]
	if !ok && s.selfHost != "" && fp == s.selfFP {
		return s.selfHost, true
	}
	return host, ok
}

// TrustSelf makes the store trust the authority's own certificate under
// its own host name, as an authority, as if it were installed, without
// writing it to the directory or listing it: an authority's own tools
// (eotest with --dir) present its certificate to its own daemon.
// Identity.OpenStore does the same with the identity's role.
func (s *Store) TrustSelf(hostname string, fp Fingerprint) {
	s.trustSelf(hostname, fp, RoleAuthority)
}

func (s *Store) trustSelf(hostname string, fp Fingerprint, role Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.selfHost, s.selfFP, s.selfRole = strings.ToLower(hostname), fp, role.orDefault()
}

// Trusted reports whether hostname is installed with the certificate whose
// fingerprint is fp, under any role.
func (s *Store) Trusted(hostname string, fp Fingerprint) bool {
	_, ok := s.trustedRole(hostname, fp)
	return ok
}

// TrustedAs reports whether hostname is installed with the certificate whose
// fingerprint is fp and under the given role: the question to ask before
// letting a peer do what only that role may ("is this certificate an
// installed web server?"). The authority itself (see TrustSelf) counts under
// its own role. The host name, certificate and role are read together, from
// one state of the store.
func (s *Store) TrustedAs(hostname string, fp Fingerprint, role Role) bool {
	r, ok := s.trustedRole(hostname, fp)
	return ok && r == role
}

// trustedRole returns the role under which hostname is installed with the
// certificate fp.
func (s *Store) trustedRole(hostname string, fp Fingerprint) (Role, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reloadLocked(false) // on error the last good state stands
	h := strings.ToLower(hostname)
	if s.selfHost != "" && h == s.selfHost && fp == s.selfFP {
		return s.selfRole, true
	}
	e := s.byHost[h]
	if e == nil || e.pkg.Fingerprint() != fp {
		return "", false
	}
	return e.pkg.EffectiveRole(), true
}

// Role returns the role under which hostname (in any case) is installed:
// the "role" of its stored package, RoleAuthority for a package stored
// without one, the identity's own role for the authority itself. A host
// name that is not installed is an error wrapping ErrNotInstalled.
//
// To decide what a connection may do, prefer TrustedAs with the
// fingerprint of the certificate it presented: Role alone does not say
// that the certificate is the installed one.
func (s *Store) Role(hostname string) (Role, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.reloadLocked(false); err != nil {
		return "", err
	}
	h := strings.ToLower(hostname)
	if e := s.byHost[h]; e != nil {
		return e.pkg.EffectiveRole(), nil
	}
	if s.selfHost != "" && h == s.selfHost {
		return s.selfRole, nil
	}
	return "", notInstalled(hostname)
}

// LookupRole returns the host name and the role under which the certificate
// with fingerprint fp is installed.
func (s *Store) LookupRole(fp Fingerprint) (hostname string, role Role, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reloadLocked(false) // on error the last good state stands
	if host, ok := s.byFP[fp]; ok {
		return host, s.byHost[host].pkg.EffectiveRole(), true
	}
	if s.selfHost != "" && fp == s.selfFP {
		return s.selfHost, s.selfRole, true
	}
	return "", "", false
}

// InstallResult says what Install did.
type InstallResult int

const (
	Installed InstallResult = iota // a new peer
	Unchanged                      // the same package was installed already
	Updated                        // same certificate, other fields changed
	Replaced                       // another certificate, replaced by force
)

func (r InstallResult) String() string {
	switch r {
	case Installed:
		return "installed"
	case Unchanged:
		return "unchanged"
	case Updated:
		return "updated"
	case Replaced:
		return "replaced"
	}
	return fmt.Sprintf("InstallResult(%d)", int(r))
}

// Install validates p at the current time and writes it to the store,
// atomically, under the role p.Role (RoleAuthority if empty; to override
// the role a package says, set p.Role first). The stored package always
// carries its role. A host name installed with another certificate is
// refused with ErrCertificateChanged unless force is set, in which case the
// old certificate stops being trusted at once; a host name installed with
// the same certificate under another role is refused with ErrRoleChanged
// unless force is set (the result is then Updated). A certificate installed
// under another host name is refused with ErrDuplicateCertificate.
func (s *Store) Install(p *Package, force bool) (InstallResult, error) {
	if err := p.validate(time.Now()); err != nil {
		return 0, err
	}
	stored := *p
	stored.Role = p.EffectiveRole()
	unlock, err := lockFile(filepath.Join(s.dir, lockName))
	if err != nil {
		return 0, fmt.Errorf("peers: trust store: %w", err)
	}
	defer unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.reloadLocked(true); err != nil {
		return 0, err
	}
	key := p.Key()
	if other, ok := s.byFP[p.Fingerprint()]; ok && other != key {
		return 0, fmt.Errorf("peers: the certificate of %s is already installed for %s: %w", p.Hostname, other, ErrDuplicateCertificate)
	}
	raw := append(stored.Marshal(), '\n')
	result := Installed
	if old := s.byHost[key]; old != nil {
		switch {
		case bytes.Equal(old.raw, raw):
			return Unchanged, nil
		case old.pkg.Fingerprint() != p.Fingerprint() && !force:
			return 0, &changedError{key, old.pkg.Fingerprint(), p.Fingerprint()}
		case old.pkg.Fingerprint() != p.Fingerprint():
			result = Replaced
		case old.pkg.EffectiveRole() != stored.Role && !force:
			return 0, &roleChangedError{key, old.pkg.EffectiveRole(), stored.Role}
		default:
			result = Updated
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(s.dir, key+PackageExt), raw, 0o644); err != nil {
		return 0, fmt.Errorf("peers: trust store: %w", err)
	}
	if _, err := s.reloadLocked(true); err != nil {
		return 0, err
	}
	return result, nil
}

// Uninstall removes the package of hostname from the store and returns it.
// Its certificate stops being trusted at once: every Store and Endpoint on
// this directory refuses it from its next check.
func (s *Store) Uninstall(hostname string) (*Package, error) {
	key := strings.ToLower(hostname)
	if err := CheckHostname(key); err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	unlock, err := lockFile(filepath.Join(s.dir, lockName))
	if err != nil {
		return nil, fmt.Errorf("peers: trust store: %w", err)
	}
	defer unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.reloadLocked(true); err != nil {
		return nil, err
	}
	name := filepath.Join(s.dir, key+PackageExt)
	old := s.byHost[key]
	if err := atomicfile.Remove(name); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notInstalled(hostname)
		}
		return nil, fmt.Errorf("peers: trust store: %w", err)
	}
	if _, err := s.reloadLocked(true); err != nil {
		return nil, err
	}
	if old == nil { // the file was there but not valid
		return nil, nil
	}
	return old.pkg, nil
}
