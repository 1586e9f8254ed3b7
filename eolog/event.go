package eolog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// An Event is one line of the event log, parsed.
type Event struct {
	Time  time.Time
	Level slog.Level
	Msg   string
	// The well-known attributes; empty where the line has none.
	Election, Session, Phase, Peer string
	// Attrs holds every other attribute, as encoding/json decodes it with
	// UseNumber: string, json.Number, bool, nil, []any or map[string]any
	// (a group).
	Attrs map[string]any
	// Raw is the line itself, without its line ending.
	Raw []byte

	// keys are the keys of Attrs in the order of the line.
	keys []string
}

// maxLine is the length of the longest line that Tail and Follow read;
// longer ones are malformed.
const maxLine = 8 << 20

var errTooLong = errors.New("line longer than 8 MiB")

// ParseEvent parses one line of the event log (without or with its line
// ending). The line must be one JSON object and nothing else, with "time"
// a string in RFC 3339 format, "level" a slog level ("INFO", "WARN+2"…)
// and "msg" a string. The well-known attributes fill their fields when they
// are strings or numbers (the number's text); any other attribute goes to
// Attrs. When a key appears twice, the first time, level, msg, election,
// session, phase and peer fill the fields (a handler writes the built-in
// ones first) and the later ones go to Attrs, where the last one stays.
// Event.Raw is a copy of line.
func ParseEvent(line []byte) (Event, error) {
	line = bytes.TrimRight(line, "\r\n")
	var e Event
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return Event{}, errors.New("eolog: not a JSON object")
	}
	var seen uint8 // bit per field already set
	const (
		seenTime = 1 << iota
		seenLevel
		seenMsg
	)
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return Event{}, fmt.Errorf("eolog: invalid JSON: %v", err)
		}
		key := tok.(string) // json.Decoder returns only strings as keys
		var v any
		if err := d.Decode(&v); err != nil {
			return Event{}, fmt.Errorf("eolog: invalid JSON: %v", err)
		}
		var field *string
		switch key {
		case slog.TimeKey:
			if seen&seenTime == 0 {
				s, ok := v.(string)
				if !ok {
					return Event{}, errors.New("eolog: time is not a string")
				}
				t, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					return Event{}, fmt.Errorf("eolog: invalid time %q", s)
				}
				e.Time, seen = t, seen|seenTime
				continue
			}
		case slog.LevelKey:
			if seen&seenLevel == 0 {
				s, ok := v.(string)
				if !ok {
					return Event{}, errors.New("eolog: level is not a string")
				}
				if err := e.Level.UnmarshalText([]byte(s)); err != nil {
					return Event{}, fmt.Errorf("eolog: invalid level %q", s)
				}
				seen |= seenLevel
				continue
			}
		case slog.MessageKey:
			if seen&seenMsg == 0 {
				s, ok := v.(string)
				if !ok {
					return Event{}, errors.New("eolog: msg is not a string")
				}
				e.Msg, seen = s, seen|seenMsg
				continue
			}
		case KeyElection:
			field = &e.Election
		case KeySession:
			field = &e.Session
		case KeyPhase:
			field = &e.Phase
		case KeyPeer:
			field = &e.Peer
		}
		if field != nil && *field == "" {
			switch v := v.(type) {
			case string:
				*field = v
				continue
			case json.Number:
				*field = v.String()
				continue
			}
		}
		if e.Attrs == nil {
			e.Attrs = make(map[string]any)
		}
		if _, ok := e.Attrs[key]; !ok {
			e.keys = append(e.keys, key)
		}
		e.Attrs[key] = v
	}
	if _, err := d.Token(); err != nil { // the closing brace
		return Event{}, fmt.Errorf("eolog: invalid JSON: %v", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return Event{}, errors.New("eolog: data after the JSON object")
	}
	switch {
	case seen&seenTime == 0:
		return Event{}, errors.New("eolog: no time")
	case seen&seenLevel == 0:
		return Event{}, errors.New("eolog: no level")
	case seen&seenMsg == 0:
		return Event{}, errors.New("eolog: no msg")
	}
	e.Raw = bytes.Clone(line)
	return e, nil
}

// A Filter selects events. Its empty string fields match anything; the
// zero Filter matches every event at slog.LevelInfo or above.
type Filter struct {
	Election, Session, Phase, Peer string
	// MinLevel is the lowest level matched.
	MinLevel slog.Level
}

// Match reports whether e is selected by f: its level is at least
// f.MinLevel and each non-empty string field of f equals e's.
func (f Filter) Match(e Event) bool {
	return e.Level >= f.MinLevel &&
		(f.Election == "" || f.Election == e.Election) &&
		(f.Session == "" || f.Session == e.Session) &&
		(f.Phase == "" || f.Phase == e.Phase) &&
		(f.Peer == "" || f.Peer == e.Peer)
}

// A LineError is a malformed line that Tail or Follow skipped.
type LineError struct {
	// Offset is where the line starts in the file.
	Offset int64
	// Line is the line, up to its first 256 bytes.
	Line []byte
	Err  error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("eolog: malformed line at offset %d: %s", e.Offset, strings.TrimPrefix(e.Err.Error(), "eolog: "))
}

func (e *LineError) Unwrap() error { return e.Err }

func newLineError(off int64, line []byte, err error) *LineError {
	return &LineError{Offset: off, Line: bytes.Clone(line[:min(len(line), 256)]), Err: err}
}
