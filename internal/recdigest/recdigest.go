// Package recdigest computes the digests that the authorities sign in an
// election record (doc/record.md): a label, the election, two indices and
// the hashes of the signed data, in one unambiguous layout.
package recdigest

import (
	"crypto/sha256"
	"encoding/binary"
)

// Sum returns SHA-256 of label ‖ len(electionID) (4 bytes) ‖ electionID ‖
// a (8 bytes) ‖ b (8 bytes) ‖ SHA-256(part) for each part, integers big
// endian.
func Sum(label, electionID string, a, b int, parts ...[]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(label))
	var buf [8]byte
	binary.BigEndian.PutUint32(buf[:4], uint32(len(electionID)))
	h.Write(buf[:4])
	h.Write([]byte(electionID))
	binary.BigEndian.PutUint64(buf[:], uint64(a))
	h.Write(buf[:])
	binary.BigEndian.PutUint64(buf[:], uint64(b))
	h.Write(buf[:])
	for _, d := range parts {
		s := sha256.Sum256(d)
		h.Write(s[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}
