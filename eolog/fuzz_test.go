package eolog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParseEvent checks that ParseEvent never panics and that what it
// accepts parses again to the same event from Raw (the line byte for byte,
// less its line ending), matches filters and formats as one line with no
// character that is not printable.
func FuzzParseEvent(f *testing.F) {
	var buf bytes.Buffer
	l := slog.New(NewJSONHandler(&buf, &Options{Level: slog.LevelDebug - 4}))
	l = With(l, "42", "42-0", "mix", "a2.example.org")
	l.Info("mix verified", "n", 1000, "secret", "x", slog.Group("g", "a", []int{1, 2}, "b", nil))
	l.Error("bad\n\x1b[31m\u202e", Err(assertErr("boom")), "f", 1.5e300, "t", true)
	l.Log(context.Background(), slog.LevelDebug-4, "", "", "")
	for _, line := range bytes.SplitAfter(buf.Bytes(), []byte("\n")) {
		if len(line) > 0 {
			f.Add(line)
		}
	}
	const head = `"time":"2026-11-26T14:05:01.5Z","level":"INFO","msg":"m"`
	for _, s := range []string{
		`{` + head + `}`,
		`{` + head + `,"election":7,"election":"x","time":"y","peer":{"a":[{}]}}`,
		`{` + head + `}` + "\r\n",
		`{"time":"2026-11-26T15:05:01+01:00","level":"ERROR+3","msg":"\u0000\ud800"}`,
		`{` + head + `} {}`,
		`{` + head + `,"k":"` + strings.Repeat("\\u00e9", 10) + `"}`,
		`{"level":"INFO","msg":"m"}`, `[]`, ``, `{`, "\xff", `{"time":"2026-11-26T14:05:01Z","level":"x","msg":"m"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := ParseEvent(line)
		if err != nil {
			assert.Equal(t, Event{}, e)
			return
		}
		require.True(t, bytes.HasPrefix(line, e.Raw))
		again, err := ParseEvent(e.Raw)
		require.NoError(t, err)
		require.Equal(t, e, again)
		Filter{Election: e.Election, Session: e.Session, Phase: e.Phase, Peer: e.Peer, MinLevel: e.Level}.Match(e)
		for _, color := range []bool{false, true} {
			out := Format(e, color)
			if !color {
				for _, r := range out {
					if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
						t.Fatalf("Format(%q) = %q holds %U", line, out, r)
					}
				}
			}
			if strings.ContainsAny(out, "\n\r") {
				t.Fatalf("Format(%q) = %q is not one line", line, out)
			}
		}
	})
}

type assertErr string

func (e assertErr) Error() string { return string(e) }
