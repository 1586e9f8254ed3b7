package record

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExpectations: what the verifier knows from the owner (votes hash,
// threshold, authorities) makes the record invalid when it differs (E1–E3,
// threats.md A13).
func TestExpectations(t *testing.T) {
	fx := newElection(t, 3, 2, 3)
	rep := Verify(fx.files, Options{})
	require.True(t, rep.Valid())
	require.Equal(t, 2, rep.Threshold)
	require.Equal(t, []int{}, rep.Absent)
	require.Equal(t, VotesHash(fx.rec.Votes), rep.VotesHash)
	var want []ExpectedAuthority
	for i, k := range fx.akeys {
		fp, err := k.Authority.Fingerprint()
		require.NoError(t, err)
		require.Equal(t, AuthorityInfo{Index: i + 1, Name: k.Authority.Name, Fingerprint: fp}, rep.Authorities[i])
		want = append(want, ExpectedAuthority{Name: k.Authority.Name, Fingerprint: fp})
	}
	slices.Reverse(want) // in any order
	good := Options{VotesHash: rep.VotesHash, Threshold: 2, Authorities: want}
	rep = Verify(fx.files, good)
	require.True(t, rep.Valid(), "%+v", rep.Failures)

	other, err := GenerateKey(3, fx.akeys[2].Authority.Name)
	require.NoError(t, err)
	otherFP, err := other.Authority.Fingerprint()
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		edit   func(o *Options)
		checks []string
	}{
		{"votes hash", func(o *Options) { o.VotesHash = VotesHash([]byte("other votes")) }, []string{"E1"}},
		{"threshold", func(o *Options) { o.Threshold = 3 }, []string{"E2"}},
		{"an authority less", func(o *Options) { o.Authorities = o.Authorities[1:] }, []string{"E3"}},
		{"an authority more", func(o *Options) {
			o.Authorities = append(o.Authorities, ExpectedAuthority{Name: "a4", Fingerprint: otherFP})
		}, []string{"E3"}},
		{"another certificate", func(o *Options) {
			o.Authorities = slices.Clone(o.Authorities)
			o.Authorities[0].Fingerprint = otherFP // want[0] is authority 3
		}, []string{"E3"}},
		{"all three", func(o *Options) { o.VotesHash, o.Threshold, o.Authorities = "x", 1, o.Authorities[:1] }, []string{"E1", "E2", "E3", "E3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.edit(&o)
			rep := Verify(fx.files, o)
			require.Equal(t, tc.checks, checks(rep), "%+v", rep.Failures)
			require.Equal(t, ExitInvalid, rep.ExitCode())
		})
	}
}

func TestParseAuthorities(t *testing.T) {
	fp := "sha256:" + strings.Repeat("ab", 32)
	_, err := ParseAuthorities(strings.NewReader("# the owner's authorities\n\na1.example " + fp + "\n\ta2.example\tSHA256:" + strings.Repeat("CD", 32) + "  \n"))
	require.Error(t, err, "the prefix is lower case")
	got, err := ParseAuthorities(strings.NewReader("# the owner's authorities\n\na1.example " + fp + "\n\ta2.example\tsha256:" + strings.Repeat("CD", 32) + "  \n"))
	require.NoError(t, err)
	require.Equal(t, []ExpectedAuthority{{"a1.example", fp}, {"a2.example", "sha256:" + strings.Repeat("cd", 32)}}, got)
	for _, bad := range []string{
		"",
		"# nothing\n",
		"a1.example\n",
		"a1.example " + fp + " extra\n",
		"a1.example sha256:abcd\n",
		"a1.example " + strings.Repeat("ab", 32) + "\n",
		"a1.example sha256:" + strings.Repeat("zz", 32) + "\n",
		"a1.example " + fp + "\na1.example sha256:" + strings.Repeat("cd", 32) + "\n",
		"a1.example " + fp + "\na2.example " + fp + "\n",
	} {
		_, err := ParseAuthorities(strings.NewReader(bad))
		require.Error(t, err, "%q", bad)
	}
}

// TestAbsent: an absent authority signs nothing and takes no part; at
// least t of the others sign (P6).
func TestAbsent(t *testing.T) {
	fx := newElection(t, 4, 2, 3) // authorities 4 and 3 mixed
	rec := *fx.rec
	rec.Absent = []int{4}
	_, err := Build(&rec, fx.akeys)
	require.ErrorContains(t, err, "absent but took part")

	// Mixed by 1 and 2, decrypted by 1 and 3; 4 absent.
	rec2, err := Simulate(fx.cfg, fx.keys, nil, SimulateOptions{Mixers: []int{1, 2}, Decryptors: []int{1, 3},
		Sign: MixSigner(fx.akeys), Verify: MixVerifier(fx.akeys), Votes: fx.rec.Votes})
	require.NoError(t, err)
	rec2.Absent = []int{4}
	f, err := Build(rec2, fx.akeys)
	require.NoError(t, err)
	require.NotContains(t, f, paramSigFile(4))
	rep := Verify(f, Options{})
	require.True(t, rep.Valid(), "%+v", rep.Failures)
	require.Equal(t, []int{4}, rep.Absent)

	// The absent authority's signature is in the record.
	g := clone(f)
	sig, err := fx.akeys[3].Sign(ParametersDigest(g[FileParameters]))
	require.NoError(t, err)
	g[paramSigFile(4)] = sig
	require.Equal(t, []string{"P6"}, checks(Verify(g, Options{})))
	// An authority that took part did not sign (it stopped before the
	// end): valid while t sign.
	g = clone(f)
	delete(g, paramSigFile(2))
	rep = Verify(g, Options{})
	require.True(t, rep.Valid(), "%+v", rep.Failures)
	require.Equal(t, []int{1, 3}, rep.Signers)
	// Fewer than t sign: invalid.
	delete(g, paramSigFile(3))
	rep = Verify(g, Options{})
	require.Equal(t, []string{"P6"}, checks(rep))
	require.Equal(t, ExitInvalid, rep.ExitCode())
	// An absent authority named as a decryptor.
	g = clone(f)
	resign(t, fx, g, func(p *Parameters) { p.Absent = []int{3, 4} })
	require.Equal(t, []string{"P6", "P6"}, checks(Verify(g, Options{})), "q0 and q1 name 3")
	// Fewer than t take part.
	g = clone(f)
	resign(t, fx, g, func(p *Parameters) { p.Absent = []int{2, 3, 4} })
	require.Contains(t, checks(Verify(g, Options{})), "P6")
	// Absent not sorted, repeated or out of range: malformed parameters.
	for _, a := range [][]int{{4, 3}, {4, 4}, {0}, {5}} {
		g = clone(f)
		resign(t, fx, g, func(p *Parameters) { p.Absent = a })
		rep := Verify(g, Options{})
		require.Equal(t, []string{"P4"}, checks(rep), "%v", a)
		require.Equal(t, ExitMalformed, rep.ExitCode())
	}
	// Assemble wants signatures from at least t authorities, none absent.
	params, err := ParametersOf(rec2, []Authority{fx.akeys[0].Authority, fx.akeys[1].Authority, fx.akeys[2].Authority, fx.akeys[3].Authority})
	require.NoError(t, err)
	sigs := [][]byte{f[paramSigFile(1)], f[paramSigFile(2)], f[paramSigFile(3)], nil}
	h, err := Assemble(rec2, params, sigs)
	require.NoError(t, err)
	require.Equal(t, f, h)
	_, err = Assemble(rec2, params, [][]byte{f[paramSigFile(1)], nil, f[paramSigFile(3)], nil})
	require.NoError(t, err, "authority 2 stopped before signing")
	_, err = Assemble(rec2, params, [][]byte{f[paramSigFile(1)], nil, nil, nil})
	require.ErrorContains(t, err, "fewer than the threshold")
	_, err = Assemble(rec2, params, [][]byte{f[paramSigFile(1)], f[paramSigFile(2)], f[paramSigFile(3)], sig})
	require.Error(t, err)
}

// TestOutcomeShape: the outcome lists of parameters.json have one form.
func TestOutcomeShape(t *testing.T) {
	fx := newElection(t, 3, 2, 3)
	for name, tc := range map[string]struct {
		edit  func(p *Parameters)
		check string
	}{
		"null absent":           {func(p *Parameters) { p.Absent = nil }, "P1"},
		"null shares":           {func(p *Parameters) { p.Questions[1].Shares = nil }, "P1"},
		"null rejected mixes":   {func(p *Parameters) { p.Questions[0].RejectedMixes = nil }, "P1"},
		"shares unsorted":       {func(p *Parameters) { p.Questions[0].Shares = []int{2, 1, 3} }, "P5"},
		"share out of range":    {func(p *Parameters) { p.Questions[0].Shares = append(p.Questions[0].Shares, 4) }, "P5"},
		"mix position":          {func(p *Parameters) { p.Questions[0].Mixes[1].Position = 3 }, "P5"},
		"mixer out of range":    {func(p *Parameters) { p.Questions[0].Mixes[1].Mixer = 0 }, "P5"},
		"dkg hash upper case":   {func(p *Parameters) { p.Questions[0].DKGHash = strings.ToUpper(p.Questions[0].DKGHash) }, "P5"},
		"rejected mix repeated": {func(p *Parameters) { p.Questions[0].RejectedMixes = []MixRef{{3, 1}, {3, 1}} }, "P5"},
		"rejected mixes order":  {func(p *Parameters) { p.Questions[0].RejectedMixes = []MixRef{{3, 2}, {1, 1}} }, "P5"},
	} {
		t.Run(name, func(t *testing.T) {
			f := clone(fx.files)
			resign(t, fx, f, tc.edit)
			rep := Verify(f, Options{})
			require.Equal(t, []string{tc.check}, checks(rep), "%+v", rep.Failures)
			require.Equal(t, ExitMalformed, rep.ExitCode())
		})
	}
	// The parameters list a mix the record lacks, or lack a mix the record
	// holds; a share likewise.
	f := clone(fx.files)
	resign(t, fx, f, func(p *Parameters) { p.Questions[0].Mixes = p.Questions[0].Mixes[:1] })
	require.Contains(t, checks(Verify(f, Options{})), "P7")
	f = clone(fx.files)
	resign(t, fx, f, func(p *Parameters) { p.Questions[1].Shares = []int{1, 2} })
	rep := Verify(f, Options{})
	require.Equal(t, []string{"P7"}, checks(rep))
	require.Equal(t, ExitInvalid, rep.ExitCode())
	// A mix.json whose mixer is not the one the parameters list.
	f = clone(fx.files)
	resign(t, fx, f, func(p *Parameters) { p.Questions[0].Mixes[0].Mixer = 1 })
	require.Equal(t, []string{"M3"}, checks(Verify(f, Options{})))
	// A lone share signature of an authority the parameters do not list.
	f = clone(fx.files)
	f[shareSigFile(0, 3)+"x"] = []byte{1}
	require.Equal(t, []string{"F1"}, checks(Verify(f, Options{})))
}

// TestVoteFile: the top-level votes_hash names the vote file: with one
// question its ballot file, with more votes.jsonl, which every question's
// ballots are split from (B4).
func TestVoteFile(t *testing.T) {
	fx := newElection(t, 3, 2, 3)
	// Q > 1 without the vote file: ParametersOf refuses.
	rec := *fx.rec
	rec.Votes = nil
	_, err := Build(&rec, fx.akeys)
	require.ErrorContains(t, err, "vote file")
	// The owner named another vote file.
	rec = *fx.rec
	rec.VotesHash = VotesHash([]byte("other"))
	_, err = Build(&rec, fx.akeys)
	require.ErrorContains(t, err, "as the owner named it")
	// votes.jsonl missing: malformed.
	f := clone(fx.files)
	delete(f, fileVotes)
	rep := Verify(f, Options{})
	require.Equal(t, []string{"B4"}, checks(rep))
	require.Equal(t, ExitMalformed, rep.ExitCode())
	// A question's ballots that are not its part of the vote file, with
	// its votes_hash signed: B4 (and B2, for the empty line it excludes),
	// not B1.
	f = clone(fx.files)
	f["q1/ballots.jsonl"] = append(bytes.Clone(f["q1/ballots.jsonl"]), "\n"...)
	resign(t, fx, f, func(p *Parameters) { p.Questions[1].VotesHash = VotesHash(f["q1/ballots.jsonl"]) })
	require.Equal(t, []string{"B4", "B2"}, checks(Verify(f, Options{})))

	// One question: no votes.jsonl, and the two votes_hash agree.
	cfg := &ElectionConfig{ElectionID: "one", N: 2, T: 2, Questions: []QuestionConfig{{SessionID: "s", Width: 1}}}
	keys, err := SimulateKeys(cfg, testRand(4))
	require.NoError(t, err)
	ballots, _ := ballotFile(t, cfg, 0, keys[0].Public, [][]int64{{1}, {2}}, 5)
	r1, err := Simulate(cfg, keys, [][]byte{ballots}, SimulateOptions{Mixers: []int{1, 2}, Decryptors: []int{1, 2},
		Sign: MixSigner(fx.akeys[:2]), Verify: MixVerifier(fx.akeys[:2])})
	require.NoError(t, err)
	g, err := Build(r1, fx.akeys[:2])
	require.NoError(t, err)
	require.NotContains(t, g, fileVotes)
	require.True(t, Verify(g, Options{}).Valid())
	h := clone(g)
	h[fileVotes] = ballots
	require.Equal(t, []string{"F1"}, checks(Verify(h, Options{})))
	h = clone(g)
	var p Parameters
	require.NoError(t, json.Unmarshal(h[FileParameters], &p))
	p.VotesHash = VotesHash([]byte("x"))
	h[FileParameters] = canonicalJSON(p)
	for i, k := range fx.akeys[:2] {
		h[paramSigFile(i+1)], err = k.Sign(ParametersDigest(h[FileParameters]))
		require.NoError(t, err)
	}
	require.Equal(t, []string{"B4"}, checks(Verify(h, Options{})))
}

// TestVersion1Refused: a version 1 record is refused by P2 with a message
// that says why, before its shape is judged.
func TestVersion1Refused(t *testing.T) {
	fx := newElection(t, 2, 2, 2)
	f := clone(fx.files)
	f[FileParameters] = bytes.Replace(f[FileParameters], []byte(`"version": 2`), []byte(`"version": 1`), 1)
	rep := Verify(f, Options{})
	require.Equal(t, []string{"P2"}, checks(rep))
	require.Contains(t, rep.Failures[0].Message, "version 1 is refused")
	require.Equal(t, ExitMalformed, rep.ExitCode())
	require.Equal(t, fx.cfg.ElectionID, rep.ElectionID)
}

// TestComplaintRefutedIsEvent: a refuted complaint in key generation (the
// corpus record whose share from dealer 2 to 3 was lost) is an event of
// authority 3's, not blame (threats.md A14).
func TestComplaintRefutedIsEvent(t *testing.T) {
	f, err := ReadDir(filepath.Join(corpusDir, "keygen-complaint-refuted"))
	require.NoError(t, err)
	rep := Verify(f, Options{})
	require.True(t, rep.Valid(), "%+v", rep.Failures)
	require.Empty(t, rep.Blame)
	require.Len(t, rep.Events, 1)
	ev := rep.Events[0]
	require.Equal(t, Event{Question: 0, Authority: 3, Name: "authority-3.example", Phase: "keygen", Reason: ev.Reason}, ev)
	require.Contains(t, ev.Reason, "complaint refuted")
}

// TestBadParticipants: Simulate's rejected mixes and shares are blamed,
// and it refuses too few honest participants.
func TestBadParticipants(t *testing.T) {
	fx := newElection(t, 3, 2, 3)
	opt := SimulateOptions{Mixers: []int{2, 1, 3}, BadMixers: []int{1}, Decryptors: []int{1, 2, 3}, BadDecryptors: []int{2},
		Sign: MixSigner(fx.akeys), Verify: MixVerifier(fx.akeys), Votes: fx.rec.Votes}
	rec, err := Simulate(fx.cfg, fx.keys, nil, opt)
	require.NoError(t, err)
	f, err := Build(rec, fx.akeys)
	require.NoError(t, err)
	rep := Verify(f, Options{})
	require.True(t, rep.Valid(), "%+v", rep.Failures)
	var blamed []string
	for _, b := range rep.Blame {
		blamed = append(blamed, b.Phase+" "+b.Name)
	}
	require.Equal(t, []string{"mix prod-a1", "decryption prod-a2", "mix prod-a1", "decryption prod-a2"}, blamed)
	require.Equal(t, []int{1, 3}, rep.Questions[0].Shares)
	require.Equal(t, []int{2}, rep.Questions[0].Blamed)
	require.Equal(t, 2, rep.Questions[0].Mixes)

	for _, o := range []SimulateOptions{
		{Mixers: []int{1, 2}, BadMixers: []int{1}, Decryptors: []int{1, 2}},
		{Mixers: []int{1, 2}, Decryptors: []int{1, 2, 3}, BadDecryptors: []int{1, 2}},
		{Mixers: []int{1, 2}, BadMixers: []int{3}, Decryptors: []int{1, 2}},
	} {
		o.Sign, o.Verify, o.Votes = opt.Sign, opt.Verify, opt.Votes
		_, err := Simulate(fx.cfg, fx.keys, nil, o)
		require.ErrorIs(t, err, ErrSimulation)
	}
}
