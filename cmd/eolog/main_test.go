package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eolog"
)

// event returns log line i (with its line ending) and how eolog shows it.
func event(i int, level, election, session, phase, peer string) (line, shown string) {
	line = fmt.Sprintf(`{"time":"2026-11-26T14:05:%02d.%09dZ","level":%q,"msg":"event %d","election":%q,"session":%q,"phase":%q,"peer":%q,"i":%d}`+"\n",
		i%60, i, level, i, election, session, phase, peer, i)
	e, err := eolog.ParseEvent([]byte(line))
	if err != nil {
		panic(err)
	}
	return line, eolog.Format(e, false) + "\n"
}

type testLog struct {
	dir, path string
	lines     []string // the lines of the log
	shown     []string // eolog's line for each
	levels    []string
	elections []string
	phases    []string
	peers     []string
}

// newLog writes a log of n events under a new authority directory: events
// i%3 of elections e0, e1, e2; every fifth a warning, every seventh an
// error, every other a debug event; phases dkg and mix; peers a1 to a4.
func newLog(t *testing.T, n int) *testLog {
	t.Helper()
	l := &testLog{dir: t.TempDir()}
	l.path = eolog.Path(l.dir)
	var b strings.Builder
	for i := range n {
		level := "DEBUG"
		switch {
		case i%7 == 0:
			level = "ERROR"
		case i%5 == 0:
			level = "WARN"
		case i%2 == 0:
			level = "INFO"
		}
		election := fmt.Sprint("e", i%3)
		phase := []string{"dkg", "mix"}[i%2]
		peer := fmt.Sprint("a", 1+i%4)
		line, shown := event(i, level, election, election+"-0", phase, peer)
		b.WriteString(line)
		l.lines, l.shown = append(l.lines, line), append(l.shown, shown)
		l.levels, l.elections = append(l.levels, level), append(l.elections, election)
		l.phases, l.peers = append(l.phases, phase), append(l.peers, peer)
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(l.path), 0o755))
	require.NoError(t, os.WriteFile(l.path, []byte(b.String()), 0o644))
	return l
}

// want returns the last n lines (shown, or raw if raw) whose index keep
// accepts.
func (l *testLog) want(n int, raw bool, keep func(i int) bool) string {
	var out []string
	for i := range l.lines {
		if keep(i) {
			if raw {
				out = append(out, l.lines[i])
			} else {
				out = append(out, l.shown[i])
			}
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return strings.Join(out, "")
}

func runArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func atLeast(level string) func(string) bool {
	rank := map[string]int{"DEBUG": 0, "INFO": 1, "WARN": 2, "ERROR": 3}
	return func(l string) bool { return rank[l] >= rank[level] }
}

func TestTail(t *testing.T) {
	l := newLog(t, 400)
	info := atLeast("INFO")
	cases := []struct {
		args []string
		n    int
		keep func(i int) bool
	}{
		{nil, 100, func(i int) bool { return info(l.levels[i]) }},
		{[]string{"-n", "5"}, 5, func(i int) bool { return info(l.levels[i]) }},
		{[]string{"--lines=1000", "--level", "debug"}, 1000, func(int) bool { return true }},
		{[]string{"-n", "0"}, 0, func(int) bool { return true }},
		{[]string{"--level", "WARN"}, 100, func(i int) bool { return atLeast("WARN")(l.levels[i]) }},
		{[]string{"--level", "error", "-n", "7"}, 7, func(i int) bool { return l.levels[i] == "ERROR" }},
		{[]string{"--election", "e1"}, 100, func(i int) bool { return info(l.levels[i]) && l.elections[i] == "e1" }},
		{[]string{"--session", "e2-0", "-n", "3"}, 3, func(i int) bool { return info(l.levels[i]) && l.elections[i] == "e2" }},
		{[]string{"--phase", "mix", "--level", "debug"}, 100, func(i int) bool { return l.phases[i] == "mix" }},
		{[]string{"--peer", "a3", "--level", "debug", "-n", "9"}, 9, func(i int) bool { return l.peers[i] == "a3" }},
		{[]string{"--election", "e0", "--phase", "dkg", "--peer", "a1", "--level", "warn"}, 100, func(i int) bool {
			return l.elections[i] == "e0" && l.phases[i] == "dkg" && l.peers[i] == "a1" && atLeast("WARN")(l.levels[i])
		}},
		{[]string{"--election", "nope"}, 100, func(int) bool { return false }},
	}
	for _, c := range cases {
		for _, asJSON := range []bool{false, true} {
			args := append([]string{"--file", l.path}, c.args...)
			if asJSON {
				args = append(args, "--json")
			}
			code, out, errOut := runArgs(t, args...)
			assert.Equal(t, 0, code, "%q", args)
			assert.Empty(t, errOut, "%q", args)
			assert.Equal(t, l.want(c.n, asJSON, c.keep), out, "%q", args)
			assert.NotContains(t, out, "\x1b", "colour on a buffer")
		}
	}
	// The default shows 100 events, and the last one.
	_, out, _ := runArgs(t, "--file", l.path, "--no-color")
	assert.Equal(t, 100, strings.Count(out, "\n"))
	assert.True(t, strings.HasSuffix(out, l.shown[399]))
}

func TestJSONPassThrough(t *testing.T) {
	// Lines that a reformatting would change: spacing, key order, escapes,
	// numbers, a CRLF line ending.
	odd := []string{
		`{ "msg" : "spaced" , "level":"INFO", "time":"2026-11-26T14:05:01Z" , "election" : "e" }`,
		`{"time":"2026-11-26T15:05:01.5+01:00","level":"warn","msg":"\u00e9\u0041\/","election":"e","n":1.0e3,"big":123456789012345678901234567890}`,
		`{"time":"2026-11-26T14:05:02Z","level":"ERROR","msg":"crlf","election":"e","a":[1, 2 ,{}]}`,
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "x.jsonl")
	content := odd[0] + "\n" + "junk\n" + odd[1] + "\n" + odd[2] + "\r\n"
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	code, out, errOut := runArgs(t, "--file", path, "--json", "--election", "e")
	assert.Equal(t, 0, code)
	assert.Equal(t, odd[0]+"\n"+odd[1]+"\n"+odd[2]+"\n", out)
	assert.Equal(t, "eolog: skipped 1 malformed line\n", errOut)
}

func TestMalformed(t *testing.T) {
	l := newLog(t, 10)
	content := "garbage\n" + strings.Join(l.lines[:5], "") + "{}\n" + strings.Join(l.lines[5:], "") + `{"time":`
	require.NoError(t, os.WriteFile(l.path, []byte(content), 0o644))
	code, out, errOut := runArgs(t, "--file", l.path, "--level", "debug")
	assert.Equal(t, 0, code)
	assert.Equal(t, strings.Join(l.shown, ""), out)
	assert.Equal(t, "eolog: skipped 3 malformed lines\n", errOut)
}

func TestPaths(t *testing.T) {
	a, b := newLog(t, 3), newLog(t, 4)
	t.Setenv("EO_DIR", a.dir)
	t.Setenv("NO_COLOR", "")
	_, out, _ := runArgs(t, "--level", "debug")
	assert.Equal(t, strings.Join(a.shown, ""), out)
	_, out, _ = runArgs(t, "--level", "debug", "--dir", b.dir)
	assert.Equal(t, strings.Join(b.shown, ""), out)
	_, out, _ = runArgs(t, "--level", "debug", "--file", b.path)
	assert.Equal(t, strings.Join(b.shown, ""), out)

	// Missing files.
	empty := t.TempDir()
	code, out, errOut := runArgs(t, "--dir", empty)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Equal(t, "eolog: open "+eolog.Path(empty)+": no such file or directory\n", errOut)
	code, _, errOut = runArgs(t, "--file", filepath.Join(empty, "x.jsonl"))
	assert.Equal(t, 1, code)
	assert.Equal(t, "eolog: open "+filepath.Join(empty, "x.jsonl")+": no such file or directory\n", errOut)
	t.Setenv("EO_DIR", "")
	if _, err := os.Stat("/etc/eo/log/events.jsonl"); err != nil {
		code, _, errOut = runArgs(t)
		assert.Equal(t, 1, code)
		assert.Equal(t, "eolog: open /etc/eo/log/events.jsonl: no such file or directory (give --dir or --file, or set EO_DIR)\n", errOut)
	}
	code, _, errOut = runArgs(t, "--file", empty)
	assert.Equal(t, 1, code)
	assert.Equal(t, "eolog: "+empty+" is a directory, not a log file\n", errOut)
}

func TestUsage(t *testing.T) {
	l := newLog(t, 1)
	for _, args := range [][]string{
		{"--dir", l.dir, "--file", l.path},
		{"--file", l.path, "-n", "-1"},
		{"--file", l.path, "-n", "x"},
		{"--file", l.path, "--level", "loud"},
		{"--file", l.path, "--bogus"},
		{"--file", l.path, "extra"},
		{"--file"},
	} {
		code, out, errOut := runArgs(t, args...)
		assert.Equal(t, 2, code, "%q", args)
		assert.Empty(t, out, "%q", args)
		assert.True(t, strings.HasPrefix(errOut, "eolog: "), "%q: %q", args, errOut)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), "%q: %q", args, errOut)
	}
	code, out, errOut := runArgs(t, "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "Usage:")
	assert.Contains(t, out, "--follow")
	assert.Empty(t, errOut)
}

// syncBuffer is a bytes.Buffer for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor waits up to 5 s for b to hold want.
func waitFor(t *testing.T, b *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for b.String() != want {
		if time.Now().After(deadline) {
			require.Equal(t, want, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(s)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func TestFollow(t *testing.T) {
	l := newLog(t, 6)
	// The log ends with a line being written.
	line6, shown6 := event(6, "INFO", "e0", "e0-0", "dkg", "a1")
	appendTo(t, l.path, line6[:30])

	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, []string{"-f", "-n", "2", "--level", "debug", "--election", "e0"}, &out, &errOut,
			func(k string) string { return map[string]string{"EO_DIR": l.dir}[k] })
	}()
	want := l.shown[0] + l.shown[3]
	waitFor(t, &out, want)

	// The line being written, once complete; a line of another election;
	// a malformed line; another.
	line7, _ := event(7, "INFO", "e1", "e1-0", "mix", "a2")
	line9, shown9 := event(9, "ERROR", "e0", "e0-0", "mix", "a2")
	appendTo(t, l.path, line6[30:]+line7+"oops\n"+line9)
	want += shown6 + shown9
	waitFor(t, &out, want)
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(5 * time.Second):
		t.Fatal("eolog -f did not stop")
	}
	assert.Equal(t, want, out.String())
	offset := len(strings.Join(l.lines, "")) + len(line6) + len(line7)
	assert.Equal(t, fmt.Sprintf("eolog: skipped a malformed line at offset %d: not a JSON object\n", offset), errOut.String())
}
