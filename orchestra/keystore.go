package orchestra

import (
	"bytes"
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

// KeystoreFile holds the parameters of the key that encrypts this
// authority's secrets at rest (key shares, key-generation state): the
// scrypt salt and cost, and a check value that tells a wrong passphrase
// from a damaged file. It holds no secret.
const KeystoreFile = "keystore.json"

// PassphraseEnv is the environment variable that may hold the passphrase
// when the configuration names no passphrase_file.
const PassphraseEnv = "EO_PASSPHRASE"

// ErrWrongPassphrase is returned when the passphrase does not open the
// keystore.
var ErrWrongPassphrase = errors.New("orchestra: wrong passphrase: it does not open " + KeystoreFile)

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

// keystore seals and opens files with an XChaCha20-Poly1305 key derived
// from the operator's passphrase by scrypt. A sealed file is sealMagic,
// a 24-byte random nonce and the ciphertext; the associated data is the
// magic and the file's name relative to the authority directory, so a
// sealed file moved to another name does not open.
type keystore struct {
	dir string
	key []byte
}

// passphrase reads the operator's passphrase: the file the configuration
// names (relative to the authority directory; mode 0600 or stricter), else
// $EO_PASSPHRASE.
func passphrase(dir string, cfg *Config) ([]byte, error) {
	if cfg.PassphraseFile != "" {
		path := cfg.PassphraseFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		if err := checkPrivate(path); err != nil {
			return nil, err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("orchestra: passphrase_file: %w", err)
		}
		b = bytes.TrimRight(b, "\r\n")
		if len(b) == 0 {
			return nil, fmt.Errorf("orchestra: passphrase_file %s is empty", path)
		}
		return b, nil
	}
	if p := os.Getenv(PassphraseEnv); p != "" {
		return []byte(p), nil
	}
	return nil, fmt.Errorf("orchestra: no passphrase to encrypt the key shares: set passphrase_file in %s or $%s", ConfigFile, PassphraseEnv)
}

// checkPrivate refuses a file that is not regular or that its group or
// others may read or write.
func checkPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("orchestra: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("orchestra: %s has mode %v; a secret file must be a regular file of mode 0600 or stricter", path, fi.Mode())
	}
	return nil
}

// openKeystore derives the key from pass, creating keystore.json with a
// fresh salt the first time; a passphrase that does not open an existing
// keystore is ErrWrongPassphrase.
func openKeystore(dir string, pass []byte) (*keystore, error) {
	path := filepath.Join(dir, KeystoreFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		salt := make([]byte, 32)
		rand.Read(salt)
		p := keystoreParams{Version: 1, KDF: "scrypt", N: keystoreN, R: keystoreR, P: keystoreP, Salt: base64.RawURLEncoding.EncodeToString(salt)}
		ks, err := deriveKeystore(dir, pass, &p)
		if err != nil {
			return nil, err
		}
		check, err := ks.seal(KeystoreFile, []byte(keystoreText))
		if err != nil {
			return nil, err
		}
		p.Check = base64.RawURLEncoding.EncodeToString(check)
		out, _ := json.MarshalIndent(p, "", "  ")
		if err := atomicfile.WriteFile(path, append(out, '\n'), 0o600); err != nil {
			return nil, fmt.Errorf("orchestra: %w", err)
		}
		return ks, nil
	}
	if err != nil {
		return nil, fmt.Errorf("orchestra: %w", err)
	}
	var p keystoreParams
	if err := json.Unmarshal(b, &p); err != nil || p.Version != 1 || p.KDF != "scrypt" {
		return nil, fmt.Errorf("orchestra: %s is damaged or of another version", path)
	}
	ks, err := deriveKeystore(dir, pass, &p)
	if err != nil {
		return nil, err
	}
	check, err := base64.RawURLEncoding.DecodeString(p.Check)
	if err != nil {
		return nil, fmt.Errorf("orchestra: %s is damaged", path)
	}
	if got, err := ks.open(KeystoreFile, check); err != nil || string(got) != keystoreText {
		return nil, ErrWrongPassphrase
	}
	return ks, nil
}

func deriveKeystore(dir string, pass []byte, p *keystoreParams) (*keystore, error) {
	salt, err := base64.RawURLEncoding.DecodeString(p.Salt)
	if err != nil || len(salt) < 16 || p.N < 1<<14 || p.N > 1<<20 || p.R < 1 || p.R > 32 || p.P < 1 || p.P > 16 {
		return nil, errors.New("orchestra: keystore parameters out of range")
	}
	key, err := scrypt.Key(pass, salt, p.N, p.R, p.P, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("orchestra: %w", err)
	}
	return &keystore{dir: dir, key: key}, nil
}

func (k *keystore) seal(name string, plaintext []byte) ([]byte, error) {
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

func (k *keystore) open(name string, sealed []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(k.key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < len(sealMagic)+aead.NonceSize()+aead.Overhead() || string(sealed[:len(sealMagic)]) != sealMagic {
		return nil, fmt.Errorf("orchestra: %s is not a sealed file", name)
	}
	nonce := sealed[len(sealMagic) : len(sealMagic)+aead.NonceSize()]
	pt, err := aead.Open(nil, nonce, sealed[len(sealMagic)+aead.NonceSize():], []byte(sealMagic+name))
	if err != nil {
		return nil, fmt.Errorf("orchestra: %s does not open with this passphrase, or was altered or moved", name)
	}
	return pt, nil
}

// writeSecret seals plaintext into the file at rel (relative to the
// authority directory), mode 0600, atomically.
func (k *keystore) writeSecret(rel string, plaintext []byte) error {
	sealed, err := k.seal(filepath.ToSlash(rel), plaintext)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(k.dir, rel), sealed, 0o600)
}

// readSecret opens the sealed file at rel, refusing a file that others
// may read. The caller clears the result after use.
func (k *keystore) readSecret(rel string) ([]byte, error) {
	path := filepath.Join(k.dir, rel)
	if err := checkPrivate(path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return k.open(filepath.ToSlash(rel), b)
}

// OpenKeyShares opens, with the authority's passphrase (cfg as for New),
// this authority's key shares of an election, one per question (nil for a
// question where it holds none): for audits and tests. The caller wipes
// them.
func OpenKeyShares(dir string, cfg *Config, electionID string, questions int) ([]*threshold.KeyShare, error) {
	pass, err := passphrase(dir, cfg)
	if err != nil {
		return nil, err
	}
	ks, err := openKeystore(dir, pass)
	clear(pass)
	if err != nil {
		return nil, err
	}
	out := make([]*threshold.KeyShare, questions)
	for q := range out {
		b, err := ks.readSecret(filepath.Join(ElectionsDir, electionID, fileKeyShare(q)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[q], err = threshold.DecodeKeyShare(b)
		clear(b)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
