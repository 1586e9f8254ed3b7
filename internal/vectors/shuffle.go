package vectors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/proofs"
	"github.com/eo-mixnet/eo/shuffle"
)

// ShuffleFile is shuffle-proof.json.
type ShuffleFile struct {
	Description string           `json:"description"`
	Statement   ShuffleStatement `json:"statement"`
	Generators  []Generator      `json:"generators"`
	Domain      string           `json:"generators_domain"`
	DST         string           `json:"generators_dst"`
	Proof       string           `json:"proof"`
	Fields      ProofFields      `json:"proof_fields"`
	Derived     *Derived         `json:"derived"`
	Negative    []ShuffleCase    `json:"negative"`
}

// ShuffleStatement is what the proof is about (doc/verify.md §4.1).
type ShuffleStatement struct {
	Election  string `json:"election"`
	Session   string `json:"session"`
	Position  int    `json:"position"`
	Width     int    `json:"width"`
	N         int    `json:"n"`
	PublicKey string `json:"public_key"`
	Inputs    string `json:"inputs"`
	Outputs   string `json:"outputs"`
}

// Generator is H_i with how it was derived, and h_i = 2·H_i.
type Generator struct {
	I       int    `json:"i"`
	Message string `json:"hash_input"`    // u32(len(d)) ‖ d ‖ u64(i)
	Uniform string `json:"uniform_bytes"` // expand_message_xmd, 64 bytes
	H       string `json:"H"`
	Double  string `json:"h"`
	Role    string `json:"role"`
}

// ProofFields are the parts of proof.bin (doc/verify.md §4.2).
type ProofFields struct {
	U  []string `json:"u"`
	B  []string `json:"B"`
	AP string   `json:"A_prime"`
	BP []string `json:"B_prime"`
	CP string   `json:"C_prime"`
	DP string   `json:"D_prime"`
	FP []string `json:"F_prime"` // F'_α,0, F'_β,0, …
	KA string   `json:"k_A"`
	KB []string `json:"k_B"`
	KC string   `json:"k_C"`
	KD string   `json:"k_D"`
	KE []string `json:"k_E"`
	KF []string `json:"k_F"`
}

// Derived is everything the verifier computes.
type Derived struct {
	TranscriptE string     `json:"transcript_to_e"` // items 1–14
	E           []string   `json:"e"`
	TranscriptV string     `json:"transcript_to_v"` // items 1–21
	V           string     `json:"v"`
	A           string     `json:"A"`
	C           string     `json:"C"`
	ProdE       string     `json:"prod_e"`
	D           string     `json:"D"`
	FAlpha      []string   `json:"F_alpha"`
	FBeta       []string   `json:"F_beta"`
	Equations   []Equation `json:"equations"`
}

// Equation is one verification equation's two sides.
type Equation struct {
	Name  string `json:"name"`
	LHS   string `json:"lhs"`
	RHS   string `json:"rhs"`
	Holds bool   `json:"holds"`
}

// ShuffleCase is a mutation of the valid proof and its verdict.
type ShuffleCase struct {
	Name     string   `json:"name"`
	Mutation Mutation `json:"mutation"`
	Expect   string   `json:"expect"` // malformed or invalid
	Failing  []string `json:"failing_equations,omitempty"`
}

// Mutation says how a negative case differs from the valid statement and
// proof: bytes replaced at an offset of the proof or of the output list,
// the proof truncated, or another position.
type Mutation struct {
	Target   string `json:"target"` // proof, outputs, position
	Offset   int    `json:"offset,omitempty"`
	Bytes    string `json:"bytes,omitempty"`
	Truncate int    `json:"truncate_to,omitempty"`
	Position int    `json:"position,omitempty"`
}

// Apply returns the statement and proof a mutation makes.
func (m Mutation) Apply(st ShuffleStatement, proof []byte) (ShuffleStatement, []byte, error) {
	out, err := unhex(st.Outputs)
	if err != nil {
		return st, nil, err
	}
	proof = bytes.Clone(proof)
	rep, err := unhex(m.Bytes)
	if err != nil {
		return st, nil, err
	}
	switch m.Target {
	case "proof":
		if m.Truncate > 0 {
			proof = proof[:m.Truncate]
		} else {
			copy(proof[m.Offset:], rep)
		}
	case "outputs":
		copy(out[m.Offset:], rep)
	case "position":
		st.Position = m.Position
	default:
		return st, nil, fmt.Errorf("unknown mutation target %q", m.Target)
	}
	st.Outputs = hx(out)
	return st, proof, nil
}

// spec evaluates a statement and proof by doc/verify.md §4, written from
// the text. It returns whether the proof is malformed and, if not, what it
// derived (every equation included).
func spec(st ShuffleStatement, proof []byte) (d *Derived, f *ProofFields, malformed error) {
	n, w := st.N, st.Width
	in, err1 := decodeList(st.Inputs, n, w)
	out, err2 := decodeList(st.Outputs, n, w)
	if err := errors.Join(err1, err2); err != nil {
		return nil, nil, err
	}
	if len(proof) != 9+32*(5*n+3*w+6) || proof[0] != 1 ||
		binary.BigEndian.Uint32(proof[1:]) != uint32(n) || binary.BigEndian.Uint32(proof[5:]) != uint32(w) {
		return nil, nil, errors.New("proof header or length")
	}
	r := proof[9:]
	take := func(k int) [][]byte {
		var o [][]byte
		for range k {
			o = append(o, r[:32])
			r = r[32:]
		}
		return o
	}
	u, bb, aP, bP, cP, dP, fP := take(n), take(n), take(1)[0], take(n), take(1)[0], take(1)[0], take(2*w)
	kA, kB, kC, kD, kE, kF := take(1)[0], take(n), take(1)[0], take(1)[0], take(n), take(w)
	var bad error
	elems := func(xs [][]byte) []*group.Element {
		o := make([]*group.Element, len(xs))
		for i, x := range xs {
			var err error
			if o[i], err = group.DecodeElement(x); err != nil {
				bad = err
			}
		}
		return o
	}
	scalars := func(xs [][]byte) []*group.Scalar {
		o := make([]*group.Scalar, len(xs))
		for i, x := range xs {
			var err error
			if o[i], err = group.DecodeScalar(x); err != nil {
				bad = err
			}
		}
		return o
	}
	U, BB, AP, BP, CP, DP, FP := elems(u), elems(bb), elems([][]byte{aP})[0], elems(bP), elems([][]byte{cP})[0], elems([][]byte{dP})[0], elems(fP)
	KA, KB, KC, KD, KE, KF := scalars([][]byte{kA})[0], scalars(kB), scalars([][]byte{kC})[0], scalars([][]byte{kD})[0], scalars(kE), scalars(kF)
	if bad != nil {
		return nil, nil, bad
	}
	hexes := func(xs [][]byte) []string {
		o := make([]string, len(xs))
		for i, x := range xs {
			o[i] = hx(x)
		}
		return o
	}
	f = &ProofFields{U: hexes(u), B: hexes(bb), AP: hx(aP), BP: hexes(bP), CP: hx(cP), DP: hx(dP), FP: hexes(fP),
		KA: hx(kA), KB: hexes(kB), KC: hx(kC), KD: hx(kD), KE: hexes(kE), KF: hexes(kF)}

	gens, _, _ := generators(st.Election, st.Session, n)
	h := make([]*group.Element, n+1)
	for i, g := range gens {
		h[i] = new(group.Element).Add(g, g)
	}
	pkb, _ := unhex(st.PublicKey)
	Y, err := group.DecodeElement(pkb)
	if err != nil {
		return nil, nil, err
	}
	inb, _ := unhex(st.Inputs)
	outb, _ := unhex(st.Outputs)
	t := newTr("eo/shuffle/v1")
	t.str("group", "ristretto255")
	t.str("generators-dst", proofs.GeneratorsDST)
	t.bytes("generators-domain", domain(st.Election, st.Session))
	t.str("election", st.Election)
	t.str("session", st.Session)
	t.u64("mixer", uint64(st.Position))
	t.u64("width", uint64(w))
	t.u64("n", uint64(n))
	t.bytes("public-key", pkb)
	t.list("inputs", inb)
	t.list("outputs", outb)
	t.list("u", bytes.Join(u, nil))
	e := t.shortVector("e", n)
	d = &Derived{TranscriptE: hx(t.b)}
	for _, x := range e {
		d.E = append(d.E, sc(x))
	}
	t.list("B", bytes.Join(bb, nil))
	t.elem("A'", aP)
	t.list("B'", bytes.Join(bP, nil))
	t.elem("C'", cP)
	t.elem("D'", dP)
	t.list("F'", bytes.Join(fP, nil))
	v := t.challenge("v")
	d.TranscriptV, d.V = hx(t.b), sc(v)

	B := group.NewGeneratorElement()
	mul := func(s *group.Scalar, p *group.Element) *group.Element { return new(group.Element).ScalarMult(s, p) }
	add := func(ps ...*group.Element) *group.Element {
		acc := group.NewIdentityElement()
		for _, p := range ps {
			acc.Add(acc, p)
		}
		return acc
	}
	A := group.NewIdentityElement()
	C := group.NewIdentityElement()
	prod := group.ScalarFromUint64(1)
	for i := range n {
		A.Add(A, mul(e[i], U[i]))
		C.Add(C, U[i])
		C.Subtract(C, h[i+1])
		prod.Multiply(prod, e[i])
	}
	D := new(group.Element).Subtract(BB[n-1], mul(prod, h[0]))
	d.A, d.C, d.ProdE, d.D = el(A), el(C), sc(prod), el(D)
	eq := func(name string, lhs, rhs *group.Element) {
		d.Equations = append(d.Equations, Equation{Name: name, LHS: el(lhs), RHS: el(rhs), Holds: lhs.Equal(rhs) == 1})
	}
	rhsA := mul(KA, B)
	for j := range n {
		rhsA.Add(rhsA, mul(KE[j], h[j+1]))
	}
	eq("(A)", add(mul(v, A), AP), rhsA)
	for j := range n {
		prev := h[0]
		if j > 0 {
			prev = BB[j-1]
		}
		eq(fmt.Sprintf("(B) j=%d", j+1), add(mul(v, BB[j]), BP[j]), add(mul(KB[j], B), mul(KE[j], prev)))
	}
	eq("(C)", add(mul(v, C), CP), mul(KC, B))
	eq("(D)", add(mul(v, D), DP), mul(KD, B))
	for m := range w {
		for part, base := range []*group.Element{B, Y} {
			F := group.NewIdentityElement()
			rhs := new(group.Element).Negate(mul(KF[m], base))
			for i := range n {
				F.Add(F, mul(e[i], in[i][2*m+part]))
				rhs.Add(rhs, mul(KE[i], out[i][2*m+part]))
			}
			name := []string{"α", "β"}[part]
			if part == 0 {
				d.FAlpha = append(d.FAlpha, el(F))
			} else {
				d.FBeta = append(d.FBeta, el(F))
			}
			eq(fmt.Sprintf("(F) %s m=%d", name, m), add(mul(v, F), FP[2*m+part]), rhs)
		}
	}
	return d, f, nil
}

// decodeList decodes n ciphertexts of width w as pairs [α_0, β_0, …],
// refusing non-canonical elements and identity α's.
func decodeList(s string, n, w int) ([][]*group.Element, error) {
	b, err := unhex(s)
	if err != nil {
		return nil, err
	}
	if len(b) != 64*n*w {
		return nil, errors.New("list length")
	}
	out := make([][]*group.Element, n)
	for i := range out {
		for k := range 2 * w {
			e, err := group.DecodeElement(b[32*(2*w*i+k):][:32])
			if err != nil {
				return nil, err
			}
			if k%2 == 0 && e.IsIdentity() == 1 {
				return nil, errors.New("identity α")
			}
			out[i] = append(out[i], e)
		}
	}
	return out, nil
}

func domain(election, session string) []byte {
	d := []byte("eo/shuffle/v1")
	d = binary.BigEndian.AppendUint32(d, uint32(len(election)))
	d = append(d, election...)
	d = binary.BigEndian.AppendUint32(d, uint32(len(session)))
	return append(d, session...)
}

// generators derives H_0 … H_n as doc/verify.md §4.1 says.
func generators(election, session string, n int) ([]*group.Element, [][]byte, [][]byte) {
	d := domain(election, session)
	var hs []*group.Element
	var msgs, unis [][]byte
	for i := range n + 1 {
		msg := binary.BigEndian.AppendUint32(nil, uint32(len(d)))
		msg = append(msg, d...)
		msg = binary.BigEndian.AppendUint64(msg, uint64(i))
		uni, err := group.ExpandMessageXMD(msg, []byte(proofs.GeneratorsDST), 64)
		if err != nil {
			panic(err)
		}
		H, err := new(group.Element).SetUniformBytes(uni)
		if err != nil {
			panic(err)
		}
		hs, msgs, unis = append(hs, H), append(msgs, msg), append(unis, uni)
	}
	return hs, msgs, unis
}

func shuffleFile(e *election) (any, error) {
	in, err := ballot.Ciphertexts(e.ballots)
	if err != nil {
		return nil, err
	}
	n := in.Len()
	ctx := &shuffle.Context{ElectionID: ElectionID, SessionID: SessionID, Position: 1, PublicKey: e.pk, Width: Width}
	gens, err := shuffle.NewGenerators(ElectionID, SessionID, n)
	if err != nil {
		return nil, err
	}
	out, p, err := shuffle.ShuffleAndProve(e.rnd, ctx, gens, in)
	if err != nil {
		return nil, err
	}
	st := ShuffleStatement{Election: ElectionID, Session: SessionID, Position: 1, Width: Width, N: n,
		PublicKey: hx(e.pk.Bytes()), Inputs: hx(in.Bytes()), Outputs: hx(out.Bytes())}
	proof := p.Bytes()
	f := &ShuffleFile{
		Description: "A proof of shuffle of question 0's four ballots by the mix at position 1 (doc/verify.md §4): the generators and their roles, the proof's fields, the transcript's bytes up to e and up to v, e and v, the derived A, C, D, F and both sides of every equation. Negative cases mutate the valid statement or proof (offsets in bytes) and give the verdict: malformed (§4.2) or invalid, with every equation that fails. The batching weights of (B) are the verifier's own random numbers and are not vectors.",
		Statement:   st, Domain: hx(domain(ElectionID, SessionID)), DST: proofs.GeneratorsDST, Proof: hx(proof),
	}
	hs, msgs, unis := generators(ElectionID, SessionID, n)
	ref, err := proofs.DeriveGenerators(shuffle.GeneratorDomain(ElectionID, SessionID), n+1)
	if err != nil {
		return nil, err
	}
	for i, H := range hs {
		if H.Equal(ref[i]) != 1 {
			return nil, fmt.Errorf("generator %d differs from proofs.DeriveGenerators", i)
		}
		role := "position generator h_" + fmt.Sprint(i)
		if i == 0 {
			role = "h_0 starts the commitment chain (B_0 = h_0)"
		}
		f.Generators = append(f.Generators, Generator{I: i, Message: hx(msgs[i]), Uniform: hx(unis[i]), H: el(H),
			Double: el(new(group.Element).Add(H, H)), Role: role})
	}
	d, fields, bad := spec(st, proof)
	if bad != nil {
		return nil, fmt.Errorf("the valid proof is malformed by the spec: %w", bad)
	}
	for _, q := range d.Equations {
		if !q.Holds {
			return nil, fmt.Errorf("equation %s fails on the valid proof", q.Name)
		}
	}
	f.Derived, f.Fields = d, *fields
	if err := CheckShuffleVerdict(st, proof, "valid", nil); err != nil {
		return nil, err
	}

	// Offsets in the proof (doc/verify.md §4.2).
	w := Width
	offU := 9
	offB := offU + 32*n
	offBP := offB + 32*n + 32
	offKA := offBP + 32*n + 64 + 64*w
	offKB := offKA + 32
	offKC := offKB + 32*n
	offKD := offKC + 32
	offKE := offKD + 32
	offKF := offKE + 32*n
	plusOne := func(off int) string {
		s, err := group.DecodeScalar(proof[off : off+32])
		if err != nil {
			panic(err)
		}
		return sc(s.Add(s, group.ScalarFromUint64(1)))
	}
	ff := strings.Repeat("ff", 32)
	zero := strings.Repeat("00", 32)
	outb := out.Bytes()
	swapped := hx(append(bytes.Clone(outb[64*w:128*w]), outb[:64*w]...))
	muts := []struct {
		name string
		m    Mutation
	}{
		{"k_A plus one", Mutation{Target: "proof", Offset: offKA, Bytes: plusOne(offKA)}},
		{"k_B,1 plus one", Mutation{Target: "proof", Offset: offKB, Bytes: plusOne(offKB)}},
		{"k_C plus one", Mutation{Target: "proof", Offset: offKC, Bytes: plusOne(offKC)}},
		{"k_D plus one", Mutation{Target: "proof", Offset: offKD, Bytes: plusOne(offKD)}},
		{"k_E,2 plus one", Mutation{Target: "proof", Offset: offKE + 32, Bytes: plusOne(offKE + 32)}},
		{"k_F,0 plus one", Mutation{Target: "proof", Offset: offKF, Bytes: plusOne(offKF)}},
		{"u_1 replaced by the identity (canonical, so the challenges change)", Mutation{Target: "proof", Offset: offU, Bytes: zero}},
		{"outputs 1 and 2 swapped", Mutation{Target: "outputs", Offset: 0, Bytes: swapped}},
		{"presented as the mix at position 2", Mutation{Target: "position", Position: 2}},
		{"B_1 not a canonical encoding: malformed, not invalid", Mutation{Target: "proof", Offset: offB, Bytes: ff}},
		{"B'_N not a canonical encoding: malformed, not invalid", Mutation{Target: "proof", Offset: offBP + 32*(n-1), Bytes: ff}},
		{"k_D is ℓ: malformed", Mutation{Target: "proof", Offset: offKD, Bytes: hx(ell)}},
		{"proof one byte short", Mutation{Target: "proof", Truncate: len(proof) - 1}},
		{"header declares N + 1", Mutation{Target: "proof", Offset: 1, Bytes: fmt.Sprintf("%08x", n+1)}},
		{"version byte 2", Mutation{Target: "proof", Offset: 0, Bytes: "02"}},
		{"output α_0 is the identity: malformed", Mutation{Target: "outputs", Offset: 0, Bytes: zero}},
	}
	for _, mu := range muts {
		mst, mproof, err := mu.m.Apply(st, proof)
		if err != nil {
			return nil, err
		}
		c := ShuffleCase{Name: mu.name, Mutation: mu.m}
		d, _, bad := spec(mst, mproof)
		if bad != nil {
			c.Expect = "malformed"
		} else {
			c.Expect = "invalid"
			for _, q := range d.Equations {
				if !q.Holds {
					c.Failing = append(c.Failing, q.Name)
				}
			}
			if len(c.Failing) == 0 {
				return nil, fmt.Errorf("%s: no equation fails", mu.name)
			}
		}
		if err := CheckShuffleVerdict(mst, mproof, c.Expect, c.Failing); err != nil {
			return nil, fmt.Errorf("%s: %w", mu.name, err)
		}
		f.Negative = append(f.Negative, c)
	}
	return f, nil
}

// CheckShuffleVerdict runs shuffle.VerifyBytes on a statement and proof
// and checks its verdict: valid, malformed, or invalid naming the first
// of the failing equations in the order (A), (B), (C), (D), (F).
func CheckShuffleVerdict(st ShuffleStatement, proof []byte, expect string, failing []string) error {
	pk, err := unhex(st.PublicKey)
	if err != nil {
		return err
	}
	Y, err := elgamal.DecodePublicKey(pk)
	if err != nil {
		return err
	}
	inb, _ := unhex(st.Inputs)
	outb, _ := unhex(st.Outputs)
	in, err := elgamal.DecodeList(inb, st.Width)
	if err != nil {
		return err
	}
	gens, err := shuffle.NewGenerators(st.Election, st.Session, st.N)
	if err != nil {
		return err
	}
	ctx := &shuffle.Context{ElectionID: st.Election, SessionID: st.Session, Position: st.Position, PublicKey: Y, Width: st.Width}
	_, err = shuffle.VerifyBytes(ctx, gens, in, outb, proof)
	switch expect {
	case "valid":
		return err
	case "malformed":
		if !errors.Is(err, shuffle.ErrMalformed) || errors.Is(err, shuffle.ErrInvalidProof) {
			return fmt.Errorf("shuffle.VerifyBytes: %v, want a malformed proof", err)
		}
		return nil
	case "invalid":
		if !errors.Is(err, shuffle.ErrInvalidProof) {
			return fmt.Errorf("shuffle.VerifyBytes: %v, want an invalid proof", err)
		}
		want := "check " + strings.SplitN(failing[0], " ", 2)[0][:3]
		if !strings.Contains(err.Error(), want) {
			return fmt.Errorf("shuffle.VerifyBytes: %v, want %q", err, want)
		}
		return nil
	}
	return fmt.Errorf("unknown expectation %q", expect)
}
