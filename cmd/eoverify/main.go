// Command eoverify verifies an eo election record, as any third party can:
//
//	eoverify [--json] [--threads N] DIR|FILE.tar.gz
//
// It reads the record from a directory or a tally.tar.gz, runs every
// check of doc/record.md and prints a summary: the election, for each
// question its ballots, accepted and excluded lines, mixes, decryption
// and counts, then "record is valid" or each failed check as
// "CHECK phase location: message". With --json it prints instead the
// whole report as one JSON object. --threads sets how many cores it uses
// (GOMAXPROCS; all by default).
//
// Output rules, followed everywhere in this file: the report goes to
// standard output; errors go to standard error as one line
// "eoverify: message", lower case, without a final period; progress goes
// to standard error only when it is a terminal. The exit status is 0 for a
// valid record, 1 for a complete record that fails a check, and 2 for a
// malformed, incomplete or unreadable record or a usage error.
//
// The verification itself is record.Verify, which never panics.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/eo-mixnet/eo/record"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: eoverify [--json] [--threads N] DIR|FILE.tar.gz

Verify an eo election record. Exit status: 0 valid, 1 invalid,
2 malformed, incomplete or unreadable.

`

// jsonReport is what --json prints: the report with its verdict.
type jsonReport struct {
	*record.Report
	Valid bool `json:"valid"`
	Exit  int  `json:"exit"`
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eoverify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	threads := fs.Int("threads", 0, "cores to use (GOMAXPROCS); 0 for all")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	// Flags may come before or after the path.
	var paths []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return record.ExitMalformed
		}
		if fs.NArg() == 0 {
			break
		}
		paths = append(paths, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(paths) != 1 {
		fmt.Fprintln(stderr, "eoverify: expected one record, a directory or a .tar.gz file")
		fs.Usage()
		return record.ExitMalformed
	}
	if *threads < 0 {
		fmt.Fprintf(stderr, "eoverify: --threads %d: want 0 (all cores) or more\n", *threads)
		return record.ExitMalformed
	}
	if *threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*threads))
	}

	var opt record.Options
	progress := func(string, ...any) {}
	if isTerminal(stderr) {
		progress = func(format string, a ...any) {
			fmt.Fprintf(stderr, "\r\x1b[K"+format, a...)
		}
		opt.Progress = func(q int, phase string) { progress("verifying question %d: %s", q, phase) }
	}
	progress("reading %s", oneLine(paths[0]))
	rep, err := record.VerifyPath(paths[0], opt)
	progress("")
	if err != nil {
		fmt.Fprintf(stderr, "eoverify: %s\n", oneLine(err.Error()))
		return record.ExitMalformed
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(jsonReport{Report: rep, Valid: rep.Valid(), Exit: rep.ExitCode()}); err != nil {
			fmt.Fprintf(stderr, "eoverify: %s\n", oneLine(err.Error()))
			return record.ExitMalformed
		}
	} else {
		summary(stdout, rep)
	}
	return rep.ExitCode()
}

// summary prints the human report.
func summary(w io.Writer, rep *record.Report) {
	if rep.ElectionID != "" {
		fmt.Fprintf(w, "election %s\n", oneLine(rep.ElectionID))
	}
	for _, q := range rep.Questions {
		fmt.Fprintf(w, "question %d: %d ballots, %d accepted, %d excluded, %d mixes", q.Index, q.Ballots, q.Accepted, q.Excluded, q.Mixes)
		if len(q.Shares) > 0 {
			fmt.Fprintf(w, ", decrypted with the shares of authorities %s", ints(q.Shares))
		} else {
			fmt.Fprint(w, ", not decrypted")
		}
		if len(q.Blamed) > 0 {
			fmt.Fprintf(w, ", shares of authorities %s blamed", ints(q.Blamed))
		}
		fmt.Fprintln(w)
		if len(q.Counts) > 0 {
			pw, cw := len("plaintext"), len("count")
			for _, c := range q.Counts {
				pw = max(pw, len(oneLine(c.Plaintext)))
				cw = max(cw, len(fmt.Sprint(c.Count)))
			}
			fmt.Fprintf(w, "  %-*s  %*s\n", pw, "plaintext", cw, "count")
			for _, c := range q.Counts {
				fmt.Fprintf(w, "  %-*s  %*d\n", pw, oneLine(c.Plaintext), cw, c.Count)
			}
		}
	}
	for _, b := range rep.Blame {
		fmt.Fprintf(w, "blamed: authority %d (%s), question %d, %s: %s\n", b.Authority, oneLine(b.Name), b.Question, b.Phase, oneLine(b.Reason))
	}
	for _, f := range rep.Failures {
		loc := ""
		if f.Location != "" {
			loc = " " + f.Location
		}
		fmt.Fprintf(w, "%s %s%s: %s\n", f.Check, f.Phase, loc, oneLine(f.Message))
	}
	failed := fmt.Sprintf("%d failed checks", len(rep.Failures))
	if len(rep.Failures) == 1 {
		failed = "1 failed check"
	}
	switch rep.ExitCode() {
	case record.ExitValid:
		fmt.Fprintln(w, "record is valid")
	case record.ExitInvalid:
		fmt.Fprintf(w, "record is invalid: %s\n", failed)
	default:
		fmt.Fprintf(w, "record is malformed or incomplete: %s\n", failed)
	}
}

func ints(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// oneLine keeps text from a record (which anyone may have written) from
// breaking a line or driving the terminal: control characters are quoted.
func oneLine(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }) < 0 {
		return s
	}
	q := fmt.Sprintf("%q", s)
	return q[1 : len(q)-1]
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
