package eolog

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormat(t *testing.T) {
	line := logLine(t, nil, []slog.Attr{Election("42"), Session("42-0")}, slog.LevelInfo, "mix verified",
		Phase("mix"), Peer("a2.example.org"), slog.Int("n", 1000), slog.String("who", "a b"),
		slog.String("empty", ""), slog.Group("g", slog.Int("z", 1), slog.Group("h", slog.Bool("a", true))),
		slog.Any("list", []string{"x", "y"}), slog.Any("none", nil), Err(errors.New("bad = proof")))
	e, err := ParseEvent(line)
	require.NoError(t, err)
	want := `2026-11-26 14:05:01.123 INFO  [42/42-0] mix a2.example.org: mix verified n=1000 who="a b" empty="" ` +
		`g.h.a=true g.z=1 list=["x","y"] none=null error="bad = proof"`
	assert.Equal(t, want, Format(e, false))

	colored := Format(e, true)
	assert.Contains(t, colored, ansiGreen+"INFO "+ansiReset)
	assert.Contains(t, colored, ansiCyan+"[42/42-0]"+ansiReset)
	assert.Equal(t, want, stripANSI(colored))

	for _, c := range []struct {
		e    Event
		want string
	}{
		{Event{Time: t0, Msg: "m"}, "2026-11-26 14:05:01.123 INFO  m"},
		{Event{Time: t0, Level: slog.LevelError, Msg: "m", Session: "s"}, "2026-11-26 14:05:01.123 ERROR [/s] m"},
		{Event{Time: t0, Level: slog.LevelWarn, Msg: "m", Election: "e"}, "2026-11-26 14:05:01.123 WARN  [e] m"},
		{Event{Time: t0, Level: slog.LevelDebug, Msg: "m", Peer: "p"}, "2026-11-26 14:05:01.123 DEBUG p: m"},
		{Event{Time: t0, Level: slog.LevelInfo + 2, Msg: "m", Phase: "dkg"}, "2026-11-26 14:05:01.123 INFO+2 dkg: m"},
		// Made by hand: the attributes sorted by key.
		{Event{Time: t0, Msg: "m", Attrs: map[string]any{"b": 1.5, "a": json.Number("2"), "c": map[string]any{}, "d d": "x"}},
			`2026-11-26 14:05:01.123 INFO  m a=2 b=1.5 c={} "d d"=x`},
		// Nothing that is not printable gets through.
		{Event{Time: t0, Msg: "a\nb\x1b[31m\u202ec\xff", Election: "e\r", Peer: "\t", Attrs: map[string]any{"k\n": "v\x00", "l": []any{"\u0085"}}},
			`2026-11-26 14:05:01.123 INFO  [e\r] \t: a\nb\x1b[31m\u202ec\xff "k\n"="v\x00" l=["\u0085"]`},
	} {
		assert.Equal(t, c.want, Format(c.e, false))
	}
	for _, l := range []slog.Level{slog.LevelDebug - 4, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelError + 8} {
		out := Format(Event{Time: t0, Level: l, Msg: "m"}, true)
		assert.Contains(t, out, levelColor(l)+l.String())
	}
}

func stripANSI(s string) string {
	for _, code := range []string{ansiReset, ansiDim, ansiCyan, ansiGray, ansiGreen, ansiYellow, ansiRed} {
		s = strings.ReplaceAll(s, code, "")
	}
	return s
}

func TestTextHandler(t *testing.T) {
	var text, js bytes.Buffer
	l := slog.New(Tee(NewTextHandler(&text, nil), NewJSONHandler(&js, nil)))
	l = With(l, "e1", "s1", "", "").With("a", 1).WithGroup("g")
	l.Info("hello", Phase("tally"), "b", 2)
	l.Debug("not shown")
	e, err := ParseEvent(js.Bytes())
	require.NoError(t, err)
	assert.Equal(t, Format(e, false)+"\n", text.String())
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO  \[e1/s1\] hello a=1 g.b=2 g.phase=tally\n$`, text.String())

	text.Reset()
	slog.New(NewTextHandler(&text, &Options{Color: true, Level: slog.LevelDebug})).Debug("d")
	assert.Contains(t, text.String(), ansiGray+"DEBUG"+ansiReset)
}

// TestTextHandlerConcurrent checks that lines do not mix (run with -race).
func TestTextHandlerConcurrent(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(NewTextHandler(&buf, nil))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := base.With("worker", i)
			for j := range 50 {
				l.Info("event", "j", j)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	assert.Len(t, lines, 400)
	for _, line := range lines {
		assert.Regexp(t, `^\S+ \S+ INFO  event worker=\d j=\d+$`, line)
	}
}

func TestFormatTimeZone(t *testing.T) {
	e := Event{Time: t0.In(time.FixedZone("X", -3600)), Msg: "m"}
	assert.Equal(t, "2026-11-26 13:05:01.123 INFO  m", Format(e, false))
}
