package keystore

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
)

// The previous format, which Open migrates: keystore.json of version 1
// held the scrypt salt and cost and a check value; each file was
// sealMagic, a 24-byte random nonce and the XChaCha20-Poly1305 ciphertext
// under the scrypt key, with the magic and the file's name (relative to
// the authority directory) as associated data.

const sealMagic = "eo-sealed-v1\n"

type legacyParams struct {
	Version int    `json:"version"`
	KDF     string `json:"kdf"`
	N       int    `json:"n"`
	R       int    `json:"r"`
	P       int    `json:"p"`
	Salt    string `json:"salt"`
	Check   string `json:"check"` // a sealed keystoreText
}

type legacyKeystore struct {
	key []byte
}

// openLegacy derives the key of a keystore of version 1 and checks the
// passphrase against its check value.
func openLegacy(dir string, pass []byte, p *legacyParams) (*legacyKeystore, error) {
	salt, err := base64.RawURLEncoding.DecodeString(p.Salt)
	if err != nil || len(salt) < 16 || p.N < 1<<14 || p.N > 1<<20 || p.R < 1 || p.R > 32 || p.P < 1 || p.P > 16 {
		return nil, errors.New("keystore: keystore parameters out of range")
	}
	key, err := scrypt.Key(pass, salt, p.N, p.R, p.P, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	k := &legacyKeystore{key: key}
	check, err := base64.RawURLEncoding.DecodeString(p.Check)
	if err != nil {
		return nil, fmt.Errorf("keystore: %s is damaged", File)
	}
	if got, err := k.open(File, check); err != nil || string(got) != keystoreText {
		return nil, ErrWrongPassphrase
	}
	return k, nil
}

func (k *legacyKeystore) open(name string, sealed []byte) ([]byte, error) {
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

func (k *legacyKeystore) seal(name string, plaintext []byte) ([]byte, error) {
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

// TestingOnlyWriteV1 rewrites the keystore of the authority directory
// dir in the previous format (version 1), as an earlier eo left it, so
// that tests can check that a daemon still starts on it and migrates it.
func TestingOnlyWriteV1(dir string, pass []byte) error {
	k, err := Open(dir, pass)
	if err != nil {
		return err
	}
	salt := make([]byte, 32)
	rand.Read(salt)
	p := legacyParams{Version: 1, KDF: "scrypt", N: 1 << 15, R: 8, P: 1, Salt: base64.RawURLEncoding.EncodeToString(salt)}
	key, err := scrypt.Key(pass, salt, p.N, p.R, p.P, chacha20poly1305.KeySize)
	if err != nil {
		return err
	}
	lk := &legacyKeystore{key: key}
	check, err := lk.seal(File, []byte(keystoreText))
	if err != nil {
		return err
	}
	p.Check = base64.RawURLEncoding.EncodeToString(check)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || d.Name() == IdentityFile {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil || !bytes.HasPrefix(b, []byte(ageMagic)) {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		pt, err := k.ReadSecret(rel)
		if err != nil {
			return err
		}
		sealed, err := lk.seal(filepath.ToSlash(rel), pt)
		if err != nil {
			return err
		}
		return os.WriteFile(path, sealed, 0o600)
	})
	if err != nil {
		return err
	}
	out, _ := json.MarshalIndent(p, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, File), append(out, '\n'), 0o600); err != nil {
		return err
	}
	return os.Remove(filepath.Join(dir, IdentityFile))
}
