package record

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/chain"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/shuffle"
	"github.com/eo-mixnet/eo/threshold"
)

// addRejectedMix adds to question 0 of fx a mix by authority i for the
// position after the last accepted mix: a real shuffle if valid, else the
// last list unchanged with a proof of another statement; signed by signer.
func addRejectedMix(t *testing.T, fx *fixture, f Files, i, signer int, valid bool) {
	t.Helper()
	nmix := 0
	for f[mixdir(0, nmix+1)+fileOutput] != nil {
		nmix++
	}
	in := f[mixdir(0, nmix)+fileOutput]
	pk := fx.keys[0].Public.PublicKey
	list, err := elgamal.DecodeList(in, 1)
	require.NoError(t, err)
	out, proof := in, f[mixdir(0, 1)+fileProof]
	if valid {
		ctx := &shuffle.Context{ElectionID: fx.cfg.ElectionID, SessionID: "q0", Position: nmix + 1, PublicKey: pk, Width: 1}
		gens, err := shuffle.NewGenerators(fx.cfg.ElectionID, "q0", list.Len())
		require.NoError(t, err)
		l, p, err := shuffle.ShuffleAndProve(nil, ctx, gens, list)
		require.NoError(t, err)
		out, proof = l.Bytes(), p.Bytes()
	}
	sig, err := fx.akeys[signer-1].Sign(chain.Digest(fx.cfg.ElectionID, 0, nmix+1, in, out, proof))
	require.NoError(t, err)
	md := rejectedMixDir(0, i)
	f[md+fileMixInfo] = canonicalJSON(MixInfo{Mix: nmix + 1, Mixer: i})
	f[md+fileOutput], f[md+fileProof], f[md+fileSignature] = out, proof, sig
}

func TestRejectedMix(t *testing.T) {
	// Four authorities, t = 2: authorities 4 and 3 mixed; authority 1's
	// mix for position 3 was rejected.
	fx := newElection(t, 4, 2, 6)
	f := clone(fx.files)
	addRejectedMix(t, fx, f, 1, 1, false)
	rep := Verify(f, Options{})
	require.True(t, rep.Valid(), "%+v", rep.Failures)
	require.Len(t, rep.Blame, 1)
	require.Equal(t, Blame{Question: 0, Authority: 1, Name: "prod-a1", Phase: "mix", Reason: rep.Blame[0].Reason}, rep.Blame[0])

	// A valid mix recorded as rejected, a rejected mix signed by someone
	// else, a rejected mix by an authority whose mix was accepted: false
	// blame, the record is invalid.
	for _, tc := range []struct {
		name      string
		i, signer int
		valid     bool
	}{{"valid", 1, 1, true}, {"not its signature", 1, 2, false}, {"accepted mixer", 4, 4, false}} {
		t.Run(tc.name, func(t *testing.T) {
			f := clone(fx.files)
			addRejectedMix(t, fx, f, tc.i, tc.signer, tc.valid)
			rep := Verify(f, Options{})
			require.False(t, rep.Valid())
			require.Equal(t, []string{"M6"}, checks(rep))
			require.Empty(t, rep.Blame)
		})
	}
	// A rejected mix for a position past the chain's end + 1.
	f = clone(fx.files)
	addRejectedMix(t, fx, f, 1, 1, false)
	f[rejectedMixDir(0, 1)+fileMixInfo] = canonicalJSON(MixInfo{Mix: 9, Mixer: 1})
	require.Equal(t, []string{"M6"}, checks(Verify(f, Options{})))
}

func TestRejectedShare(t *testing.T) {
	fx := newElection(t, 3, 2, 6)
	// Authority 3's share, corrupted and recorded as rejected: the other
	// two decrypt, 3 is blamed.
	f := clone(fx.files)
	share := f[shareFile(0, 3)]
	delete(f, shareFile(0, 3))
	m, err := threshold.DecodeMessage(share)
	require.NoError(t, err)
	// Swap its first two factors (the message keeps the bytes it was
	// decoded from, so change those).
	fb := m.(*threshold.DecryptionShareMessage).FactorBytes()
	k := bytes.Index(share, fb)
	require.Positive(t, k)
	bad := bytes.Clone(share)
	copy(bad[k:k+32], fb[32:64])
	copy(bad[k+32:k+64], fb[:32])
	f[rejectedShareFile(0, 3)] = bad
	rep := Verify(f, Options{})
	require.True(t, rep.Valid(), "%+v", rep.Failures)
	require.Equal(t, []int{3}, rep.Questions[0].Blamed)
	require.Equal(t, []int{1, 2}, rep.Questions[0].Shares)
	require.Len(t, rep.Blame, 1)
	require.Equal(t, "decryption", rep.Blame[0].Phase)

	// A valid share recorded as rejected; a share both accepted and
	// rejected: false blame.
	f = clone(fx.files)
	f[rejectedShareFile(0, 3)] = f[shareFile(0, 3)]
	delete(f, shareFile(0, 3))
	require.Equal(t, []string{"D3"}, checks(Verify(f, Options{})))
	f = clone(fx.files)
	f[rejectedShareFile(0, 3)] = bad
	require.Equal(t, []string{"D3"}, checks(Verify(f, Options{})))
	// Garbage recorded as a rejected share blames its authority.
	f = clone(fx.files)
	delete(f, shareFile(0, 2))
	f[rejectedShareFile(0, 2)] = []byte("garbage")
	rep = Verify(f, Options{})
	require.True(t, rep.Valid(), "%+v", rep.Failures)
	require.Equal(t, []int{2}, rep.Questions[0].Blamed)
}
