// Command eolog shows an eo authority's event log.
//
//	eolog [--dir D | --file F] [-n 100] [-f] [--election E] [--session S]
//	      [--phase P] [--peer H] [--level info|warn|error|debug] [--json] [--no-color]
//
// It prints the last events of the log (100 by default, -n), oldest first,
// one line each, and with -f keeps printing the events appended to it until
// interrupted. The filters keep the events of one election, session, phase
// or peer, at --level or above (info by default). With --json it prints the
// matching lines of the log as they are, byte for byte. The log is the
// file given by --file, else log/events.jsonl under the authority directory
// given by --dir, else $EO_DIR, else /etc/eo. The format of the log and of
// the lines is described in doc/eolog.md.
//
// Output rules, followed everywhere in this file: events go to standard
// output, coloured only when it is a terminal and neither --no-color nor
// $NO_COLOR is set; errors and warnings go to standard error as one line
// "eolog: message", lower case, without a final period. The exit status is
// 0 (also when -f is interrupted), 1 for an error and 2 for a usage error.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/eo-mixnet/eo/eolog"
)

const defaultDir = "/etc/eo"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

type options struct {
	dir, file                      string
	lines                          int
	follow, json, noColor          bool
	election, session, phase, peer string
	level                          string
	stdout, stderr                 io.Writer
	getenv                         func(string) string
}

// run runs eolog with args and returns its exit status; -f ends on SIGINT
// or SIGTERM.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdout, stderr, os.Getenv)
}

// runContext is run, with -f ending when ctx is done.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	o := &options{stdout: stdout, stderr: stderr, getenv: getenv}
	cmd := &cobra.Command{
		Use:   "eolog",
		Short: "Show this eo authority's event log",
		Long: "eolog shows the last events of this eo authority's event log, oldest first,\n" +
			"and with -f the events appended to it until interrupted.\n\n" +
			"The log is --file, else log/events.jsonl under --dir, else under $EO_DIR,\n" +
			"else under " + defaultDir + ".",
		Example: "  eolog\n" +
			"  eolog -n 20 --election 42 --level warn\n" +
			"  eolog -f --session 42-0 --phase mix\n" +
			"  eolog --json --peer a2.example.org > a2.jsonl",
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(_ *cobra.Command, args []string) error { return o.run(ctx, args) },
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err.Error()} })
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	f := cmd.Flags()
	f.SortFlags = false
	f.StringVar(&o.dir, "dir", "", "authority `directory` (default $EO_DIR, else "+defaultDir+")")
	f.StringVar(&o.file, "file", "", "the log `file` itself")
	f.IntVarP(&o.lines, "lines", "n", 100, "show the last `N` matching events")
	f.BoolVarP(&o.follow, "follow", "f", false, "then show the events appended to the log, until interrupted")
	f.StringVar(&o.election, "election", "", "only the events of this election `id`")
	f.StringVar(&o.session, "session", "", "only the events of this session `id`")
	f.StringVar(&o.phase, "phase", "", "only the events of this `phase`")
	f.StringVar(&o.peer, "peer", "", "only the events about this peer's `host` name")
	f.StringVar(&o.level, "level", "info", "only the events at this `level` or above: debug, info, warn or error")
	f.BoolVar(&o.json, "json", false, "print the log's JSON lines as they are")
	f.BoolVar(&o.noColor, "no-color", false, "never colour the output")

	err := cmd.Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "eolog: %s\n", message(err))
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// message is the text of an error as eolog prints it: without the
// package's own prefix and final newlines or periods.
func message(err error) string {
	s := strings.ReplaceAll(err.Error(), "eolog: ", "")
	s = strings.TrimRight(strings.TrimSpace(s), ".")
	return strings.ReplaceAll(s, "\n", " ")
}

func (o *options) run(ctx context.Context, args []string) error {
	if len(args) != 0 {
		return usagef("unexpected argument %q (see --help)", args[0])
	}
	if o.dir != "" && o.file != "" {
		return usagef("give --dir or --file, not both")
	}
	if o.lines < 0 {
		return usagef("-n must not be negative")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.level)); err != nil {
		return usagef("unknown --level %q: use debug, info, warn or error", o.level)
	}
	filter := eolog.Filter{Election: o.election, Session: o.session, Phase: o.phase, Peer: o.peer, MinLevel: level}

	path, hint := o.file, ""
	if path == "" {
		dir := o.dir
		if dir == "" {
			dir = o.getenv("EO_DIR")
		}
		if dir == "" {
			dir, hint = defaultDir, " (give --dir or --file, or set EO_DIR)"
		}
		path = eolog.Path(dir)
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w%s", err, hint)
		}
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return err
	} else if fi.IsDir() {
		return fmt.Errorf("%s is a directory, not a log file", path)
	}
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if o.follow {
		// Leave a line being written to Follow.
		if end, err = eolog.LastLineEnd(f, end); err != nil {
			return err
		}
	}

	w := bufio.NewWriter(o.stdout)
	color := !o.json && !o.noColor && o.getenv("NO_COLOR") == "" && isTerminal(o.stdout)
	show := func(e eolog.Event) {
		if o.json {
			w.Write(e.Raw)
		} else {
			w.WriteString(eolog.Format(e, color))
		}
		w.WriteByte('\n')
	}
	events, malformed, err := eolog.Tail(io.NewSectionReader(f, 0, end), o.lines, filter)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	for _, e := range events {
		show(e)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	switch {
	case malformed == 1:
		fmt.Fprintf(o.stderr, "eolog: skipped 1 malformed line\n")
	case malformed > 1:
		fmt.Fprintf(o.stderr, "eolog: skipped %d malformed lines\n", malformed)
	}
	if !o.follow {
		return nil
	}
	f.Close()

	var writeErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err = eolog.Follow(ctx, path, filter, end, func(e eolog.Event) {
		show(e)
		if err := w.Flush(); err != nil && writeErr == nil {
			writeErr = err
			cancel()
		}
	}, func(le *eolog.LineError) {
		fmt.Fprintf(o.stderr, "eolog: skipped a malformed line at offset %d: %s\n", le.Offset, message(le.Err))
	})
	if writeErr != nil {
		return writeErr
	}
	return err
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
