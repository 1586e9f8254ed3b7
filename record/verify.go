package record

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/chain"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/shuffle"
	"github.com/eo-mixnet/eo/threshold"
)

// Exit codes of eoverify, also Report.ExitCode.
const (
	ExitValid     = 0
	ExitInvalid   = 1 // a check failed: the record is complete but wrong
	ExitMalformed = 2 // the record is malformed or incomplete
)

// Failure is one failed check.
type Failure struct {
	Check    string `json:"check"`    // e.g. "M5"
	Phase    string `json:"phase"`    // parameters, keygen, ballots, mix, decryption, plaintexts, counts
	Location string `json:"location"` // the file (or question) concerned
	Message  string `json:"message"`
	// Malformed failures make the record unusable (exit 2); the others
	// mean it is wrong (exit 1).
	Malformed bool `json:"malformed"`
}

// QuestionResult is what a verified question decrypted to.
type QuestionResult struct {
	Index      int      `json:"index"`
	Ballots    int      `json:"ballots"`  // lines in the ballot file
	Accepted   int      `json:"accepted"` // ballots mixed
	Excluded   int      `json:"excluded"` // lines the ballot rule excludes
	Mixes      int      `json:"mixes"`
	Shares     []int    `json:"shares"` // authorities whose decryption share verified
	Plaintexts []string `json:"-"`
	Counts     []Count  `json:"counts"`
	Blamed     []int    `json:"blamed,omitempty"` // authorities whose decryption share failed
}

// Report is the outcome of Verify.
type Report struct {
	ElectionID string           `json:"election_id"`
	Checks     int              `json:"checks"` // checks run
	Failures   []Failure        `json:"failures"`
	Questions  []QuestionResult `json:"questions"`
	// Blame lists the misbehaviour the record proves, by authority: in key
	// generation (complaints, disqualification), rejected mixes and
	// decryption shares. A valid record may blame authorities: the
	// election survived them.
	Blame []Blame `json:"blame,omitempty"`
}

// Blame is one proven misbehaviour of an authority.
type Blame struct {
	Question  int    `json:"question"`
	Authority int    `json:"authority"`
	Name      string `json:"name"`
	Phase     string `json:"phase"` // keygen, mix, decryption
	Reason    string `json:"reason"`
}

func (v *verifier) blame(q, authority int, phase, format string, args ...any) {
	b := Blame{Question: q, Authority: authority, Phase: phase, Reason: fmt.Sprintf(format, args...)}
	if authority >= 1 && authority <= len(v.names) {
		b.Name = v.names[authority-1]
	}
	v.r.Blame = append(v.r.Blame, b)
}

// Valid reports whether every check passed.
func (r *Report) Valid() bool { return len(r.Failures) == 0 }

// ExitCode is ExitValid, ExitInvalid or ExitMalformed (if any failure is
// malformed).
func (r *Report) ExitCode() int {
	code := ExitValid
	for _, f := range r.Failures {
		if f.Malformed {
			return ExitMalformed
		}
		code = ExitInvalid
	}
	return code
}

// Options tune Verify.
type Options struct {
	// Progress, if set, is called as each phase of each question starts.
	Progress func(question int, phase string)
}

type verifier struct {
	f      Files
	r      *Report
	opt    Options
	used   map[string]bool
	params *Parameters
	certs  []*x509.Certificate
	names  []string // authority i's name is names[i-1]
}

func (v *verifier) check() { v.r.Checks++ }

func (v *verifier) fail(id, phase, loc, format string, args ...any) {
	v.r.Failures = append(v.r.Failures, Failure{Check: id, Phase: phase, Location: loc, Message: fmt.Sprintf(format, args...)})
}

func (v *verifier) malformed(id, phase, loc, format string, args ...any) {
	v.r.Failures = append(v.r.Failures, Failure{Check: id, Phase: phase, Location: loc, Message: fmt.Sprintf(format, args...), Malformed: true})
}

// file returns a file and marks it as used; a missing file is a
// malformed failure.
func (v *verifier) file(id, phase, name string) ([]byte, bool) {
	v.check()
	b, ok := v.f[name]
	if !ok {
		v.malformed(id, phase, name, "missing file")
		return nil, false
	}
	v.used[name] = true
	return b, true
}

// readJSON strictly decodes a canonical JSON file into dst.
func (v *verifier) readJSON(id, phase, name string, dst any) bool {
	b, ok := v.file(id, phase, name)
	if !ok {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		v.malformed(id, phase, name, "not valid JSON of the expected shape: %v", err)
		return false
	}
	if !bytes.Equal(canonicalJSON(dst), b) {
		v.malformed(id, phase, name, "not in canonical form (two-space indentation, fields in order, one final newline)")
		return false
	}
	return true
}

// Verify checks an election record completely, as a third party would,
// and never panics. The checks and their numbers are listed in
// doc/record.md.
func Verify(f Files, opt Options) (rep *Report) {
	rep = &Report{Failures: []Failure{}, Questions: []QuestionResult{}}
	defer func() {
		if e := recover(); e != nil {
			rep.Failures = append(rep.Failures, Failure{Check: "X1", Phase: "internal", Message: fmt.Sprintf("internal error: %v", e), Malformed: true})
		}
	}()
	v := &verifier{f: f, r: rep, opt: opt, used: map[string]bool{}}
	if !v.parameters() {
		return rep
	}
	for q := range v.params.Questions {
		v.question(q)
	}
	// F1: nothing else is in the record.
	v.check()
	var extra []string
	for _, name := range f.Names() {
		if !v.used[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		v.malformed("F1", "files", strings.Join(extra, ", "), "unexpected files in the record")
	}
	return rep
}

func (v *verifier) parameters() bool {
	const ph = "parameters"
	var p Parameters
	if !v.readJSON("P1", ph, FileParameters, &p) {
		return false
	}
	v.params = &p
	v.r.ElectionID = p.ElectionID
	v.check()
	if p.Version != Version || p.Group != "ristretto255" || p.ElectionID == "" {
		v.malformed("P2", ph, FileParameters, "version %d, group %q, election %q: want version %d, group ristretto255 and an election id",
			p.Version, p.Group, p.ElectionID, Version)
		return false
	}
	n := len(p.Authorities)
	v.check()
	if n < 1 || n > threshold.MaxAuthorities || p.Threshold < 1 || p.Threshold > n {
		v.malformed("P3", ph, FileParameters, "threshold %d of %d authorities is out of range", p.Threshold, n)
		return false
	}
	names := map[string]bool{}
	for i, a := range p.Authorities {
		v.check()
		if a.Index != i+1 || a.Name == "" || names[a.Name] {
			v.malformed("P4", ph, FileParameters, "authority %d: index %d or name %q is wrong or repeated", i+1, a.Index, a.Name)
			return false
		}
		names[a.Name] = true
		block, rest := pem.Decode([]byte(a.Certificate))
		if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
			v.malformed("P4", ph, FileParameters, "authority %d: certificate is not one PEM certificate", i+1)
			return false
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			v.malformed("P4", ph, FileParameters, "authority %d: certificate: %v", i+1, err)
			return false
		}
		v.certs = append(v.certs, cert)
		v.names = append(v.names, a.Name)
	}
	sessions := map[string]bool{}
	v.check()
	if len(p.Questions) == 0 {
		v.malformed("P5", ph, FileParameters, "no question")
		return false
	}
	for q, qu := range p.Questions {
		v.check()
		if qu.Index != q || qu.SessionID == "" || sessions[qu.SessionID] || qu.Width < 1 || qu.Width > elgamal.MaxWidth {
			v.malformed("P5", ph, FileParameters, "question %d: index %d, session %q or width %d is wrong or repeated", q, qu.Index, qu.SessionID, qu.Width)
			return false
		}
		sessions[qu.SessionID] = true
	}
	// P6: every authority vouches for these parameters.
	digest := ParametersDigest(v.f[FileParameters])
	for i := range p.Authorities {
		sig, ok := v.file("P6", ph, paramSigFile(i+1))
		if !ok {
			continue
		}
		if err := verifySignature(v.certs[i], digest, sig); err != nil {
			v.fail("P6", ph, paramSigFile(i+1), "authority %d's signature over the parameters: %v", i+1, err)
		}
	}
	return true
}

var mixDirRE = regexp.MustCompile(`^q(\d+)/mix-(\d+)/`)
var shareRE = regexp.MustCompile(`^q(\d+)/decryption/share-(\d+)\.bin$`)

func (v *verifier) progress(q int, phase string) {
	if v.opt.Progress != nil {
		v.opt.Progress(q, phase)
	}
}

// maxMixes bounds the mixes of a question; mix directories beyond it are
// unexpected files (F1).
const maxMixes = 64

// mixCount is the highest j ≤ maxMixes of the q<q>/mix-<j>/ directories.
func (v *verifier) mixCount(q int) int {
	nmix := 0
	for name := range v.f {
		if m := mixDirRE.FindStringSubmatch(name); m != nil && m[1] == strconv.Itoa(q) {
			j, err := strconv.Atoi(m[2])
			if err == nil && j > nmix && j <= maxMixes {
				nmix = j
			}
		}
	}
	return nmix
}

// claim marks the files of question q's layout as belonging to the record,
// whether or not the checks reached them.
func (v *verifier) claim(q, nmix int) {
	d := qdir(q)
	for _, n := range []string{fileDKG, fileBallots, fileExcluded, fileInput, filePlaintexts, fileCounts} {
		v.used[d+n] = true
	}
	for j := 1; j <= nmix; j++ {
		for _, n := range []string{fileMixInfo, fileOutput, fileProof, fileSignature} {
			v.used[mixdir(q, j)+n] = true
		}
	}
	for i := 1; i <= len(v.params.Authorities); i++ {
		v.used[shareFile(q, i)] = true
		v.used[rejectedShareFile(q, i)] = true
		for _, n := range []string{fileMixInfo, fileOutput, fileProof, fileSignature} {
			v.used[rejectedMixDir(q, i)+n] = true
		}
	}
}

// question is what the checks of one question carry from phase to phase.
type question struct {
	q    int
	d    string // its directory, q<q>/
	nmix int    // its mix directories
	res  QuestionResult
	pub  *threshold.DKGPublic
	pk   *elgamal.PublicKey
	// input is the list of accepted ballots; final, the list to decrypt.
	input, final *elgamal.List
}

// question runs the phases of question q in order; each returns false
// when the later ones cannot run.
func (v *verifier) question(q int) {
	qs := &question{q: q, d: qdir(q), nmix: v.mixCount(q), res: QuestionResult{Index: q}}
	qs.res.Mixes = qs.nmix
	defer func() {
		v.r.Questions = append(v.r.Questions, qs.res)
		// A question whose checks stopped early still owns its files:
		// they are unchecked, not unexpected (F1).
		v.claim(q, qs.nmix)
	}()
	_ = v.keygen(qs) && v.ballots(qs) && v.mixes(qs) && v.decryption(qs)
}

// keygen checks the key generation of a question (K1–K4).
func (v *verifier) keygen(qs *question) bool {
	p, q, d := v.params, qs.q, qs.d
	qu := p.Questions[q]
	// Key generation.
	v.progress(q, "keygen")
	const kg = "keygen"
	b, ok := v.file("K1", kg, d+fileDKG)
	if !ok {
		return false
	}
	tr, err := threshold.DecodeDKGTranscript(b)
	if err != nil {
		v.malformed("K1", kg, d+fileDKG, "%v", err)
		return false
	}
	v.check()
	pub, kgFaults, err := threshold.VerifyDKGTranscript(tr)
	if err != nil {
		v.fail("K2", kg, d+fileDKG, "key generation transcript does not verify: %v", err)
		return false
	}
	for _, f := range kgFaults {
		v.blame(q, f.Party, kg, "%s", f.String())
	}
	v.check()
	if pub.ElectionID != p.ElectionID || pub.SessionID != qu.SessionID || pub.N != len(p.Authorities) || pub.T != p.Threshold {
		v.fail("K3", kg, d+fileDKG, "transcript is for election %q session %q with %d-of-%d, not this question", pub.ElectionID, pub.SessionID, pub.T, pub.N)
		return false
	}
	v.check()
	if pub.PublicKey.String() != qu.PublicKey {
		v.fail("K4", kg, FileParameters, "question %d's public key is not the one the key generation produced", q)
		return false
	}
	pk := pub.PublicKey

	qs.pub, qs.pk = pub, pk
	return true
}

// ballots applies the ballot rule to a question's ballot file (B1–B3).
func (v *verifier) ballots(qs *question) bool {
	p, q, d, pk, res := v.params, qs.q, qs.d, qs.pk, &qs.res
	qu := p.Questions[q]
	// Ballots.
	v.progress(q, "ballots")
	const bl = "ballots"
	ballots, ok := v.file("B1", bl, d+fileBallots)
	if !ok {
		return false
	}
	v.check()
	if VotesHash(ballots) != qu.VotesHash {
		v.fail("B1", bl, d+fileBallots, "ballots do not match votes_hash %s", qu.VotesHash)
	}
	// Lines as ValidateBallots splits them: a final line may lack its '\n'.
	res.Ballots = bytes.Count(ballots, []byte{'\n'})
	if len(ballots) > 0 && ballots[len(ballots)-1] != '\n' {
		res.Ballots++
	}
	accepted, excluded := ballot.Validate(ballot.Context{ElectionID: p.ElectionID, Question: q, PK: pk, Width: qu.Width}, ballots)
	res.Accepted = len(accepted)
	res.Excluded = len(excluded)
	var rexcl []ballot.Exclusion
	if v.readJSON("B2", bl, d+fileExcluded, &rexcl) {
		v.check()
		if excluded == nil {
			excluded = []ballot.Exclusion{}
		}
		if !bytes.Equal(canonicalJSON(excluded), v.f[d+fileExcluded]) {
			v.fail("B2", bl, d+fileExcluded, "the excluded ballots are not those the ballot rule excludes")
		}
	}
	input, ok := v.file("B3", bl, d+fileInput)
	if !ok {
		return false
	}
	v.check()
	if len(accepted) == 0 {
		v.fail("B3", bl, d+fileInput, "no valid ballot")
		return false
	}
	in, err := ballot.Ciphertexts(accepted)
	if err != nil {
		v.fail("B3", bl, d+fileInput, "the accepted ballots do not make a mix input: %v", err)
		return false
	}
	if !bytes.Equal(input, in.Bytes()) {
		v.fail("B3", bl, d+fileInput, "the mix input is not the list of accepted ballots")
		return false
	}

	qs.input = in
	return true
}

// mixes replays a question's mix chain through package chain (M1–M6), as
// the authorities played it: at each position, the mixes the record says
// were rejected there, then the accepted mix of that position. It leaves
// the list to decrypt in qs.final.
func (v *verifier) mixes(qs *question) bool {
	p, q, d := v.params, qs.q, qs.d
	qu := p.Questions[q]
	const mx = "mix"
	v.check()
	if qs.nmix < p.Threshold {
		v.fail("M1", mx, d, "%d mixes, fewer than the threshold %d: some t authorities could link ballots to voters", qs.nmix, p.Threshold)
	}
	c, err := chain.New(chain.Config{ElectionID: p.ElectionID, Question: q, SessionID: qu.SessionID, PublicKey: qs.pk, Width: qu.Width,
		Authorities: len(p.Authorities), Threshold: p.Threshold,
		VerifySignature: func(i int, digest [32]byte, sig []byte) error { return verifySignature(v.certs[i-1], digest, sig) }}, qs.input)
	if err != nil {
		v.malformed("M5", mx, d, "%v", err)
		return false
	}
	rejected := v.rejectedMixes(q)
	for j := 1; j <= qs.nmix; j++ {
		v.offerRejected(q, c, rejected[j])
		v.progress(q, fmt.Sprintf("mix %d", j))
		md := mixdir(q, j)
		var info MixInfo
		if !v.readJSON("M3", mx, md+fileMixInfo, &info) {
			return false
		}
		v.check()
		if info.Mix != j || info.Mixer < 1 || info.Mixer > len(p.Authorities) {
			v.fail("M3", mx, md+fileMixInfo, "mix %d names mix %d by authority %d", j, info.Mix, info.Mixer)
			return false
		}
		out, ok1 := v.file("M5", mx, md+fileOutput)
		proof, ok2 := v.file("M5", mx, md+fileProof)
		sig, ok3 := v.file("M4", mx, md+fileSignature)
		if !ok1 || !ok2 || !ok3 {
			return false
		}
		m := chain.Mix{Position: j, Mixer: info.Mixer, Output: out, Proof: proof, Signature: sig}
		v.check()
		verdict, err := c.Offer(m)
		switch {
		case errors.Is(err, chain.ErrMixer):
			v.fail("M2", mx, md+fileMixInfo, "authority %d offered a mix before mix %d (threats.md A11): %v", info.Mixer, j, err)
			return false
		case errors.Is(err, chain.ErrUnsigned):
			v.fail("M4", mx, md+fileSignature, "mix %d is not signed by its mixer, authority %d: %v", j, info.Mixer, err)
			// The proof is checked all the same, so that the report
			// says whether it holds.
			v.check()
			if _, err := c.VerifyProof(m); err != nil {
				v.mixFault(md, j, info.Mixer, err)
			}
			return false
		case err != nil:
			v.fail("M3", mx, md+fileMixInfo, "mix %d: %v", j, err)
			return false
		case !verdict.Accepted:
			v.mixFault(md, j, info.Mixer, verdict.Fault)
			return false
		}
	}
	v.offerRejected(q, c, rejected[qs.nmix+1])
	for pos, rs := range rejected {
		if pos > qs.nmix+1 {
			for _, r := range rs {
				v.fail("M6", mx, rejectedMixDir(q, r.Mixer)+fileMixInfo, "rejected mix names position %d, past the chain's end %d", pos, qs.nmix+1)
			}
		}
	}
	if qs.nmix == 0 {
		return false
	}
	qs.final, _ = c.Final() // fewer than t mixes is M1, above
	return true
}

// mixFault reports the failed proof of an accepted mix (M5).
func (v *verifier) mixFault(md string, j, mixer int, err error) {
	if errors.Is(err, shuffle.ErrMalformed) {
		v.malformed("M5", "mix", md, "mix %d by authority %d: %v", j, mixer, err)
	} else {
		v.fail("M5", "mix", md, "mix %d by authority %d: %v", j, mixer, err)
	}
}

// decryption checks a question's decryption shares, plaintexts and
// counts (D1–D3, T1, C1).
func (v *verifier) decryption(qs *question) bool {
	p, q, d, pub, final, res := v.params, qs.q, qs.d, qs.pub, qs.final, &qs.res
	// Decryption.
	v.progress(q, "decryption")
	const dc = "decryption"
	var senders []int
	for name := range v.f {
		if m := shareRE.FindStringSubmatch(name); m != nil && m[1] == strconv.Itoa(q) {
			i, err := strconv.Atoi(m[2])
			if err != nil || i < 1 || i > len(p.Authorities) || m[2] != strconv.Itoa(i) {
				continue // reported as unexpected by F1
			}
			senders = append(senders, i)
		}
	}
	sort.Ints(senders)
	var msgs []*threshold.DecryptionShareMessage
	for _, i := range senders {
		name := shareFile(q, i)
		b, _ := v.file("D1", dc, name)
		msg, err := threshold.DecodeMessage(b)
		ds, isShare := msg.(*threshold.DecryptionShareMessage)
		v.check()
		if err != nil || !isShare || ds.Sender != i {
			v.fail("D1", dc, name, "not a decryption share of authority %d: %v", i, err)
			res.Blamed = append(res.Blamed, i)
			continue
		}
		msgs = append(msgs, ds)
	}
	v.rejectedShares(q, pub, final, senders, res)
	dec, err := threshold.ThresholdDecrypt(pub, final, msgs)
	v.check()
	// The blamed shares come with the result, or with the error when
	// fewer than t valid ones remain: blame them either way.
	var faults []threshold.Fault
	var few *threshold.TooFewSharesError
	if dec != nil {
		faults = dec.Faults
	} else if errors.As(err, &few) {
		faults = few.Faults
	}
	for _, fl := range faults {
		v.fail("D1", dc, shareFile(q, fl.Party), "decryption share does not verify: %s", fl.String())
		res.Blamed = append(res.Blamed, fl.Party)
		v.blame(q, fl.Party, dc, "%s", fl.String())
	}
	if err != nil {
		sort.Ints(res.Blamed)
		if few != nil { // the failed shares are D1 failures already
			v.fail("D2", dc, d, "%d valid decryption shares %v, fewer than the threshold %d", len(few.Valid), few.Valid, p.Threshold)
		} else {
			v.fail("D2", dc, d, "fewer than %d valid decryption shares: %v", p.Threshold, err)
		}
		return false
	}
	sort.Ints(res.Blamed)
	res.Shares = dec.Valid

	// Plaintexts and counts.
	lines := PlaintextLines(dec.Plaintexts)
	res.Plaintexts = lines
	pt, ok := v.file("T1", "plaintexts", d+filePlaintexts)
	if ok {
		v.check()
		if !bytes.Equal(pt, plaintextText(lines)) {
			v.fail("T1", "plaintexts", d+filePlaintexts, "the plaintexts are not the decryption of the last mix")
		}
	}
	counts := PlaintextCounts(lines)
	res.Counts = counts
	var rc []Count
	if v.readJSON("C1", "counts", d+fileCounts, &rc) {
		v.check()
		if !bytes.Equal(v.f[d+fileCounts], canonicalJSON(counts)) {
			v.fail("C1", "counts", d+fileCounts, "the counts are not those of the plaintexts")
		}
	}
	return true
}

var rejectedMixRE = regexp.MustCompile(`^q(\d+)/rejected/mix-(\d+)/`)
var rejectedShareRE = regexp.MustCompile(`^q(\d+)/rejected/share-(\d+)\.bin$`)

// authoritiesIn returns the authorities i named by the files of question
// q that re matches (its second group), sorted; other indices are left to
// F1.
func (v *verifier) authoritiesIn(q int, re *regexp.Regexp) []int {
	seen := map[int]bool{}
	for name := range v.f {
		if m := re.FindStringSubmatch(name); m != nil && m[1] == strconv.Itoa(q) {
			i, err := strconv.Atoi(m[2])
			if err == nil && i >= 1 && i <= len(v.params.Authorities) && m[2] == strconv.Itoa(i) {
				seen[i] = true
			}
		}
	}
	var out []int
	for i := range seen {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// rejectedMixes reads the mixes that question q's record says the
// authorities rejected, by the position they were offered for; their
// files' shape is M6.
func (v *verifier) rejectedMixes(q int) map[int][]chain.Mix {
	out := map[int][]chain.Mix{}
	const mx = "mix"
	for _, i := range v.authoritiesIn(q, rejectedMixRE) {
		md := rejectedMixDir(q, i)
		var info MixInfo
		if !v.readJSON("M6", mx, md+fileMixInfo, &info) {
			continue
		}
		v.check()
		if info.Mixer != i || info.Mix < 1 {
			v.fail("M6", mx, md+fileMixInfo, "rejected mix names mix %d by authority %d", info.Mix, info.Mixer)
			continue
		}
		o, ok1 := v.file("M6", mx, md+fileOutput)
		pr, ok2 := v.file("M6", mx, md+fileProof)
		sig, ok3 := v.file("M6", mx, md+fileSignature)
		if ok1 && ok2 && ok3 {
			out[info.Mix] = append(out[info.Mix], chain.Mix{Position: info.Mix, Mixer: i, Output: o, Proof: pr, Signature: sig})
		}
	}
	return out
}

// offerRejected checks the mixes the record says were rejected at the
// chain's current position (M6): each must be signed by its mixer, by an
// authority that offered no other mix, and fail its proof; then the
// record proves its mixer's fault. Anything else is a false blame.
func (v *verifier) offerRejected(q int, c *chain.Chain, ms []chain.Mix) {
	const mx = "mix"
	for _, m := range ms {
		md := rejectedMixDir(q, m.Mixer)
		v.check()
		verdict, err := c.Judge(m)
		switch {
		case errors.Is(err, chain.ErrUnsigned):
			v.fail("M6", mx, md+fileSignature, "the rejected mix is not signed by authority %d: the blame is unfounded: %v", m.Mixer, err)
		case err != nil:
			v.fail("M6", mx, md, "authority %d's rejected mix for position %d: %v", m.Mixer, m.Position, err)
		case verdict.Accepted:
			v.fail("M6", mx, md, "authority %d's rejected mix at position %d verifies: it was rejected wrongly", m.Mixer, m.Position)
		default:
			if err := c.Adopt(m, nil, verdict.Fault); err != nil {
				v.fail("M6", mx, md, "authority %d's rejected mix for position %d: %v", m.Mixer, m.Position, err)
				continue
			}
			v.blame(q, m.Mixer, mx, "its mix for position %d does not verify: %v", m.Position, verdict.Fault)
		}
	}
}

// rejectedShares checks the decryption shares the authorities rejected
// (D3): none may verify, and none may come from an authority whose share
// was accepted.
func (v *verifier) rejectedShares(q int, pub *threshold.DKGPublic, final *elgamal.List, accepted []int, res *QuestionResult) {
	const dc = "decryption"
	for _, i := range v.authoritiesIn(q, rejectedShareRE) {
		name := rejectedShareFile(q, i)
		b, _ := v.file("D3", dc, name)
		v.check()
		if slices.Contains(accepted, i) {
			v.fail("D3", dc, name, "authority %d has a share accepted and another rejected", i)
			continue
		}
		msg, err := threshold.DecodeMessage(b)
		if err == nil {
			ds, ok := msg.(*threshold.DecryptionShareMessage)
			switch {
			case !ok:
				err = errors.New("not a decryption share")
			case ds.Sender != i:
				err = fmt.Errorf("a share of authority %d", ds.Sender)
			default:
				_, err = threshold.VerifyDecryptionShare(pub, final, ds)
			}
		}
		if err == nil {
			v.fail("D3", dc, name, "authority %d's rejected decryption share verifies: it was rejected wrongly", i)
			continue
		}
		res.Blamed = append(res.Blamed, i)
		v.blame(q, i, dc, "its decryption share does not verify: %v", err)
	}
}
