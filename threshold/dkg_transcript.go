package threshold

import (
	"crypto/sha512"
	"encoding/binary"
	"fmt"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
)

// dkgTranscriptLabel opens the encoding of a DKGTranscript.
const dkgTranscriptLabel = "eo/dkg-transcript/v1"

// maxDKGMessage bounds one message of a transcript; the largest honest
// key-generation message is under 4 KiB.
const maxDKGMessage = 1 << 16

// DKGTranscript is the public record of one key generation: its
// parameters and every broadcast each authority made in the six phases
// deal, complaints, justifications, extraction, extraction complaints and
// reconstruction, as the party that wrote it received them (all honest
// parties that finish hold the same one: they confirmed its hash).
// Messages[phase][i−1] is authority i's message, nil if it sent none.
// Point-to-point shares are secret and not part of it. VerifyDKGTranscript
// recomputes QUAL, the public key and the verification keys from it.
type DKGTranscript struct {
	ElectionID string
	SessionID  string
	N, T       int
	Messages   [DKGTranscriptPhases][][]byte
}

// Bytes returns the canonical encoding of the transcript
// (doc/threshold.md, Section 4):
//
//	u8(len(label)) ‖ "eo/dkg-transcript/v1" ‖ u8(len(election)) ‖ election ‖
//	u8(len(session)) ‖ session ‖ u8(n) ‖ u8(t) ‖
//	for each of the six phases, for i = 1 … n: u32(len(m_i)) ‖ m_i
//
// with an empty m_i for a missing message.
func (tr *DKGTranscript) Bytes() []byte {
	size := 4 + len(dkgTranscriptLabel) + len(tr.ElectionID) + len(tr.SessionID)
	for _, row := range tr.Messages {
		for _, m := range row {
			size += 4 + len(m)
		}
	}
	b := make([]byte, 0, size)
	b = append(b, byte(len(dkgTranscriptLabel)))
	b = append(b, dkgTranscriptLabel...)
	b = append(b, byte(len(tr.ElectionID)))
	b = append(b, tr.ElectionID...)
	b = append(b, byte(len(tr.SessionID)))
	b = append(b, tr.SessionID...)
	b = append(b, byte(tr.N), byte(tr.T))
	for _, row := range tr.Messages {
		for i := 0; i < tr.N; i++ {
			var m []byte
			if i < len(row) {
				m = row[i]
			}
			b = binary.BigEndian.AppendUint32(b, uint32(len(m)))
			b = append(b, m...)
		}
	}
	return b
}

// Hash returns SHA-512 of Bytes: the value the parties confirm and sign.
func (tr *DKGTranscript) Hash() [64]byte { return sha512.Sum512(tr.Bytes()) }

// DecodeDKGTranscript decodes the output of Bytes. It checks the encoding
// and the parameters' ranges, not the messages (VerifyDKGTranscript does).
func DecodeDKGTranscript(b []byte) (*DKGTranscript, error) {
	r := &reader{b: b}
	if string(r.take(r.u8("label length"), "label")) != dkgTranscriptLabel && r.err == nil {
		r.fail(malformed("not an eo key-generation transcript"))
	}
	tr := &DKGTranscript{ElectionID: r.id("election id"), SessionID: r.id("session id")}
	tr.N, tr.T = r.u8("n"), r.u8("t")
	if r.err != nil {
		return nil, fmt.Errorf("threshold: transcript: %w", r.err)
	}
	if err := checkNT(tr.N, tr.T); err != nil {
		return nil, fmt.Errorf("threshold: transcript: %w", err)
	}
	for st := range tr.Messages {
		tr.Messages[st] = make([][]byte, tr.N)
		for i := range tr.Messages[st] {
			lb := r.take(4, "message length")
			if r.err != nil {
				return nil, fmt.Errorf("threshold: transcript: %w", r.err)
			}
			n := binary.BigEndian.Uint32(lb)
			if n > maxDKGMessage {
				return nil, malformed("transcript: message of %d bytes exceeds %d", n, maxDKGMessage)
			}
			if m := r.take(int(n), "message"); n > 0 && r.err == nil {
				tr.Messages[st][i] = append([]byte(nil), m...)
			}
		}
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail(malformed("%d trailing bytes", len(r.b)))
	}
	if r.err != nil {
		return nil, fmt.Errorf("threshold: transcript: %w", r.err)
	}
	return tr, nil
}

// DKGPublic is the public outcome of a key generation, the same at every
// honest party: the qualified dealers, the joint public key Y = x·B, each
// authority's verification key VK_i = x_i·B, and the hash of the
// transcript it came from. Threshold decryption needs nothing else.
type DKGPublic struct {
	ElectionID       string
	SessionID        string
	N, T             int
	Qualified        []int              // QUAL, sorted
	PublicKey        *elgamal.PublicKey // Y
	VerificationKeys []*group.Element   // VerificationKeys[i−1] = VK_i
	TranscriptHash   [64]byte
}

// VerificationKey returns VK_i, or nil if i is out of range.
func (p *DKGPublic) VerificationKey(i int) *group.Element {
	if p == nil || i < 1 || i > len(p.VerificationKeys) {
		return nil
	}
	return p.VerificationKeys[i-1]
}

func (s *dkgState) public(hash [64]byte) (*DKGPublic, error) {
	pk, err := elgamal.DecodePublicKey(s.Y.Bytes())
	if err != nil {
		return nil, fmt.Errorf("threshold: internal error: %w", err)
	}
	return &DKGPublic{
		ElectionID: s.p.election, SessionID: s.p.session, N: s.p.n, T: s.p.t,
		Qualified: s.qualified(), PublicKey: pk, VerificationKeys: s.VK[1:], TranscriptHash: hash,
	}, nil
}

// transcript returns the transcript of s.
func (s *dkgState) transcript() *DKGTranscript {
	tr := &DKGTranscript{ElectionID: s.p.election, SessionID: s.p.session, N: s.p.n, T: s.p.t}
	for st := range tr.Messages {
		tr.Messages[st] = make([][]byte, s.p.n)
		for i := 1; i <= s.p.n; i++ {
			if sl := s.msgs[st][i]; sl != nil {
				tr.Messages[st][i-1] = sl.data
			}
		}
	}
	return tr
}

// VerifyDKGTranscript checks a key-generation transcript as a third party
// can: every message decodes, belongs to the session and phase it is
// recorded under and fits n and t; an authority silent in one phase stays
// silent; every echo matches the messages recorded in the phase before;
// and it replays the public decisions of the protocol — complaints,
// justifications, QUAL, extraction complaints, reconstructions — to
// recompute the public key and the verification keys. It returns them with
// the faults the transcript shows.
func VerifyDKGTranscript(tr *DKGTranscript) (*DKGPublic, []Fault, error) {
	if tr == nil {
		return nil, nil, malformed("nil transcript")
	}
	p, err := newDKGParams(tr.ElectionID, tr.SessionID, tr.N, tr.T)
	if err != nil {
		return nil, nil, err
	}
	s := newDKGState(p, 0)
	for st, row := range tr.Messages {
		if len(row) != tr.N {
			return nil, nil, malformed("transcript phase %s has %d entries, want %d", stagePhase[st], len(row), tr.N)
		}
		for i, data := range row {
			if data == nil {
				continue
			}
			if st > 0 && s.msgs[st-1][i+1] == nil {
				return nil, nil, malformed("transcript: authority %d speaks in %s after missing %s", i+1, stagePhase[st], stagePhase[st-1])
			}
			m, err := DecodeMessage(data)
			if err != nil {
				return nil, nil, fmt.Errorf("threshold: transcript: %s of authority %d: %w", stagePhase[st], i+1, err)
			}
			if h := m.MessageHeader(); h.Phase != stagePhase[st] || h.Sender != i+1 {
				return nil, nil, malformed("transcript: %s entry of authority %d holds a %s message from %d", stagePhase[st], i+1, h.Phase, h.Sender)
			}
			if err := p.checkShape(m); err != nil {
				return nil, nil, fmt.Errorf("threshold: transcript: %s of authority %d: %w", stagePhase[st], i+1, err)
			}
			s.msgs[st][i+1] = newSlot(data, m)
		}
	}
	steps := []func() error{s.endDeal, s.endComplaints, s.endJustifications, s.endExtraction,
		s.endExtractionComplaints, s.endReconstruction}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, s.faults, fmt.Errorf("threshold: transcript does not verify: %w", err)
		}
	}
	pub, err := s.public(tr.Hash())
	if err != nil {
		return nil, nil, err
	}
	return pub, s.faults, nil
}
