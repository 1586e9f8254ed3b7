package tally

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Kind is the kind of a tally message.
type Kind uint8

// The message kinds. Every message but an Ask is signed by its Author,
// so any authority may relay it: a late or lost message reaches everyone
// who asks for it, from whoever holds it.
const (
	// KindMix: Author's mix of question Q for Position, of the output of
	// mixer Parent's mix (0: the accepted ballots). Fields: output, proof,
	// signature over chain.Digest.
	KindMix Kind = 1 + iota
	// KindShare: Author's decryption share of question Q's final list,
	// the output of mixer Parent's mix. Fields: share, signature over
	// record.ShareDigest.
	KindShare
	// KindParams: Author's signature over a parameters.json. Fields: the
	// parameters, the signature over record.ParametersDigest.
	KindParams
	// KindAsk: send me what you hold of kind Parent by Author (for a
	// share, of the final list Position; for a mix or a share, of question
	// Q). No fields.
	KindAsk
	// KindStop: Author stopped its tally (it failed, or its operator
	// refused); the others stop waiting for it. Fields: the reason. Sent
	// by its author only (the transport authenticates the sender).
	KindStop
)

var kindNames = map[Kind]string{KindMix: "mix", KindShare: "share", KindParams: "params", KindAsk: "ask", KindStop: "stop"}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind-%d", uint8(k))
}

// fieldsOf is the number of fields of each kind.
var fieldsOf = map[Kind]int{KindMix: 3, KindShare: 2, KindParams: 2, KindAsk: 0, KindStop: 1}

// Message is one message of the tally protocol (doc/daemon.md, "The
// tally protocol").
type Message struct {
	Kind     Kind
	Q        int // the question
	Author   int // the authority that made and signed it (for an Ask: whose message is wanted)
	Parent   int // a mix's input (the mixer of its input, 0 for the ballots); a share's final list (the mixer of it); an Ask's kind
	Position int // a mix's position; an Ask's final list for a share
	Fields   [][]byte
}

// Limits of a message's numbers: eo elections have at most 64 questions
// and threshold.MaxAuthorities authorities.
const (
	maxQuestions = 64
	maxIndex     = 255
	headerSize   = 1 + 2 + 1 + 1 + 2 + 1
)

// Bytes encodes m: kind (1 byte) ‖ question (2) ‖ author (1) ‖ parent (1)
// ‖ position (2) ‖ field count (1) ‖ each field as length (4) ‖ bytes,
// integers big endian.
func (m *Message) Bytes() []byte {
	n := headerSize
	for _, f := range m.Fields {
		n += 4 + len(f)
	}
	b := make([]byte, 0, n)
	b = append(b, byte(m.Kind))
	b = binary.BigEndian.AppendUint16(b, uint16(m.Q))
	b = append(b, byte(m.Author), byte(m.Parent))
	b = binary.BigEndian.AppendUint16(b, uint16(m.Position))
	b = append(b, byte(len(m.Fields)))
	for _, f := range m.Fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// ErrMalformed is wrapped by every error of DecodeMessage.
var ErrMalformed = errors.New("tally: malformed message")

// DecodeMessage decodes a message of Bytes, refusing unknown kinds, a
// wrong number of fields, numbers out of range and short or long input.
// The fields alias b.
func DecodeMessage(b []byte) (*Message, error) {
	if len(b) < headerSize {
		return nil, fmt.Errorf("%w: %d bytes, shorter than a header", ErrMalformed, len(b))
	}
	m := &Message{Kind: Kind(b[0]), Q: int(binary.BigEndian.Uint16(b[1:])), Author: int(b[3]), Parent: int(b[4]),
		Position: int(binary.BigEndian.Uint16(b[5:]))}
	want, ok := fieldsOf[m.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: unknown kind %d", ErrMalformed, b[0])
	}
	if m.Q >= maxQuestions {
		return nil, fmt.Errorf("%w: question %d", ErrMalformed, m.Q)
	}
	if m.Author < 1 && m.Kind != KindAsk {
		return nil, fmt.Errorf("%w: author %d", ErrMalformed, m.Author)
	}
	if got := int(b[7]); got != want {
		return nil, fmt.Errorf("%w: a %s has %d fields, not %d", ErrMalformed, m.Kind, want, got)
	}
	rest := b[headerSize:]
	for range want {
		if len(rest) < 4 {
			return nil, fmt.Errorf("%w: truncated field length", ErrMalformed)
		}
		n := binary.BigEndian.Uint32(rest)
		rest = rest[4:]
		if uint64(n) > uint64(len(rest)) {
			return nil, fmt.Errorf("%w: a field of %d bytes, %d left", ErrMalformed, n, len(rest))
		}
		m.Fields = append(m.Fields, rest[:n:n])
		rest = rest[n:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(rest))
	}
	return m, nil
}
