package record

import (
	"bytes"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"testing"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/chain"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/threshold"
	"github.com/stretchr/testify/require"
)

func testSigner(authority int, d [32]byte) ([]byte, error) {
	return append([]byte{byte(authority)}, d[:]...), nil
}

func testVerifier(authority int, d [32]byte, sig []byte) error {
	if want, _ := testSigner(authority, d); !bytes.Equal(sig, want) {
		return errors.New("bad signature")
	}
	return nil
}

// ballotFile encrypts one ballot per value (a row of width w), with voter
// ids v0, v1, … and returns the file and the expected plaintext lines.
func ballotFile(t *testing.T, cfg *ElectionConfig, q int, pub *threshold.DKGPublic, rows [][]int64, seed uint64) ([]byte, []string) {
	pk := pub.PublicKey
	var err error
	ctx := ballot.Context{ElectionID: cfg.ElectionID, Question: q, PK: pk, Width: cfg.Questions[q].Width}
	r := testRand(seed)
	var buf bytes.Buffer
	var want []string
	for i, row := range rows {
		m := make([]*group.Element, len(row))
		for k, v := range row {
			m[k], err = elgamal.EncodeUint64(uint64(v))
			require.NoError(t, err)
		}
		b, err := ballot.Encrypt(r, ctx, m, fmt.Sprintf("v%d", i))
		require.NoError(t, err)
		buf.Write(b.MarshalLine())
		buf.WriteByte('\n')
		want = append(want, joinRow(row))
	}
	return buf.Bytes(), want
}

func joinRow(row []int64) string {
	s := ""
	for k, v := range row {
		if k > 0 {
			s += ","
		}
		s += fmt.Sprint(v)
	}
	return s
}

func TestElectionPipeline(t *testing.T) {
	cfg := &ElectionConfig{ElectionID: "e-pipeline", N: 3, T: 2, Questions: []QuestionConfig{{"q0", 1}, {"q1", 2}}}
	keys, err := SimulateKeys(cfg, testRand(1))
	require.NoError(t, err)
	require.Len(t, keys, 2)
	for _, k := range keys {
		require.Len(t, k.Shares, 3)
		_, _, err := threshold.VerifyDKGTranscript(k.Transcript)
		require.NoError(t, err)
	}
	f0, want0 := ballotFile(t, cfg, 0, keys[0].Public, [][]int64{{1}, {2}, {2}, {3}, {1}}, 10)
	f1, want1 := ballotFile(t, cfg, 1, keys[1].Public, [][]int64{{1, 2}, {3, 4}, {0, 0}}, 11)
	// Garbage, an empty line, a ballot of question 1 in question 0's file
	// (wrong width), a repeated line, and a re-vote of voter v1.
	lines0 := bytes.Split(bytes.TrimSuffix(f0, []byte{'\n'}), []byte{'\n'})
	lines1 := bytes.Split(bytes.TrimSuffix(f1, []byte{'\n'}), []byte{'\n'})
	var file0 bytes.Buffer
	for _, l := range [][]byte{lines0[0], []byte("garbage"), lines0[1], {}, lines1[0], lines0[2], lines0[3], lines0[4], lines0[0]} {
		file0.Write(l)
		file0.WriteByte('\n')
	}
	// The repeated line 1 (voter v0) at line 9 is a copy: it supersedes
	// nothing (doc/verify.md §3.3), and line 1 counts.
	rec, err := Simulate(cfg, keys, [][]byte{file0.Bytes(), f1}, SimulateOptions{Mixers: []int{1, 3}, Decryptors: []int{3, 2}, Sign: testSigner, Verify: testVerifier, Rand: testRand(3)})
	require.NoError(t, err)
	require.Len(t, rec.Questions, 2)
	q0 := rec.Questions[0]
	reasons := map[int]string{}
	for _, e := range q0.Excluded {
		reasons[e.Line] = e.Reason
	}
	require.Len(t, reasons, 4, "%v", q0.Excluded)
	require.Equal(t, ballot.ReasonDuplicate, reasons[9])
	require.Equal(t, ballot.ReasonMalformed, reasons[2])
	require.Equal(t, ballot.ReasonEmpty, reasons[4])
	require.Equal(t, ballot.ReasonWidth, reasons[5])
	require.Len(t, q0.Mixes, 2)
	in, err := elgamal.DecodeList(q0.Input, 1)
	require.NoError(t, err)
	again, err := elgamal.NewList(in.Ciphertexts())
	require.NoError(t, err)
	require.Equal(t, q0.Input, again.Bytes())
	require.Equal(t, 5, in.Len())
	require.Len(t, q0.Shares, 2)
	got := slices.Clone(q0.Plaintexts)
	slices.Sort(got)
	slices.Sort(want0)
	require.Equal(t, want0, got)
	require.Equal(t, []Count{{"1", 2}, {"2", 2}, {"3", 1}}, q0.Counts)

	got1 := slices.Clone(rec.Questions[1].Plaintexts)
	slices.Sort(got1)
	slices.Sort(want1)
	require.Equal(t, want1, got1)
	require.Empty(t, rec.Questions[1].Excluded)

	// Mixes are signed over their digest.
	m := q0.Mixes[1]
	d := chain.Digest(cfg.ElectionID, 0, 2, q0.Mixes[0].Output, m.Output, m.Proof)
	require.Equal(t, append([]byte{3}, d[:]...), m.Signature)

	// Bad options.
	_, err = Simulate(cfg, keys, [][]byte{file0.Bytes(), f1}, SimulateOptions{Mixers: []int{1}, Decryptors: []int{1, 2}, Sign: testSigner, Verify: testVerifier})
	require.Error(t, err)
	_, err = Simulate(cfg, keys, [][]byte{file0.Bytes(), f1}, SimulateOptions{Mixers: []int{1, 1}, Decryptors: []int{1, 2}, Sign: testSigner, Verify: testVerifier})
	require.Error(t, err)
	_, err = Simulate(cfg, keys, [][]byte{[]byte("junk\n"), f1}, SimulateOptions{Mixers: []int{1, 2}, Decryptors: []int{1, 2}, Sign: testSigner, Verify: testVerifier})
	require.Error(t, err, "no valid ballot")
}

func TestPlaintextCountsOrder(t *testing.T) {
	c := PlaintextCounts([]string{"10", "9", InvalidPlaintext, "9", "1,2", "1,10"})
	require.Equal(t, []Count{{InvalidPlaintext, 1}, {"1,2", 1}, {"1,10", 1}, {"9", 2}, {"10", 1}}, c)
}

// PlaintextLines decodes each distinct element once and renders every
// line as decoding each of its elements would: integers, and "invalid"
// for an element that embeds no integer (here 12345·B, and the
// embedding of a message with a leading zero byte), however they repeat.
func TestPlaintextLines(t *testing.T) {
	var vals []*group.Element
	var want []string
	for _, v := range []uint64{0, 1, 2, 300, 1 << 40} {
		e, err := elgamal.EncodeUint64(v)
		require.NoError(t, err)
		vals = append(vals, e)
		want = append(want, fmt.Sprint(v))
	}
	lead, err := elgamal.EncodePlaintext([]byte{0, 7})
	require.NoError(t, err)
	other := new(group.Element).ScalarBaseMult(group.ScalarFromUint64(12345))
	_, err = elgamal.DecodeInt(other)
	require.ErrorIs(t, err, elgamal.ErrInvalidPlaintext)
	vals = append(vals, lead, other)
	want = append(want, InvalidPlaintext, InvalidPlaintext)

	r := mrand.New(mrand.NewPCG(1, 2))
	pt := make([][]*group.Element, 2000)
	lines := make([]string, len(pt))
	for j := range pt {
		a, b := r.IntN(len(vals)), r.IntN(len(vals))
		// A fresh copy of the element: equal values, distinct pointers.
		pt[j] = []*group.Element{new(group.Element).Set(vals[a]), vals[b]}
		lines[j] = want[a] + "," + want[b]
	}
	require.Equal(t, lines, PlaintextLines(pt))
	require.Equal(t, []string{}, PlaintextLines(nil))
	got, kept := plaintextLines(pt, maxKnownPlaintexts)
	require.Equal(t, lines, got)
	require.Equal(t, int64(len(vals)), kept, "each distinct element is kept once")
	// Past its bound the cache is not grown, and the lines are the same.
	for _, maxKnown := range []int64{0, 1, 3} {
		got, kept := plaintextLines(pt, maxKnown)
		require.Equal(t, lines, got, "maxKnown %d", maxKnown)
		require.Equal(t, maxKnown, kept, "maxKnown %d", maxKnown)
	}
}
