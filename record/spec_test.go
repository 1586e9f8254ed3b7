package record

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRecordSpec recomputes, from doc/record.md alone, the hashed and
// signed bytes of the valid corpus records and checks them with the
// standard library.
func TestRecordSpec(t *testing.T) {
	for _, name := range []string{"valid", "valid-blame", "keygen-complaint-refuted"} {
		t.Run(name, func(t *testing.T) { checkSpec(t, name) })
	}
}

func checkSpec(t *testing.T, name string) {
	f, err := ReadDir(filepath.Join(corpusDir, name))
	require.NoError(t, err)
	type mixRef struct{ Position, Mixer int }
	var p struct {
		Version     int    `json:"version"`
		ElectionID  string `json:"election_id"`
		VotesHash   string `json:"votes_hash"`
		Authorities []struct {
			Certificate string `json:"certificate"`
		} `json:"authorities"`
		Absent    []int `json:"absent"`
		Questions []struct {
			Width          int      `json:"width"`
			VotesHash      string   `json:"votes_hash"`
			DKGHash        string   `json:"dkg_hash"`
			Mixes          []mixRef `json:"mixes"`
			RejectedMixes  []mixRef `json:"rejected_mixes"`
			Shares         []int    `json:"shares"`
			RejectedShares []int    `json:"rejected_shares"`
		} `json:"questions"`
	}
	require.NoError(t, json.Unmarshal(f["parameters.json"], &p))
	require.Equal(t, 2, p.Version)
	require.NotNil(t, p.Absent)
	keys := make([]*ecdsa.PublicKey, len(p.Authorities))
	for i, a := range p.Authorities {
		b, _ := pem.Decode([]byte(a.Certificate))
		cert, err := x509.ParseCertificate(b.Bytes)
		require.NoError(t, err)
		keys[i] = cert.PublicKey.(*ecdsa.PublicKey)
	}
	// Signatures: strict DER with low s, verified by the standard library.
	verify := func(i int, digest [32]byte, sig []byte) {
		t.Helper()
		var rs struct{ R, S *big.Int }
		rest, err := asn1.Unmarshal(sig, &rs)
		require.NoError(t, err)
		require.Empty(t, rest)
		again, err := asn1.Marshal(rs)
		require.NoError(t, err)
		require.Equal(t, sig, again, "strict DER")
		require.LessOrEqual(t, rs.S.Cmp(new(big.Int).Rsh(elliptic.P256().Params().N, 1)), 0, "low s")
		require.True(t, ecdsa.VerifyASN1(keys[i-1], digest[:], sig))
	}
	// §3.2: ECDSA-with-SHA-256 of "eo/record/v2 parameters" ‖ parameters.json,
	// by every authority that is not absent.
	h := sha256.Sum256(append([]byte("eo/record/v2 parameters"), f["parameters.json"]...))
	for i := range keys {
		sig, ok := f[fmt.Sprintf("signatures/parameters-%d.sig", i+1)]
		require.Equal(t, !slices.Contains(p.Absent, i+1), ok)
		if ok {
			verify(i+1, h, sig)
		}
	}
	// §3.1: the top-level votes_hash; with Q > 1, votes.jsonl.
	ni := func(b []byte) string {
		s := sha256.Sum256(b)
		return "ni:///sha-256;" + base64.RawURLEncoding.EncodeToString(s[:])
	}
	if len(p.Questions) == 1 {
		require.Equal(t, p.Questions[0].VotesHash, p.VotesHash)
		require.NotContains(t, f, "votes.jsonl")
	} else {
		require.Equal(t, ni(f["votes.jsonl"]), p.VotesHash)
	}
	for k, q := range p.Questions {
		// §3.1: votes_hash and dkg_hash.
		require.Equal(t, ni(f[fmt.Sprintf("q%d/ballots.jsonl", k)]), q.VotesHash)
		dh := sha256.Sum256(f[fmt.Sprintf("q%d/dkg.bin", k)])
		require.Equal(t, hex.EncodeToString(dh[:]), q.DKGHash)
		in := f[fmt.Sprintf("q%d/input.bin", k)]
		n := len(in) / (64 * q.Width)
		require.Equal(t, n*64*q.Width, len(in))
		// §3.7: MixDigest.
		mixDigest := func(j int, in, out, proof []byte) [32]byte {
			m := []byte("eo/record/v1 mix")
			m = binary.BigEndian.AppendUint32(m, uint32(len(p.ElectionID)))
			m = append(m, p.ElectionID...)
			m = binary.BigEndian.AppendUint64(m, uint64(k))
			m = binary.BigEndian.AppendUint64(m, uint64(j))
			for _, b := range [][]byte{in, out, proof} {
				s := sha256.Sum256(b)
				m = append(m, s[:]...)
			}
			return sha256.Sum256(m)
		}
		for j := 1; ; j++ {
			d := fmt.Sprintf("q%d/mix-%d/", k, j)
			if f[d+"mix.json"] == nil {
				require.Len(t, q.Mixes, j-1)
				break
			}
			var info struct{ Mix, Mixer int }
			require.NoError(t, json.Unmarshal(f[d+"mix.json"], &info))
			require.Equal(t, mixRef{j, info.Mixer}, q.Mixes[j-1])
			out, proof := f[d+"output.bin"], f[d+"proof.bin"]
			// §3.7: proof length and header.
			require.Len(t, proof, 9+32*(5*n+3*q.Width+6))
			require.Equal(t, byte(1), proof[0])
			require.Equal(t, uint32(n), binary.BigEndian.Uint32(proof[1:]))
			require.Equal(t, uint32(q.Width), binary.BigEndian.Uint32(proof[5:]))
			// A rejected mix of this position took the same input.
			for _, r := range q.RejectedMixes {
				if r.Position == j {
					rd := fmt.Sprintf("q%d/rejected/mix-%d/", k, r.Mixer)
					verify(r.Mixer, mixDigest(j, in, f[rd+"output.bin"], f[rd+"proof.bin"]), f[rd+"signature.bin"])
				}
			}
			verify(info.Mixer, mixDigest(j, in, out, proof), f[d+"signature.bin"])
			in = out
		}
		// §3.8: ShareDigest over the last list, for accepted and rejected
		// shares.
		shareDigest := func(i int, share []byte) [32]byte {
			m := []byte("eo/record/v2 share")
			m = binary.BigEndian.AppendUint32(m, uint32(len(p.ElectionID)))
			m = append(m, p.ElectionID...)
			m = binary.BigEndian.AppendUint64(m, uint64(k))
			m = binary.BigEndian.AppendUint64(m, uint64(i))
			for _, b := range [][]byte{in, share} {
				s := sha256.Sum256(b)
				m = append(m, s[:]...)
			}
			return sha256.Sum256(m)
		}
		for _, i := range q.Shares {
			name := fmt.Sprintf("q%d/decryption/share-%d", k, i)
			verify(i, shareDigest(i, f[name+".bin"]), f[name+".sig"])
		}
		for _, i := range q.RejectedShares {
			name := fmt.Sprintf("q%d/rejected/share-%d", k, i)
			verify(i, shareDigest(i, f[name+".bin"]), f[name+".sig"])
		}
		require.Equal(t, ShareDigest(p.ElectionID, k, 1, in, []byte("x")), shareDigest(1, []byte("x")))
	}
	// §1.1: the escapes of canonical JSON.
	require.Equal(t, `"\b\f\n\r\t\u0001<>&\u2028é"`+"\n", string(canonicalJSON("\b\f\n\r\t\x01<>&\u2028é")))
	// §2.1: the gzip header: no flags, MTIME 0, OS 255.
	tgz, _, err := TarGz(f)
	require.NoError(t, err)
	require.Equal(t, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}, tgz[:8])
	require.Equal(t, byte(255), tgz[9])
}
