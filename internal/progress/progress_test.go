package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// Not on a terminal: a line when a phase starts, at most one per Every
// while it runs, one when it ends.
func TestLines(t *testing.T) {
	var buf bytes.Buffer
	m := New(&buf, false)
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	m.Phase("encrypt", 0, 100)
	for i := 1; i < 100; i++ {
		now = now.Add(100 * time.Millisecond)
		m.Phase("encrypt", i, 100)
	}
	m.Phase("encrypt", 100, 100)
	m.Phase("encrypt", 100, 100)
	m.Phase("tally", 0, 0)
	m.Phase("tally", 1, 0)
	m.Close()
	want := "encrypt: 0 of 100 (0%)\n" +
		"encrypt: 50 of 100 (50%), about 5s left\n" +
		"encrypt: 100 of 100, done in 9.9s\n" +
		"tally: 0 of 1 (0%)\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	var nilMeter *Meter
	nilMeter.Phase("x", 1, 2)
	nilMeter.Close()
	if New(nil, true) != nil {
		t.Error("New(nil) is not nil")
	}
}

// On a terminal (a pseudo-terminal here): bars, with the phase's name,
// its count, percent and ETA.
func TestBarsOnTerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	if !IsTerminal(tty) {
		t.Fatal("the pty is not a terminal")
	}
	out := make(chan string)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		out <- b.String()
	}()
	m := New(tty, true)
	m.Phase("mix", 0, 4)
	time.Sleep(300 * time.Millisecond)
	m.Phase("mix", 2, 4)
	time.Sleep(300 * time.Millisecond)
	m.Phase("mix", 4, 4)
	m.Close()
	tty.Close()
	got := <-out
	for _, want := range []string{"mix", "4 of 4", "100 %", "ETA", "["} {
		if !strings.Contains(got, want) {
			t.Errorf("the terminal shows no %q:\n%q", want, got)
		}
	}
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
}
