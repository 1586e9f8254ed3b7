package orchestra

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/eo-mixnet/eo/keystore"
)

// PassphraseEnv is the environment variable that may hold the passphrase
// when the configuration names no passphrase_file.
const PassphraseEnv = "EO_PASSPHRASE"

// passphrase reads the operator's passphrase: the file the configuration
// names (relative to the authority directory; mode 0600 or stricter), else
// $EO_PASSPHRASE.
func passphrase(dir string, cfg *Config) ([]byte, error) {
	if cfg.PassphraseFile != "" {
		path := cfg.PassphraseFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		if err := keystore.CheckPrivate(path); err != nil {
			return nil, err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("keystore: passphrase_file: %w", err)
		}
		b = bytes.TrimRight(b, "\r\n")
		if len(b) == 0 {
			return nil, fmt.Errorf("keystore: passphrase_file %s is empty", path)
		}
		return b, nil
	}
	if p := os.Getenv(PassphraseEnv); p != "" {
		return []byte(p), nil
	}
	return nil, fmt.Errorf("keystore: no passphrase to encrypt the key shares: set passphrase_file in %s or $%s", ConfigFile, PassphraseEnv)
}
