// Package keystore keeps an authority's secrets at rest — its key shares,
// key-generation seeds and logs — sealed under its operator's passphrase:
// an XChaCha20-Poly1305 key derived by scrypt (parameters and a check value
// in keystore.json, no secret), each file bound to its name, mode 0600 and
// refused if looser. The daemon (package orchestra) writes through it; a
// tally service or an auditor opens a key share with OpenKeyShare without
// importing the daemon.
package keystore

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"

	"github.com/eo-mixnet/eo/internal/atomicfile"
	"github.com/eo-mixnet/eo/threshold"
)

// File holds the parameters of the key that encrypts this
// authority's secrets at rest (key shares, key-generation state): the
// scrypt salt and cost, and a check value that tells a wrong passphrase
// from a damaged file. It holds no secret.
const File = "keystore.json"

// ErrWrongPassphrase is returned when the passphrase does not open the
// keystore.
var ErrWrongPassphrase = errors.New("keystore: wrong passphrase: it does not open " + File)

const (
	sealMagic    = "eo-sealed-v1\n"
	keystoreN    = 1 << 15
	keystoreR    = 8
	keystoreP    = 1
	keystoreText = "eo keystore check"
)

type keystoreParams struct {
	Version int    `json:"version"`
	KDF     string `json:"kdf"`
	N       int    `json:"n"`
	R       int    `json:"r"`
	P       int    `json:"p"`
	Salt    string `json:"salt"`
	Check   string `json:"check"` // a sealed keystoreText
}

// Keystore seals and opens files with an XChaCha20-Poly1305 key derived
// from the operator's passphrase by scrypt. A sealed file is sealMagic,
// a 24-byte random nonce and the ciphertext; the associated data is the
// magic and the file's name relative to the authority directory, so a
// sealed file moved to another name does not open.
type Keystore struct {
	dir string
	key []byte
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

// Open derives the key from pass, creating keystore.json with a
// fresh salt the first time; a passphrase that does not open an existing
// keystore is ErrWrongPassphrase.
func Open(dir string, pass []byte) (*Keystore, error) {
	path := filepath.Join(dir, File)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		salt := make([]byte, 32)
		rand.Read(salt)
		p := keystoreParams{Version: 1, KDF: "scrypt", N: keystoreN, R: keystoreR, P: keystoreP, Salt: base64.RawURLEncoding.EncodeToString(salt)}
		ks, err := deriveKeystore(dir, pass, &p)
		if err != nil {
			return nil, err
		}
		check, err := ks.seal(File, []byte(keystoreText))
		if err != nil {
			return nil, err
		}
		p.Check = base64.RawURLEncoding.EncodeToString(check)
		out, _ := json.MarshalIndent(p, "", "  ")
		if err := atomicfile.WriteFile(path, append(out, '\n'), 0o600); err != nil {
			return nil, fmt.Errorf("keystore: %w", err)
		}
		return ks, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	var p keystoreParams
	if err := json.Unmarshal(b, &p); err != nil || p.Version != 1 || p.KDF != "scrypt" {
		return nil, fmt.Errorf("keystore: %s is damaged or of another version", path)
	}
	ks, err := deriveKeystore(dir, pass, &p)
	if err != nil {
		return nil, err
	}
	check, err := base64.RawURLEncoding.DecodeString(p.Check)
	if err != nil {
		return nil, fmt.Errorf("keystore: %s is damaged", path)
	}
	if got, err := ks.open(File, check); err != nil || string(got) != keystoreText {
		return nil, ErrWrongPassphrase
	}
	return ks, nil
}

func deriveKeystore(dir string, pass []byte, p *keystoreParams) (*Keystore, error) {
	salt, err := base64.RawURLEncoding.DecodeString(p.Salt)
	if err != nil || len(salt) < 16 || p.N < 1<<14 || p.N > 1<<20 || p.R < 1 || p.R > 32 || p.P < 1 || p.P > 16 {
		return nil, errors.New("keystore: keystore parameters out of range")
	}
	key, err := scrypt.Key(pass, salt, p.N, p.R, p.P, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	return &Keystore{dir: dir, key: key}, nil
}

func (k *Keystore) seal(name string, plaintext []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(k.key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(sealMagic)+aead.NonceSize(), len(sealMagic)+aead.NonceSize()+len(plaintext)+aead.Overhead())
	copy(out, sealMagic)
	nonce := out[len(sealMagic):]
	rand.Read(nonce)
	return aead.Seal(out, nonce, plaintext, []byte(sealMagic+name)), nil
}

func (k *Keystore) open(name string, sealed []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(k.key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < len(sealMagic)+aead.NonceSize()+aead.Overhead() || string(sealed[:len(sealMagic)]) != sealMagic {
		return nil, fmt.Errorf("keystore: %s is not a sealed file", name)
	}
	nonce := sealed[len(sealMagic) : len(sealMagic)+aead.NonceSize()]
	pt, err := aead.Open(nil, nonce, sealed[len(sealMagic)+aead.NonceSize():], []byte(sealMagic+name))
	if err != nil {
		return nil, fmt.Errorf("keystore: %s does not open with this passphrase, or was altered or moved", name)
	}
	return pt, nil
}

// WriteSecret seals plaintext into the file at rel (relative to the
// authority directory), mode 0600, atomically.
func (k *Keystore) WriteSecret(rel string, plaintext []byte) error {
	sealed, err := k.seal(filepath.ToSlash(rel), plaintext)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(k.dir, rel), sealed, 0o600)
}

// ReadSecret opens the sealed file at rel, refusing a file that others
// may read. The caller clears the result after use.
func (k *Keystore) ReadSecret(rel string) ([]byte, error) {
	path := filepath.Join(k.dir, rel)
	if err := CheckPrivate(path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return k.open(filepath.ToSlash(rel), b)
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
