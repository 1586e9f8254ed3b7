package eolog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The ANSI escapes of Format.
const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[2m"
	ansiCyan   = "\x1b[36m"
	ansiGray   = "\x1b[90m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[1;31m"
)

// Format renders e as one line of text, without a line ending:
//
//	2026-11-26 14:05:01.123 INFO  [election/session] phase peer: msg key=value …
//
// The time is in e.Time's location (UTC for the events of the log), to the
// millisecond. The part in brackets is left out when e has neither an
// election nor a session, "phase peer:" when it has neither. The other
// attributes follow in the order of the line (sorted by key for an Event
// not made by ParseEvent); a group's members are written as
// "group.key=value"; a string value is quoted when it is empty or holds a
// space, '=', '"' or a character that is not printable; arrays are written
// in JSON. Characters that are not printable are escaped everywhere, so
// that the line is one line and holds no escape of its own. With color,
// Format adds ANSI colours: the level's (gray for debug, green for info,
// yellow for warnings, red for errors), dim time and keys, cyan brackets.
func Format(e Event, color bool) string {
	var b strings.Builder
	paint := func(code, s string) {
		if color {
			b.WriteString(code)
			b.WriteString(s)
			b.WriteString(ansiReset)
		} else {
			b.WriteString(s)
		}
	}
	paint(ansiDim, e.Time.Format("2006-01-02 15:04:05.000"))
	b.WriteByte(' ')
	paint(levelColor(e.Level), fmt.Sprintf("%-5s", e.Level.String()))
	if e.Election != "" || e.Session != "" {
		b.WriteByte(' ')
		s := "[" + escape(e.Election)
		if e.Session != "" {
			s += "/" + escape(e.Session)
		}
		paint(ansiCyan, s+"]")
	}
	var names []string
	for _, s := range []string{e.Phase, e.Peer} {
		if s != "" {
			names = append(names, escape(s))
		}
	}
	if len(names) > 0 {
		b.WriteByte(' ')
		b.WriteString(strings.Join(names, " "))
		b.WriteByte(':')
	}
	b.WriteByte(' ')
	b.WriteString(escape(e.Msg))
	var attr func(key string, v any)
	attr = func(key string, v any) {
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			for _, k := range slices.Sorted(maps.Keys(m)) {
				attr(key+"."+k, m[k])
			}
			return
		}
		b.WriteByte(' ')
		paint(ansiDim, quote(key)+"=")
		b.WriteString(formatValue(v))
	}
	for _, k := range attrKeys(e) {
		attr(k, e.Attrs[k])
	}
	return b.String()
}

// attrKeys returns the keys of e.Attrs in the order of the line, then
// those the line does not have, sorted.
func attrKeys(e Event) []string {
	keys := make([]string, 0, len(e.Attrs))
	seen := make(map[string]bool, len(e.Attrs))
	for _, k := range e.keys {
		if _, ok := e.Attrs[k]; ok && !seen[k] {
			keys, seen[k] = append(keys, k), true
		}
	}
	if len(keys) < len(e.Attrs) {
		var rest []string
		for k := range e.Attrs {
			if !seen[k] {
				rest = append(rest, k)
			}
		}
		slices.Sort(rest)
		keys = append(keys, rest...)
	}
	return keys
}

func levelColor(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return ansiGray
	case l < slog.LevelWarn:
		return ansiGreen
	case l < slog.LevelError:
		return ansiYellow
	}
	return ansiRed
}

func formatValue(v any) string {
	switch v := v.(type) {
	case string:
		return quote(v)
	case json.Number:
		return escape(v.String())
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return quote(fmt.Sprint(v))
	}
	return escape(string(j))
}

// quote returns s, or s quoted in Go syntax when it is empty or holds a
// space, '=', '"' or a character that is not printable.
func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " =\"") || needsEscape(s) {
		return strconv.Quote(s)
	}
	return s
}

func needsEscape(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return true
		}
	}
	return false
}

// escape returns s with each character that is not printable written as a
// Go escape (\n, \x1b, \u202e) and each invalid byte as \xNN.
func escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\' || strconv.IsPrint(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

// NewTextHandler returns the handler of the console: each event as one line
// of Format (with colours if opts.Color), written to w with one Write
// call, with secrets redacted as NewJSONHandler does. It is safe for
// concurrent use.
func NewTextHandler(w io.Writer, opts *Options) slog.Handler {
	st := &textState{w: w, color: opts != nil && opts.Color}
	// The records go through the JSON handler, then ParseEvent and
	// Format, so that the console shows exactly what eolog shows.
	return &textHandler{h: NewJSONHandler(&st.buf, opts), st: st}
}

type textState struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	w     io.Writer
	color bool
}

type textHandler struct {
	h  slog.Handler
	st *textState
}

func (t *textHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return t.h.Enabled(ctx, l)
}

func (t *textHandler) Handle(ctx context.Context, r slog.Record) error {
	st := t.st
	st.mu.Lock()
	defer st.mu.Unlock()
	st.buf.Reset()
	if err := t.h.Handle(ctx, r); err != nil {
		return err
	}
	line := bytes.TrimSuffix(st.buf.Bytes(), []byte("\n"))
	var out string
	if e, err := ParseEvent(line); err == nil {
		out = Format(e, st.color) + "\n"
	} else {
		// Cannot happen with the JSON handler's output; show it as it is.
		out = escape(string(line)) + "\n"
	}
	_, err := io.WriteString(st.w, out)
	return err
}

func (t *textHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &textHandler{h: t.h.WithAttrs(attrs), st: t.st}
}

func (t *textHandler) WithGroup(name string) slog.Handler {
	return &textHandler{h: t.h.WithGroup(name), st: t.st}
}
