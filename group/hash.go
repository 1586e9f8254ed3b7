package group

import (
	"crypto/sha512"
	"encoding/binary"
	"errors"
)

// ExpandMessageXMD is expand_message_xmd of RFC 9380, Section 5.3.1, with
// SHA-512. It returns an error if the lengths are outside the RFC's limits.
func ExpandMessageXMD(msg, dst []byte, lenInBytes int) ([]byte, error) {
	const bInBytes, sInBytes = 64, 128
	ell := (lenInBytes + bInBytes - 1) / bInBytes
	if ell > 255 || lenInBytes > 65535 || lenInBytes <= 0 {
		return nil, errors.New("group: expand_message_xmd: bad output length")
	}
	if len(dst) > 255 || len(dst) == 0 {
		return nil, errors.New("group: expand_message_xmd: DST must be 1 to 255 bytes")
	}
	dstPrime := append(append([]byte{}, dst...), byte(len(dst)))
	h := sha512.New()
	// b_0 = H(Z_pad || msg || l_i_b_str || I2OSP(0, 1) || DST_prime)
	h.Write(make([]byte, sInBytes))
	h.Write(msg)
	var l [2]byte
	binary.BigEndian.PutUint16(l[:], uint16(lenInBytes))
	h.Write(l[:])
	h.Write([]byte{0})
	h.Write(dstPrime)
	b0 := h.Sum(nil)
	// b_1 = H(b_0 || I2OSP(1, 1) || DST_prime)
	h.Reset()
	h.Write(b0)
	h.Write([]byte{1})
	h.Write(dstPrime)
	bi := h.Sum(nil)
	out := append([]byte{}, bi...)
	// b_i = H(strxor(b_0, b_(i-1)) || I2OSP(i, 1) || DST_prime)
	for i := 2; i <= ell; i++ {
		x := make([]byte, bInBytes)
		for j := range x {
			x[j] = b0[j] ^ bi[j]
		}
		h.Reset()
		h.Write(x)
		h.Write([]byte{byte(i)})
		h.Write(dstPrime)
		bi = h.Sum(nil)
		out = append(out, bi...)
	}
	return out[:lenInBytes], nil
}

// HashToElement is hash_to_ristretto255 of RFC 9380, Appendix B (suite
// ristretto255_XMD:SHA-512_R255MAP_RO_): expand_message_xmd to 64 bytes,
// then the one-way map of RFC 9496. dst must be 1 to 255 bytes.
func HashToElement(msg, dst []byte) (*Element, error) {
	u, err := ExpandMessageXMD(msg, dst, 64)
	if err != nil {
		return nil, err
	}
	return new(Element).SetUniformBytes(u)
}
