package record

// What a verifier expects from outside the record: the record proves that
// it is consistent with the certificates it carries, and only the owner's
// own knowledge (the vote file it published, the threshold and the
// authorities it chose) says that these are the right ones
// (doc/verify.md, checks E1–E3).

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/eo-mixnet/eo/threshold"
)

// ExpectedAuthority is an authority a verifier expects in a record: its
// host name and its certificate's fingerprint, "sha256:" and 64 lower-case
// hex digits, as eopeers prints it (Authority.Fingerprint).
type ExpectedAuthority struct {
	Name        string
	Fingerprint string
}

// ParseFingerprint returns the canonical form ("sha256:" and 64 lower-case
// hex digits) of a certificate fingerprint written "sha256:HEX".
func ParseFingerprint(s string) (string, error) {
	h, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(h) != 64 {
		return "", fmt.Errorf("record: fingerprint %q is not sha256: and 64 hexadecimal digits", s)
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return "", fmt.Errorf("record: fingerprint %q is not sha256: and 64 hexadecimal digits", s)
	}
	return "sha256:" + hex.EncodeToString(b), nil
}

// ParseAuthorities reads an expected list of authorities: one line per
// authority, "HOSTNAME sha256:HEX" (fields separated by spaces or tabs);
// empty lines and lines starting with # are ignored. Names and
// fingerprints must be distinct, and there must be 1 to 32 authorities.
func ParseAuthorities(r io.Reader) ([]ExpectedAuthority, error) {
	var out []ExpectedAuthority
	names, fps := map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) != 2 {
			return nil, fmt.Errorf("record: authorities line %d: want HOSTNAME sha256:HEX", line)
		}
		fp, err := ParseFingerprint(fields[1])
		if err != nil {
			return nil, fmt.Errorf("record: authorities line %d: %w", line, err)
		}
		if names[fields[0]] || fps[fp] {
			return nil, fmt.Errorf("record: authorities line %d: %s or its fingerprint is listed twice", line, fields[0])
		}
		names[fields[0]], fps[fp] = true, true
		out = append(out, ExpectedAuthority{Name: fields[0], Fingerprint: fp})
		if len(out) > threshold.MaxAuthorities {
			return nil, fmt.Errorf("record: more than %d authorities", threshold.MaxAuthorities)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("record: reading the authorities: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("record: no authority listed")
	}
	return out, nil
}
