package record

import (
	"bytes"
	"fmt"
	mrand "math/rand/v2"
	"testing"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/stretchr/testify/require"
)

func testRand(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return mrand.NewChaCha8(s)
}

type fixture struct {
	cfg   *ElectionConfig
	keys  []*QuestionKeys
	akeys []*Key
	rec   *ElectionRecord
	files Files
}

// newElection runs a small election in process: n authorities, t of them
// mix and decrypt, nb ballots per question plus one garbage line.
func newElection(t testing.TB, n, th, nb int) *fixture {
	cfg := &ElectionConfig{ElectionID: "election-7", N: n, T: th,
		Questions: []QuestionConfig{{SessionID: "q0", Width: 1}, {SessionID: "q1", Width: 2}}}
	keys, err := SimulateKeys(cfg, testRand(1))
	require.NoError(t, err)
	r := testRand(2)
	// The vote file: one line per voter with its ballot of every question
	// (ballot.JoinFile), and a garbage line that every question excludes.
	var votes bytes.Buffer
	for i := 0; i < nb; i++ {
		var lines [][]byte
		for q, qc := range cfg.Questions {
			pk := keys[q].Public.PublicKey
			ctx := ballot.Context{ElectionID: cfg.ElectionID, Question: q, PK: pk, Width: qc.Width}
			m := make([]*group.Element, qc.Width)
			for k := range m {
				m[k], err = elgamal.EncodeUint64(uint64(1 + (i+k)%3))
				require.NoError(t, err)
			}
			b, err := ballot.Encrypt(r, ctx, m, fmt.Sprintf("voter-%d", i))
			require.NoError(t, err)
			lines = append(lines, b.MarshalLine())
		}
		line, err := ballot.JoinFile(lines)
		require.NoError(t, err)
		votes.Write(line)
		votes.WriteByte('\n')
	}
	votes.WriteString("{\"not\":\"a ballot\"}\n")
	akeys := make([]*Key, n)
	for i := range akeys {
		akeys[i], err = GenerateKey(i+1, fmt.Sprintf("prod-a%d", i+1))
		require.NoError(t, err)
	}
	mixers := make([]int, th)
	for i := range mixers {
		mixers[i] = n - i // the last t authorities, in reverse
	}
	dec := make([]int, 0, n)
	for i := 1; i <= n; i++ {
		dec = append(dec, i)
	}
	rec, err := Simulate(cfg, keys, nil, SimulateOptions{Mixers: mixers, Decryptors: dec, Sign: MixSigner(akeys), Verify: MixVerifier(akeys), Votes: votes.Bytes(), Rand: testRand(3)})
	require.NoError(t, err)
	f, err := Build(rec, akeys)
	require.NoError(t, err)
	return &fixture{cfg: cfg, keys: keys, akeys: akeys, rec: rec, files: f}
}

func clone(f Files) Files {
	out := Files{}
	for k, v := range f {
		out[k] = bytes.Clone(v)
	}
	return out
}

func TestValidRecord(t *testing.T) {
	fx := newElection(t, 3, 2, 20)
	rep := Verify(fx.files, Options{})
	require.True(t, rep.Valid(), "%+v", rep.Failures)
	require.Equal(t, ExitValid, rep.ExitCode())
	require.Len(t, rep.Questions, 2)
	require.Equal(t, 20, rep.Questions[0].Accepted)
	require.Equal(t, 21, rep.Questions[0].Ballots)
	total := 0
	for _, c := range rep.Questions[0].Counts {
		total += c.Count
	}
	require.Equal(t, 20, total)
	require.Greater(t, rep.Checks, 30)
	// Through tar.gz and back.
	tgz, _, err := TarGz(fx.files)
	require.NoError(t, err)
	back, err := ReadTarGz(bytes.NewReader(tgz))
	require.NoError(t, err)
	require.True(t, Verify(back, Options{}).Valid())
}

// TestSingleByteSweep: any single-byte change to any file of a valid
// record makes verification fail.
func TestSingleByteSweep(t *testing.T) {
	fx := newElection(t, 2, 2, 4)
	r := mrand.New(testRand(9))
	names := fx.files.Names()
	trials := 0
	for _, name := range names {
		data := fx.files[name]
		positions := []int{}
		if len(data) > 0 {
			positions = append(positions, 0, len(data)-1)
			for k := 0; k < 6; k++ {
				positions = append(positions, r.IntN(len(data)))
			}
		}
		for _, pos := range positions {
			f := clone(fx.files)
			f[name][pos] ^= byte(1 + r.IntN(255))
			rep := Verify(f, Options{})
			require.False(t, rep.Valid(), "changing byte %d of %s went unnoticed", pos, name)
			trials++
		}
		// Truncation and extension too.
		f := clone(fx.files)
		f[name] = append(f[name], 'x')
		require.False(t, Verify(f, Options{}).Valid(), "extending %s went unnoticed", name)
		if len(data) > 0 {
			f := clone(fx.files)
			f[name] = f[name][:len(data)-1]
			require.False(t, Verify(f, Options{}).Valid(), "truncating %s went unnoticed", name)
		}
	}
	t.Logf("%d single-byte changes over %d files, all detected", trials, len(names))
}

func TestAssembleMatchesBuild(t *testing.T) {
	fx := newElection(t, 3, 2, 4)
	rec, keys, f := fx.rec, fx.akeys, fx.files
	auths := make([]Authority, len(keys))
	for i, k := range keys {
		auths[i] = k.Authority
	}
	params, err := ParametersOf(rec, auths)
	require.NoError(t, err)
	require.Equal(t, f[FileParameters], params)
	sigs := make([][]byte, len(keys))
	for i := range keys {
		sigs[i] = f[paramSigFile(i+1)]
		require.NoError(t, auths[i].VerifySignature(ParametersDigest(params), sigs[i]))
		require.Error(t, auths[(i+1)%len(auths)].VerifySignature(ParametersDigest(params), sigs[i]), "another authority's signature")
	}
	g, err := Assemble(rec, params, sigs)
	require.NoError(t, err)
	require.Equal(t, f, g)
	_, err = Assemble(rec, params, sigs[1:])
	require.Error(t, err)
	_, err = ParametersOf(rec, auths[1:])
	require.Error(t, err)
}
