// Package keystore keeps an authority's secrets at rest — its key shares,
// key-generation seeds and logs — encrypted under its operator's
// passphrase in age's passphrase format (filippo.io/age, an scrypt
// recipient), so that a trustee can back them up, inspect and restore them
// with the age tool itself:
//
//	age -d elections/<id>/q0.share   # asks for the operator's passphrase
//
// Files rewritten often, a key generation's log, are encrypted instead to
// the keystore's own age X25519 key (WriteLog), kept in keystore.age under
// the passphrase, since a passphrase costs an scrypt per file written:
//
//	age -d -i keystore.age elections/<id>/q0.dkglog
//
// Each file's plaintext begins with a line naming the file ("eo-secret
// elections/<id>/q0.share"), checked when the daemon opens it, so that a
// file moved to another name does not open (the previous format bound the
// name as associated data). Files are written atomically with mode 0600
// and refused if looser. keystore.json says the format and names
// keystore.age, which also tells a wrong passphrase from a damaged file.
//
// Keystores written by earlier versions (eo's own scrypt and
// XChaCha20-Poly1305 container, "eo-sealed-v1") still open: Open migrates
// every such file to age, each atomically, then keystore.json; a file of
// the old format found later still opens.
//
// The daemon (package orchestra) writes through it; a tally service or an
// auditor opens a key share with OpenKeyShare without importing the
// daemon.
package keystore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"filippo.io/age"

	"github.com/eo-mixnet/eo/internal/atomicfile"
	"github.com/eo-mixnet/eo/threshold"
)

// File says the keystore's format and names IdentityFile. It holds no
// secret.
const File = "keystore.json"

// IdentityFile is the keystore's age X25519 identity, in an age file under
// the passphrase (an identity file the age tool reads with -i).
const IdentityFile = "keystore.age"

// ErrWrongPassphrase is returned when the passphrase does not open the
// keystore.
var ErrWrongPassphrase = errors.New("keystore: wrong passphrase: it does not open " + File)

const (
	// WorkFactor is the scrypt work factor (log2 N) of the files written:
	// that of the previous format, about 0.1 s per file, since the daemon
	// rewrites a key generation's log at each of its inputs.
	WorkFactor = 15
	// maxWorkFactor bounds the work factor of a file opened: age's CLI
	// writes 18 by default, and a restored file may come from it.
	maxWorkFactor = 22

	keystoreText = "eo keystore check" // version 1's check value
	namePrefix   = "eo-secret "
	ageMagic     = "age-encryption.org/v1\n"
)

// workFactor is WorkFactor; the package's tests lower it.
var workFactor = WorkFactor

type keystoreFile struct {
	Version  int    `json:"version"`
	Format   string `json:"format"`   // "age"
	Identity string `json:"identity"` // IdentityFile
	// Legacy, once a keystore of version 1 is migrated, are its
	// parameters, so that a file of the old format still opens.
	Legacy *legacyParams `json:"legacy,omitempty"`
}

// Keystore encrypts and decrypts the files of an authority directory with
// age's scrypt recipient and identity under the operator's passphrase.
type Keystore struct {
	dir  string
	pass string
	rec  *age.ScryptRecipient
	id   *age.ScryptIdentity
	xid  *age.X25519Identity // IdentityFile's, for WriteLog

	legacyParams *legacyParams
	legacyOnce   sync.Once
	legacy       *legacyKeystore
	legacyErr    error

	migrated []string
}

// CheckPrivate refuses a file that is not regular or that its group or
// others may read or write.
func CheckPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("keystore: %s has mode %v; a secret file must be a regular file of mode 0600 or stricter", path, fi.Mode())
	}
	return nil
}

func newKeystore(dir string, pass []byte) (*Keystore, error) {
	if len(pass) == 0 {
		return nil, errors.New("keystore: the passphrase is empty")
	}
	k := &Keystore{dir: dir, pass: string(pass)}
	var err error
	if k.rec, err = age.NewScryptRecipient(k.pass); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	k.rec.SetWorkFactor(workFactor)
	if k.id, err = age.NewScryptIdentity(k.pass); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	k.id.SetMaxWorkFactor(maxWorkFactor)
	return k, nil
}

// Open opens the keystore of the authority directory dir with pass,
// creating keystore.json the first time; a passphrase that does not open
// an existing keystore is ErrWrongPassphrase. A keystore of the previous
// format is migrated to age, file by file, each atomically (Migrated
// lists them).
func Open(dir string, pass []byte) (*Keystore, error) {
	path := filepath.Join(dir, File)
	k, err := newKeystore(dir, pass)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := k.newIdentity(); err != nil {
			return nil, err
		}
		return k, k.writeKeystoreFile(nil)
	}
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	var f keystoreFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("keystore: %s is damaged or of another version", path)
	}
	switch {
	case f.Version == 1:
		var p legacyParams
		if err := json.Unmarshal(b, &p); err != nil || p.KDF != "scrypt" {
			return nil, fmt.Errorf("keystore: %s is damaged or of another version", path)
		}
		lk, err := openLegacy(dir, pass, &p)
		if err != nil {
			return nil, err
		}
		k.legacyParams = &p
		k.legacyOnce.Do(func() { k.legacy = lk })
		if err := k.newIdentity(); err != nil {
			return nil, err
		}
		if err := k.migrate(); err != nil {
			return nil, err
		}
		return k, nil
	case f.Version == 2 && f.Format == "age" && f.Identity == IdentityFile:
		if err := k.openIdentity(); err != nil {
			return nil, err
		}
		k.legacyParams = f.Legacy
		return k, nil
	default:
		return nil, fmt.Errorf("keystore: %s is damaged or of another version", path)
	}
}

// newIdentity makes the keystore's X25519 identity and writes
// IdentityFile.
func (k *Keystore) newIdentity() error {
	xid, err := age.GenerateX25519Identity()
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, k.rec)
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	fmt.Fprintf(w, "# eo keystore identity: age -d -i %s <file>\n%s\n", IdentityFile, xid)
	if err := w.Close(); err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(k.dir, IdentityFile), buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	k.xid = xid
	return nil
}

// openIdentity reads IdentityFile with the passphrase.
func (k *Keystore) openIdentity() error {
	path := filepath.Join(k.dir, IdentityFile)
	if err := CheckPrivate(path); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	defer f.Close()
	r, err := age.Decrypt(f, k.id)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return ErrWrongPassphrase
	}
	if err != nil {
		return fmt.Errorf("keystore: %s is damaged: %w", path, err)
	}
	ids, err := age.ParseIdentities(r)
	if err != nil || len(ids) != 1 {
		return fmt.Errorf("keystore: %s is damaged", path)
	}
	xid, ok := ids[0].(*age.X25519Identity)
	if !ok {
		return fmt.Errorf("keystore: %s is damaged", path)
	}
	k.xid = xid
	return nil
}

// writeKeystoreFile writes keystore.json of version 2.
func (k *Keystore) writeKeystoreFile(legacy *legacyParams) error {
	out, _ := json.MarshalIndent(keystoreFile{Version: 2, Format: "age", Identity: IdentityFile, Legacy: legacy}, "", "  ")
	if err := atomicfile.WriteFile(filepath.Join(k.dir, File), append(out, '\n'), 0o600); err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	return nil
}

// migrate rewrites in age every file of the old format under the
// authority directory, each atomically, then keystore.json: a migration
// cut short resumes at the next Open, and the old files it has not reached
// still open meanwhile.
func (k *Keystore) migrate() error {
	var todo []string
	err := filepath.WalkDir(k.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		magic := make([]byte, len(sealMagic))
		if _, err := io.ReadFull(f, magic); err == nil && string(magic) == sealMagic {
			rel, err := filepath.Rel(k.dir, path)
			if err != nil {
				return err
			}
			todo = append(todo, rel)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("keystore: migrating to age: %w", err)
	}
	for _, rel := range todo {
		pt, err := k.ReadSecret(rel)
		if err != nil {
			return fmt.Errorf("keystore: migrating to age: %w", err)
		}
		err = k.WriteSecret(rel, pt)
		clear(pt)
		if err != nil {
			return fmt.Errorf("keystore: migrating to age: %w", err)
		}
		k.migrated = append(k.migrated, filepath.ToSlash(rel))
	}
	return k.writeKeystoreFile(k.legacyParams)
}

// Migrated lists the files, relative to the authority directory, that
// Open rewrote from the previous format to age.
func (k *Keystore) Migrated() []string { return k.migrated }

// encrypt makes an age file of plaintext for rec, after a line naming
// the file.
func (k *Keystore) encrypt(rec age.Recipient, name string, plaintext []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rec)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	io.WriteString(w, namePrefix+name+"\n")
	w.Write(plaintext)
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	return buf.Bytes(), nil
}

// decrypt opens an age file and checks that it names the file name.
func (k *Keystore) decrypt(name string, file []byte) ([]byte, error) {
	r, err := age.Decrypt(bytes.NewReader(file), k.id, k.xid)
	if err != nil {
		return nil, err
	}
	pt, err := io.ReadAll(r)
	if err != nil {
		clear(pt)
		return nil, fmt.Errorf("keystore: %s was altered: %w", name, err)
	}
	line, rest, ok := bytes.Cut(pt, []byte("\n"))
	if !ok || !bytes.HasPrefix(line, []byte(namePrefix)) {
		clear(pt)
		return nil, fmt.Errorf("keystore: %s is not a file of an eo keystore", name)
	}
	if got := string(line[len(namePrefix):]); got != name {
		clear(pt)
		return nil, fmt.Errorf("keystore: %s was written as %s: altered or moved", name, got)
	}
	out := bytes.Clone(rest)
	clear(pt)
	return out, nil
}

// WriteSecret encrypts plaintext under the passphrase into the file at
// rel (relative to the authority directory), mode 0600, atomically: age
// -d opens it with the passphrase. Each call costs an scrypt (WorkFactor).
func (k *Keystore) WriteSecret(rel string, plaintext []byte) error {
	return k.write(k.rec, rel, plaintext)
}

// WriteLog is WriteSecret for a file rewritten often, such as a key
// generation's log: it encrypts to the keystore's X25519 key instead
// (age -d -i keystore.age opens it, with the passphrase), at the cost of
// an X25519 exchange instead of an scrypt.
func (k *Keystore) WriteLog(rel string, plaintext []byte) error {
	return k.write(k.xid.Recipient(), rel, plaintext)
}

func (k *Keystore) write(rec age.Recipient, rel string, plaintext []byte) error {
	file, err := k.encrypt(rec, filepath.ToSlash(rel), plaintext)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(k.dir, rel), file, 0o600)
}

// ReadSecret decrypts the file at rel, refusing a file that others may
// read; a file of the previous format opens too. The caller clears the
// result after use.
func (k *Keystore) ReadSecret(rel string) ([]byte, error) {
	path := filepath.Join(k.dir, rel)
	if err := CheckPrivate(path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	name := filepath.ToSlash(rel)
	switch {
	case bytes.HasPrefix(b, []byte(ageMagic)):
		pt, err := k.decrypt(name, b)
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, fmt.Errorf("keystore: %s does not open with this passphrase or keystore", name)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "keystore: ") {
			return nil, fmt.Errorf("keystore: %s: %w", name, err)
		}
		return pt, err
	case bytes.HasPrefix(b, []byte(sealMagic)):
		lk, err := k.legacyKeystore()
		if err != nil {
			return nil, err
		}
		return lk.open(name, b)
	default:
		return nil, fmt.Errorf("keystore: %s is not a sealed file", name)
	}
}

func (k *Keystore) legacyKeystore() (*legacyKeystore, error) {
	k.legacyOnce.Do(func() {
		if k.legacyParams == nil {
			k.legacyErr = errors.New("keystore: a file of the old format in a keystore that never had one")
			return
		}
		k.legacy, k.legacyErr = openLegacy(k.dir, []byte(k.pass), k.legacyParams)
	})
	return k.legacy, k.legacyErr
}

// ElectionsDir is the directory of the elections' state under the
// authority directory.
const ElectionsDir = "elections"

// KeySharePath is where an authority keeps its sealed key share of
// question q of an election, relative to its directory.
func KeySharePath(electionID string, q int) string {
	return filepath.Join(ElectionsDir, electionID, fmt.Sprintf("q%d.share", q))
}

// OpenKeyShare opens, with the passphrase of the authority whose directory
// is dir, its key share of question q of an election; an error wrapping
// fs.ErrNotExist if it holds none (it was disqualified, or the election is
// not created). The caller wipes the share (KeyShare.Wipe) when done.
func OpenKeyShare(dir string, pass []byte, electionID string, q int) (*threshold.KeyShare, error) {
	ks, err := Open(dir, pass)
	if err != nil {
		return nil, err
	}
	b, err := ks.ReadSecret(KeySharePath(electionID, q))
	if err != nil {
		return nil, err
	}
	defer clear(b)
	return threshold.DecodeKeyShare(b)
}
