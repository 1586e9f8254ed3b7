package eolog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/internal/testctx"
)

// mkLine returns event i as a log line with its line ending.
func mkLine(i int, level slog.Level, election string) string {
	return fmt.Sprintf(`{"time":"2026-11-26T14:05:01.%09dZ","level":%q,"msg":"event %d","election":%q,"i":%d}`+"\n",
		i, level.String(), i, election, i)
}

// msgs returns the messages of events.
func msgs(events []Event) []string {
	var m []string
	for _, e := range events {
		m = append(m, e.Msg)
	}
	return m
}

func eventMsgs(from, to int) []string {
	var m []string
	for i := from; i < to; i++ {
		m = append(m, fmt.Sprintf("event %d", i))
	}
	return m
}

func TestTail(t *testing.T) {
	var b strings.Builder
	for i := range 20 {
		level, election := slog.LevelInfo, "e1"
		if i%2 == 1 {
			election = "e2"
		}
		if i%5 == 0 {
			level = slog.LevelDebug
		}
		b.WriteString(mkLine(i, level, election))
	}
	log := b.String()
	all := Filter{MinLevel: slog.LevelDebug}
	tail := func(log string, n int, f Filter) ([]string, int) {
		t.Helper()
		events, bad, err := Tail(strings.NewReader(log), n, f)
		require.NoError(t, err)
		for _, e := range events {
			_, err := ParseEvent(e.Raw)
			require.NoError(t, err)
		}
		return msgs(events), bad
	}

	got, bad := tail(log, 5, all)
	assert.Equal(t, eventMsgs(15, 20), got)
	assert.Zero(t, bad)
	got, _ = tail(log, 100, all)
	assert.Equal(t, eventMsgs(0, 20), got)
	got, _ = tail(log, -1, all)
	assert.Equal(t, eventMsgs(0, 20), got)
	got, _ = tail(log, 0, all)
	assert.Empty(t, got)
	got, _ = tail(log, 3, Filter{Election: "e2"})
	assert.Equal(t, []string{"event 13", "event 17", "event 19"}, got)
	got, _ = tail(log, -1, Filter{Election: "e1"}) // info and above
	assert.Equal(t, []string{"event 2", "event 4", "event 6", "event 8", "event 12", "event 14", "event 16", "event 18"}, got)
	got, _ = tail(log, 2, Filter{Election: "nope"})
	assert.Empty(t, got)
	got, _ = tail("", 2, all)
	assert.Empty(t, got)

	// A last line without a line ending; CRLF; blank lines.
	got, _ = tail(strings.TrimSuffix(log, "\n"), 2, all)
	assert.Equal(t, eventMsgs(18, 20), got)
	got, bad = tail(strings.ReplaceAll(log, "\n", "\r\n\n  \n"), 3, all)
	assert.Equal(t, eventMsgs(17, 20), got)
	assert.Zero(t, bad)

	// Malformed lines are counted among those read.
	lines := strings.SplitAfter(log, "\n")
	broken := lines[0] + "garbage\n" + strings.Join(lines[1:18], "") + "{\"time\":1}\n" + lines[18] + "{\n" + lines[19]
	got, bad = tail(broken, 2, all)
	assert.Equal(t, eventMsgs(18, 20), got)
	assert.Equal(t, 1, bad)
	got, bad = tail(broken, -1, all)
	assert.Equal(t, eventMsgs(0, 20), got)
	assert.Equal(t, 3, bad)
	got, bad = tail("x", 1, all)
	assert.Empty(t, got)
	assert.Equal(t, 1, bad)
}

// naiveTail is Tail read forwards, all in memory, on the events and
// malformed count of parseAll.
func naiveTail(all []Event, n int, f Filter) (events []string) {
	for _, e := range all {
		if f.Match(e) {
			events = append(events, e.Msg)
		}
	}
	if n >= 0 && len(events) > n {
		events = events[len(events)-n:]
	}
	return events
}

func parseAll(log []byte) (events []Event, malformed int) {
	for _, line := range bytes.Split(log, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		e, err := ParseEvent(line)
		if err != nil || len(line) > maxLine {
			malformed++
			continue
		}
		events = append(events, e)
	}
	return events, malformed
}

// TestTailBlocks compares Tail with naiveTail on logs whose lines cross
// the blocks' boundaries, some longer than a block.
func TestTailBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 4 {
		var b bytes.Buffer
		for i := range 500 {
			switch rng.IntN(25) {
			case 0:
				fmt.Fprintf(&b, `{"time":"2026-11-26T14:05:01Z","level":"INFO","msg":"event %d","pad":%q}`+"\n",
					i, strings.Repeat("x", rng.IntN(3*blockSize)))
			case 1:
				b.WriteString(strings.Repeat("#", rng.IntN(2*blockSize)) + "\n")
			case 2:
				b.WriteString("\n")
			default:
				b.WriteString(mkLine(i, slog.Level(rng.IntN(3)*4-4), fmt.Sprint("e", rng.IntN(3))))
			}
		}
		if round%2 == 1 {
			b.Truncate(b.Len() - 1)
		}
		log := b.Bytes()
		all, wantBad := parseAll(log)
		for _, n := range []int{-1, 0, 1, 7, 100, 1000} {
			for _, f := range []Filter{{MinLevel: slog.LevelDebug}, {Election: "e1"}, {MinLevel: slog.LevelWarn, Election: "e2"}} {
				events, bad, err := Tail(bytes.NewReader(log), n, f)
				require.NoError(t, err)
				want := naiveTail(all, n, f)
				if len(want) == 0 {
					want = nil
				}
				assert.Equal(t, want, msgs(events), "round %d n %d filter %+v", round, n, f)
				if n < 0 {
					assert.Equal(t, wantBad, bad)
				}
			}
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	io.ReadSeeker
	read int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadSeeker.Read(p)
	c.read += int64(n)
	return n, err
}

func TestTailHugeFile(t *testing.T) {
	const lines = 50_000
	path := filepath.Join(t.TempDir(), "events.jsonl")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := io.Writer(f)
	var b strings.Builder
	for i := range lines {
		election := "e1"
		if i == 123 || i == lines-2000 {
			election = "rare"
		}
		b.WriteString(mkLine(i, slog.LevelInfo, election))
		if b.Len() > 1<<20 {
			_, err := io.WriteString(w, b.String())
			require.NoError(t, err)
			b.Reset()
		}
	}
	_, err = io.WriteString(w, b.String())
	require.NoError(t, err)
	require.NoError(t, f.Close())
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Greater(t, fi.Size(), int64(4<<20))

	f, err = os.Open(path)
	require.NoError(t, err)
	defer f.Close()

	// The last 10 events: one block read, not the file.
	r := &countingReader{ReadSeeker: f}
	events, bad, err := Tail(r, 10, Filter{})
	require.NoError(t, err)
	assert.Zero(t, bad)
	assert.Equal(t, eventMsgs(lines-10, lines), msgs(events))
	assert.LessOrEqual(t, r.read, int64(blockSize))

	// And memory for one block, not for the file.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	events, _, err = Tail(f, 10, Filter{})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Len(t, events, 10)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(256<<10))

	// 1000 events: about 1000 lines' worth of blocks.
	r = &countingReader{ReadSeeker: f}
	events, _, err = Tail(r, 1000, Filter{})
	require.NoError(t, err)
	assert.Equal(t, eventMsgs(lines-1000, lines), msgs(events))
	assert.Less(t, r.read, fi.Size()/10)

	// A filter matching far back reads back as far, and no further.
	r = &countingReader{ReadSeeker: f}
	events, _, err = Tail(r, 1, Filter{Election: "rare"})
	require.NoError(t, err)
	assert.Equal(t, []string{fmt.Sprintf("event %d", lines-2000)}, msgs(events))
	assert.Less(t, r.read, fi.Size()/10)

	r = &countingReader{ReadSeeker: f}
	events, _, err = Tail(r, 5, Filter{Election: "rare"})
	require.NoError(t, err)
	assert.Equal(t, []string{"event 123", fmt.Sprintf("event %d", lines-2000)}, msgs(events))
	assert.Equal(t, fi.Size(), r.read)

	events, bad, err = Tail(f, -1, Filter{})
	require.NoError(t, err)
	assert.Zero(t, bad)
	require.Len(t, events, lines)
	for i, e := range events {
		if e.Attrs["i"].(fmt.Stringer).String() != fmt.Sprint(i) {
			t.Fatalf("event %d is %s", i, e.Raw)
		}
	}
}

func TestTailLongLine(t *testing.T) {
	long := `{"time":"2026-11-26T14:05:01Z","level":"INFO","msg":"long","pad":"` + strings.Repeat("x", maxLine) + `"}` + "\n"
	a, b := mkLine(1, slog.LevelInfo, "e"), mkLine(2, slog.LevelInfo, "e")
	for _, log := range []string{a + long + b, long + a + b, a + b + long, long} {
		events, bad, err := Tail(strings.NewReader(log), -1, Filter{})
		require.NoError(t, err)
		assert.Equal(t, 1, bad)
		if log != long {
			assert.Equal(t, []string{"event 1", "event 2"}, msgs(events))
		}
	}
	// Just short enough.
	ok := `{"time":"2026-11-26T14:05:01Z","level":"INFO","msg":"long","pad":"` + strings.Repeat("x", maxLine-100) + `"}` + "\n"
	events, bad, err := Tail(strings.NewReader(a+ok+b), -1, Filter{})
	require.NoError(t, err)
	assert.Zero(t, bad)
	assert.Equal(t, []string{"event 1", "long", "event 2"}, msgs(events))
}

func TestLastLineEnd(t *testing.T) {
	big := strings.Repeat("y", 3*blockSize)
	for _, c := range []struct {
		s    string
		want int64
	}{
		{"", 0}, {"abc", 0}, {"\n", 1}, {"a\n", 2}, {"a\nb", 2}, {"a\nb\n", 4},
		{"a\n" + big, 2}, {big + "\n" + big, int64(len(big)) + 1}, {big, 0},
	} {
		got, err := LastLineEnd(strings.NewReader(c.s), int64(len(c.s)))
		require.NoError(t, err)
		assert.Equal(t, c.want, got, "%.10q", c.s)
	}
	// Only the first size bytes count.
	got, err := LastLineEnd(strings.NewReader("a\nb\nc"), 3)
	require.NoError(t, err)
	assert.Equal(t, int64(2), got)
}

// follow runs Follow in the background and returns its events and
// malformed lines as they come, and a function that stops it and returns
// its error.
func follow(t *testing.T, path string, f Filter, from int64) (<-chan Event, <-chan *LineError, func() error) {
	t.Helper()
	oldInterval, oldHook := pollInterval, testHookFollowing
	started := make(chan struct{})
	pollInterval, testHookFollowing = 5*time.Millisecond, func() { close(started) }
	ctx, cancel := context.WithCancel(testctx.Context(t))
	events, bad := make(chan Event, 1000), make(chan *LineError, 1000)
	done := make(chan error, 1)
	go func() {
		done <- Follow(ctx, path, f, from, func(e Event) { events <- e }, func(e *LineError) { bad <- e })
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("Follow: %v", err)
	}
	var (
		once    sync.Once
		stopErr error
	)
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(5 * time.Second):
				stopErr = errors.New("Follow did not return")
			}
			pollInterval, testHookFollowing = oldInterval, oldHook
		})
		return stopErr
	}
	t.Cleanup(func() { assert.NoError(t, stop()) })
	return events, bad, stop
}

// next returns the next n events of ch, or fails when the test's time is
// up.
func next(t *testing.T, ch <-chan Event, n int) []string {
	t.Helper()
	var got []Event
	ctx := testctx.Context(t)
	for len(got) < n {
		select {
		case e := <-ch:
			got = append(got, e)
		case <-ctx.Done():
			t.Fatalf("waited for %d events, got %q", n, msgs(got))
		}
	}
	return msgs(got)
}

// none checks that ch gets nothing for a few polls.
func none(t *testing.T, ch <-chan Event) {
	t.Helper()
	select {
	case e := <-ch:
		t.Fatalf("unexpected event %s", e.Raw)
	case <-time.After(50 * time.Millisecond):
	}
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(t, err)
	_, err = f.WriteString(s)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func line(i int) string { return mkLine(i, slog.LevelInfo, "e") }

func TestFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	appendTo(t, path, line(0)+line(1))
	events, bad, stop := follow(t, path, Filter{}, -1)

	appendTo(t, path, line(2)+line(3)+line(4))
	assert.Equal(t, eventMsgs(2, 5), next(t, events, 3))

	// A partial line waits for its end.
	l5 := line(5)
	appendTo(t, path, l5[:20])
	none(t, events)
	appendTo(t, path, l5[20:len(l5)-1])
	none(t, events)
	appendTo(t, path, "\n"+line(6))
	assert.Equal(t, eventMsgs(5, 7), next(t, events, 2))

	// Malformed lines are reported with their offsets; filtered events
	// are not sent.
	fi, err := os.Stat(path)
	require.NoError(t, err)
	appendTo(t, path, "not json\n"+mkLine(7, slog.LevelDebug, "e")+line(8))
	assert.Equal(t, eventMsgs(8, 9), next(t, events, 1))
	select {
	case e := <-bad:
		assert.Equal(t, fi.Size(), e.Offset)
		assert.Equal(t, "not json", string(e.Line))
		assert.Contains(t, e.Error(), fmt.Sprintf("eolog: malformed line at offset %d: not a JSON object", fi.Size()))
	default:
		t.Fatal("no malformed line reported")
	}

	assert.NoError(t, stop())
}

func TestFollowFrom(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	appendTo(t, path, line(0)+line(1))

	events, _, stop := follow(t, path, Filter{}, 0)
	assert.Equal(t, eventMsgs(0, 2), next(t, events, 2))
	require.NoError(t, stop())

	events, _, stop = follow(t, path, Filter{}, int64(len(line(0))))
	assert.Equal(t, eventMsgs(1, 2), next(t, events, 1))
	require.NoError(t, stop())

	// Past the end: the file was truncated since.
	events, _, stop = follow(t, path, Filter{}, 1<<20)
	assert.Equal(t, eventMsgs(0, 2), next(t, events, 2))
	require.NoError(t, stop())

	// From the end, a partial last line is read once complete.
	l2 := line(2)
	appendTo(t, path, l2[:10])
	events, _, stop = follow(t, path, Filter{}, -1)
	none(t, events)
	appendTo(t, path, l2[10:])
	assert.Equal(t, eventMsgs(2, 3), next(t, events, 1))
	require.NoError(t, stop())

	err := Follow(context.Background(), filepath.Join(t.TempDir(), "missing"), Filter{}, 0, func(Event) {}, nil)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestFollowTruncate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	appendTo(t, path, line(0)+line(1)+line(2))
	events, _, _ := follow(t, path, Filter{}, -1)
	appendTo(t, path, line(3))
	assert.Equal(t, eventMsgs(3, 4), next(t, events, 1))

	// Truncated in place (copytruncate), then written again.
	require.NoError(t, os.Truncate(path, 0))
	appendTo(t, path, line(4))
	assert.Equal(t, eventMsgs(4, 5), next(t, events, 1))
	appendTo(t, path, line(5))
	assert.Equal(t, eventMsgs(5, 6), next(t, events, 1))
}

func TestFollowRotate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	appendTo(t, path, line(0))
	events, bad, _ := follow(t, path, Filter{}, -1)

	// The writer still holds the old file after the rename and writes a
	// last line without its line ending.
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	defer w.Close()
	_, err = w.WriteString(line(1))
	require.NoError(t, err)
	assert.Equal(t, eventMsgs(1, 2), next(t, events, 1))
	require.NoError(t, os.Rename(path, path+".1"))
	_, err = w.WriteString(strings.TrimSuffix(line(2), "\n"))
	require.NoError(t, err)
	appendTo(t, path, line(3)+line(4))
	assert.Equal(t, eventMsgs(2, 5), next(t, events, 3))

	// Removed, then created again later.
	require.NoError(t, os.Remove(path))
	none(t, events)
	appendTo(t, path, line(5))
	assert.Equal(t, eventMsgs(5, 6), next(t, events, 1))
	assert.Empty(t, bad)
}

func TestFollowLongLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	appendTo(t, path, "")
	events, bad, _ := follow(t, path, Filter{}, 0)
	appendTo(t, path, line(0)+strings.Repeat("z", maxLine+10))
	assert.Equal(t, eventMsgs(0, 1), next(t, events, 1))
	appendTo(t, path, strings.Repeat("z", blockSize)+"\n"+line(1))
	assert.Equal(t, eventMsgs(1, 2), next(t, events, 1))
	select {
	case e := <-bad:
		assert.Equal(t, int64(len(line(0))), e.Offset)
		assert.ErrorIs(t, e, errTooLong)
		assert.Len(t, e.Line, 256)
	default:
		t.Fatal("no malformed line reported")
	}
	assert.Empty(t, bad)
}
