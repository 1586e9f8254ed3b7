package record

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
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
	ElectionID string `json:"election_id"`
	// VotesHash, Threshold, Authorities and Absent are what the record's
	// parameters say, for a reader to compare with what it expected
	// (Options' expectations make that comparison a check).
	VotesHash   string          `json:"votes_hash"`
	Threshold   int             `json:"threshold"`
	Authorities []AuthorityInfo `json:"authorities"`
	Absent      []int           `json:"absent"`
	// Signers are the authorities whose signature over the parameters
	// verified (P6): at least t.
	Signers   []int            `json:"signers"`
	Checks    int              `json:"checks"` // checks run
	Failures  []Failure        `json:"failures"`
	Questions []QuestionResult `json:"questions"`
	// Blame lists the misbehaviour the record proves, by authority: in key
	// generation (disqualification and the other faults of the
	// transcript), rejected mixes and decryption shares, each signed by
	// its author. A valid record may blame authorities: the election
	// survived them.
	Blame []Blame `json:"blame,omitempty"`
	// Events lists what the record shows but does not prove to be
	// misbehaviour: in key generation, a complaint its dealer refuted
	// (the share may have been lost in transit) and an authority's
	// absence.
	Events []Event `json:"events,omitempty"`
}

// AuthorityInfo is an authority as the record names it.
type AuthorityInfo struct {
	Index       int    `json:"index"`
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint"` // "sha256:" and the hex SHA-256 of its certificate's DER
}

// Blame is one proven misbehaviour of an authority.
type Blame struct {
	Question  int    `json:"question"`
	Authority int    `json:"authority"`
	Name      string `json:"name"`
	Phase     string `json:"phase"` // keygen, mix, decryption
	Reason    string `json:"reason"`
}

// Event is something the record shows of an authority that is not proven
// misbehaviour.
type Event struct {
	Question  int    `json:"question"`
	Authority int    `json:"authority"`
	Name      string `json:"name"`
	Phase     string `json:"phase"` // keygen
	Reason    string `json:"reason"`
}

func (v *verifier) name(authority int) string {
	if authority >= 1 && authority <= len(v.names) {
		return v.names[authority-1]
	}
	return ""
}

func (v *verifier) blame(q, authority int, phase, format string, args ...any) {
	v.r.Blame = append(v.r.Blame, Blame{Question: q, Authority: authority, Name: v.name(authority), Phase: phase, Reason: fmt.Sprintf(format, args...)})
}

func (v *verifier) event(q, authority int, phase, format string, args ...any) {
	v.r.Events = append(v.r.Events, Event{Question: q, Authority: authority, Name: v.name(authority), Phase: phase, Reason: fmt.Sprintf(format, args...)})
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

// Options tune Verify. The expectations (VotesHash, Threshold,
// Authorities) are what the verifier knows from outside the record, from
// the election's owner; each one set adds a check (E1–E3) that fails,
// making the record invalid, when the record says otherwise.
type Options struct {
	// Progress, if set, is called as each phase of each question starts.
	Progress func(question int, phase string)
	// VotesHash, if set, must be the record's votes_hash (E1): the ni URI
	// of the vote file the owner published.
	VotesHash string
	// Threshold, if not 0, must be the record's threshold t (E2).
	Threshold int
	// Authorities, if not empty, must be the record's authorities, by
	// name and certificate fingerprint, in any order (E3).
	Authorities []ExpectedAuthority
}

type verifier struct {
	f      Files
	r      *Report
	opt    Options
	used   map[string]bool
	params *Parameters
	certs  []*x509.Certificate
	names  []string // authority i's name is names[i-1]
	absent map[int]bool
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
	if err := checkJSONInts(b); err != nil {
		v.malformed(id, phase, name, "%v", err)
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
// and never panics. The checks, their numbers and their rules are
// doc/verify.md §10.
func Verify(f Files, opt Options) (rep *Report) {
	rep = &Report{Failures: []Failure{}, Questions: []QuestionResult{}}
	defer func() {
		if e := recover(); e != nil {
			rep.Failures = append(rep.Failures, Failure{Check: "X1", Phase: "internal", Message: fmt.Sprintf("internal error: %v", e), Malformed: true})
		}
	}()
	v := &verifier{f: f, r: rep, opt: opt, used: map[string]bool{}, absent: map[int]bool{}}
	if !v.parameters() {
		return rep
	}
	v.expectations()
	v.votes()
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
	// A record of another version is refused before its shape is judged,
	// with a message that says so.
	if b, ok := v.f[FileParameters]; ok {
		var peek struct {
			Version    json.RawMessage `json:"version"`
			ElectionID string          `json:"election_id"`
		}
		if json.Unmarshal(b, &peek) == nil && peek.Version != nil && string(peek.Version) != strconv.Itoa(Version) {
			v.r.ElectionID = peek.ElectionID
			v.check()
			v.used[FileParameters] = true
			version := string(peek.Version)
			if len(version) > 16 {
				version = version[:16] + "…"
			}
			v.malformed("P2", ph, FileParameters, "record version %s is refused: this verifier reads version %d, whose signatures cover the outcome and the blame (doc/record.md)",
				version, Version)
			return false
		}
	}
	var p Parameters
	if !v.readJSON("P1", ph, FileParameters, &p) {
		return false
	}
	v.params = &p
	v.r.ElectionID = p.ElectionID
	v.r.VotesHash = p.VotesHash
	v.r.Threshold = p.Threshold
	v.check()
	if p.Absent == nil || slices.ContainsFunc(p.Questions, func(q Question) bool {
		return q.Mixes == nil || q.RejectedMixes == nil || q.Shares == nil || q.RejectedShares == nil
	}) {
		v.malformed("P1", ph, FileParameters, "a list is null: an empty list is written []")
		return false
	}
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
		cert, err := a.certificate()
		if err != nil {
			v.malformed("P4", ph, FileParameters, "%v", strings.TrimPrefix(err.Error(), "record: "))
			return false
		}
		v.certs = append(v.certs, cert)
		v.names = append(v.names, a.Name)
		v.r.Authorities = append(v.r.Authorities, AuthorityInfo{Index: i + 1, Name: a.Name, Fingerprint: fingerprint(cert)})
	}
	v.check()
	if !increasing(p.Absent, n) {
		v.malformed("P4", ph, FileParameters, "absent %v: want distinct authorities 1 … %d in increasing order", p.Absent, n)
		return false
	}
	for _, i := range p.Absent {
		v.absent[i] = true
	}
	v.r.Absent = p.Absent
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
		if err := checkOutcome(qu, n); err != nil {
			v.malformed("P5", ph, FileParameters, "question %d: %v", q, err)
			return false
		}
	}
	// P6: the authorities that sign vouch for these parameters, and so
	// for the outcome they list: at least t sign, every signature in the
	// record verifies, and no absent authority signs. An authority that
	// took part (mixed or decrypted: its mixes and shares carry their own
	// signatures) may be missing: it stopped before the end, and the
	// others finished without it (doc/daemon.md, "Liveness").
	digest := ParametersDigest(v.f[FileParameters])
	signed := 0
	for i := range p.Authorities {
		name := paramSigFile(i + 1)
		sig, ok := v.f[name]
		v.check()
		if !ok {
			continue
		}
		v.used[name] = true
		if v.absent[i+1] {
			v.fail("P6", ph, name, "authority %d is absent, yet the record holds its signature over the parameters", i+1)
			continue
		}
		if err := verifySignature(v.certs[i], digest, sig); err != nil {
			v.fail("P6", ph, name, "authority %d's signature over the parameters: %v", i+1, err)
			continue
		}
		signed++
		v.r.Signers = append(v.r.Signers, i+1)
	}
	v.check()
	if n-len(p.Absent) < p.Threshold {
		v.fail("P6", ph, FileParameters, "%d authorities took part, fewer than the threshold %d", n-len(p.Absent), p.Threshold)
	} else if signed < p.Threshold {
		v.fail("P6", ph, FileParameters, "%d authorities signed the parameters, fewer than the threshold %d", signed, p.Threshold)
	}
	for q, qu := range p.Questions {
		v.check()
		for _, i := range p.Absent {
			if slices.ContainsFunc(qu.Mixes, func(m MixRef) bool { return m.Mixer == i }) ||
				slices.ContainsFunc(qu.RejectedMixes, func(m MixRef) bool { return m.Mixer == i }) ||
				slices.Contains(qu.Shares, i) || slices.Contains(qu.RejectedShares, i) {
				v.fail("P6", ph, FileParameters, "question %d: authority %d is absent, yet named as a mixer or a decryptor", q, i)
			}
		}
	}
	return true
}

// increasing reports whether s is strictly increasing within 1 … n.
func increasing(s []int, n int) bool {
	for k, i := range s {
		if i < 1 || i > n || (k > 0 && s[k-1] >= i) {
			return false
		}
	}
	return true
}

var hexHashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// checkOutcome checks the shape of a question's outcome lists (P5).
func checkOutcome(qu Question, n int) error {
	if !hexHashRE.MatchString(qu.DKGHash) {
		return fmt.Errorf("dkg_hash %q is not 64 lower-case hex digits", qu.DKGHash)
	}
	if len(qu.Mixes) > maxMixes {
		return fmt.Errorf("%d mixes, more than %d", len(qu.Mixes), maxMixes)
	}
	for j, m := range qu.Mixes {
		if m.Position != j+1 || m.Mixer < 1 || m.Mixer > n {
			return fmt.Errorf("mix %d is listed as position %d by authority %d", j+1, m.Position, m.Mixer)
		}
	}
	mixers := map[int]bool{}
	for k, m := range qu.RejectedMixes {
		if m.Position < 1 || m.Position > maxMixes+1 || m.Mixer < 1 || m.Mixer > n || mixers[m.Mixer] {
			return fmt.Errorf("rejected mix of position %d by authority %d is out of range or repeated", m.Position, m.Mixer)
		}
		if k > 0 {
			prev := qu.RejectedMixes[k-1]
			if prev.Position > m.Position || (prev.Position == m.Position && prev.Mixer > m.Mixer) {
				return errors.New("rejected mixes are not sorted by position, then mixer")
			}
		}
		mixers[m.Mixer] = true
	}
	if !increasing(qu.Shares, n) || !increasing(qu.RejectedShares, n) {
		return fmt.Errorf("shares %v or rejected shares %v: want distinct authorities 1 … %d in increasing order", qu.Shares, qu.RejectedShares, n)
	}
	return nil
}

// expectations compares the parameters with what the verifier expects
// (E1–E3).
func (v *verifier) expectations() {
	const ph = "expectations"
	p := v.params
	if v.opt.VotesHash != "" {
		v.check()
		if p.VotesHash != v.opt.VotesHash {
			v.fail("E1", ph, FileParameters, "votes_hash is %s, the expected vote file is %s", p.VotesHash, v.opt.VotesHash)
		}
	}
	if v.opt.Threshold != 0 {
		v.check()
		if p.Threshold != v.opt.Threshold {
			v.fail("E2", ph, FileParameters, "threshold %d of %d authorities, %d expected", p.Threshold, len(p.Authorities), v.opt.Threshold)
		}
	}
	if len(v.opt.Authorities) > 0 {
		v.check()
		want := map[string]string{}
		for _, a := range v.opt.Authorities {
			want[a.Name] = a.Fingerprint
		}
		got := map[string]bool{}
		for _, a := range v.r.Authorities {
			got[a.Name] = true
			fp, ok := want[a.Name]
			switch {
			case !ok:
				v.fail("E3", ph, FileParameters, "authority %d, %s (%s), is not among the expected authorities", a.Index, a.Name, a.Fingerprint)
			case fp != a.Fingerprint:
				v.fail("E3", ph, FileParameters, "authority %d, %s, has certificate %s, %s expected", a.Index, a.Name, a.Fingerprint, fp)
			}
		}
		for _, a := range v.opt.Authorities {
			if !got[a.Name] {
				v.fail("E3", ph, FileParameters, "expected authority %s (%s) is not in the record", a.Name, a.Fingerprint)
			}
		}
	}
}

// votes checks the vote file (B4): with one question it is question 0's
// ballot file, so the two votes_hash agree; with more, the record holds it
// as votes.jsonl, its hash is votes_hash, and every question's
// ballots.jsonl is its part (ballot.SplitFile) byte for byte.
func (v *verifier) votes() {
	const bl = "ballots"
	p := v.params
	if len(p.Questions) == 1 {
		v.check()
		if p.VotesHash != p.Questions[0].VotesHash {
			v.fail("B4", bl, FileParameters, "votes_hash %s is not question 0's votes_hash %s", p.VotesHash, p.Questions[0].VotesHash)
		}
		return
	}
	votes, ok := v.file("B4", bl, fileVotes)
	if !ok {
		return
	}
	v.check()
	if VotesHash(votes) != p.VotesHash {
		v.fail("B4", bl, fileVotes, "the vote file does not match votes_hash %s", p.VotesHash)
	}
	widths := make([]int, len(p.Questions))
	for q, qu := range p.Questions {
		widths[q] = qu.Width
	}
	split, err := ballot.SplitFile(votes, widths)
	if err != nil {
		v.fail("B4", bl, fileVotes, "%v", err)
		return
	}
	for q := range p.Questions {
		v.check()
		if b, ok := v.f[qdir(q)+fileBallots]; ok && !bytes.Equal(b, split[q]) {
			v.fail("B4", bl, qdir(q)+fileBallots, "question %d's ballots are not its part of the vote file", q)
		}
	}
}

// Names of a question's outcome files: mix-<j>/…, rejected/mix-<i>/…,
// decryption/share-<i>.{bin,sig}, rejected/share-<i>.{bin,sig}.
var (
	mixDirRE           = regexp.MustCompile(`^q(\d+)/mix-(\d+)/`)
	rejectedMixRE      = regexp.MustCompile(`^q(\d+)/rejected/mix-(\d+)/`)
	shareRE            = regexp.MustCompile(`^q(\d+)/decryption/share-(\d+)\.(bin|sig)$`)
	rejectedShareRE    = regexp.MustCompile(`^q(\d+)/rejected/share-(\d+)\.(bin|sig)$`)
	outcomeFileKinds   = []*regexp.Regexp{mixDirRE, rejectedMixRE, shareRE, rejectedShareRE}
	outcomeFileClaimed = []string{fileMixInfo, fileOutput, fileProof, fileSignature}
)

func (v *verifier) progress(q int, phase string) {
	if v.opt.Progress != nil {
		v.opt.Progress(q, phase)
	}
}

// maxMixes bounds the mixes of a question; mix directories beyond it are
// unexpected files (F1).
const maxMixes = 64

// claim marks the files of question q's layout as belonging to the record,
// whether or not the checks reached them; outcome files that the
// parameters do not list are P7's failures, not F1's.
func (v *verifier) claim(q int) {
	d := qdir(q)
	for _, n := range []string{fileDKG, fileBallots, fileExcluded, fileInput, filePlaintexts, fileCounts} {
		v.used[d+n] = true
	}
	for j := 1; j <= maxMixes; j++ {
		for _, n := range outcomeFileClaimed {
			v.used[mixdir(q, j)+n] = true
		}
	}
	for i := 1; i <= len(v.params.Authorities); i++ {
		v.used[shareFile(q, i)] = true
		v.used[shareSigFile(q, i)] = true
		v.used[rejectedShareFile(q, i)] = true
		v.used[rejectedShareSigFile(q, i)] = true
		for _, n := range outcomeFileClaimed {
			v.used[rejectedMixDir(q, i)+n] = true
		}
	}
}

// question is what the checks of one question carry from phase to phase.
type question struct {
	q   int
	d   string // its directory, q<q>/
	qu  *Question
	res QuestionResult
	pub *threshold.DKGPublic
	pk  *elgamal.PublicKey
	// input is the list of accepted ballots, until the chain takes it;
	// final, the list to decrypt.
	input, final *elgamal.List
	// missing are the outcome entries (directory or .bin file) the
	// parameters list and the record lacks (P7): the later checks skip
	// them.
	missing map[string]bool
}

// question runs the phases of question q in order; each returns false
// when the later ones cannot run.
func (v *verifier) question(q int) {
	qu := &v.params.Questions[q]
	qs := &question{q: q, d: qdir(q), qu: qu, res: QuestionResult{Index: q, Mixes: len(qu.Mixes)}, missing: map[string]bool{}}
	defer func() {
		v.r.Questions = append(v.r.Questions, qs.res)
		// A question whose checks stopped early still owns its files:
		// they are unchecked, not unexpected (F1).
		v.claim(q)
	}()
	v.outcome(qs)
	_ = v.keygen(qs) && v.ballots(qs) && v.mixes(qs) && v.decryption(qs)
}

// outcomeEntries returns, for question q, the indices of the outcome
// entries the record holds files of, by kind (outcomeFileKinds): mix
// positions, rejected mixers, decryptors, rejected decryptors. Indices out
// of range or not in canonical decimal are left to F1.
func (v *verifier) outcomeEntries(q int) [4]map[int]bool {
	var out [4]map[int]bool
	for k := range out {
		out[k] = map[int]bool{}
	}
	n := len(v.params.Authorities)
	limit := [4]int{maxMixes, n, n, n}
	for name := range v.f {
		for k, re := range outcomeFileKinds {
			m := re.FindStringSubmatch(name)
			if m == nil || m[1] != strconv.Itoa(q) {
				continue
			}
			i, err := strconv.Atoi(m[2])
			if err != nil || i < 1 || i > limit[k] || m[2] != strconv.Itoa(i) {
				continue
			}
			out[k][i] = true
		}
	}
	return out
}

// outcome checks that the record holds exactly the outcome the signed
// parameters list, and the key generation they name (P7). A listed entry
// the record lacks is malformed (the record is incomplete); an entry the
// parameters do not list is a claim no authority signed.
func (v *verifier) outcome(qs *question) {
	const ph = "parameters"
	q, qu, d := qs.q, qs.qu, qs.d
	present := v.outcomeEntries(q)
	var mixes, rmixes []int
	for _, m := range qu.Mixes {
		mixes = append(mixes, m.Position)
	}
	for _, m := range qu.RejectedMixes {
		rmixes = append(rmixes, m.Mixer)
	}
	kinds := []struct {
		listed  []int
		present map[int]bool
		entry   func(q, i int) string // its directory, or its .bin file
		isFile  bool                  // the entry is held when that file is
		what    string
	}{
		{mixes, present[0], mixdir, false, "mix %d"},
		{rmixes, present[1], rejectedMixDir, false, "a rejected mix by authority %d"},
		{qu.Shares, present[2], shareFile, true, "a decryption share of authority %d"},
		{qu.RejectedShares, present[3], rejectedShareFile, true, "a rejected decryption share of authority %d"},
	}
	for _, k := range kinds {
		for _, i := range k.listed {
			v.check()
			name := k.entry(q, i)
			held := k.present[i]
			if k.isFile {
				_, held = v.f[name]
			}
			if !held {
				qs.missing[name] = true
				v.malformed("P7", ph, name, "the signed parameters list "+k.what+", which the record does not hold", i)
			}
		}
		var extra []int
		for i := range k.present {
			if !slices.Contains(k.listed, i) {
				extra = append(extra, i)
			}
		}
		sort.Ints(extra)
		for _, i := range extra {
			v.check()
			v.fail("P7", ph, k.entry(q, i), "the record holds "+k.what+", which the signed parameters do not list", i)
		}
	}
	if b, ok := v.f[d+fileDKG]; ok {
		v.check()
		if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != qu.DKGHash {
			v.fail("P7", ph, d+fileDKG, "the key-generation transcript's SHA-256 is not dkg_hash %s", qu.DKGHash)
		}
	}
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
		switch f.Kind {
		case threshold.FaultComplaintRefuted, threshold.FaultAbsent:
			// A refuted complaint may follow a share lost in transit,
			// and absence is not misbehaviour: events, not blame
			// (doc/record.md §3.3).
			v.event(q, f.Party, kg, "%s", f.String())
		default:
			v.blame(q, f.Party, kg, "%s", f.String())
		}
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
	in, excluded := ballot.ValidateList(ballot.Context{ElectionID: p.ElectionID, Question: q, PK: pk, Width: qu.Width}, ballots)
	if in != nil {
		res.Accepted = in.Len()
	}
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
	if in == nil {
		v.fail("B3", bl, d+fileInput, "no valid ballot")
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
// the authorities played it: at each position, the mixes the parameters
// say were rejected there, then the accepted mix of that position. It
// leaves the list to decrypt in qs.final.
func (v *verifier) mixes(qs *question) bool {
	p, q, d, qu := v.params, qs.q, qs.d, qs.qu
	const mx = "mix"
	nmix := len(qu.Mixes)
	v.check()
	if nmix < p.Threshold {
		v.fail("M1", mx, d, "%d mixes, fewer than the threshold %d: some t authorities could link ballots to voters", nmix, p.Threshold)
	}
	c, err := chain.New(chain.Config{ElectionID: p.ElectionID, Question: q, SessionID: qu.SessionID, PublicKey: qs.pk, Width: qu.Width,
		Authorities: len(p.Authorities), Threshold: p.Threshold,
		VerifySignature: func(i int, digest [32]byte, sig []byte) error { return verifySignature(v.certs[i-1], digest, sig) }}, qs.input)
	qs.input = nil // the chain holds one list at a time (#18)
	if err != nil {
		v.malformed("M5", mx, d, "%v", err)
		return false
	}
	rejected := v.rejectedMixes(qs)
	for j := 1; j <= nmix; j++ {
		v.offerRejected(q, c, rejected[j])
		v.progress(q, fmt.Sprintf("mix %d", j))
		md := mixdir(q, j)
		if qs.missing[md] {
			return false // P7
		}
		var info MixInfo
		if !v.readJSON("M3", mx, md+fileMixInfo, &info) {
			return false
		}
		v.check()
		if want := qu.Mixes[j-1].Mixer; info.Mix != j || info.Mixer != want {
			v.fail("M3", mx, md+fileMixInfo, "mix %d names mix %d by authority %d; the signed parameters list authority %d", j, info.Mix, info.Mixer, want)
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
			v.fail("M2", mx, md+fileMixInfo, "authority %d offered a mix before mix %d (doc/verify.md, M2): %v", info.Mixer, j, err)
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
	v.offerRejected(q, c, rejected[nmix+1])
	var late []int
	for pos := range rejected {
		if pos > nmix+1 {
			late = append(late, pos)
		}
	}
	sort.Ints(late)
	for _, pos := range late {
		for _, r := range rejected[pos] {
			v.fail("M6", mx, rejectedMixDir(q, r.Mixer)+fileMixInfo, "rejected mix names position %d, past the chain's end %d", pos, nmix+1)
		}
	}
	if nmix == 0 {
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
	v.progress(q, "decryption")
	const dc = "decryption"
	list := final.Bytes()
	var msgs []*threshold.DecryptionShareMessage
	for _, i := range qs.qu.Shares {
		name := shareFile(q, i)
		if qs.missing[name] {
			continue // P7
		}
		b, _ := v.file("D1", dc, name)
		sig, ok := v.file("D1", dc, shareSigFile(q, i))
		if !ok {
			continue
		}
		v.check()
		if err := verifySignature(v.certs[i-1], ShareDigest(p.ElectionID, q, i, list, b), sig); err != nil {
			// Unsigned, the share proves nothing about authority i: it
			// is neither used nor blamed.
			v.fail("D1", dc, shareSigFile(q, i), "the decryption share is not signed by authority %d: %v", i, err)
			continue
		}
		msg, err := threshold.DecodeMessage(b)
		ds, isShare := msg.(*threshold.DecryptionShareMessage)
		v.check()
		if err != nil || !isShare || ds.Sender != i {
			v.fail("D1", dc, name, "not a decryption share of authority %d: %v", i, err)
			res.Blamed = append(res.Blamed, i)
			v.blame(q, i, dc, "its signed decryption share is not a decryption share of its own: %v", err)
			continue
		}
		msgs = append(msgs, ds)
	}
	v.rejectedShares(qs, list, res)
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

// rejectedMixes reads the mixes that question q's parameters say the
// authorities rejected, by the position they were offered for; their
// files' shape is M6.
func (v *verifier) rejectedMixes(qs *question) map[int][]chain.Mix {
	out := map[int][]chain.Mix{}
	const mx = "mix"
	for _, r := range qs.qu.RejectedMixes {
		i := r.Mixer
		md := rejectedMixDir(qs.q, i)
		if qs.missing[md] {
			continue // P7
		}
		var info MixInfo
		if !v.readJSON("M6", mx, md+fileMixInfo, &info) {
			continue
		}
		v.check()
		if info.Mixer != i || info.Mix != r.Position {
			v.fail("M6", mx, md+fileMixInfo, "rejected mix names mix %d by authority %d; the signed parameters list position %d by authority %d",
				info.Mix, info.Mixer, r.Position, i)
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
// (D3): each must be signed by its authority over ShareDigest (an unsigned
// one is a false blame), none may verify, and none may come from an
// authority whose share was accepted.
func (v *verifier) rejectedShares(qs *question, list []byte, res *QuestionResult) {
	const dc = "decryption"
	q, pub, final := qs.q, qs.pub, qs.final
	for _, i := range qs.qu.RejectedShares {
		name := rejectedShareFile(q, i)
		if qs.missing[name] {
			continue // P7
		}
		b, _ := v.file("D3", dc, name)
		v.check()
		if slices.Contains(qs.qu.Shares, i) {
			v.fail("D3", dc, name, "authority %d has a share accepted and another rejected", i)
			continue
		}
		sigName := rejectedShareSigFile(q, i)
		sig, signed := v.f[sigName]
		v.used[sigName] = true
		v.check()
		if !signed {
			v.fail("D3", dc, name, "the rejected decryption share is not signed by authority %d: the blame is unfounded", i)
			continue
		}
		if err := verifySignature(v.certs[i-1], ShareDigest(v.params.ElectionID, q, i, list, b), sig); err != nil {
			v.fail("D3", dc, sigName, "the rejected decryption share is not signed by authority %d: the blame is unfounded: %v", i, err)
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
		v.check()
		if err == nil {
			v.fail("D3", dc, name, "authority %d's rejected decryption share verifies: it was rejected wrongly", i)
			continue
		}
		res.Blamed = append(res.Blamed, i)
		v.blame(q, i, dc, "its decryption share does not verify: %v", err)
	}
}
