package vectors

import (
	"bytes"
	"crypto/sha512"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/record"
	"github.com/eo-mixnet/eo/threshold"
)

// DecryptionFile is decryption.json.
type DecryptionFile struct {
	Description      string        `json:"description"`
	Election         string        `json:"election"`
	Session          string        `json:"session"`
	N                int           `json:"n"`
	T                int           `json:"t"`
	DKGTranscript    string        `json:"dkg_transcript"`
	DKGHash          string        `json:"dkg_transcript_sha512"`
	Qualified        []int         `json:"qual"`
	PublicKey        string        `json:"public_key"`
	VerificationKeys []string      `json:"verification_keys"`
	Width            int           `json:"width"`
	List             string        `json:"list"`
	Shares           []ShareVector `json:"shares"`
	Combinations     []Combination `json:"combinations"`
	Plaintexts       []string      `json:"plaintexts_txt"`
	Negative         []ShareCase   `json:"negative"`
	// DKGFaults is a second key generation, with faults (verify.md §6).
	DKGFaults *DKGFaultsVector `json:"dkg_with_faults"`
}

// ShareVector is one authority's decryption share and its proof's
// intermediate values (doc/threshold.md §5).
type ShareVector struct {
	Authority   int      `json:"authority"`
	Message     string   `json:"message"`
	Factors     []string `json:"factors"`
	R1          string   `json:"R1"`
	R2          string   `json:"R2"`
	C           string   `json:"c"`
	S           string   `json:"s"`
	TranscriptW string   `json:"transcript_to_weights"`
	Weights     []string `json:"weights"`
	HStar       string   `json:"H_star"`
	YStar       string   `json:"Y_star"`
	TranscriptC string   `json:"transcript_to_c"`
	Computed    string   `json:"computed_c"`
	Valid       bool     `json:"valid"`
}

// Combination is the plaintexts from one set of t shares.
type Combination struct {
	Set        []int    `json:"set"`
	Lambda     []string `json:"lambda"`
	Plaintexts []string `json:"plaintext_elements"`
}

// ShareCase is a share that must fail.
type ShareCase struct {
	Name      string `json:"name"`
	Authority int    `json:"authority"`
	Message   string `json:"message"`
	Expect    string `json:"expect"`
	// Fails is the first check that fails (threshold.md §5, in its
	// order): "decoding" (the message does not decode as authority i's
	// share for this list), "challenge", "s·B = R1 + c·VK_i" or
	// "s·H* = R2 + c·Y*".
	Fails string `json:"fails"`
}

// shareSpec rebuilds a share's proof from doc/threshold.md §5 and reports
// whether it verifies.
func shareSpec(pub *threshold.DKGPublic, list *elgamal.List, i int, factors []*group.Element, R1, R2 *group.Element, c, s *group.Scalar) ShareVector {
	t := newTr("eo/threshold-decryption/v1")
	t.str("group", "ristretto255")
	t.str("election", pub.ElectionID)
	t.str("session", pub.SessionID)
	t.u64("n", uint64(pub.N))
	t.u64("t", uint64(pub.T))
	t.bytes("public-key", pub.PublicKey.Bytes())
	t.bytes("dkg-transcript", pub.TranscriptHash[:])
	t.u64("width", uint64(list.Width()))
	t.u64("count", uint64(list.Len()))
	t.bytes("ciphertexts", list.Bytes())
	t.u64("authority", uint64(i))
	t.str("proof", "batch-dleq")
	m := len(factors)
	t.u64("n", uint64(m))
	var alphas, ds []byte
	var alphaEl []*group.Element
	for _, ct := range list.Ciphertexts() {
		for _, a := range ct.Alpha {
			alphas = append(alphas, a.Bytes()...)
			alphaEl = append(alphaEl, a)
		}
	}
	for _, d := range factors {
		ds = append(ds, d.Bytes()...)
	}
	t.list("H", alphas)
	t.list("Y", ds)
	e := t.shortVector("weights", m)
	v := ShareVector{Authority: i, TranscriptW: hx(t.b), R1: el(R1), R2: el(R2), C: sc(c), S: sc(s)}
	Hs, Ys := group.NewIdentityElement(), group.NewIdentityElement()
	for k := range m {
		Hs.Add(Hs, new(group.Element).ScalarMult(e[k], alphaEl[k]))
		Ys.Add(Ys, new(group.Element).ScalarMult(e[k], factors[k]))
		v.Weights = append(v.Weights, sc(e[k]))
		v.Factors = append(v.Factors, el(factors[k]))
	}
	VK := pub.VerificationKey(i)
	t.str("proof", "dleq")
	t.elem("G", group.NewGeneratorElement().Bytes())
	t.elem("X", VK.Bytes())
	t.elem("H", Hs.Bytes())
	t.elem("Y", Ys.Bytes())
	t.elem("R1", R1.Bytes())
	t.elem("R2", R2.Bytes())
	cc := t.challenge("c")
	v.HStar, v.YStar, v.TranscriptC, v.Computed = el(Hs), el(Ys), hx(t.b), sc(cc)
	eq1 := new(group.Element).ScalarBaseMult(s).Equal(new(group.Element).Add(R1, new(group.Element).ScalarMult(c, VK))) == 1
	eq2 := new(group.Element).ScalarMult(s, Hs).Equal(new(group.Element).Add(R2, new(group.Element).ScalarMult(c, Ys))) == 1
	v.Valid = cc.Equal(c) == 1 && eq1 && eq2
	return v
}

// lagrange returns λ_i = Π_{l∈S, l≠i} l/(l − i) mod ℓ.
func lagrange(S []int) []*group.Scalar {
	out := make([]*group.Scalar, len(S))
	for k, i := range S {
		num, den := group.ScalarFromUint64(1), group.ScalarFromUint64(1)
		for _, l := range S {
			if l == i {
				continue
			}
			num.Multiply(num, group.ScalarFromUint64(uint64(l)))
			diff := group.ScalarFromUint64(uint64(max(l-i, i-l)))
			if l < i {
				diff.Negate(diff)
			}
			den.Multiply(den, diff)
		}
		out[k] = num.Multiply(num, den.Invert(den))
	}
	return out
}

func decryptionFile(e *election) (any, error) {
	pub := e.keys.Public
	list, err := ballot.Ciphertexts(e.ballots)
	if err != nil {
		return nil, err
	}
	trb := e.keys.Transcript.Bytes()
	h := sha512.Sum512(trb)
	if !bytes.Equal(h[:], pub.TranscriptHash[:]) {
		return nil, fmt.Errorf("transcript hash")
	}
	f := &DecryptionFile{
		Description: "The key generation of question 0 (doc/threshold.md §3–§4: its transcript dkg.bin, QUAL, Y and each VK_i), every authority's decryption share of the list of the four ballots with its proof's intermediate values (threshold.md §5), the Lagrange coefficients and plaintext elements of every set of t shares (doc/verify.md §7), and the lines of plaintexts.txt (§5.3). Negative cases are share messages whose proof must fail.",
		Election:    ElectionID, Session: SessionID, N: N, T: T, DKGTranscript: hx(trb), DKGHash: hx(h[:]),
		Qualified: pub.Qualified, PublicKey: hx(pub.PublicKey.Bytes()), Width: Width, List: hx(list.Bytes()),
	}
	for i := 1; i <= N; i++ {
		f.VerificationKeys = append(f.VerificationKeys, el(pub.VerificationKey(i)))
	}
	var msgs []*threshold.DecryptionShareMessage
	for _, ks := range e.keys.Shares {
		m, err := ks.DecryptionShare(pub, list, e.rnd)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
		v := shareSpec(pub, list, m.Sender, m.Factors, m.Proof.Commitment1, m.Proof.Commitment2, m.Proof.Challenge, m.Proof.Response)
		if !v.Valid {
			return nil, fmt.Errorf("share %d does not verify by the spec", m.Sender)
		}
		v.Message = hx(m.Bytes())
		f.Shares = append(f.Shares, v)
	}
	dec, err := threshold.ThresholdDecrypt(pub, list, msgs)
	if err != nil {
		return nil, err
	}
	for _, S := range [][]int{{1, 2}, {1, 3}, {2, 3}} {
		lam := lagrange(S)
		c := Combination{Set: S}
		for _, l := range lam {
			c.Lambda = append(c.Lambda, sc(l))
		}
		for j, ct := range list.Ciphertexts() {
			for k := range ct.Beta {
				M := new(group.Element).Set(ct.Beta[k])
				for x, i := range S {
					M.Subtract(M, new(group.Element).ScalarMult(lam[x], msgs[i-1].Factors[j*Width+k]))
				}
				if M.Equal(dec.Plaintexts[j][k]) != 1 {
					return nil, fmt.Errorf("set %v: plaintext %d,%d differs from threshold.ThresholdDecrypt", S, j, k)
				}
				c.Plaintexts = append(c.Plaintexts, el(M))
			}
		}
		f.Combinations = append(f.Combinations, c)
	}
	f.Plaintexts = record.PlaintextLines(dec.Plaintexts)
	for j, line := range f.Plaintexts {
		var parts []string
		for k := range Width {
			v, ok := decodeIntSpec(dec.Plaintexts[j][k].Bytes())
			if !ok {
				parts = append(parts, "invalid")
			} else {
				parts = append(parts, v.String())
			}
		}
		if want := fmt.Sprint(votes[j][0]) + "," + fmt.Sprint(votes[j][1]); line != want || slices.Compare(parts, []string{fmt.Sprint(votes[j][0]), fmt.Sprint(votes[j][1])}) != 0 {
			return nil, fmt.Errorf("plaintext %d is %q (spec %v), want %q", j, line, parts, want)
		}
	}
	// Negative: factors swapped (the share decodes, its proof fails), a
	// share presented for another index, and a wrong factor proved with
	// the authority's true key share (the challenge and the first equation
	// hold, only the second fails).
	m2 := msgs[1]
	swb := swapBytes(m2.Bytes(), len(m2.Bytes())-128-32*len(m2.Factors), 32)
	second, err := wrongFactorShare(pub, list, e.keys.Shares[0], msgs[0])
	if err != nil {
		return nil, err
	}
	for _, c := range []ShareCase{
		{Name: "authority 2's factors d_0 and d_1 swapped", Authority: 2, Message: hx(swb), Expect: "invalid", Fails: FailsChallenge},
		{Name: "authority 3's share presented for authority 1's index", Authority: 1, Message: hx(msgs[2].Bytes()), Expect: "invalid", Fails: FailsDecoding},
		{Name: "authority 1's factor d_0 replaced by d_0 + B, proved with x_1: only the second equation fails", Authority: 1, Message: hx(second), Expect: "invalid", Fails: FailsSecond},
	} {
		b, _ := unhex(c.Message)
		if err := CheckShareVerdict(pub, list, c.Authority, b, false); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		if got := shareFails(pub, list, c.Authority, b); got != c.Fails {
			return nil, fmt.Errorf("%s: fails %q by the spec, want %q", c.Name, got, c.Fails)
		}
		f.Negative = append(f.Negative, c)
	}
	if f.DKGFaults, err = dkgFaultsVector(); err != nil {
		return nil, err
	}
	return f, nil
}

// What a negative share fails first (ShareCase.Fails).
const (
	FailsDecoding  = "decoding"
	FailsChallenge = "challenge"
	FailsFirst     = "s·B = R1 + c·VK_i"
	FailsSecond    = "s·H* = R2 + c·Y*"
)

// shareFails returns the first check of threshold.md §5 that the share
// fails, computed from the spec ("" if it verifies); for the proof's
// checks it also asks package threshold for the same answer.
func shareFails(pub *threshold.DKGPublic, list *elgamal.List, i int, msg []byte) string {
	m, err := threshold.DecodeMessage(msg)
	if err != nil {
		return FailsDecoding
	}
	ds, ok := m.(*threshold.DecryptionShareMessage)
	if !ok || ds.Sender != i || ds.ElectionID != pub.ElectionID || ds.SessionID != pub.SessionID || ds.Width != list.Width() || len(ds.Factors) != list.Len()*list.Width() {
		return FailsDecoding
	}
	p := ds.Proof
	v := shareSpec(pub, list, i, ds.Factors, p.Commitment1, p.Commitment2, p.Challenge, p.Response)
	hs, _ := unhex(v.HStar)
	ys, _ := unhex(v.YStar)
	Hs, err1 := group.DecodeElement(hs)
	Ys, err2 := group.DecodeElement(ys)
	if err1 != nil || err2 != nil {
		panic("vectors: H* or Y*")
	}
	_, verr := threshold.VerifyDecryptionShare(pub, list, ds)
	want := func(got, text string) string {
		if verr == nil || !strings.Contains(verr.Error(), text) {
			return fmt.Sprintf("%s (threshold says %v)", got, verr)
		}
		return got
	}
	switch {
	case v.Computed != v.C:
		return want(FailsChallenge, "challenge mismatch")
	case new(group.Element).ScalarBaseMult(p.Response).Equal(new(group.Element).Add(p.Commitment1, new(group.Element).ScalarMult(p.Challenge, pub.VerificationKey(i)))) != 1:
		return want(FailsFirst, "s·G = R1 + c·X")
	case new(group.Element).ScalarMult(p.Response, Hs).Equal(new(group.Element).Add(p.Commitment2, new(group.Element).ScalarMult(p.Challenge, Ys))) != 1:
		return want(FailsSecond, "s·H = R2 + c·Y")
	}
	return ""
}

// wrongFactorShare returns share m of authority ks with its first factor
// replaced by d_0 + B and a proof made honestly with x_i over the wrong
// factors: the challenge and s·B = R1 + c·VK_i hold, s·H* = R2 + c·Y*
// does not.
func wrongFactorShare(pub *threshold.DKGPublic, list *elgamal.List, ks *threshold.KeyShare, m *threshold.DecryptionShareMessage) ([]byte, error) {
	x, err := group.DecodeScalar(ks.Bytes()[1:])
	if err != nil {
		return nil, err
	}
	i := ks.Index()
	factors := slices.Clone(m.Factors)
	factors[0] = new(group.Element).Add(factors[0], group.NewGeneratorElement())
	var wide [64]byte
	copy(wide[:], "eo/test vectors: the nonce r of the wrong-factor share")
	r, err := group.NewScalar().SetUniformBytes(wide[:])
	if err != nil {
		return nil, err
	}
	zero := group.NewScalar()
	B := group.NewGeneratorElement()
	v := shareSpec(pub, list, i, factors, B, B, zero, zero)
	hs, _ := unhex(v.HStar)
	Hs, err := group.DecodeElement(hs)
	if err != nil {
		return nil, err
	}
	R1 := new(group.Element).ScalarBaseMult(r)
	R2 := new(group.Element).ScalarMult(r, Hs)
	v = shareSpec(pub, list, i, factors, R1, R2, zero, zero)
	cb, _ := unhex(v.Computed)
	c, err := group.DecodeScalar(cb)
	if err != nil {
		return nil, err
	}
	s := group.NewScalar().Multiply(c, x)
	s.Add(s, r)
	b := m.Bytes()
	off := len(b) - 128 - 32*len(factors)
	out := slices.Clone(b[:off])
	for _, d := range factors {
		out = append(out, d.Bytes()...)
	}
	for _, part := range [][]byte{R1.Bytes(), R2.Bytes(), c.Bytes(), s.Bytes()} {
		out = append(out, part...)
	}
	return out, nil
}

func swapBytes(b []byte, off, size int) []byte {
	out := bytes.Clone(b)
	copy(out[off:off+size], b[off+size:off+2*size])
	copy(out[off+size:off+2*size], b[off:off+size])
	return out
}

// CheckShareVerdict decodes a share message and checks that it is (or is
// not) a valid share of authority i for list.
func CheckShareVerdict(pub *threshold.DKGPublic, list *elgamal.List, i int, msg []byte, valid bool) error {
	m, err := threshold.DecodeMessage(msg)
	if err == nil {
		ds, ok := m.(*threshold.DecryptionShareMessage)
		switch {
		case !ok:
			err = fmt.Errorf("not a decryption share")
		case ds.Sender != i:
			err = fmt.Errorf("a share of authority %d", ds.Sender)
		default:
			_, err = threshold.VerifyDecryptionShare(pub, list, ds)
		}
	}
	if valid && err != nil {
		return err
	}
	if !valid && err == nil {
		return fmt.Errorf("the share verifies")
	}
	return nil
}

// decodeIntSpec is doc/verify.md §5.2, from the text.
func decodeIntSpec(s []byte) (*big.Int, bool) {
	n := int(s[31] % 32)
	if s[31] >= 128 || n > 30 {
		return nil, false
	}
	for _, x := range s[1+n : 31] {
		if x != 0 {
			return nil, false
		}
	}
	m := s[1 : 1+n]
	ctr := int(s[0]/2) + 128*int((s[31]/32)%4)
	first, ok := firstCounter(m)
	if !ok || first != ctr {
		return nil, false
	}
	if n > 0 && m[0] == 0 {
		return nil, false
	}
	return new(big.Int).SetBytes(m), true
}

// candidate is §5.1's candidate ctr for m.
func candidate(m []byte, ctr int) []byte {
	s := make([]byte, 32)
	s[0] = byte(ctr%128) * 2
	copy(s[1:31], m)
	s[31] = byte(len(m)) + 32*byte(ctr/128)
	return s
}

func firstCounter(m []byte) (int, bool) {
	for ctr := range 512 {
		e, err := group.DecodeElement(candidate(m, ctr))
		if err == nil && e.IsIdentity() == 0 {
			return ctr, true
		}
	}
	return 0, false
}
