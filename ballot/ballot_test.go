package ballot

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"testing"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/enctest"
	"github.com/eo-mixnet/eo/internal/testrand"
	"github.com/eo-mixnet/eo/proofs"
	"github.com/stretchr/testify/require"
)

type accumulator struct{ h hash.Hash }

func newAccumulator() *accumulator          { return &accumulator{sha256.New()} }
func (a *accumulator) Write(b []byte)       { a.h.Write(b) }
func (a *accumulator) hex() string          { return hex.EncodeToString(a.h.Sum(nil)) }
func (a *accumulator) WriteString(s string) { a.h.Write([]byte(s)) }

func testContext(t testing.TB, seed uint64) Context {
	return Context{ElectionID: "election-2026", Question: 1, PK: testKey(t, seed).Public()}
}

func testBallot(t testing.TB, ctx Context, seed uint64, w int, voter string) *Ballot {
	r := testrand.New(seed)
	b, err := Encrypt(r, ctx, testrand.Elements(t, r, w), voter)
	require.NoError(t, err)
	return b
}

// rawBallot is a ballot's bytes, to edit and re-serialise in tests.
type rawBallot struct {
	alpha, beta, R, c, s [][32]byte
	voter                string
}

func rawOf(b *Ballot) *rawBallot {
	r := &rawBallot{voter: b.voterID}
	for j := range b.Width() {
		r.alpha = append(r.alpha, [32]byte(b.enc[64*j:]))
		r.beta = append(r.beta, [32]byte(b.enc[64*j+32:]))
		r.R = append(r.R, [32]byte(b.renc[32*j:]))
		r.c = append(r.c, [32]byte(b.challenge[j].Bytes()))
		r.s = append(r.s, [32]byte(b.response[j].Bytes()))
	}
	return r
}

func (r *rawBallot) clone() *rawBallot {
	c := *r
	c.alpha = append([][32]byte(nil), r.alpha...)
	c.beta = append([][32]byte(nil), r.beta...)
	c.R = append([][32]byte(nil), r.R...)
	c.c = append([][32]byte(nil), r.c...)
	c.s = append([][32]byte(nil), r.s...)
	return &c
}

func (r *rawBallot) line() []byte {
	t := func(b [32]byte) string { return group.EncodeText(b[:]) }
	var sb strings.Builder
	sb.WriteString(`{"choices":[`)
	for j := range r.alpha {
		if j > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"alpha":"%s","beta":"%s"}`, t(r.alpha[j]), t(r.beta[j]))
	}
	sb.WriteString(`],"proofs":[`)
	for j := range r.R {
		if j > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"commitment":"%s","challenge":"%s","response":"%s"}`, t(r.R[j]), t(r.c[j]), t(r.s[j]))
	}
	sb.WriteString(`]}`)
	if r.voter != "" {
		sb.WriteString("|" + r.voter)
	}
	return []byte(sb.String())
}

// verifyLine parses line and verifies it in ctx, both singly and in a batch.
func verifyLine(t *testing.T, ctx Context, line []byte) error {
	t.Helper()
	b, err := ParseLine(line)
	if err != nil {
		return err
	}
	err1 := Verify(ctx, b)
	errs := VerifyAll(ctx, []*Ballot{b}, testrand.New(77))
	require.Equal(t, err1 == nil, errs[0] == nil, "single %v, batch %v", err1, errs[0])
	return err1
}

func TestBallotRoundTrip(t *testing.T) {
	ctx := testContext(t, 1)
	k := testKey(t, 1)
	for _, w := range []int{1, 3} {
		for _, voter := range []string{"", "voter-17", "Zoë Ünïcødé 42"} {
			r := testrand.New(uint64(w))
			m := testrand.Elements(t, r, w)
			b, err := Encrypt(r, ctx, m, voter)
			require.NoError(t, err)
			require.NoError(t, Verify(ctx, b))
			line := b.MarshalLine()
			require.Len(t, line, LineLen(w, len(voter)))
			require.LessOrEqual(t, len(line), MaxLineLen)
			b2, err := ParseLine(line)
			require.NoError(t, err)
			require.Equal(t, line, b2.MarshalLine())
			require.Equal(t, voter, b2.VoterID())
			require.Equal(t, w, b2.Width())
			require.NoError(t, Verify(ctx, b2))
			require.NoError(t, VerifyAll(ctx, []*Ballot{b2}, nil)[0])
			// The ciphertext decrypts to the plaintexts.
			got := k.Decrypt(b2.Ciphertext())
			for j := range m {
				require.Equal(t, 1, got[j].Equal(m[j]))
			}
			// Accessors copy.
			b2.Ciphertext().Alpha[0].Set(group.NewIdentityElement())
			b2.Proof(0).Commitment.Set(group.NewIdentityElement())
			require.Equal(t, line, b2.MarshalLine())
			require.NoError(t, Verify(ctx, b2))
			ct, err := elgamal.DecodeCiphertext(b2.CiphertextBytes(), w)
			require.NoError(t, err)
			require.True(t, ct.Equal(b2.Ciphertext()))
			p := b2.Proof(w - 1)
			require.Equal(t, 1, p.Challenge.Equal(b2.challenge[w-1]))
		}
	}
	ctx.Width = 2
	_, err := Encrypt(nil, ctx, testrand.Elements(t, testrand.New(1), 3), "")
	require.Error(t, err)
	ctx.Width = 0
	_, err = Encrypt(nil, ctx, nil, "")
	require.Error(t, err)
	for _, bad := range []string{"a|b", "a\nb", "\x00", "\x7f", string([]byte{0xff}), strings.Repeat("v", MaxVoterIDLen+1)} {
		_, err := Encrypt(nil, ctx, testrand.Elements(t, testrand.New(1), 1), bad)
		require.Error(t, err, "%q", bad)
	}
}

// The exact shape of a line.
func TestBallotLineShape(t *testing.T) {
	b := testBallot(t, testContext(t, 1), 1, 2, "v1")
	raw := rawOf(b)
	require.Equal(t, string(raw.line()), string(b.MarshalLine()))
	line := string(b.MarshalLine())
	require.True(t, strings.HasPrefix(line, `{"choices":[{"alpha":"`))
	require.True(t, strings.HasSuffix(line, `"}]}|v1`))
	require.Equal(t, 2, strings.Count(line, `"alpha"`))
	require.Equal(t, 2, strings.Count(line, `"commitment"`))
}

// BallotKnownAnswer pins the ballot format and transcript: deterministic
// ballots, the hash of their lines.
func TestBallotAccumulated(t *testing.T) {
	ctx := testContext(t, 1)
	h := newAccumulator()
	for i := range 40 {
		voter := ""
		if i%2 == 1 {
			voter = fmt.Sprintf("voter-%d", i)
		}
		b := testBallot(t, ctx, uint64(1000+i), 1+i%3, voter)
		h.Write(b.MarshalLine())
		h.WriteString("\n")
	}
	require.Equal(t, ballotAccumulated, h.hex())
}

func otherElement(t testing.TB, seed uint64) [32]byte {
	return [32]byte(testrand.Element(t, testrand.New(seed)).Bytes())
}

// A1: changing any element of the statement makes every proof fail.
func TestBallotStatementBinding(t *testing.T) {
	ctx := testContext(t, 1)
	b := testBallot(t, ctx, 2, 3, "voter-9")
	raw := rawOf(b)
	require.NoError(t, verifyLine(t, ctx, raw.line()))

	// The context.
	for name, c := range map[string]Context{
		"election": {ElectionID: "election-2027", Question: 1, PK: ctx.PK},
		"question": {ElectionID: ctx.ElectionID, Question: 2, PK: ctx.PK},
		"key":      {ElectionID: ctx.ElectionID, Question: 1, PK: testKey(t, 2).Public()},
		"width":    {ElectionID: ctx.ElectionID, Question: 1, PK: ctx.PK, Width: 2},
	} {
		err := verifyLine(t, c, raw.line())
		require.ErrorIs(t, err, proofs.ErrInvalidProof, name)
	}
	// Every α and β, the commitments, the voter id.
	edits := map[string]func(r *rawBallot){}
	for j := range 3 {
		edits[fmt.Sprintf("alpha %d", j)] = func(r *rawBallot) { r.alpha[j] = otherElement(t, uint64(100+j)) }
		edits[fmt.Sprintf("beta %d", j)] = func(r *rawBallot) { r.beta[j] = otherElement(t, uint64(200+j)) }
		edits[fmt.Sprintf("commitment %d", j)] = func(r *rawBallot) { r.R[j] = otherElement(t, uint64(300+j)) }
		edits[fmt.Sprintf("challenge %d", j)] = func(r *rawBallot) { r.c[j][0] ^= 1 }
		edits[fmt.Sprintf("response %d", j)] = func(r *rawBallot) { r.s[j][0] ^= 1 }
	}
	edits["voter changed"] = func(r *rawBallot) { r.voter = "voter-8" }
	edits["voter removed"] = func(r *rawBallot) { r.voter = "" }
	edits["pairs swapped"] = func(r *rawBallot) {
		r.alpha[0], r.alpha[1] = r.alpha[1], r.alpha[0]
		r.beta[0], r.beta[1] = r.beta[1], r.beta[0]
	}
	edits["betas swapped"] = func(r *rawBallot) { r.beta[0], r.beta[2] = r.beta[2], r.beta[0] }
	// A3: the proof of choice i attached to choice j.
	edits["proofs swapped"] = func(r *rawBallot) {
		r.R[0], r.R[1] = r.R[1], r.R[0]
		r.c[0], r.c[1] = r.c[1], r.c[0]
		r.s[0], r.s[1] = r.s[1], r.s[0]
	}
	edits["pairs and proofs swapped"] = func(r *rawBallot) {
		r.alpha[0], r.alpha[1] = r.alpha[1], r.alpha[0]
		r.beta[0], r.beta[1] = r.beta[1], r.beta[0]
		r.R[0], r.R[1] = r.R[1], r.R[0]
		r.c[0], r.c[1] = r.c[1], r.c[0]
		r.s[0], r.s[1] = r.s[1], r.s[0]
	}
	edits["choice dropped"] = func(r *rawBallot) {
		r.alpha, r.beta, r.R, r.c, r.s = r.alpha[:2], r.beta[:2], r.R[:2], r.c[:2], r.s[:2]
	}
	for name, edit := range edits {
		r := raw.clone()
		edit(r)
		err := verifyLine(t, ctx, r.line())
		require.Error(t, err, name)
		if !errors.Is(err, group.ErrEncoding) { // a flipped scalar bit may make it non-canonical
			require.ErrorIs(t, err, proofs.ErrInvalidProof, name)
		}
	}
	// A3 where only the choice index tells the proofs apart: a ballot whose
	// two pairs share r (so α_0 = α_1), with its proofs swapped.
	same := &repeatReader{block: bytes.Repeat([]byte{7}, 64)}
	twin, err := Encrypt(same, ctx, testrand.Elements(t, testrand.New(4), 2), "")
	require.NoError(t, err)
	require.Equal(t, 1, twin.ct.Alpha[0].Equal(twin.ct.Alpha[1]))
	require.NoError(t, Verify(ctx, twin))
	tw := rawOf(twin)
	tw.R[0], tw.R[1] = tw.R[1], tw.R[0]
	tw.c[0], tw.c[1] = tw.c[1], tw.c[0]
	tw.s[0], tw.s[1] = tw.s[1], tw.s[0]
	require.ErrorIs(t, verifyLine(t, ctx, tw.line()), proofs.ErrInvalidProof)

	// Adding a voter id to an anonymous ballot.
	anon := rawOf(testBallot(t, ctx, 3, 1, ""))
	require.NoError(t, verifyLine(t, ctx, anon.line()))
	anon.voter = "voter-1"
	require.ErrorIs(t, verifyLine(t, ctx, anon.line()), proofs.ErrInvalidProof)
}

// forge returns a width-1 ballot whose proof satisfies the equation for a
// chosen challenge: R = s·B − c·α with c, s random.
func forge(t *testing.T, seed uint64, alpha *group.Element, beta [32]byte) *rawBallot {
	r := testrand.New(seed)
	c, s := testrand.Scalar(t, r), testrand.Scalar(t, r)
	R := new(group.Element).ScalarBaseMult(s)
	R.Subtract(R, new(group.Element).ScalarMult(c, alpha))
	return &rawBallot{
		alpha: [][32]byte{[32]byte(alpha.Bytes())}, beta: [][32]byte{beta},
		R: [][32]byte{[32]byte(R.Bytes())}, c: [][32]byte{[32]byte(c.Bytes())}, s: [][32]byte{[32]byte(s.Bytes())},
	}
}

// A2: a random challenge with a consistent response is rejected, since
// the challenge is recomputed and compared. And the A1 variant: the
// statement solved for after fixing (R, c, s).
func TestBallotForgedChallenge(t *testing.T) {
	ctx := testContext(t, 1)
	victim := rawOf(testBallot(t, ctx, 4, 1, ""))
	alpha, err := group.DecodeElement(victim.alpha[0][:])
	require.NoError(t, err)
	// Copy the victim's α and β, invent a proof.
	f := forge(t, 5, alpha, victim.beta[0])
	b, err := ParseLine(f.line())
	require.NoError(t, err)
	require.NoError(t, b.checkEquation(0, b.challenge[0])) // the equation holds …
	err = Verify(ctx, b)                                   // … the challenge does not
	require.ErrorIs(t, err, proofs.ErrInvalidProof)
	require.ErrorContains(t, err, "challenge mismatch")
	require.ErrorIs(t, VerifyAll(ctx, []*Ballot{b}, nil)[0], proofs.ErrInvalidProof)

	// Fix (R, c, s) first, then solve for α = c⁻¹·(s·B − R).
	r := testrand.New(6)
	R, c, s := testrand.Element(t, r), testrand.Scalar(t, r), testrand.Scalar(t, r)
	solved := new(group.Element).ScalarBaseMult(s)
	solved.Subtract(solved, R)
	solved.ScalarMult(group.NewScalar().Invert(c), solved)
	g := &rawBallot{
		alpha: [][32]byte{[32]byte(solved.Bytes())}, beta: [][32]byte{otherElement(t, 7)},
		R: [][32]byte{[32]byte(R.Bytes())}, c: [][32]byte{[32]byte(c.Bytes())}, s: [][32]byte{[32]byte(s.Bytes())},
	}
	b, err = ParseLine(g.line())
	require.NoError(t, err)
	require.NoError(t, b.checkEquation(0, b.challenge[0]))
	require.ErrorIs(t, Verify(ctx, b), proofs.ErrInvalidProof)

	// The commitment solved for after the challenge: take the true
	// challenge of the statement with some R₀, then R = s·B − c·α. Only
	// binding R itself stops this forgery of a copied ciphertext.
	h := &rawBallot{alpha: victim.alpha, beta: victim.beta, R: [][32]byte{otherElement(t, 8)},
		c: [][32]byte{{}}, s: [][32]byte{{}}, voter: "mallory"}
	b, err = ParseLine(h.line())
	require.NoError(t, err)
	prefix, err := ctx.transcript()
	require.NoError(t, err)
	c = b.choiceChallenge(b.transcript(prefix), 0)
	s = testrand.Scalar(t, r)
	R = new(group.Element).ScalarBaseMult(s)
	R.Subtract(R, new(group.Element).ScalarMult(c, alpha))
	h.R[0], h.c[0], h.s[0] = [32]byte(R.Bytes()), [32]byte(c.Bytes()), [32]byte(s.Bytes())
	b, err = ParseLine(h.line())
	require.NoError(t, err)
	require.NoError(t, b.checkEquation(0, b.challenge[0]))
	err = Verify(ctx, b)
	require.ErrorIs(t, err, proofs.ErrInvalidProof)
	require.ErrorContains(t, err, "challenge mismatch")
	require.ErrorIs(t, VerifyAll(ctx, []*Ballot{b}, nil)[0], proofs.ErrInvalidProof)
}

// A3 and A9: replay in another election or question; a re-randomised
// copy with the original proofs; an exact copy.
func TestBallotReplay(t *testing.T) {
	ctxA := testContext(t, 1)
	ctxB := ctxA
	ctxB.ElectionID = "election-B"
	b := testBallot(t, ctxA, 8, 2, "")
	require.NoError(t, Verify(ctxA, b))
	require.ErrorIs(t, Verify(ctxB, b), proofs.ErrInvalidProof)
	ctxQ := ctxA
	ctxQ.Question = 0
	require.ErrorIs(t, Verify(ctxQ, b), proofs.ErrInvalidProof)

	// Re-randomise the ciphertext, keep the proofs.
	c2, err := elgamal.ReEncrypt(testrand.New(9), ctxA.PK, b.Ciphertext())
	require.NoError(t, err)
	raw := rawOf(b)
	enc, _ := c2.MarshalBinary()
	for j := range 2 {
		raw.alpha[j], raw.beta[j] = [32]byte(enc[64*j:]), [32]byte(enc[64*j+32:])
	}
	require.ErrorIs(t, verifyLine(t, ctxA, raw.line()), proofs.ErrInvalidProof)
	// Only β re-randomised (α kept): the transcript still differs.
	raw = rawOf(b)
	raw.beta[1] = [32]byte(enc[64+32:])
	require.ErrorIs(t, verifyLine(t, ctxA, raw.line()), proofs.ErrInvalidProof)
	// A copy under another voter's id.
	bv := testBallot(t, ctxA, 10, 1, "alice")
	rv := rawOf(bv)
	rv.voter = "mallory"
	require.ErrorIs(t, verifyLine(t, ctxA, rv.line()), proofs.ErrInvalidProof)

	// Exact copies: valid, but VerifyAll keeps only the first.
	other := testBallot(t, ctxA, 11, 2, "")
	bad, err := ParseLine(rawOf(b).line())
	require.NoError(t, err)
	errs := VerifyAll(ctxA, []*Ballot{b, other, bad}, nil)
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.ErrorIs(t, errs[2], ErrDuplicate)
	// An invalid copy placed first does not push out the original.
	broken := rawOf(b)
	broken.voter = "x"
	first, err := ParseLine(broken.line())
	require.NoError(t, err)
	errs = VerifyAll(ctxA, []*Ballot{first, b}, nil)
	require.ErrorIs(t, errs[0], proofs.ErrInvalidProof)
	require.NoError(t, errs[1])
	// A valid ballot sharing one α with an earlier one (as only a copier
	// of r could make) is a duplicate too: simulate with the same r.
	r1 := testrand.New(12)
	m := testrand.Elements(t, r1, 1)
	x1, err := Encrypt(testrand.New(13), ctxA, m, "a")
	require.NoError(t, err)
	x2, err := Encrypt(testrand.New(13), ctxA, m, "b") // same randomness
	require.NoError(t, err)
	errs = VerifyAll(ctxA, []*Ballot{x1, x2}, nil)
	require.NoError(t, errs[0])
	require.ErrorIs(t, errs[1], ErrDuplicate)
}

// A7 and A10 on ParseLine.
func TestParseBallotLineRejects(t *testing.T) {
	ctx := testContext(t, 1)
	b := testBallot(t, ctx, 14, 2, "")
	raw := rawOf(b)
	line := string(raw.line())
	a0 := group.EncodeText(raw.alpha[0][:])
	zero := group.EncodeText(make([]byte, 32))
	lText := group.EncodeText(enctest.ScalarL())

	bad := map[string]string{
		"empty":                   "",
		"just a newline":          "\n",
		"trailing newline":        line + "\n",
		"trailing CRLF":           line + "\r\n",
		"trailing space":          line + " ",
		"leading space":           " " + line,
		"trailing bytes":          line + "{}",
		"empty voter":             line + "|",
		"voter with newline":      line + "|a\nb",
		"voter with tab":          line + "|a\tb",
		"voter not utf8":          line + "|\xff",
		"voter too long":          line + "|" + strings.Repeat("v", MaxVoterIDLen+1),
		"two bars":                line + "|a|b" + "|",
		"space after colon":       strings.Replace(line, `"alpha":"`, `"alpha": "`, 1),
		"keys reordered":          strings.Replace(line, `{"choices"`, `{"proofs"`, 1),
		"extra field":             strings.Replace(line, `]}`, `],"extra":1}`, 1),
		"extra pair field":        strings.Replace(line, `"}`, `","gamma":"`+a0+`"}`, 1),
		"duplicate alpha":         strings.Replace(line, `{"alpha":"`+a0+`"`, `{"alpha":"`+a0+`","alpha":"`+a0+`"`, 1),
		"duplicate choices":       strings.Replace(line, `],"proofs"`, `],"choices":[],"proofs"`, 1),
		"escaped key":             strings.Replace(line, `"alpha"`, `"\u0061lpha"`, 1),
		"no choices":              `{"choices":[],"proofs":[]}`,
		"no proofs":               line[:strings.Index(line, `"proofs":[`)+len(`"proofs":[`)] + `]}`,
		"null":                    "null",
		"array":                   "[" + line + "]",
		"nested":                  strings.Repeat("[", 100000),
		"deep object":             strings.Repeat(`{"choices":`, 10000),
		"identity alpha":          strings.Replace(line, a0, zero, 1),
		"identity beta":           string(withRaw(raw, func(r *rawBallot) { r.beta[1] = [32]byte{} })),
		"identity commitment":     string(withRaw(raw, func(r *rawBallot) { r.R[0] = [32]byte{} })),
		"challenge ≥ ℓ":           string(withRaw(raw, func(r *rawBallot) { r.c[1] = [32]byte(enctest.ScalarL()) })),
		"response ≥ ℓ":            string(withRaw(raw, func(r *rawBallot) { r.s[0] = [32]byte(enctest.ScalarL()) })),
		"response all ones":       string(withRaw(raw, func(r *rawBallot) { r.s[0] = [32]byte(bytes.Repeat([]byte{0xff}, 32)) })),
		"alpha top bit":           string(withRaw(raw, func(r *rawBallot) { r.alpha[0] = [32]byte(enctest.ElementWithTopBit()) })),
		"short text":              strings.Replace(line, a0, a0[:42], 1),
		"long text":               strings.Replace(line, a0, a0+"A", 1),
		"padded text":             strings.Replace(line, a0, a0[:42]+"=", 1),
		"std alphabet":            strings.Replace(line, a0, "+"+a0[1:], 1),
		"trailing bits":           strings.Replace(line, a0, a0[:42]+string(enctest.FlipLastB64(a0[42])), 1),
		"newline in text":         strings.Replace(line, a0, a0[:20]+"\n"+a0[21:], 1),
		"scalar text ℓ":           strings.Replace(line, group.EncodeText(raw.c[0][:]), lText, 1),
		"one proof for two":       string(withRaw(raw, func(r *rawBallot) { r.R, r.c, r.s = r.R[:1], r.c[:1], r.s[:1] })),
		"three proofs for two":    string(withRaw(raw, func(r *rawBallot) { r.R, r.c, r.s = append(r.R, r.R[0]), append(r.c, r.c[0]), append(r.s, r.s[0]) })),
		"one choice for two":      string(withRaw(raw, func(r *rawBallot) { r.alpha, r.beta = r.alpha[:1], r.beta[:1] })),
		"trailing comma choices":  strings.Replace(line, `],"proofs"`, `,],"proofs"`, 1),
		"trailing comma proofs":   strings.TrimSuffix(line, `]}`) + `,]}`,
		"missing closing brace":   strings.TrimSuffix(line, `}`),
		"bar inside":              strings.Replace(line, `"alpha"`, `"al|pha"`, 1) + "|v",
		"too long":                line + "|" + strings.Repeat("v", MaxLineLen),
		"json with whitespace":    strings.ReplaceAll(line, ",", ", "),
		"proof fields reordered":  strings.Replace(line, `"commitment"`, `"response"`, 1),
		"missing beta key":        strings.Replace(line, `","beta":"`, `","bet":"`, 1),
		"upper-case key":          strings.Replace(line, `"alpha"`, `"Alpha"`, 1),
		"nul byte":                line[:5] + "\x00" + line[6:],
		"unterminated":            line[:len(line)/2],
		"choices as object":       strings.Replace(line, `{"choices":[`, `{"choices":{`, 1),
		"commitment not a string": strings.Replace(line, `"commitment":"`, `"commitment":`, 1),
	}
	for i, h := range enctest.BadEncodings {
		bad[fmt.Sprintf("rfc bad beta %d", i)] = string(withRaw(raw, func(r *rawBallot) { r.beta[0] = [32]byte(enctest.MustHex(h)) }))
		bad[fmt.Sprintf("rfc bad commitment %d", i)] = string(withRaw(raw, func(r *rawBallot) { r.R[1] = [32]byte(enctest.MustHex(h)) }))
	}
	for name, s := range bad {
		_, err := ParseLine([]byte(s))
		require.ErrorIs(t, err, group.ErrEncoding, "%s: %q", name, truncate(s))
	}
	// Every proper prefix of a line without a voter id fails to parse.
	for n := 0; n < len(line); n++ {
		_, err := ParseLine([]byte(line[:n]))
		require.ErrorIs(t, err, group.ErrEncoding, "prefix %d", n)
	}
	// Every prefix of a line with a voter id fails to parse or to verify,
	// and so does every one-byte extension.
	withVoter := string(testBallot(t, ctx, 15, 1, "voter-5").MarshalLine())
	for n := 0; n < len(withVoter); n++ {
		require.Error(t, verifyLine(t, ctx, []byte(withVoter[:n])), "prefix %d", n)
	}
	for c := 0; c < 256; c++ {
		require.Error(t, verifyLine(t, ctx, []byte(withVoter+string([]byte{byte(c)}))), "extension %d", c)
		_, err := ParseLine([]byte(line + string([]byte{byte(c)})))
		require.ErrorIs(t, err, group.ErrEncoding, "extension %d", c)
	}
	// Errors name the place.
	_, err := ParseLine([]byte(strings.Replace(line, a0, zero, 1)))
	require.ErrorContains(t, err, "choice 0: alpha is the identity")
	_, err = ParseLine([]byte(bad["one proof for two"]))
	require.ErrorContains(t, err, "1 proofs for 2 choices")
}

func withRaw(r *rawBallot, edit func(*rawBallot)) []byte {
	c := r.clone()
	edit(c)
	return c.line()
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func TestParseBallotLineWidthLimit(t *testing.T) {
	ctx := testContext(t, 1)
	one := rawOf(testBallot(t, ctx, 16, 1, ""))
	wide := &rawBallot{}
	for range elgamal.MaxWidth {
		wide.alpha, wide.beta = append(wide.alpha, one.alpha[0]), append(wide.beta, one.beta[0])
		wide.R, wide.c, wide.s = append(wide.R, one.R[0]), append(wide.c, one.c[0]), append(wide.s, one.s[0])
	}
	line := wide.line()
	require.Len(t, line, LineLen(elgamal.MaxWidth, 0))
	b, err := ParseLine(line) // parses (the proofs are wrong)
	require.NoError(t, err)
	require.Equal(t, elgamal.MaxWidth, b.Width())
	require.Error(t, Verify(ctx, b))
	// One more choice is refused: by the length of the line, or, without
	// proofs to make it long, by the count.
	wide.alpha, wide.beta = append(wide.alpha, one.alpha[0]), append(wide.beta, one.beta[0])
	wide.R, wide.c, wide.s = append(wide.R, one.R[0]), append(wide.c, one.c[0]), append(wide.s, one.s[0])
	_, err = ParseLine(wide.line())
	require.ErrorIs(t, err, group.ErrEncoding)
	require.ErrorContains(t, err, "longer than")
	wide.R, wide.c, wide.s = nil, nil, nil
	_, err = ParseLine(wide.line())
	require.ErrorIs(t, err, group.ErrEncoding)
	require.ErrorContains(t, err, "more than 1024 choices")
	require.Equal(t, LineLen(elgamal.MaxWidth, MaxVoterIDLen), MaxLineLen)
	require.Equal(t, 292121, MaxLineLen)
}

func TestBallotContextErrors(t *testing.T) {
	ctx := testContext(t, 1)
	b := testBallot(t, ctx, 17, 1, "")
	for name, c := range map[string]Context{
		"no key":            {ElectionID: "e", Question: 0},
		"zero key":          {ElectionID: "e", Question: 0, PK: &elgamal.PublicKey{}},
		"no election":       {Question: 0, PK: ctx.PK},
		"negative question": {ElectionID: "e", Question: -1, PK: ctx.PK},
		"negative width":    {ElectionID: "e", PK: ctx.PK, Width: -1},
		"huge width":        {ElectionID: "e", PK: ctx.PK, Width: elgamal.MaxWidth + 1},
	} {
		require.Error(t, Verify(c, b), name)
		errs := VerifyAll(c, []*Ballot{b, b}, nil)
		require.Error(t, errs[0], name)
		require.Error(t, errs[1], name)
		_, err := Encrypt(nil, c, testrand.Elements(t, testrand.New(1), 1), "")
		require.Error(t, err, name)
	}
	// Malformed ballots are errors, not panics.
	require.ErrorIs(t, Verify(ctx, nil), proofs.ErrInvalidProof)
	require.ErrorIs(t, Verify(ctx, &Ballot{}), proofs.ErrInvalidProof)
	errs := VerifyAll(ctx, []*Ballot{nil, {}, b}, nil)
	require.Error(t, errs[0])
	require.Error(t, errs[1])
	require.NoError(t, errs[2])
	require.Empty(t, VerifyAll(ctx, nil, nil))
}

// repeatReader returns the same block over and over, in reads of any size
// that start at a block boundary.
type repeatReader struct{ block []byte }

func (r *repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.block[i%len(r.block)]
	}
	return len(p), nil
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := min(len(p), f.n)
	f.n -= n
	return n, nil
}

func TestVerifyBallotsBrokenRand(t *testing.T) {
	ctx := testContext(t, 1)
	bs := []*Ballot{testBallot(t, ctx, 18, 1, ""), testBallot(t, ctx, 19, 1, "")}
	for _, err := range VerifyAll(ctx, bs, &failingReader{n: 20}) {
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	}
	_, err := Encrypt(&failingReader{n: 64 + 10}, ctx, testrand.Elements(t, testrand.New(1), 1), "")
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// Batch verification finds exactly the bad ballots among many good ones,
// and agrees with Verify on each.
func TestVerifyBallotsFindsBad(t *testing.T) {
	ctx := testContext(t, 1)
	const n = 300
	lines := make([][]byte, n)
	for i := range lines {
		lines[i] = testBallot(t, ctx, uint64(2000+i), 1+i%3, fmt.Sprintf("v%d", i)).MarshalLine()
	}
	other := testContext(t, 2)
	badAt := map[int]string{}
	corrupt := func(i int, kind string, edit func(r *rawBallot)) {
		b, err := ParseLine(lines[i])
		require.NoError(t, err)
		r := rawOf(b)
		edit(r)
		lines[i] = r.line()
		badAt[i] = kind
	}
	corrupt(3, "response+1 (equation only)", func(r *rawBallot) {
		s, _ := group.DecodeScalar(r.s[0][:])
		r.s[0] = [32]byte(s.Add(s, group.ScalarFromUint64(1)).Bytes())
	})
	corrupt(77, "challenge", func(r *rawBallot) { r.c[0] = [32]byte(group.ScalarFromUint64(5).Bytes()) })
	corrupt(150, "voter", func(r *rawBallot) { r.voter = "someone-else" })
	corrupt(151, "beta", func(r *rawBallot) { r.beta[len(r.beta)-1] = otherElement(t, 1) })
	corrupt(299, "commitment (equation only after forging c)", func(r *rawBallot) {
		// A commitment swapped for another keeps the challenge wrong too.
		r.R[0] = otherElement(t, 2)
	})
	lines[200] = testBallot(t, other, 3000, 1, "").MarshalLine() // another key
	badAt[200] = "other election key"
	corrupt(201, "response+1 in last choice", func(r *rawBallot) {
		w := len(r.s) - 1
		s, _ := group.DecodeScalar(r.s[w][:])
		r.s[w] = [32]byte(s.Add(s, group.ScalarFromUint64(1)).Bytes())
	})

	ballots, perrs := ParseLines(lines)
	for i := range perrs {
		require.NoError(t, perrs[i], i)
	}
	errs := VerifyAll(ctx, ballots, testrand.New(21))
	require.Len(t, errs, n)
	for i, err := range errs {
		if kind, bad := badAt[i]; bad {
			require.ErrorIs(t, err, proofs.ErrInvalidProof, "ballot %d (%s) passed", i, kind)
		} else {
			require.NoError(t, err, "ballot %d", i)
		}
		require.Equal(t, err == nil, Verify(ctx, ballots[i]) == nil, i)
	}
	// With only the equation-only faults, the batch must be what catches them.
	only := []*Ballot{ballots[0], ballots[3], ballots[4], ballots[201]}
	errs = VerifyAll(ctx, only, nil)
	require.NoError(t, errs[0])
	require.ErrorContains(t, errs[1], "equation")
	require.NoError(t, errs[2])
	require.ErrorContains(t, errs[3], "equation")
	// All valid: all nil.
	var good []*Ballot
	for i, b := range ballots {
		if _, bad := badAt[i]; !bad {
			good = append(good, b)
		}
	}
	for _, err := range VerifyAll(ctx, good, nil) {
		require.NoError(t, err)
	}
}

func TestParseBallotLines(t *testing.T) {
	ctx := testContext(t, 1)
	lines := make([][]byte, 200)
	for i := range lines {
		lines[i] = testBallot(t, ctx, uint64(i), 1, "").MarshalLine()
	}
	lines[50] = []byte("garbage")
	bs, errs := ParseLines(lines)
	for i := range lines {
		if i == 50 {
			require.Error(t, errs[i])
			require.Nil(t, bs[i])
			continue
		}
		require.NoError(t, errs[i])
		require.Equal(t, lines[i], bs[i].MarshalLine())
	}
}

// ballotAccumulated is the known answer of TestBallotAccumulated. It
// changes only with the ballot format and transcript, which are part of
// the election record's specification: a change here is a format change.
const ballotAccumulated = "2f0b00198ee10246ac856cb0ad2ef303e885b150df9ad1e8569ff44e1894c970"

func testKey(t testing.TB, seed uint64) *elgamal.PrivateKey {
	k, err := elgamal.GenerateKey(testrand.New(seed))
	require.NoError(t, err)
	return k
}
