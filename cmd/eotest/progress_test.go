package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"
)

// On a terminal (a pseudo-terminal), eotest full shows a bar per phase
// with its percent and ETA; elsewhere, lines; with --json, nothing but
// the JSON on stdout.
func TestFullProgress(t *testing.T) {
	if testing.Short() {
		t.Skip("three whole elections")
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
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
	cmd := rootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(tty)
	cmd.SetArgs([]string{"full", "--local", "2", "--vcount", "30"})
	require.NoError(t, cmd.Execute())
	tty.Close()
	got := <-screen
	for _, want := range []string{"keygen", "encrypt", "30 of 30", "tally", "verify", "100 %", "ETA", "[==="} {
		require.Contains(t, got, want)
	}
	require.Contains(t, out.String(), "record verified")

	var lines bytes.Buffer
	out.Reset()
	cmd = rootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&lines)
	cmd.SetArgs([]string{"full", "--local", "2", "--vcount", "30"})
	require.NoError(t, cmd.Execute())
	require.Contains(t, lines.String(), "encrypt: 30 of 30, done in")
	require.Contains(t, lines.String(), "tally: 1 of 1, done in")
	require.NotContains(t, lines.String(), "\x1b[")

	var errOut bytes.Buffer
	out.Reset()
	cmd = rootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"full", "--local", "2", "--vcount", "30", "--json"})
	require.NoError(t, cmd.Execute())
	require.Empty(t, errOut.String())
	require.Equal(t, 1, strings.Count(out.String(), "\n"))
	var res map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
}
