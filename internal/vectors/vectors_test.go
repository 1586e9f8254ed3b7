package vectors

import (
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/record"
	"github.com/eo-mixnet/eo/threshold"
	"github.com/stretchr/testify/require"
)

var dir = filepath.Join("..", "..", Dir)

func load(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err, "run go run ./internal/vectors/mkvectors")
	require.NoError(t, json.Unmarshal(b, v))
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := unhex(s)
	require.NoError(t, err)
	return b
}

// TestVectorsUpToDate: the checked-in vectors are exactly what the
// generator makes from its fixed seeds, and nothing else is there.
func TestVectorsUpToDate(t *testing.T) {
	files, err := Generate()
	require.NoError(t, err)
	var want []string
	for name, b := range files {
		want = append(want, name)
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, "run go run ./internal/vectors/mkvectors")
		require.Equal(t, string(b), string(got), "%s is stale: run go run ./internal/vectors/mkvectors", name)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(want)
	require.Equal(t, want, names)
}

func publicKey(t *testing.T, s string) *elgamal.PublicKey {
	pk, err := elgamal.DecodePublicKey(mustHex(t, s))
	require.NoError(t, err)
	return pk
}

// The ballot vectors, read from the files, against package ballot and
// against this package's transcript.
func TestBallotVectors(t *testing.T) {
	var f BallotProofFile
	load(t, "ballot-proof.json", &f)
	ctx := ballot.Context{ElectionID: f.Election, Question: f.Question, PK: publicKey(t, f.PublicKey), Width: f.Width}
	require.NotEmpty(t, f.Cases)
	for _, c := range f.Cases {
		b, err := ballot.ParseLine([]byte(c.Line))
		if c.Expect == ExpectMalformed {
			require.Error(t, err, c.Name)
			continue
		}
		require.NoError(t, err, c.Name)
		// The transcript from the file's values equals the one given, and
		// its challenge.
		require.Equal(t, c.Choices, ballotTranscripts(ctx, b), c.Name)
		require.NoError(t, CheckBallotVerdict(ctx, b, c.Expect, c.Choice), c.Name)
	}

	var r BallotRuleFile
	load(t, "ballot-rule.json", &r)
	rctx := ballot.Context{ElectionID: r.Election, Question: r.Question, PK: publicKey(t, r.PublicKey), Width: r.Width}
	for _, c := range r.Cases {
		require.NoError(t, CheckRule(rctx, c))
	}

	var s VoteSplitFile
	load(t, "vote-split.json", &s)
	for _, c := range s.Cases {
		parts, err := ballot.SplitFile([]byte(c.Votes), s.Widths)
		require.NoError(t, err)
		for q := range parts {
			require.Equal(t, c.Parts[q], string(parts[q]), c.Name)
			require.Equal(t, c.Parts[q], string(splitSpec([]byte(c.Votes), s.Widths)[q]), c.Name)
		}
	}
}

func TestShuffleVectors(t *testing.T) {
	var f ShuffleFile
	load(t, "shuffle-proof.json", &f)
	proof := mustHex(t, f.Proof)
	require.NoError(t, CheckShuffleVerdict(f.Statement, proof, "valid", nil))
	d, fields, bad := spec(f.Statement, proof)
	require.NoError(t, bad)
	require.Equal(t, f.Derived, d)
	require.Equal(t, f.Fields, *fields)
	hs, _, _ := generators(f.Statement.Election, f.Statement.Session, f.Statement.N)
	for i, g := range f.Generators {
		require.Equal(t, g.H, el(hs[i]))
	}
	require.NotEmpty(t, f.Negative)
	for _, c := range f.Negative {
		st, p, err := c.Mutation.Apply(f.Statement, proof)
		require.NoError(t, err)
		require.NoError(t, CheckShuffleVerdict(st, p, c.Expect, c.Failing), c.Name)
	}
}

func TestDecryptionVectors(t *testing.T) {
	var f DecryptionFile
	load(t, "decryption.json", &f)
	tr, err := threshold.DecodeDKGTranscript(mustHex(t, f.DKGTranscript))
	require.NoError(t, err)
	pub, _, err := threshold.VerifyDKGTranscript(tr)
	require.NoError(t, err)
	require.Equal(t, f.PublicKey, hx(pub.PublicKey.Bytes()))
	require.Equal(t, f.DKGHash, hx(pub.TranscriptHash[:]))
	list, err := elgamal.DecodeList(mustHex(t, f.List), f.Width)
	require.NoError(t, err)
	var msgs []*threshold.DecryptionShareMessage
	for _, s := range f.Shares {
		b := mustHex(t, s.Message)
		require.NoError(t, CheckShareVerdict(pub, list, s.Authority, b, true))
		m, err := threshold.DecodeMessage(b)
		require.NoError(t, err)
		ds := m.(*threshold.DecryptionShareMessage)
		v := shareSpec(pub, list, ds.Sender, ds.Factors, ds.Proof.Commitment1, ds.Proof.Commitment2, ds.Proof.Challenge, ds.Proof.Response)
		v.Message = s.Message
		require.Equal(t, s, v)
		msgs = append(msgs, ds)
	}
	for _, c := range f.Negative {
		require.NoError(t, CheckShareVerdict(pub, list, c.Authority, mustHex(t, c.Message), false), c.Name)
		require.Equal(t, c.Fails, shareFails(pub, list, c.Authority, mustHex(t, c.Message)), c.Name)
	}
	// The key generation with faults: its replay gives the file's QUAL, Y,
	// VK_i and faults.
	g := f.DKGFaults
	require.NotNil(t, g)
	gtr, err := threshold.DecodeDKGTranscript(mustHex(t, g.Transcript))
	require.NoError(t, err)
	gpub, faults, err := threshold.VerifyDKGTranscript(gtr)
	require.NoError(t, err)
	require.Equal(t, g.Hash, hx(gpub.TranscriptHash[:]))
	require.Equal(t, g.Qualified, gpub.Qualified)
	require.Equal(t, g.PublicKey, hx(gpub.PublicKey.Bytes()))
	for i, vk := range g.VerificationKeys {
		require.Equal(t, vk, el(gpub.VerificationKey(i+1)))
	}
	require.Len(t, faults, len(g.Faults))
	for i, fl := range faults {
		require.Equal(t, g.Faults[i], DKGFault{Party: fl.Party, Kind: fl.Kind.String(), Phase: int(fl.Phase), Detail: fl.Detail})
	}
	for _, c := range f.Combinations {
		var sub []*threshold.DecryptionShareMessage
		for _, i := range c.Set {
			sub = append(sub, msgs[i-1])
		}
		dec, err := threshold.ThresholdDecrypt(pub, list, sub)
		require.NoError(t, err)
		var got []string
		for _, row := range dec.Plaintexts {
			for _, m := range row {
				got = append(got, el(m))
			}
		}
		require.Equal(t, c.Plaintexts, got)
		require.Equal(t, f.Plaintexts, record.PlaintextLines(dec.Plaintexts))
	}
}

func TestEmbeddingVectors(t *testing.T) {
	var f EmbeddingFile
	load(t, "embedding.json", &f)
	for _, c := range f.Integers {
		v, ok := new(big.Int).SetString(c.Integer, 10)
		require.True(t, ok)
		e, err := elgamal.EncodeInt(v)
		require.NoError(t, err)
		require.Equal(t, c.Element, hx(e.Bytes()))
		require.Len(t, c.Tried, c.Counter)
	}
	for _, c := range f.Invalid {
		e, err := group.DecodeElement(mustHex(t, c.Element))
		require.NoError(t, err)
		_, err = elgamal.DecodeInt(e)
		require.Error(t, err, c.Reason)
	}
}

func TestSignatureVectors(t *testing.T) {
	var f SignaturesFile
	load(t, "signatures.json", &f)
	for _, d := range f.Digests {
		h := sha256Sum(mustHex(t, d.Hashed))
		require.Equal(t, d.Digest, hx(h[:]), d.Name)
	}
	for _, c := range f.Cases {
		a := record.Authority{Index: 1, Name: "authority.example", Certificate: f.Keys[c.Key].Certificate}
		err := a.VerifySignature([32]byte(mustHex(t, c.Digest)), mustHex(t, c.Signature))
		require.Equal(t, c.Accept, err == nil, "%s: %v", c.Name, err)
	}
}
