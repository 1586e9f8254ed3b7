package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"
)

// On a terminal, eoverify shows a bar per phase of each question on
// stderr; with --json, nothing there; the report is the same.
func TestProgressOnTerminal(t *testing.T) {
	var valid string
	for name, e := range corpusRecords(t) {
		if e.Exit == 0 {
			valid = filepath.Join(corpus, name)
			break
		}
	}
	require.NotEmpty(t, valid)
	if _, err := os.Stat(valid); err != nil {
		t.Skip(err)
	}
	for _, asJSON := range []bool{false, true} {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skipf("no pseudo-terminal: %v", err)
		}
		require.NoError(t, pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 160}))
		screen := make(chan string)
		go func() {
			var b bytes.Buffer
			buf := make([]byte, 1<<16)
			for {
				n, err := ptmx.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
			}
			screen <- b.String()
		}()
		var out bytes.Buffer
		args := []string{valid}
		if asJSON {
			args = append(args, "--json")
		}
		code := run(args, &out, tty)
		tty.Close()
		got := <-screen
		ptmx.Close()
		require.Equal(t, 0, code, out.String())
		if asJSON {
			require.Empty(t, got)
			var r map[string]any
			require.NoError(t, json.Unmarshal(out.Bytes(), &r))
			continue
		}
		require.Contains(t, out.String(), "record is valid")
		for _, want := range []string{"question 0: ballots", "question 0: decryption", "100 %", "["} {
			require.True(t, strings.Contains(got, want), "no %q on the terminal:\n%q", want, got)
		}
	}
}
