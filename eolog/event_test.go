package eolog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 26, 14, 5, 1, 123456789, time.UTC)

// logLine returns the line the JSON handler writes for one record at t0.
func logLine(t *testing.T, opts *Options, with []slog.Attr, level slog.Level, msg string, attrs ...slog.Attr) []byte {
	t.Helper()
	var buf bytes.Buffer
	h := NewJSONHandler(&buf, opts).WithAttrs(with)
	r := slog.NewRecord(t0, level, msg, 0)
	r.AddAttrs(attrs...)
	require.NoError(t, h.Handle(context.Background(), r))
	require.True(t, bytes.HasSuffix(buf.Bytes(), []byte("\n")))
	require.Equal(t, 1, bytes.Count(buf.Bytes(), []byte("\n")))
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestJSONHandlerFormat(t *testing.T) {
	line := logLine(t, nil, []slog.Attr{Election("e1"), Session("e1-0")}, slog.LevelWarn, "slow peer",
		Phase("mix"), Peer("a2.example.org"), slog.Int("n", 3), Err(errors.New("timeout")), Err(nil))
	assert.Equal(t, `{"time":"2026-11-26T14:05:01.123456789Z","level":"WARN","msg":"slow peer",`+
		`"election":"e1","session":"e1-0","phase":"mix","peer":"a2.example.org","n":3,"error":"timeout"}`, string(line))

	// Nine digits, always, and UTC whatever the record's zone.
	var buf bytes.Buffer
	h := NewJSONHandler(&buf, nil)
	r := slog.NewRecord(time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600)), slog.LevelInfo, "m", 0)
	require.NoError(t, h.Handle(context.Background(), r))
	assert.Equal(t, `{"time":"2026-01-02T02:04:05.000000000Z","level":"INFO","msg":"m"}`+"\n", buf.String())
}

func TestParseRoundTrip(t *testing.T) {
	line := logLine(t, nil, []slog.Attr{Election("42"), Session("42-1")}, slog.LevelError+2, "mix rejected",
		Phase("mix"), Peer("a3"), slog.String("reason", "bad proof"), slog.Int64("big", 1<<62+1),
		slog.Float64("f", 0.5), slog.Bool("ok", false), slog.Any("list", []int{1, 2}),
		slog.Group("g", slog.String("z", "1"), slog.String("a", "2")), slog.Any("nil", nil))
	e, err := ParseEvent(line)
	require.NoError(t, err)
	assert.True(t, t0.Equal(e.Time))
	assert.Equal(t, time.UTC, e.Time.Location())
	assert.Equal(t, slog.LevelError+2, e.Level)
	assert.Equal(t, "mix rejected", e.Msg)
	assert.Equal(t, "42", e.Election)
	assert.Equal(t, "42-1", e.Session)
	assert.Equal(t, "mix", e.Phase)
	assert.Equal(t, "a3", e.Peer)
	assert.Equal(t, line, e.Raw)
	assert.Equal(t, "bad proof", e.Attrs["reason"])
	assert.Equal(t, json.Number("4611686018427387905"), e.Attrs["big"])
	assert.Equal(t, json.Number("0.5"), e.Attrs["f"])
	assert.Equal(t, false, e.Attrs["ok"])
	assert.Equal(t, []any{json.Number("1"), json.Number("2")}, e.Attrs["list"])
	assert.Equal(t, map[string]any{"z": "1", "a": "2"}, e.Attrs["g"])
	assert.Contains(t, e.Attrs, "nil")
	assert.Nil(t, e.Attrs["nil"])
	assert.Equal(t, []string{"reason", "big", "f", "ok", "list", "g", "nil"}, e.keys)

	// Parsing the raw line again gives the same event; a line ending is
	// ignored.
	for _, l := range [][]byte{e.Raw, append(bytes.Clone(line), '\n'), append(bytes.Clone(line), '\r', '\n')} {
		again, err := ParseEvent(l)
		require.NoError(t, err)
		assert.Equal(t, e, again)
	}
	// Raw is a copy.
	line[0] = 'X'
	assert.Equal(t, byte('{'), e.Raw[0])
}

func TestAddSource(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, &Options{AddSource: true}).Info("m")
	e, err := ParseEvent(buf.Bytes())
	require.NoError(t, err)
	src, ok := e.Attrs["source"].(map[string]any)
	require.True(t, ok, buf.String())
	assert.Contains(t, src["file"], "event_test.go")
	assert.Contains(t, Format(e, false), "source.file=")
}

func TestParseEvent(t *testing.T) {
	const head = `"time":"2026-11-26T14:05:01.5Z","level":"INFO","msg":"m"`
	good := []struct {
		line string
		want Event
	}{
		{`{` + head + `}`, Event{Time: time.Date(2026, 11, 26, 14, 5, 1, 5e8, time.UTC), Msg: "m"}},
		{` { "msg" : "m", "level": "debug", "time": "2026-11-26T15:05:01+01:00" } `,
			Event{Time: time.Date(2026, 11, 26, 14, 5, 1, 0, time.UTC), Level: slog.LevelDebug, Msg: "m"}},
		{`{` + head + `,"election":7,"session":"s","phase":"","peer":"p"}`,
			Event{Election: "7", Session: "s", Peer: "p"}},
		// Well-known attributes that are not strings or numbers stay in Attrs.
		{`{` + head + `,"election":true,"peer":{"a":1}}`,
			Event{Attrs: map[string]any{"election": true, "peer": map[string]any{"a": json.Number("1")}}, keys: []string{"election", "peer"}}},
		// The first built-in wins; the later ones are attributes.
		{`{` + head + `,"time":"user","level":5,"msg":"again","election":"a","election":"b","x":1,"x":2}`,
			Event{Election: "a", Attrs: map[string]any{"time": "user", "level": json.Number("5"), "msg": "again", "election": "b", "x": json.Number("2")},
				keys: []string{"time", "level", "msg", "election", "x"}}},
		{`{"time":"2026-11-26T14:05:01.5Z","level":"WARN-2","msg":""}`, Event{Level: slog.LevelWarn - 2}},
	}
	for _, c := range good {
		e, err := ParseEvent([]byte(c.line))
		require.NoError(t, err, c.line)
		if c.want.Time.IsZero() {
			c.want.Time = time.Date(2026, 11, 26, 14, 5, 1, 5e8, time.UTC)
		}
		if c.want.Msg == "" && strings.Contains(c.line, `"msg":"m"`) {
			c.want.Msg = "m"
		}
		c.want.Raw = []byte(c.line)
		assert.True(t, c.want.Time.Equal(e.Time), c.line)
		e.Time = c.want.Time
		assert.Equal(t, c.want, e, c.line)
	}

	bad := []string{
		``, ` `, `null`, `[]`, `"x"`, `{`, `}`, `{}`,
		`{"level":"INFO","msg":"m"}`,
		`{"time":"2026-11-26T14:05:01Z","msg":"m"}`,
		`{"time":"2026-11-26T14:05:01Z","level":"INFO"}`,
		`{"time":"yesterday","level":"INFO","msg":"m"}`,
		`{"time":"2026-11-26 14:05:01","level":"INFO","msg":"m"}`,
		`{"time":1,"level":"INFO","msg":"m"}`,
		`{"time":"2026-11-26T14:05:01Z","level":"LOUD","msg":"m"}`,
		`{"time":"2026-11-26T14:05:01Z","level":0,"msg":"m"}`,
		`{"time":"2026-11-26T14:05:01Z","level":"INFO","msg":1}`,
		`{` + head + `}{}`,
		`{` + head + `} x`,
		`{` + head + `,}`,
		`{` + head + `,"a"}`,
		`{` + head + `,"a":}`,
		`{` + head + `,"a":1`,
		`{` + head + `,"a":[1}`,
		`{` + head + ` "a":1}`,
		`{` + head + `}` + "\n" + `{` + head + `}`,
	}
	for _, line := range bad {
		_, err := ParseEvent([]byte(line))
		assert.Error(t, err, line)
		if err != nil {
			assert.True(t, strings.HasPrefix(err.Error(), "eolog: "), err.Error())
		}
	}
}

func TestFilter(t *testing.T) {
	e := Event{Level: slog.LevelWarn, Election: "e1", Session: "s1", Phase: "mix", Peer: "a2"}
	for _, f := range []Filter{
		{}, {MinLevel: slog.LevelDebug}, {MinLevel: slog.LevelWarn},
		{Election: "e1"}, {Session: "s1"}, {Phase: "mix"}, {Peer: "a2"},
		{Election: "e1", Session: "s1", Phase: "mix", Peer: "a2", MinLevel: slog.LevelWarn},
	} {
		assert.True(t, f.Match(e), "%+v", f)
	}
	for _, f := range []Filter{
		{MinLevel: slog.LevelError}, {Election: "e2"}, {Session: "s"}, {Phase: "dkg"}, {Peer: "a1"},
		{Election: "e1", Session: "s1", Phase: "mix", Peer: "a3"},
	} {
		assert.False(t, f.Match(e), "%+v", f)
	}
	assert.False(t, Filter{}.Match(Event{Level: slog.LevelDebug}))
	assert.True(t, Filter{MinLevel: slog.LevelDebug}.Match(Event{Level: slog.LevelDebug}))
	assert.False(t, Filter{Election: "e1"}.Match(Event{}))
}

func TestWith(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(NewJSONHandler(&buf, nil))
	With(l, "e", "", "dkg", "").Info("a")
	With(l, "", "s", "", "p").Info("b")
	assert.Same(t, l, With(l, "", "", "", ""))
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, lines, 2)
	a, err := ParseEvent(lines[0])
	require.NoError(t, err)
	b, err := ParseEvent(lines[1])
	require.NoError(t, err)
	assert.Equal(t, []string{"e", "", "dkg", ""}, []string{a.Election, a.Session, a.Phase, a.Peer})
	assert.Equal(t, []string{"", "s", "", "p"}, []string{b.Election, b.Session, b.Phase, b.Peer})
	assert.Nil(t, a.Attrs)
	assert.NotContains(t, string(lines[0]), "session")
}

type failing struct{ slog.Handler }

func (failing) Handle(context.Context, slog.Record) error { return errors.New("disk full") }

func TestTee(t *testing.T) {
	var info, debug bytes.Buffer
	h := Tee(NewJSONHandler(&info, nil), NewJSONHandler(&debug, &Options{Level: slog.LevelDebug}))
	l := slog.New(h).With("a", 1).WithGroup("g")
	assert.True(t, h.Enabled(context.Background(), slog.LevelDebug))
	l.Debug("d", "b", 2)
	l.Info("i", "b", 3)
	assert.Equal(t, 1, bytes.Count(info.Bytes(), []byte("\n")))
	assert.Equal(t, 2, bytes.Count(debug.Bytes(), []byte("\n")))
	assert.Contains(t, info.String(), `"a":1,"g":{"b":3}`)
	assert.Contains(t, debug.String(), `"a":1,"g":{"b":2}`)

	var ok bytes.Buffer
	h = Tee(failing{NewJSONHandler(nil, nil)}, NewJSONHandler(&ok, nil))
	err := h.Handle(context.Background(), slog.NewRecord(t0, slog.LevelInfo, "m", 0))
	assert.EqualError(t, err, "disk full")
	assert.Contains(t, ok.String(), `"msg":"m"`)
	assert.False(t, Tee().Enabled(context.Background(), slog.LevelError))
}

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenFile(dir)
	require.NoError(t, err)
	New(f, nil).Info("one")
	require.NoError(t, f.Close())
	f, err = OpenFile(dir)
	require.NoError(t, err)
	New(f, nil).Info("two")
	require.NoError(t, f.Close())
	r, err := os.Open(Path(dir))
	require.NoError(t, err)
	defer r.Close()
	events, bad, err := Tail(r, -1, Filter{})
	require.NoError(t, err)
	assert.Zero(t, bad)
	require.Len(t, events, 2)
	assert.Equal(t, "one", events[0].Msg)
	assert.Equal(t, "two", events[1].Msg)
	assert.Equal(t, dir+"/log/events.jsonl", Path(dir))
}
