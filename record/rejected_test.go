package record

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/chain"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/shuffle"
	"github.com/eo-mixnet/eo/threshold"
)

// resign changes the parameters of f with edit and has every authority
// that is not absent sign them again, as the authorities would sign what
// they saw.
func resign(t *testing.T, fx *fixture, f Files, edit func(p *Parameters)) {
	t.Helper()
	var p Parameters
	require.NoError(t, json.Unmarshal(f[FileParameters], &p))
	edit(&p)
	b := canonicalJSON(p)
	f[FileParameters] = b
	for i, k := range fx.akeys {
		delete(f, paramSigFile(i+1))
		if slices.Contains(p.Absent, i+1) {
			continue
		}
		sig, err := k.Sign(ParametersDigest(b))
		require.NoError(t, err)
		f[paramSigFile(i+1)] = sig
	}
}

// finalList is the list question q decrypts: the output of its last mix.
func finalList(f Files, q int) []byte {
	j := 0
	for f[mixdir(q, j+1)+fileOutput] != nil {
		j++
	}
	return f[mixdir(q, j)+fileOutput]
}

// signShare is authority i's signature of share as its decryption share of
// question q.
func signShare(t *testing.T, fx *fixture, f Files, q, i int, share []byte) []byte {
	t.Helper()
	sig, err := fx.akeys[i-1].Sign(ShareDigest(fx.cfg.ElectionID, q, i, finalList(f, q), share))
	require.NoError(t, err)
	return sig
}

// addRejectedMix adds to question 0 of fx a mix by authority i for the
// position after the last accepted mix: a real shuffle if valid, else the
// last list unchanged with a proof of another statement; signed by signer.
// The parameters list it, signed again by every authority.
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
	resign(t, fx, f, func(p *Parameters) {
		p.Questions[0].RejectedMixes = append(p.Questions[0].RejectedMixes, MixRef{Position: nmix + 1, Mixer: i})
	})
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
	resign(t, fx, f, func(p *Parameters) { p.Questions[0].RejectedMixes[0].Position = 9 })
	require.Equal(t, []string{"M6"}, checks(Verify(f, Options{})))
	// mix.json of a rejected mix that is not what the parameters list.
	f = clone(fx.files)
	addRejectedMix(t, fx, f, 1, 1, false)
	f[rejectedMixDir(0, 1)+fileMixInfo] = canonicalJSON(MixInfo{Mix: 2, Mixer: 1})
	require.Equal(t, []string{"M6"}, checks(Verify(f, Options{})))

	// Dropped blame: the rejected mix's directory deleted, the signed
	// parameters still list it (threats.md A14).
	f = clone(fx.files)
	addRejectedMix(t, fx, f, 1, 1, false)
	for _, n := range f.Names() {
		if bytes.HasPrefix([]byte(n), []byte("q0/rejected/")) {
			delete(f, n)
		}
	}
	rep = Verify(f, Options{})
	require.Equal(t, []string{"P7"}, checks(rep), "%+v", rep.Failures)
	require.Equal(t, ExitMalformed, rep.ExitCode())
	require.Empty(t, rep.Blame)
	// A rejected mix the parameters do not list: the authorities never
	// signed that blame.
	f = clone(fx.files)
	addRejectedMix(t, fx, f, 1, 1, false)
	resign(t, fx, f, func(p *Parameters) { p.Questions[0].RejectedMixes = []MixRef{} })
	rep = Verify(f, Options{})
	require.Equal(t, []string{"P7"}, checks(rep))
	require.Equal(t, ExitInvalid, rep.ExitCode())
	require.Empty(t, rep.Blame)
}

func TestRejectedShare(t *testing.T) {
	fx := newElection(t, 3, 2, 6)
	// Authority 3's share, corrupted, signed by 3 and recorded as
	// rejected: the other two decrypt, 3 is blamed.
	share := fx.files[shareFile(0, 3)]
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
	// reject moves authority i's share of question 0 to rejected/ with the
	// given content and signature (none if nil), and the parameters with
	// it.
	reject := func(i int, content, sig []byte) Files {
		f := clone(fx.files)
		delete(f, shareFile(0, i))
		delete(f, shareSigFile(0, i))
		f[rejectedShareFile(0, i)] = content
		if sig != nil {
			f[rejectedShareSigFile(0, i)] = sig
		}
		resign(t, fx, f, func(p *Parameters) {
			q := &p.Questions[0]
			q.Shares = slices.DeleteFunc(q.Shares, func(x int) bool { return x == i })
			q.RejectedShares = append(q.RejectedShares, i)
		})
		return f
	}
	f := reject(3, bad, signShare(t, fx, fx.files, 0, 3, bad))
	rep := Verify(f, Options{})
	require.True(t, rep.Valid(), "%+v", rep.Failures)
	require.Equal(t, []int{3}, rep.Questions[0].Blamed)
	require.Equal(t, []int{1, 2}, rep.Questions[0].Shares)
	require.Len(t, rep.Blame, 1)
	require.Equal(t, "decryption", rep.Blame[0].Phase)

	// A valid share recorded as rejected; a share both accepted and
	// rejected: false blame.
	f = reject(3, share, fx.files[shareSigFile(0, 3)])
	require.Equal(t, []string{"D3"}, checks(Verify(f, Options{})))
	f = clone(fx.files)
	f[rejectedShareFile(0, 3)] = bad
	f[rejectedShareSigFile(0, 3)] = signShare(t, fx, f, 0, 3, bad)
	resign(t, fx, f, func(p *Parameters) { p.Questions[0].RejectedShares = []int{3} })
	require.Equal(t, []string{"D3"}, checks(Verify(f, Options{})))
	// Garbage signed by authority 2 as its share blames it.
	garbage := []byte("garbage")
	f = reject(2, garbage, signShare(t, fx, fx.files, 0, 2, garbage))
	rep = Verify(f, Options{})
	require.True(t, rep.Valid(), "%+v", rep.Failures)
	require.Equal(t, []int{2}, rep.Questions[0].Blamed)

	// Forged blame (threats.md A14): garbage for authority 2 that 2 did
	// not sign — unsigned, or signed by another key or for another
	// statement — proves nothing.
	byOther, err := fx.akeys[0].Sign(ShareDigest(fx.cfg.ElectionID, 0, 2, finalList(fx.files, 0), garbage))
	require.NoError(t, err)
	for name, sig := range map[string][]byte{
		"unsigned":          nil,
		"another's key":     byOther,
		"another question":  signShare(t, fx, fx.files, 1, 2, garbage),
		"another share":     signShare(t, fx, fx.files, 0, 2, share),
		"empty signature":   {},
		"signature garbage": []byte("sig"),
	} {
		t.Run(name, func(t *testing.T) {
			rep := Verify(reject(2, garbage, sig), Options{})
			require.Equal(t, []string{"D3"}, checks(rep), "%+v", rep.Failures)
			require.Equal(t, ExitInvalid, rep.ExitCode())
			require.Empty(t, rep.Blame)
			require.Empty(t, rep.Questions[0].Blamed)
		})
	}
	// The same garbage added without the authorities' signed parameters
	// listing it: a claim nobody signed.
	f = clone(fx.files)
	delete(f, shareFile(0, 2))
	delete(f, shareSigFile(0, 2))
	f[rejectedShareFile(0, 2)] = garbage
	rep = Verify(f, Options{})
	require.Equal(t, []string{"P7", "P7"}, checks(rep), "%+v", rep.Failures)
	require.Empty(t, rep.Blame)
}
