package ballot

import (
	"bufio"
	"bytes"
	crand "crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/par"
	"github.com/eo-mixnet/eo/proofs"
)

// Protocol is the transcript protocol label of ballot proofs.
const Protocol = "eo/ballot/v1"

// MaxVoterIDLen is the longest voter id a ballot line may carry, in bytes.
const MaxVoterIDLen = 256

// MaxLineLen is the length of the longest ballot line
// ParseLine accepts: width elgamal.MaxWidth and a voter id of MaxVoterIDLen
// bytes, 292 121 bytes in all. LineLen gives the exact length for a
// width.
const MaxLineLen = ballotPrefixLen + elgamal.MaxWidth*(ballotChoiceLen+ballotProofLen+2) - 2 + 1 + MaxVoterIDLen

// The fixed parts of the canonical ballot line.
const (
	lineStart      = `{"choices":[`
	lineMiddle     = `],"proofs":[`
	lineEnd        = `]}`
	choiceAlpha    = `{"alpha":"`
	choiceBeta     = `","beta":"`
	choiceEnd      = `"}`
	proofCommit    = `{"commitment":"`
	proofChallenge = `","challenge":"`
	proofResponse  = `","response":"`
	proofEnd       = `"}`

	ballotPrefixLen = len(lineStart) + len(lineMiddle) + len(lineEnd)
	ballotChoiceLen = len(choiceAlpha) + len(choiceBeta) + len(choiceEnd) + 2*group.TextSize
	ballotProofLen  = len(proofCommit) + len(proofChallenge) + len(proofResponse) + len(proofEnd) + 3*group.TextSize
)

// LineLen returns the length of the line of a ballot of the given
// width with a voter id of idLen bytes (0 for none).
func LineLen(width, idLen int) int {
	n := ballotPrefixLen + width*(ballotChoiceLen+ballotProofLen+2) - 2
	if idLen > 0 {
		n += 1 + idLen
	}
	return n
}

// Context is what a ballot's proofs are bound to besides the ballot
// itself. ElectionID must not be empty and Question not negative. Width,
// if not zero, is the width every ballot of the question must have;
// a mix-net needs one width per question, so callers should set it.
type Context struct {
	ElectionID string
	Question   int
	PK         *elgamal.PublicKey
	Width      int
}

// Ballot is one voter's encrypted answer to a question: a ciphertext of
// width w and, for each pair j, a Schnorr proof of knowledge of r_j with
// α_j = r_j·B (Schnorr, J. Cryptology 1991). The proofs bind the election,
// the question, the public key, the whole ciphertext, the pair's index and
// the voter id, so that a ballot can neither be replayed elsewhere nor
// re-randomised and resubmitted with its proofs (Cortier and Smyth,
// "Attacking and fixing Helios", CSF 2011).
//
// A Ballot comes only from ParseLine or Encrypt and is
// immutable: it keeps the canonical bytes it was decoded from, which the
// proofs' transcript absorbs, so accessors return copies.
//
// The line format, the proof's transcript and the rule are specified in
// doc/verify.md §3 (with vectors in testdata/vectors); what follows
// summarises it.
//
// # Line format
//
// A ballot is one line, with no whitespace, keys in this order, and
// elements and scalars in the text encoding of package group:
//
//	{"choices":[{"alpha":"α_0","beta":"β_0"},…],"proofs":[{"commitment":"R_0","challenge":"c_0","response":"s_0"},…]}|voterid
//
// The "|voterid" suffix is optional; a voter id is 1 to MaxVoterIDLen
// bytes of UTF-8 without control characters or '|'. ParseLine
// accepts only this canonical form (the bytes MarshalLine writes), so a
// ballot has exactly one line and byte-equal lines are equal ballots;
// unknown fields, duplicate keys, nesting and trailing bytes are rejected
// by construction.
//
// # Proof
//
// Pair j's challenge is c_j = Challenge("c") of the transcript (package
// proofs, doc/transcript.md)
//
//	P  Protocol
//	S  group      "ristretto255"
//	L  B          [B]
//	S  election   ElectionID
//	U  question   Question
//	L  pk         [Y]
//	S  voter      voter id ("" when absent)
//	U  width      w
//	L  ciphertext [α_0, β_0, …, α_{w-1}, β_{w-1}]
//	U  choice     j
//	L  R          [R_j]
//	C  c
//
// and the proof is valid if c_j equals the challenge in the ballot and
// s_j·B = R_j + c_j·α_j. Single elements are absorbed as one-element lists
// (tag L) from the bytes received, so that verification never re-encodes.
type Ballot struct {
	ct        elgamal.Ciphertext
	commit    []*group.Element // R_j
	challenge []*group.Scalar  // c_j
	response  []*group.Scalar  // s_j
	voterID   string
	enc       []byte // α_0 ‖ β_0 ‖ … (64·w bytes, as received)
	renc      []byte // R_0 ‖ … (32·w bytes, as received)
}

// Width returns the number of choices (pairs) of b.
func (b *Ballot) Width() int { return len(b.ct.Alpha) }

// VoterID returns the voter id of b, "" if it has none.
func (b *Ballot) VoterID() string { return b.voterID }

// elgamal.Ciphertext returns a copy of the ciphertext of b.
func (b *Ballot) Ciphertext() *elgamal.Ciphertext {
	c := elgamal.NewCiphertext(b.Width())
	for j := range c.Alpha {
		c.Alpha[j].Set(b.ct.Alpha[j])
		c.Beta[j].Set(b.ct.Beta[j])
	}
	return c
}

// CiphertextBytes returns a copy of the binary encoding of b's ciphertext
// (as DecodeCiphertext reads it), without re-encoding.
func (b *Ballot) CiphertextBytes() []byte { return bytes.Clone(b.enc) }

// Proof returns a copy of the proof of choice j.
func (b *Ballot) Proof(j int) *proofs.Schnorr {
	return &proofs.Schnorr{
		Commitment: new(group.Element).Set(b.commit[j]),
		Challenge:  group.NewScalar().Set(b.challenge[j]),
		Response:   group.NewScalar().Set(b.response[j]),
	}
}

func newBallot(w int) *Ballot {
	b := &Ballot{ct: *elgamal.NewCiphertext(w)}
	elems := make([]group.Element, w)
	scalars := make([]group.Scalar, 2*w)
	ptrs := make([]*group.Element, w)
	sptrs := make([]*group.Scalar, 2*w)
	for j := range ptrs {
		ptrs[j] = &elems[j]
	}
	for j := range sptrs {
		sptrs[j] = &scalars[j]
	}
	b.commit, b.challenge, b.response = ptrs, sptrs[:w:w], sptrs[w:]
	return b
}

// checkVoterID checks a voter id as it appears after '|' (empty: none).
func checkVoterID(id string) error {
	if len(id) > MaxVoterIDLen {
		return fmt.Errorf("voter id longer than %d bytes", MaxVoterIDLen)
	}
	if !utf8.ValidString(id) {
		return errors.New("voter id is not UTF-8")
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x20 || c == 0x7f || c == '|' {
			return fmt.Errorf("voter id has a control character or '|' at byte %d", i)
		}
	}
	return nil
}

// transcript checks ctx and returns the transcript after the context items.
func (ctx *Context) transcript() (*proofs.Transcript, error) {
	switch {
	case !ctx.PK.Valid():
		return nil, errors.New("ballot: ballot context has no public key")
	case ctx.ElectionID == "":
		return nil, errors.New("ballot: ballot context has no election id")
	case ctx.Question < 0:
		return nil, errors.New("ballot: ballot context has a negative question index")
	case ctx.Width < 0 || ctx.Width > elgamal.MaxWidth:
		return nil, fmt.Errorf("ballot: ballot context width %d out of range", ctx.Width)
	}
	t := proofs.NewTranscript(Protocol)
	t.AppendString("group", "ristretto255")
	t.AppendEncodedElements("B", baseBytes)
	t.AppendString("election", ctx.ElectionID)
	t.AppendUint64("question", uint64(ctx.Question))
	t.AppendEncodedElements("pk", ctx.PK.Bytes())
	return t, nil
}

// ballotTranscript returns the transcript of b after its ciphertext.
func (b *Ballot) transcript(prefix *proofs.Transcript) *proofs.Transcript {
	t := prefix.Clone()
	t.AppendString("voter", b.voterID)
	t.AppendUint64("width", uint64(b.Width()))
	t.AppendEncodedElements("ciphertext", b.enc)
	return t
}

// choiceChallenge appends choice j's items to t and returns its challenge.
func (b *Ballot) choiceChallenge(t *proofs.Transcript, j int) *group.Scalar {
	t.AppendUint64("choice", uint64(j))
	t.AppendEncodedElements("R", b.renc[j*group.ElementSize:(j+1)*group.ElementSize])
	return t.Challenge("c")
}

// Encrypt encrypts plaintexts (one element per choice) under ctx.PK
// and proves knowledge of the randomness of each pair, bound to ctx and to
// voterID ("" for none). Randomness comes from rand (crypto/rand if nil);
// the proof nonces are hedged: derived from the randomness, fresh random
// bytes and the transcript. It is constant time in the plaintexts and the
// randomness.
func Encrypt(rand io.Reader, ctx Context, plaintexts []*group.Element, voterID string) (*Ballot, error) {
	prefix, err := ctx.transcript()
	if err != nil {
		return nil, err
	}
	if err := checkVoterID(voterID); err != nil {
		return nil, fmt.Errorf("ballot: %w", err)
	}
	if ctx.Width != 0 && len(plaintexts) != ctx.Width {
		return nil, fmt.Errorf("ballot: %d plaintexts for a question of width %d", len(plaintexts), ctx.Width)
	}
	ct, r, err := elgamal.EncryptKeepingRandomness(rand, ctx.PK, plaintexts)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, rj := range r {
			rj.Set(group.NewScalar())
		}
	}()
	w := len(plaintexts)
	b := newBallot(w)
	b.ct = *ct
	b.voterID = voterID
	b.enc, _ = ct.AppendBinary(make([]byte, 0, w*elgamal.CiphertextSize))
	// Refuse what ParseLine would refuse (probability 2^-252).
	for j := range ct.Beta {
		if ct.Beta[j].IsIdentity() == 1 {
			return nil, errors.New("ballot: internal error: β is the identity")
		}
	}
	t := b.transcript(prefix)
	nonceKey := t.Clone().Challenge("nonce-key").Bytes()
	k := make([]*group.Scalar, w)
	defer func() {
		for _, kj := range k {
			if kj != nil {
				kj.Set(group.NewScalar())
			}
		}
	}()
	b.renc = make([]byte, 0, w*group.ElementSize)
	for j := range k {
		if k[j], err = ballotNonce(rand, r[j], nonceKey, j); err != nil {
			return nil, err
		}
		b.commit[j].FixedBaseMult(k[j], elgamal.BaseTable())
		b.renc, _ = b.commit[j].AppendBinary(b.renc)
	}
	for j := range k {
		tj := t
		if j < w-1 {
			tj = t.Clone()
		}
		c := b.choiceChallenge(tj, j)
		b.challenge[j].Set(c)
		b.response[j].MultiplyAdd(c, r[j], k[j]) // s = k + c·r
	}
	return b, nil
}

// ballotNonce derives the nonce of choice j: SHA-512 of a label, the
// secret r, 32 fresh random bytes, a digest of the transcript and j,
// reduced mod ℓ; zero is redrawn.
func ballotNonce(rnd io.Reader, r *group.Scalar, key []byte, j int) (*group.Scalar, error) {
	if rnd == nil {
		rnd = crand.Reader
	}
	for range 8 { // a zero draw has probability 2^-252: a source that repeats it is broken
		var fresh [32]byte
		if _, err := io.ReadFull(rnd, fresh[:]); err != nil {
			return nil, fmt.Errorf("ballot: reading randomness: %w", err)
		}
		h := sha512.New()
		h.Write([]byte(Protocol + " nonce"))
		h.Write(r.Bytes())
		h.Write(fresh[:])
		h.Write(key)
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(j)))
		k, err := group.NewScalar().SetUniformBytes(h.Sum(nil))
		if err != nil {
			panic("ballot: internal error: " + err.Error())
		}
		if group.IsZeroScalar(k) == 0 {
			return k, nil
		}
	}
	return nil, errors.New("ballot: random source returned zero scalars repeatedly")
}

// MarshalLine returns the canonical line of b (without a newline).
func (b *Ballot) MarshalLine() []byte {
	w := b.Width()
	out := make([]byte, 0, LineLen(w, len(b.voterID)))
	out = append(out, lineStart...)
	for j := range w {
		if j > 0 {
			out = append(out, ',')
		}
		p := b.enc[j*elgamal.CiphertextSize:]
		out = append(out, choiceAlpha...)
		out = b64.AppendEncode(out, p[:group.ElementSize])
		out = append(out, choiceBeta...)
		out = b64.AppendEncode(out, p[group.ElementSize:elgamal.CiphertextSize])
		out = append(out, choiceEnd...)
	}
	out = append(out, lineMiddle...)
	for j := range w {
		if j > 0 {
			out = append(out, ',')
		}
		out = append(out, proofCommit...)
		out = b64.AppendEncode(out, b.renc[j*group.ElementSize:(j+1)*group.ElementSize])
		out = append(out, proofChallenge...)
		out = b64.AppendEncode(out, b.challenge[j].Bytes())
		out = append(out, proofResponse...)
		out = b64.AppendEncode(out, b.response[j].Bytes())
		out = append(out, proofEnd...)
	}
	out = append(out, lineEnd...)
	if b.voterID != "" {
		out = append(out, '|')
		out = append(out, b.voterID...)
	}
	return out
}

// lineParser reads the canonical ballot line.
type lineParser struct {
	b   []byte
	pos int
}

func (p *lineParser) errorf(format string, args ...any) error {
	return malformed("ballot line: byte %d: "+format, append([]any{p.pos}, args...)...)
}

func (p *lineParser) literal(s string) error {
	if !bytes.HasPrefix(p.b[p.pos:], []byte(s)) {
		return p.errorf("expected %s", s)
	}
	p.pos += len(s)
	return nil
}

func (p *lineParser) peek(c byte) bool { return p.pos < len(p.b) && p.b[p.pos] == c }

// text32 decodes the 43-character text form of 32 bytes into dst.
func (p *lineParser) text32(dst []byte) error {
	if len(p.b)-p.pos < group.TextSize {
		return p.errorf("truncated")
	}
	n, err := b64.Decode(dst[:group.ElementSize], p.b[p.pos:p.pos+group.TextSize])
	if err != nil || n != group.ElementSize {
		return p.errorf("not %d characters of canonical unpadded base64url", group.TextSize)
	}
	p.pos += group.TextSize
	return nil
}

// ParseLine parses and validates one ballot line (without its line
// end): the canonical form described at Ballot, of at most
// MaxLineLen bytes and elgamal.MaxWidth choices, with as many proofs as
// choices, every α, β and commitment the canonical encoding of an element
// other than the identity, and every challenge and response a canonical
// scalar (below ℓ). Errors wrap group.ErrEncoding and name the byte or
// the choice at fault. It does not verify the proofs (see Verify).
func ParseLine(line []byte) (*Ballot, error) {
	if len(line) > MaxLineLen {
		return nil, malformed("ballot line of %d bytes is longer than %d", len(line), MaxLineLen)
	}
	jsonPart, voterID := line, ""
	if i := bytes.LastIndexByte(line, '|'); i >= 0 {
		jsonPart, voterID = line[:i], string(line[i+1:])
		if voterID == "" {
			return nil, malformed("ballot line: empty voter id after '|'")
		}
		if err := checkVoterID(voterID); err != nil {
			return nil, malformed("ballot line: %v", err)
		}
	}
	p := &lineParser{b: jsonPart}
	// A canonical line of width w has LineLen(w, 0) bytes: size the
	// buffers for that; a line that lies about its width only regrows them,
	// within the length already checked.
	guess := min(elgamal.MaxWidth, max(1, (len(jsonPart)+2)/(ballotChoiceLen+ballotProofLen+2)))
	enc := make([]byte, 0, guess*elgamal.CiphertextSize)
	var renc, sc []byte
	if err := p.literal(lineStart); err != nil {
		return nil, err
	}
	if p.peek(']') {
		return nil, p.errorf("no choices")
	}
	for {
		if len(enc) == elgamal.MaxWidth*elgamal.CiphertextSize {
			return nil, p.errorf("more than %d choices", elgamal.MaxWidth)
		}
		enc = slices.Grow(enc, elgamal.CiphertextSize)
		n := len(enc)
		enc = enc[:n+elgamal.CiphertextSize]
		if err := p.literal(choiceAlpha); err != nil {
			return nil, err
		}
		if err := p.text32(enc[n:]); err != nil {
			return nil, err
		}
		if err := p.literal(choiceBeta); err != nil {
			return nil, err
		}
		if err := p.text32(enc[n+group.ElementSize:]); err != nil {
			return nil, err
		}
		if err := p.literal(choiceEnd); err != nil {
			return nil, err
		}
		if !p.peek(',') {
			break
		}
		p.pos++
	}
	w := len(enc) / elgamal.CiphertextSize
	if err := p.literal(lineMiddle); err != nil {
		return nil, err
	}
	renc = make([]byte, 0, w*group.ElementSize)
	sc = make([]byte, 0, 2*w*group.ScalarSize)
	if p.peek(']') {
		return nil, p.errorf("no proofs for %d choices", w)
	}
	for {
		if len(renc) == w*group.ElementSize {
			return nil, p.errorf("more proofs than the %d choices", w)
		}
		n, m := len(renc), len(sc)
		renc, sc = renc[:n+group.ElementSize], sc[:m+2*group.ScalarSize]
		if err := p.literal(proofCommit); err != nil {
			return nil, err
		}
		if err := p.text32(renc[n:]); err != nil {
			return nil, err
		}
		if err := p.literal(proofChallenge); err != nil {
			return nil, err
		}
		if err := p.text32(sc[m:]); err != nil {
			return nil, err
		}
		if err := p.literal(proofResponse); err != nil {
			return nil, err
		}
		if err := p.text32(sc[m+group.ScalarSize:]); err != nil {
			return nil, err
		}
		if err := p.literal(proofEnd); err != nil {
			return nil, err
		}
		if !p.peek(',') {
			break
		}
		p.pos++
	}
	if np := len(renc) / group.ElementSize; np != w {
		return nil, p.errorf("%d proofs for %d choices", np, w)
	}
	if err := p.literal(lineEnd); err != nil {
		return nil, err
	}
	if p.pos != len(p.b) {
		return nil, p.errorf("trailing bytes")
	}
	return decodeBallot(enc, renc, sc, voterID)
}

// decodeBallot decodes the elements and scalars of a ballot from their
// bytes, refusing the identity everywhere.
func decodeBallot(enc, renc, sc []byte, voterID string) (*Ballot, error) {
	w := len(renc) / group.ElementSize
	b := newBallot(w)
	b.enc, b.renc, b.voterID = enc, renc, voterID
	decode := func(e *group.Element, in []byte, j int, what string) error {
		if _, err := e.SetCanonicalBytes(in); err != nil {
			return fmt.Errorf("ballot: ballot line: choice %d: %s: %w", j, what, err)
		}
		if e.IsIdentity() == 1 {
			return malformed("ballot line: choice %d: %s is the identity", j, what)
		}
		return nil
	}
	for j := range w {
		p := enc[j*elgamal.CiphertextSize:]
		if err := decode(b.ct.Alpha[j], p[:group.ElementSize], j, "alpha"); err != nil {
			return nil, err
		}
		if err := decode(b.ct.Beta[j], p[group.ElementSize:elgamal.CiphertextSize], j, "beta"); err != nil {
			return nil, err
		}
		if err := decode(b.commit[j], renc[j*group.ElementSize:(j+1)*group.ElementSize], j, "commitment"); err != nil {
			return nil, err
		}
		q := sc[2*j*group.ScalarSize:]
		if _, err := b.challenge[j].SetCanonicalBytes(q[:group.ScalarSize]); err != nil {
			return nil, malformed("ballot line: choice %d: challenge is not a canonical scalar (≥ ℓ)", j)
		}
		if _, err := b.response[j].SetCanonicalBytes(q[group.ScalarSize : 2*group.ScalarSize]); err != nil {
			return nil, malformed("ballot line: choice %d: response is not a canonical scalar (≥ ℓ)", j)
		}
	}
	return b, nil
}

// minBallotsPerWorker keeps workers from splitting small inputs.
const minBallotsPerWorker = 64

// ParseLines is ParseLine for many lines, on up to GOMAXPROCS
// goroutines. errs[i] is nil exactly when ballots[i] is not.
func ParseLines(lines [][]byte) (ballots []*Ballot, errs []error) {
	ballots, errs = make([]*Ballot, len(lines)), make([]error, len(lines))
	par.For(len(lines), minBallotsPerWorker, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ballots[i], errs[i] = ParseLine(lines[i])
		}
	})
	return ballots, errs
}

func invalidBallot(format string, args ...any) error {
	return fmt.Errorf("ballot: ballot: %w: "+format, append([]any{proofs.ErrInvalidProof}, args...)...)
}

// checkShape checks that b is a ballot made by this package and has the
// width ctx asks for.
func (b *Ballot) checkShape(ctx *Context) error {
	if b == nil || b.Width() == 0 || len(b.commit) != b.Width() || len(b.enc) != b.Width()*elgamal.CiphertextSize ||
		len(b.renc) != b.Width()*group.ElementSize {
		return invalidBallot("missing or malformed ballot")
	}
	if ctx.Width != 0 && b.Width() != ctx.Width {
		return invalidBallot("%d choices, the question has %d", b.Width(), ctx.Width)
	}
	return nil
}

// checkChallenges recomputes every challenge of b and compares it with the
// one b carries (a stored challenge is never trusted), returning the
// recomputed ones.
func (b *Ballot) checkChallenges(prefix *proofs.Transcript) ([]*group.Scalar, error) {
	w := b.Width()
	t := b.transcript(prefix)
	cs := make([]*group.Scalar, w)
	for j := range cs {
		tj := t
		if j < w-1 {
			tj = t.Clone()
		}
		cs[j] = b.choiceChallenge(tj, j)
		if cs[j].Equal(b.challenge[j]) != 1 {
			return nil, invalidBallot("choice %d: challenge mismatch: c ≠ H(statement, R)", j)
		}
	}
	return cs, nil
}

// checkEquation checks s_j·B = R_j + c_j·α_j for one choice.
func (b *Ballot) checkEquation(j int, c *group.Scalar) error {
	// s·B − c·α = R (Schnorr 1991, verification equation).
	negC := group.NewScalar().Negate(c)
	lhs := new(group.Element).VarTimeDoubleScalarBaseMult(negC, b.ct.Alpha[j], b.response[j])
	if lhs.Equal(b.commit[j]) != 1 {
		return invalidBallot("choice %d: equation s·B = R + c·α fails", j)
	}
	return nil
}

// Verify checks the proofs of b against ctx: for every choice it
// recomputes the challenge, compares it with b's, and checks the Schnorr
// equation. A failure wraps proofs.ErrInvalidProof and names the choice
// and the check; an unusable ctx gives an error of its own.
func Verify(ctx Context, b *Ballot) error {
	prefix, err := ctx.transcript()
	if err != nil {
		return err
	}
	if err := b.checkShape(&ctx); err != nil {
		return err
	}
	cs, err := b.checkChallenges(prefix)
	if err != nil {
		return err
	}
	for j, c := range cs {
		if err := b.checkEquation(j, c); err != nil {
			return err
		}
	}
	return nil
}

// ErrDuplicate is wrapped by VerifyAll' error for a valid ballot
// that repeats an α of an earlier valid ballot.
var ErrDuplicate = errors.New("ballot: duplicate ballot")

// VerifyAll checks many ballots against ctx and returns one error per
// ballot, nil for the valid ones. Challenges are recomputed and compared
// for each ballot, on up to GOMAXPROCS goroutines; the Schnorr equations
// of all ballots are then checked at once with proofs.Batch (random
// 128-bit weights from rand, crypto/rand if nil: an invalid equation
// passes with probability about 2^-128). If the batch fails, every
// equation is checked alone to name the invalid ballots.
//
// Finally, a valid ballot that has an α in common with an earlier valid
// ballot of the slice is rejected with an error wrapping
// ErrDuplicate: it is a copy (Cortier and Smyth's replay), since
// honest ballots share an α with probability 2^-250. Only valid ballots
// count here, so an invalid copy placed first cannot push out the
// original. The rule depends only on the order of the slice.
func VerifyAll(ctx Context, ballots []*Ballot, rand io.Reader) []error {
	errs := verifyProofs(ctx, ballots, rand)
	markCopies(ballots, errs, make(map[[group.ElementSize]byte]int), 0)
	return errs
}

// verifyProofs is VerifyAll without the copies: one error per ballot, nil
// for those whose shape and proofs are valid.
func verifyProofs(ctx Context, ballots []*Ballot, rand io.Reader) []error {
	errs := make([]error, len(ballots))
	prefix, err := ctx.transcript()
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	// 1. Shapes and challenges, in parallel.
	cs := make([][]*group.Scalar, len(ballots))
	par.For(len(ballots), minBallotsPerWorker, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if errs[i] = ballots[i].checkShape(&ctx); errs[i] == nil {
				cs[i], errs[i] = ballots[i].checkChallenges(prefix)
			}
		}
	})
	// 2. All equations in one batch.
	terms := 0
	for i, b := range ballots {
		if errs[i] == nil {
			terms += 2 * b.Width()
		}
	}
	if rand == nil {
		rand = crand.Reader
	}
	batch := proofs.NewBatch(bufio.NewReaderSize(rand, 16*256), terms)
	for i, b := range ballots {
		if errs[i] != nil {
			continue
		}
		for j := range b.Width() {
			err := batch.Add(b.response[j], []*group.Scalar{nil, cs[i][j]}, []*group.Element{b.commit[j], b.ct.Alpha[j]})
			if err != nil {
				err = fmt.Errorf("ballot: ballot not verified: %w", err)
				for k := range errs {
					if errs[k] == nil {
						errs[k] = err
					}
				}
				return errs
			}
		}
	}
	if !batch.VarTimeVerify() {
		// 3. Name the invalid ones.
		par.For(len(ballots), minBallotsPerWorker, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if errs[i] != nil {
					continue
				}
				for j, c := range cs[i] {
					if errs[i] = ballots[i].checkEquation(j, c); errs[i] != nil {
						break
					}
				}
			}
		})
	}
	return errs
}

// markCopies is VerifyAll's last step: in order, a ballot without an
// error that has an α in common with an earlier one gets an error
// wrapping ErrDuplicate. seen maps the α of every earlier valid ballot
// to its number, offset + its index here; ballots continue a sequence
// whose first offset ballots seen already holds (Validate's chunks).
func markCopies(ballots []*Ballot, errs []error, seen map[[group.ElementSize]byte]int, offset int) {
	for i, b := range ballots {
		if errs[i] != nil {
			continue
		}
		for j := range b.Width() {
			key := [group.ElementSize]byte(b.enc[j*elgamal.CiphertextSize:])
			if first, dup := seen[key]; dup && first != offset+i {
				errs[i] = fmt.Errorf("%w: choice %d repeats an α of ballot %d", ErrDuplicate, j, first)
				break
			}
		}
		if errs[i] == nil {
			for j := range b.Width() {
				seen[[group.ElementSize]byte(b.enc[j*elgamal.CiphertextSize:])] = offset + i
			}
		}
	}
}

// malformed reports input that is not a canonical ballot line; it wraps
// group.ErrEncoding like every decoder of eo.
func malformed(format string, args ...any) error {
	return fmt.Errorf("ballot: "+format+": %w", append(args, group.ErrEncoding)...)
}

// baseBytes is the canonical encoding of the base point B.
var baseBytes = group.NewGeneratorElement().Bytes()

// b64 is the text encoding of package group: unpadded base64url, strict.
var b64 = base64.RawURLEncoding.Strict()
