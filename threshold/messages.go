package threshold

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"unicode/utf8"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/proofs"
)

// This file holds the wire messages of the threshold protocols and their
// canonical binary encodings (doc/threshold.md, Section 2). Every decoder
// accepts exactly one encoding per message: lengths are checked against
// the bytes present before anything is allocated, elements and scalars
// must be canonical, the identity is refused where an honest party never
// sends it, indices must lie in range and lists of indices must be strictly
// increasing, and trailing bytes are an error. Decoders never panic.

// ErrMalformed is wrapped by every error about an encoding or a shape: a
// message, transcript, key share or list that does not decode, or that does
// not fit the session it was given to. Errors about group elements and
// scalars also wrap group.ErrEncoding.
var ErrMalformed = errors.New("threshold: malformed input")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// MaxAuthorities is the largest number of authorities n of a session.
const MaxAuthorities = 32

// MaxIDLength is the longest election or session identifier, in bytes.
const MaxIDLength = 255

// MaxCiphertexts is the largest number of ciphertexts of one threshold
// decryption (2^26, as for a shuffle); larger declared counts are refused
// before anything is allocated.
const MaxCiphertexts = 1 << 26

// Phase names a message type and the protocol step that sends it. It is
// the fifth byte of every encoded message.
type Phase uint8

// The phases of the distributed key generation (in protocol order) and of
// threshold decryption.
const (
	PhaseDKGDeal                 Phase = 1  // broadcast: Pedersen commitments C_ik
	PhaseDKGShare                Phase = 2  // point to point: s_ij, s'_ij
	PhaseDKGComplaints           Phase = 3  // broadcast: echo of deals, accused dealers
	PhaseDKGJustifications       Phase = 4  // broadcast: echo of complaints, opened shares
	PhaseDKGExtraction           Phase = 5  // broadcast: echo of justifications, Feldman values A_ik
	PhaseDKGExtractionComplaints Phase = 6  // broadcast: echo of extractions, shares that fail A_ik
	PhaseDKGReconstruction       Phase = 7  // broadcast: echo of extraction complaints, shares of dealers to reconstruct
	PhaseDKGConfirm              Phase = 8  // broadcast: echo of reconstructions, transcript hash
	PhaseDecryptionShare         Phase = 16 // broadcast: decryption factors and their batched DLEQ proof
)

var phaseNames = map[Phase]string{
	PhaseDKGDeal:                 "dkg-deal",
	PhaseDKGShare:                "dkg-share",
	PhaseDKGComplaints:           "dkg-complaints",
	PhaseDKGJustifications:       "dkg-justifications",
	PhaseDKGExtraction:           "dkg-extraction",
	PhaseDKGExtractionComplaints: "dkg-extraction-complaints",
	PhaseDKGReconstruction:       "dkg-reconstruction",
	PhaseDKGConfirm:              "dkg-confirm",
	PhaseDecryptionShare:         "decryption-share",
}

// String returns the phase's name, such as "dkg-deal".
func (p Phase) String() string {
	if s, ok := phaseNames[p]; ok {
		return s
	}
	return fmt.Sprintf("phase(%d)", uint8(p))
}

// messageMagic and messageVersion open every encoded message.
const (
	messageMagic   = "eoTH"
	messageVersion = 1
)

// Header is what every message carries besides its body: the election
// and session it belongs to, its phase and its sender's index (1 … n).
// A state machine rejects a message whose header does not match its
// session, whose phase is not one it expects, or whose sender is not the
// authenticated peer that delivered it.
type Header struct {
	ElectionID string
	SessionID  string
	Phase      Phase
	Sender     int
}

// Message is a decoded message of the threshold protocols: one of
// *DealMessage, *ShareMessage, *ComplaintsMessage, *JustificationsMessage,
// *ExtractionMessage, *ExtractionComplaintsMessage,
// *ReconstructionMessage, *ConfirmMessage and *DecryptionShareMessage.
//
// The key-generation messages (*DealMessage … *ConfirmMessage) have no
// exported fields: the state machine makes them, DecodeMessage decodes
// them, and other packages read them through MessageHeader and Bytes only.
// An authority that sends wrong ones on purpose is a drill
// (DKGConfig.Drill), applied inside this package.
type Message interface {
	// MessageHeader returns the message's header.
	MessageHeader() Header
	// Bytes returns the canonical encoding, the only one DecodeMessage
	// accepts for this message.
	Bytes() []byte
	appendBody(b []byte) []byte
}

// Digest is the SHA-512/256 hash of one encoded message, as parties echo
// what they received (the zero Digest stands for "nothing received").
type Digest [32]byte

// revealedShare is a share s_ij = f_i(j) with its blinding s'_ij = f'_i(j)
// made public: by dealer i to answer a complaint, or by party j to
// complain or to help reconstruct dealer i. Party is the other index: the
// complainer j in a justification, the dealer i otherwise.
type revealedShare struct {
	Party    int
	Share    *group.Scalar // s_ij
	Blinding *group.Scalar // s'_ij
}

// DealMessage is dealer i's broadcast of its Pedersen commitments
// C_ik = a_ik·B + b_ik·H, k = 0 … t−1 (GJKR Fig. 2, step 1(a)).
type DealMessage struct {
	hdr         Header
	commitments []*group.Element
}

// ShareMessage is dealer i's secret share for party j: s_ij = f_i(j) and
// s'_ij = f'_i(j) (GJKR Fig. 2, step 1(a)). It is sent point to point
// only (see PrivateMessage) and never shows its scalars in logs or
// formatted output.
type ShareMessage struct {
	hdr       Header
	recipient int
	share     *group.Scalar
	blinding  *group.Scalar
}

// ComplaintsMessage is party j's list of dealers whose share failed
// verification or never arrived (GJKR Fig. 2, step 1(b)), with j's echo of
// the deals it received.
type ComplaintsMessage struct {
	hdr     Header
	echo    []Digest // digest of the deal of each dealer 1 … n
	accused []int    // strictly increasing dealer indices
}

// JustificationsMessage is dealer i's answer to the complaints against it:
// the shares of the complainers, opened (GJKR Fig. 2, step 1(c)), with
// i's echo of the complaints.
type JustificationsMessage struct {
	hdr     Header
	echo    []Digest
	entries []revealedShare // Party = complainer, strictly increasing
}

// ExtractionMessage is qualified dealer i's Feldman values A_ik = a_ik·B,
// k = 0 … t−1 (GJKR Fig. 2, step 4(a)); a party outside QUAL sends an
// empty list. It carries the echo of the justifications.
type ExtractionMessage struct {
	hdr         Header
	echo        []Digest
	commitments []*group.Element
}

// ExtractionComplaintsMessage is party j's complaints against dealers
// whose Feldman values its share does not satisfy: the share itself,
// opened, proves the complaint (GJKR Fig. 2, step 4(b)). It carries the
// echo of the extractions.
type ExtractionComplaintsMessage struct {
	hdr     Header
	echo    []Digest
	entries []revealedShare // Party = dealer, strictly increasing
}

// ReconstructionMessage is party j's shares of every dealer to be
// reconstructed in the clear (GJKR Fig. 2, step 4(c)), with j's echo of the
// extraction complaints.
type ReconstructionMessage struct {
	hdr     Header
	echo    []Digest
	entries []revealedShare // Party = dealer, strictly increasing
}

// ConfirmMessage is party j's echo of the reconstructions and the hash of
// the whole key-generation transcript as j holds it.
type ConfirmMessage struct {
	hdr            Header
	echo           []Digest
	transcriptHash [64]byte
}

// DecryptionShareMessage is authority i's decryption factors
// d_jk = x_i·α_jk for every pair k of every ciphertext j of a list, with
// one batched Chaum–Pedersen proof that log_B VK_i = log_α_jk d_jk for all
// of them.
type DecryptionShareMessage struct {
	Header
	Width   int
	Factors []*group.Element // N·Width factors, ciphertext by ciphertext
	Proof   *proofs.DLEQ
	enc     []byte // the canonical encodings of Factors
	// affine, in a share a DecryptionSession decoded for itself, holds
	// the factors in place of Factors (nil there): 80 bytes each, not
	// 168, for a list of a million (#18).
	affine []group.Affine
}

func (h Header) appendHeader(b []byte) []byte {
	b = append(b, messageMagic...)
	b = append(b, messageVersion, byte(h.Phase))
	b = append(b, byte(len(h.ElectionID)))
	b = append(b, h.ElectionID...)
	b = append(b, byte(len(h.SessionID)))
	b = append(b, h.SessionID...)
	return append(b, byte(h.Sender))
}

// MessageHeader returns h (a DecryptionShareMessage embeds its Header).
func (h Header) MessageHeader() Header { return h }

// MessageHeader returns the message's header.
func (m *DealMessage) MessageHeader() Header { return m.hdr }

// MessageHeader returns the message's header.
func (m *ShareMessage) MessageHeader() Header { return m.hdr }

// MessageHeader returns the message's header.
func (m *ComplaintsMessage) MessageHeader() Header { return m.hdr }

// MessageHeader returns the message's header.
func (m *JustificationsMessage) MessageHeader() Header { return m.hdr }

// MessageHeader returns the message's header.
func (m *ExtractionMessage) MessageHeader() Header { return m.hdr }

// MessageHeader returns the message's header.
func (m *ExtractionComplaintsMessage) MessageHeader() Header { return m.hdr }

// MessageHeader returns the message's header.
func (m *ReconstructionMessage) MessageHeader() Header { return m.hdr }

// MessageHeader returns the message's header.
func (m *ConfirmMessage) MessageHeader() Header { return m.hdr }

func encodeMessage(m Message) []byte {
	h := m.MessageHeader()
	return m.appendBody(h.appendHeader(nil))
}

func appendEcho(b []byte, echo []Digest) []byte {
	b = append(b, byte(len(echo)))
	for i := range echo {
		b = append(b, echo[i][:]...)
	}
	return b
}

func appendElements(b []byte, es []*group.Element) []byte {
	b = append(b, byte(len(es)))
	for _, e := range es {
		b, _ = e.AppendBinary(b)
	}
	return b
}

func appendRevealed(b []byte, rs []revealedShare) []byte {
	b = append(b, byte(len(rs)))
	for _, r := range rs {
		b = append(b, byte(r.Party))
		b = append(b, r.Share.Bytes()...)
		b = append(b, r.Blinding.Bytes()...)
	}
	return b
}

func (m *DealMessage) appendBody(b []byte) []byte { return appendElements(b, m.commitments) }

func (m *ShareMessage) appendBody(b []byte) []byte {
	b = append(b, byte(m.recipient))
	b = append(b, m.share.Bytes()...)
	return append(b, m.blinding.Bytes()...)
}

func (m *ComplaintsMessage) appendBody(b []byte) []byte {
	b = appendEcho(b, m.echo)
	b = append(b, byte(len(m.accused)))
	for _, i := range m.accused {
		b = append(b, byte(i))
	}
	return b
}

func (m *JustificationsMessage) appendBody(b []byte) []byte {
	return appendRevealed(appendEcho(b, m.echo), m.entries)
}

func (m *ExtractionMessage) appendBody(b []byte) []byte {
	return appendElements(appendEcho(b, m.echo), m.commitments)
}

func (m *ExtractionComplaintsMessage) appendBody(b []byte) []byte {
	return appendRevealed(appendEcho(b, m.echo), m.entries)
}

func (m *ReconstructionMessage) appendBody(b []byte) []byte {
	return appendRevealed(appendEcho(b, m.echo), m.entries)
}

func (m *ConfirmMessage) appendBody(b []byte) []byte {
	return append(appendEcho(b, m.echo), m.transcriptHash[:]...)
}

func (m *DecryptionShareMessage) appendBody(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(m.Width))
	b = binary.BigEndian.AppendUint32(b, uint32(m.Count()))
	if m.enc == nil {
		m.enc = group.EncodeElements(m.Factors)
	}
	b = append(b, m.enc...)
	return append(b, m.Proof.Bytes()...)
}

// Count returns the number of ciphertexts N the factors are for.
func (m *DecryptionShareMessage) Count() int {
	if m.Width <= 0 {
		return 0
	}
	return m.factorCount() / m.Width
}

// factorCount returns the number of factors, N·Width.
func (m *DecryptionShareMessage) factorCount() int {
	if m.affine != nil {
		return len(m.affine)
	}
	return len(m.Factors)
}

// Bytes returns the canonical encoding of the message.
func (m *DealMessage) Bytes() []byte { return encodeMessage(m) }

// Bytes returns the canonical encoding of the message; it is secret.
func (m *ShareMessage) Bytes() []byte { return encodeMessage(m) }

// Bytes returns the canonical encoding of the message.
func (m *ComplaintsMessage) Bytes() []byte { return encodeMessage(m) }

// Bytes returns the canonical encoding of the message.
func (m *JustificationsMessage) Bytes() []byte { return encodeMessage(m) }

// Bytes returns the canonical encoding of the message.
func (m *ExtractionMessage) Bytes() []byte { return encodeMessage(m) }

// Bytes returns the canonical encoding of the message.
func (m *ExtractionComplaintsMessage) Bytes() []byte { return encodeMessage(m) }

// Bytes returns the canonical encoding of the message.
func (m *ReconstructionMessage) Bytes() []byte { return encodeMessage(m) }

// Bytes returns the canonical encoding of the message.
func (m *ConfirmMessage) Bytes() []byte { return encodeMessage(m) }

// Bytes returns the canonical encoding of the message.
func (m *DecryptionShareMessage) Bytes() []byte { return encodeMessage(m) }

// FactorBytes returns the concatenated canonical encodings of the factors,
// as they were decoded or first encoded (the caller must not modify them).
func (m *DecryptionShareMessage) FactorBytes() []byte {
	if m.enc == nil {
		m.enc = group.EncodeElements(m.Factors)
	}
	return m.enc
}

// shareText is what a ShareMessage shows of itself.
func (m *ShareMessage) shareText() string {
	return fmt.Sprintf("dkg share %d→%d %s", m.hdr.Sender, m.recipient, redacted)
}

// String shows the sender and recipient only; the scalars are redacted.
func (m *ShareMessage) String() string { return m.shareText() }

// GoString is String, for %#v.
func (m *ShareMessage) GoString() string { return m.shareText() }

// Format writes String for every verb.
func (m *ShareMessage) Format(f fmt.State, verb rune) { io.WriteString(f, m.shareText()) }

// LogValue logs the header and recipient and "[redacted]" for the share.
func (m *ShareMessage) LogValue() slog.Value {
	return slog.GroupValue(slog.String("election", m.hdr.ElectionID), slog.String("session", m.hdr.SessionID),
		slog.String("phase", m.hdr.Phase.String()), slog.Int("sender", m.hdr.Sender),
		slog.Int("recipient", m.recipient), slog.String("share", redacted))
}

// reader decodes the body of a message; the first error sticks and every
// later read returns zero values.
type reader struct {
	b      []byte
	err    error
	affine bool // a decryption share's factors go to affine, aliasing b (decodeSessionShare)
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.fail(malformed("%s: need %d bytes, %d left", what, n, len(r.b)))
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8(what string) int {
	b := r.take(1, what)
	if b == nil {
		return 0
	}
	return int(b[0])
}

func (r *reader) index(what string) int {
	i := r.u8(what)
	if r.err == nil && (i < 1 || i > MaxAuthorities) {
		r.fail(malformed("%s %d out of range (1 to %d)", what, i, MaxAuthorities))
	}
	return i
}

func (r *reader) count(what string, lo, hi, itemSize int) int {
	c := r.u8(what)
	if r.err != nil {
		return 0
	}
	if c < lo || c > hi {
		r.fail(malformed("%s %d out of range (%d to %d)", what, c, lo, hi))
		return 0
	}
	if c*itemSize > len(r.b) {
		r.fail(malformed("%s %d needs %d bytes, %d left", what, c, c*itemSize, len(r.b)))
		return 0
	}
	return c
}

func (r *reader) element(what string) *group.Element {
	b := r.take(group.ElementSize, what)
	if b == nil {
		return nil
	}
	e, err := group.DecodeElement(b)
	if err != nil {
		r.fail(fmt.Errorf("%w: %s: %w", ErrMalformed, what, err))
		return nil
	}
	if e.IsIdentity() == 1 {
		r.fail(fmt.Errorf("%w: %s is the identity: %w", ErrMalformed, what, group.ErrEncoding))
		return nil
	}
	return e
}

func (r *reader) scalar(what string) *group.Scalar {
	b := r.take(group.ScalarSize, what)
	if b == nil {
		return nil
	}
	s, err := group.DecodeScalar(b)
	if err != nil {
		r.fail(fmt.Errorf("%w: %s: %w", ErrMalformed, what, err))
		return nil
	}
	return s
}

func (r *reader) id(what string) string {
	n := r.u8(what + " length")
	b := r.take(n, what)
	if r.err != nil {
		return ""
	}
	if n == 0 {
		r.fail(malformed("empty %s", what))
		return ""
	}
	if !utf8.Valid(b) {
		r.fail(malformed("%s is not UTF-8", what))
		return ""
	}
	return string(b)
}

func (r *reader) echo() []Digest {
	c := r.count("echo count", 1, MaxAuthorities, len(Digest{}))
	if r.err != nil {
		return nil
	}
	out := make([]Digest, c)
	for i := range out {
		copy(out[i][:], r.take(len(Digest{}), "echo"))
	}
	return out
}

func (r *reader) elements(what string, lo int) []*group.Element {
	c := r.count(what+" count", lo, MaxAuthorities, group.ElementSize)
	if r.err != nil {
		return nil
	}
	out := make([]*group.Element, c)
	for i := range out {
		out[i] = r.element(fmt.Sprintf("%s %d", what, i))
	}
	return out
}

// revealed reads a list of opened shares; notSelf, when non-zero, is an
// index the entries may not name.
func (r *reader) revealed(what string, notSelf int) []revealedShare {
	c := r.count(what+" count", 0, MaxAuthorities, 1+2*group.ScalarSize)
	if r.err != nil {
		return nil
	}
	out := make([]revealedShare, c)
	for i := range out {
		p := r.index(what + " index")
		if r.err == nil && i > 0 && p <= out[i-1].Party {
			r.fail(malformed("%s indices are not strictly increasing", what))
		}
		if r.err == nil && p == notSelf {
			r.fail(malformed("%s names its own sender %d", what, p))
		}
		out[i] = revealedShare{Party: p, Share: r.scalar(what + " share"), Blinding: r.scalar(what + " blinding")}
	}
	return out
}

// DecodeMessage decodes the canonical encoding of any message of the
// threshold protocols. It checks the encoding only; whether the message
// belongs to a session, and whether its shapes fit the session's n and t,
// is for the state machine or the verifier it is given to. Errors wrap
// ErrMalformed.
func DecodeMessage(b []byte) (Message, error) {
	return decodeMessage(&reader{b: b})
}

// decodeSessionShare is DecodeMessage for a DecryptionSession's own copy
// b of a message: a decryption share's factors are decoded into affine
// form, and its encodings alias b.
func decodeSessionShare(b []byte) (Message, error) {
	return decodeMessage(&reader{b: b, affine: true})
}

func decodeMessage(r *reader) (Message, error) {
	if string(r.take(len(messageMagic), "magic")) != messageMagic {
		r.fail(malformed("not an eo threshold message"))
	}
	if v := r.u8("version"); r.err == nil && v != messageVersion {
		r.fail(malformed("unknown version %d", v))
	}
	var h Header
	h.Phase = Phase(r.u8("phase"))
	h.ElectionID = r.id("election id")
	h.SessionID = r.id("session id")
	h.Sender = r.index("sender")
	if r.err != nil {
		return nil, r.err
	}
	var m Message
	switch h.Phase {
	case PhaseDKGDeal:
		m = &DealMessage{hdr: h, commitments: r.elements("commitment", 1)}
	case PhaseDKGShare:
		s := &ShareMessage{hdr: h, recipient: r.index("recipient")}
		if r.err == nil && s.recipient == h.Sender {
			r.fail(malformed("share addressed to its own dealer"))
		}
		s.share, s.blinding = r.scalar("share"), r.scalar("blinding")
		m = s
	case PhaseDKGComplaints:
		c := &ComplaintsMessage{hdr: h, echo: r.echo()}
		n := r.count("complaint count", 0, MaxAuthorities, 1)
		for i := 0; i < n && r.err == nil; i++ {
			d := r.index("accused dealer")
			if r.err == nil && (d == h.Sender || (i > 0 && d <= c.accused[i-1])) {
				r.fail(malformed("accused dealers must be strictly increasing and exclude the sender"))
			}
			c.accused = append(c.accused, d)
		}
		m = c
	case PhaseDKGJustifications:
		m = &JustificationsMessage{hdr: h, echo: r.echo(), entries: r.revealed("justification", h.Sender)}
	case PhaseDKGExtraction:
		m = &ExtractionMessage{hdr: h, echo: r.echo(), commitments: r.elements("feldman value", 0)}
	case PhaseDKGExtractionComplaints:
		m = &ExtractionComplaintsMessage{hdr: h, echo: r.echo(), entries: r.revealed("extraction complaint", h.Sender)}
	case PhaseDKGReconstruction:
		m = &ReconstructionMessage{hdr: h, echo: r.echo(), entries: r.revealed("reconstruction share", 0)}
	case PhaseDKGConfirm:
		c := &ConfirmMessage{hdr: h, echo: r.echo()}
		copy(c.transcriptHash[:], r.take(len(c.transcriptHash), "transcript hash"))
		m = c
	case PhaseDecryptionShare:
		m = decodeDecryptionShare(r, h)
	default:
		r.fail(malformed("unknown phase %d", uint8(h.Phase)))
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail(malformed("%d trailing bytes", len(r.b)))
	}
	if r.err != nil {
		return nil, fmt.Errorf("threshold: %s message: %w", h.Phase, r.err)
	}
	return m, nil
}

func decodeDecryptionShare(r *reader, h Header) Message {
	hdr := r.take(6, "width and count")
	if r.err != nil {
		return nil
	}
	w, n := int(binary.BigEndian.Uint16(hdr)), int(binary.BigEndian.Uint32(hdr[2:]))
	if w < 1 || w > elgamal.MaxWidth {
		r.fail(malformed("width %d out of range (1 to %d)", w, elgamal.MaxWidth))
		return nil
	}
	if n < 1 || n > MaxCiphertexts {
		r.fail(malformed("ciphertext count %d out of range (1 to %d)", n, MaxCiphertexts))
		return nil
	}
	// n ≤ 2^26 and w ≤ 2^10, so the product fits any int.
	size := n * w * group.ElementSize
	if len(r.b) != size+proofs.DLEQSize {
		r.fail(malformed("%d factors and a proof need %d bytes, got %d", n*w, size+proofs.DLEQSize, len(r.b)))
		return nil
	}
	m := &DecryptionShareMessage{Header: h, Width: w}
	identity := func(i int) {
		r.fail(fmt.Errorf("%w: factor %d is the identity: %w", ErrMalformed, i, group.ErrEncoding))
	}
	if r.affine {
		m.enc = r.take(size, "factors")
		m.affine = make([]group.Affine, n*w)
		if err := group.DecodeAffine(m.affine, m.enc); err != nil {
			r.fail(fmt.Errorf("%w: factors: %w", ErrMalformed, err))
			return nil
		}
		for i := range m.affine {
			if m.affine[i].IsIdentity() == 1 {
				identity(i)
				return nil
			}
		}
	} else {
		m.enc = slices.Clone(r.take(size, "factors"))
		var err error
		if m.Factors, err = group.DecodeElements(m.enc); err != nil {
			r.fail(fmt.Errorf("%w: factors: %w", ErrMalformed, err))
			return nil
		}
		for i, f := range m.Factors {
			if f.IsIdentity() == 1 {
				identity(i)
				return nil
			}
		}
	}
	p, err := proofs.DecodeDLEQ(r.take(proofs.DLEQSize, "proof"))
	if err != nil {
		r.fail(fmt.Errorf("%w: proof: %w", ErrMalformed, err))
		return nil
	}
	m.Proof = p
	return m
}
