package orchestra

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/eo-mixnet/eo/peers"
)

// Message types of the peer protocol (the transport's MessageType).
const (
	msgSetup peers.MessageType = 1 // director → all: the election's configuration (JSON)
	msgDKG   peers.MessageType = 2 // a key-generation message of one question (package threshold's encoding)
	msgTally peers.MessageType = 3 // director → all: start the tally (JSON)
	// 4 … 7 were the n-of-n tally's mix, share, parameters signature and
	// record hash; retired, never reused.
	msgAbort    peers.MessageType = 8  // the session failed, with the reason
	msgResend   peers.MessageType = 9  // ask the author of a message to send it again
	msgCreated  peers.MessageType = 10 // authority → director: key generation done, transcript hashes
	msgApproval peers.MessageType = 11 // authority → all: it waits for its trustee's approval, or got it
	msgTallyMsg peers.MessageType = 12 // a message of package tally's protocol (field 0: tally.Message bytes)
)

func msgName(t peers.MessageType) string {
	switch t {
	case msgSetup:
		return "setup"
	case msgDKG:
		return "dkg"
	case msgTally:
		return "tally"
	case msgTallyMsg:
		return "tally-msg"
	case msgAbort:
		return "abort"
	case msgResend:
		return "resend"
	case msgCreated:
		return "created"
	case msgApproval:
		return "approval"
	}
	return "unknown"
}

// errWire is wrapped by every error of decodeEnvelope.
var errWire = errors.New("malformed message")

// An envelope is the body of every message of the peer protocol:
//
//	2 bytes  length of the election id, then the id (1 … maxIDLen bytes)
//	4 bytes  question index q
//	4 bytes  index j (the mix, or the authority a message speaks of)
//	1 byte   number of fields k (fixed per message type)
//	k times: 8 bytes length, then the field's bytes
//
// integers big endian, nothing after the last field. The sender is not in
// the envelope: it is the authenticated peer of the connection.
type envelope struct {
	Election string
	Q, J     uint32
	Fields   [][]byte
}

// fieldCount is how many fields each message type carries.
var fieldCount = map[peers.MessageType]int{
	msgSetup: 1, msgDKG: 1, msgTally: 1, msgAbort: 1, msgResend: 1, msgCreated: 1, msgApproval: 1, msgTallyMsg: 1,
}

func (e *envelope) bytes() []byte {
	n := 2 + len(e.Election) + 4 + 4 + 1
	for _, f := range e.Fields {
		n += 8 + len(f)
	}
	b := make([]byte, 0, n)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.Election)))
	b = append(b, e.Election...)
	b = binary.BigEndian.AppendUint32(b, e.Q)
	b = binary.BigEndian.AppendUint32(b, e.J)
	b = append(b, byte(len(e.Fields)))
	for _, f := range e.Fields {
		b = binary.BigEndian.AppendUint64(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

// decodeEnvelope decodes the body of a message of type t strictly.
func decodeEnvelope(t peers.MessageType, b []byte) (*envelope, error) {
	want, ok := fieldCount[t]
	if !ok {
		return nil, fmt.Errorf("%w: unknown type %d", errWire, t)
	}
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: short", errWire)
	}
	n := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if n < 1 || n > maxIDLen || len(b) < n+9 {
		return nil, fmt.Errorf("%w: election id length %d", errWire, n)
	}
	e := &envelope{Election: string(b[:n])}
	if err := checkID(e.Election); err != nil {
		return nil, fmt.Errorf("%w: %w", errWire, err)
	}
	b = b[n:]
	e.Q, e.J = binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
	k := int(b[8])
	b = b[9:]
	if k != want {
		return nil, fmt.Errorf("%w: %s message with %d fields, want %d", errWire, msgName(t), k, want)
	}
	for range k {
		if len(b) < 8 {
			return nil, fmt.Errorf("%w: short field length", errWire)
		}
		l := binary.BigEndian.Uint64(b)
		b = b[8:]
		if l > uint64(len(b)) {
			return nil, fmt.Errorf("%w: field of %d bytes, %d left", errWire, l, len(b))
		}
		e.Fields = append(e.Fields, b[:l:l])
		b = b[l:]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errWire, len(b))
	}
	return e, nil
}

// toMessage makes a transport message of an encoded envelope: whole if
// it is small, streamed from memory otherwise.
func toMessage(t peers.MessageType, body []byte) peers.Message {
	if len(body) > wholeLimit {
		return peers.Message{Type: t, Stream: bytes.NewReader(body), Size: int64(len(body))}
	}
	return peers.Message{Type: t, Body: body}
}

// wholeLimit is the largest message sent whole; larger ones are streamed.
const wholeLimit = 4 << 20
