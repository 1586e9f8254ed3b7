package peers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"strconv"
	"strings"
)

// A Fingerprint is the SHA-256 of a certificate's DER encoding. Trust is
// pinned to fingerprints.
type Fingerprint [sha256.Size]byte

// FingerprintOf returns the fingerprint of a DER certificate.
func FingerprintOf(der []byte) Fingerprint { return sha256.Sum256(der) }

// String returns "sha256:" and the fingerprint in lower-case hexadecimal, the
// form that eopeers prints for operators to compare.
func (f Fingerprint) String() string { return "sha256:" + hex.EncodeToString(f[:]) }

// ParseFingerprint parses the String form of a fingerprint.
func ParseFingerprint(s string) (Fingerprint, error) {
	var f Fingerprint
	h, ok := strings.CutPrefix(s, "sha256:")
	if !ok || hex.DecodedLen(len(h)) != len(f) {
		return f, errors.New("peers: fingerprint is not sha256: and 64 hexadecimal digits")
	}
	if _, err := hex.Decode(f[:], []byte(h)); err != nil {
		return f, errors.New("peers: fingerprint is not sha256: and 64 hexadecimal digits")
	}
	return f, nil
}

func netJoin(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
