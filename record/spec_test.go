package record

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRecordSpec recomputes, from doc/record.md alone, the hashed and
// signed bytes of the valid corpus record and checks them with the
// standard library.
func TestRecordSpec(t *testing.T) {
	f, err := ReadDir(filepath.Join(corpusDir, "valid"))
	require.NoError(t, err)
	var p struct {
		ElectionID  string `json:"election_id"`
		Authorities []struct {
			Certificate string `json:"certificate"`
		} `json:"authorities"`
		Questions []struct {
			Width     int    `json:"width"`
			VotesHash string `json:"votes_hash"`
		} `json:"questions"`
	}
	require.NoError(t, json.Unmarshal(f["parameters.json"], &p))
	keys := make([]*ecdsa.PublicKey, len(p.Authorities))
	for i, a := range p.Authorities {
		b, _ := pem.Decode([]byte(a.Certificate))
		cert, err := x509.ParseCertificate(b.Bytes)
		require.NoError(t, err)
		keys[i] = cert.PublicKey.(*ecdsa.PublicKey)
	}
	// §3.2: ECDSA-with-SHA-256 of "eo/record/v1 parameters" ‖ parameters.json.
	msg := append([]byte("eo/record/v1 parameters"), f["parameters.json"]...)
	h := sha256.Sum256(msg)
	for i, k := range keys {
		require.True(t, ecdsa.VerifyASN1(k, h[:], f[fmt.Sprintf("signatures/parameters-%d.sig", i+1)]))
	}
	for k, q := range p.Questions {
		// §3.1: votes_hash.
		s := sha256.Sum256(f[fmt.Sprintf("q%d/ballots.jsonl", k)])
		require.Equal(t, "ni:///sha-256;"+base64.RawURLEncoding.EncodeToString(s[:]), q.VotesHash)
		in := f[fmt.Sprintf("q%d/input.bin", k)]
		n := len(in) / (64 * q.Width)
		require.Equal(t, n*64*q.Width, len(in))
		for j := 1; ; j++ {
			d := fmt.Sprintf("q%d/mix-%d/", k, j)
			if f[d+"mix.json"] == nil {
				break
			}
			var info struct{ Mix, Mixer int }
			require.NoError(t, json.Unmarshal(f[d+"mix.json"], &info))
			out, proof := f[d+"output.bin"], f[d+"proof.bin"]
			// §3.7: proof length and header.
			require.Len(t, proof, 9+32*(5*n+3*q.Width+6))
			require.Equal(t, byte(1), proof[0])
			require.Equal(t, uint32(n), binary.BigEndian.Uint32(proof[1:]))
			require.Equal(t, uint32(q.Width), binary.BigEndian.Uint32(proof[5:]))
			// §3.7: MixDigest.
			m := []byte("eo/record/v1 mix")
			m = binary.BigEndian.AppendUint32(m, uint32(len(p.ElectionID)))
			m = append(m, p.ElectionID...)
			m = binary.BigEndian.AppendUint64(m, uint64(k))
			m = binary.BigEndian.AppendUint64(m, uint64(j))
			for _, b := range [][]byte{in, out, proof} {
				s := sha256.Sum256(b)
				m = append(m, s[:]...)
			}
			digest := sha256.Sum256(m)
			require.True(t, ecdsa.VerifyASN1(keys[info.Mixer-1], digest[:], f[d+"signature.bin"]), d)
			in = out
		}
	}
	// §1.1: the escapes of canonical JSON.
	require.Equal(t, `"\b\f\n\r\t\u0001<>&\u2028é"`+"\n", string(canonicalJSON("\b\f\n\r\t\x01<>&\u2028é")))
	// §2.1: the gzip header: no flags, MTIME 0, OS 255.
	tgz, _, err := TarGz(f)
	require.NoError(t, err)
	require.Equal(t, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}, tgz[:8])
	require.Equal(t, byte(255), tgz[9])
}
