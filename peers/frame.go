package peers

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// The wire format of one message, sent alone on its own QUIC stream:
//
//	offset  size  field
//	0       1     frame version, FrameVersion
//	1       1     flags: bit 0 set for a streamed message; other bits zero
//	2       2     message type, big-endian, not zero
//	4       8     length of the body in bytes, big-endian
//	12      n     body
//
// then the end of the stream. A whole message's length is at most
// MaxMessageSize, a streamed message's at most MaxStreamSize.
const (
	FrameVersion = 1
	HeaderSize   = 12

	flagStreamed = 1 << 0
)

// Default limits on messages.
const (
	DefaultMaxMessageSize = 16 << 20
	DefaultMaxStreamSize  = 4 << 30
)

// ErrBadFrame is wrapped by the errors of malformed message frames.
var ErrBadFrame = errors.New("peers: bad message frame")

// A MessageType says what a message is. Types are defined by the protocol
// that uses the transport; 0 is not a valid type.
type MessageType uint16

// A Header is the decoded frame header of a message.
type Header struct {
	Type     MessageType
	Streamed bool
	Length   uint64
}

// Limits bound the length of messages. A zero field means its default.
type Limits struct {
	// MaxMessageSize bounds a whole message, which is read into memory
	// before Receive returns it (DefaultMaxMessageSize).
	MaxMessageSize int64
	// MaxStreamSize bounds a streamed message, which the receiver reads as
	// it arrives (DefaultMaxStreamSize).
	MaxStreamSize int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxMessageSize <= 0 {
		l.MaxMessageSize = DefaultMaxMessageSize
	}
	if l.MaxStreamSize <= 0 {
		l.MaxStreamSize = DefaultMaxStreamSize
	}
	return l
}

// AppendHeader appends the encoding of h to b.
func (h Header) AppendHeader(b []byte) []byte {
	var flags byte
	if h.Streamed {
		flags |= flagStreamed
	}
	b = append(b, FrameVersion, flags)
	b = binary.BigEndian.AppendUint16(b, uint16(h.Type))
	return binary.BigEndian.AppendUint64(b, h.Length)
}

// ParseHeader decodes a frame header from the first HeaderSize bytes of b
// and checks it against the limits.
func ParseHeader(b []byte, lim Limits) (Header, error) {
	lim = lim.withDefaults()
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("%w: header is %d bytes, want %d", ErrBadFrame, len(b), HeaderSize)
	}
	if b[0] != FrameVersion {
		return Header{}, fmt.Errorf("%w: frame version %d, want %d", ErrBadFrame, b[0], FrameVersion)
	}
	if b[1]&^flagStreamed != 0 {
		return Header{}, fmt.Errorf("%w: unknown flags %#02x", ErrBadFrame, b[1])
	}
	h := Header{
		Streamed: b[1]&flagStreamed != 0,
		Type:     MessageType(binary.BigEndian.Uint16(b[2:4])),
		Length:   binary.BigEndian.Uint64(b[4:12]),
	}
	if h.Type == 0 {
		return Header{}, fmt.Errorf("%w: message type 0", ErrBadFrame)
	}
	max := lim.MaxMessageSize
	if h.Streamed {
		max = lim.MaxStreamSize
	}
	if h.Length > uint64(max) {
		return Header{}, fmt.Errorf("%w: length %d exceeds the limit of %d", ErrBadFrame, h.Length, max)
	}
	return h, nil
}

// ReadHeader reads and decodes a frame header.
func ReadHeader(r io.Reader, lim Limits) (Header, error) {
	var b [HeaderSize]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return Header{}, fmt.Errorf("%w: truncated header", ErrBadFrame)
		}
		return Header{}, err
	}
	return ParseHeader(b[:], lim)
}

// readBody reads a whole message's body of n bytes, growing the buffer as
// data arrives rather than trusting the declared length up front, and then
// requires the end of the stream.
func readBody(r io.Reader, n uint64) ([]byte, error) {
	const chunk = 64 << 10
	body := make([]byte, 0, min(n, chunk))
	for uint64(len(body)) < n {
		if len(body) == cap(body) { // double, up to n
			body = slices.Grow(body, int(min(n-uint64(len(body)), uint64(cap(body)))))
		}
		end := min(uint64(cap(body)), n)
		m, err := io.ReadFull(r, body[len(body):end])
		body = body[:len(body)+m]
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, fmt.Errorf("%w: body is %d bytes, header says %d", ErrBadFrame, len(body), n)
			}
			return nil, err
		}
	}
	if err := expectEOF(r); err != nil {
		return nil, err
	}
	return body, nil
}

// expectEOF checks that r has nothing more.
func expectEOF(r io.Reader) error {
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n > 0 {
			return fmt.Errorf("%w: data after the body", ErrBadFrame)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// DecodeFrame decodes one whole message (header, body, and nothing after)
// from data. It is the decoder of the transport, for a stream held in
// memory; a streamed message is decoded too, its body returned in Body.
func DecodeFrame(data []byte, lim Limits) (Header, []byte, error) {
	h, err := ParseHeader(data, lim)
	if err != nil {
		return Header{}, nil, err
	}
	rest := data[HeaderSize:]
	if uint64(len(rest)) < h.Length {
		return Header{}, nil, fmt.Errorf("%w: body is %d bytes, header says %d", ErrBadFrame, len(rest), h.Length)
	}
	if uint64(len(rest)) > h.Length {
		return Header{}, nil, fmt.Errorf("%w: data after the body", ErrBadFrame)
	}
	return h, rest, nil
}
