// Command eoverify verifies an eo election record, as any third party can:
//
//	eoverify [--json] [--threads N] [--votes-hash NI] [--threshold T]
//	         [--authorities FILE] DIR|FILE.tar.gz
//
// It reads the record from a directory or a tally.tar.gz, runs every
// check of doc/verify.md §10 and prints a summary: the election, its vote
// file's hash, its threshold and authorities (with their certificates'
// fingerprints, as eopeers prints them), for each question its ballots,
// accepted and excluded lines, mixes, decryption and counts, the blame the
// record proves and the events it shows, then "record is valid" or each
// failed check as "CHECK phase location: message". With --json it prints
// instead the whole report as one JSON object. --threads sets how many
// cores it uses (GOMAXPROCS; all by default).
//
// A record proves only that it is consistent with the certificates it
// carries. What the verifier knows from the election's owner adds checks,
// which make the record invalid when they fail: --votes-hash (E1), the ni
// URI of the vote file the owner published; --threshold (E2), the t the
// owner asked for; --authorities (E3), a file of one line per authority,
// "HOSTNAME sha256:HEX", which must be exactly the record's authorities,
// in any order.
//
// Output rules, followed everywhere in this file: the report goes to
// standard output; errors go to standard error as one line
// "eoverify: message", lower case, without a final period; progress (a bar
// per phase of each question) goes to standard error only when it is a
// terminal, and never with --json. The exit status is 0 for a
// valid record, 1 for a complete record that fails a check, and 2 for a
// malformed, incomplete or unreadable record or a usage error.
//
// eoverify --explain CHECK prints the rule of one check (its section of
// doc/verify.md, embedded in the binary) and exits 0; an unknown check is
// a usage error.
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
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/eo-mixnet/eo/doc"
	"github.com/eo-mixnet/eo/internal/progress"
	"github.com/eo-mixnet/eo/record"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: eoverify [--json] [--threads N] [--votes-hash NI] [--threshold T]
                [--authorities FILE] DIR|FILE.tar.gz
       eoverify --explain CHECK

Verify an eo election record. Exit status: 0 valid, 1 invalid (or not
what --votes-hash, --threshold or --authorities expect), 2 malformed,
incomplete or unreadable.

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
	votesHash := fs.String("votes-hash", "", "the expected `ni:///sha-256;…` of the vote file (check E1)")
	threshold := fs.Int("threshold", 0, "the expected threshold `t` (check E2)")
	authFile := fs.String("authorities", "", "a `file` of the expected authorities, one \"HOSTNAME sha256:HEX\" a line (check E3)")
	explain := fs.String("explain", "", "print the rule of `CHECK` (such as M5) from doc/verify.md and exit")
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
	if *explain != "" {
		if len(paths) != 0 {
			fmt.Fprintln(stderr, "eoverify: --explain takes no record")
			return record.ExitMalformed
		}
		text, err := doc.Check(*explain)
		if err != nil {
			fmt.Fprintf(stderr, "eoverify: --explain: %v\n", err)
			return record.ExitMalformed
		}
		fmt.Fprint(stdout, text)
		return record.ExitValid
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
	thresholdSet := false
	fs.Visit(func(f *flag.Flag) { thresholdSet = thresholdSet || f.Name == "threshold" })
	if thresholdSet && *threshold < 1 {
		fmt.Fprintf(stderr, "eoverify: --threshold %d: want 1 or more\n", *threshold)
		return record.ExitMalformed
	}
	opt.Threshold = *threshold
	if *votesHash != "" {
		if !votesHashRE.MatchString(*votesHash) {
			fmt.Fprintf(stderr, "eoverify: --votes-hash %s: want ni:///sha-256; and 43 base64url characters\n", oneLine(*votesHash))
			return record.ExitMalformed
		}
		opt.VotesHash = *votesHash
	}
	if *authFile != "" {
		fh, err := os.Open(*authFile)
		if err != nil {
			fmt.Fprintf(stderr, "eoverify: %s\n", oneLine(err.Error()))
			return record.ExitMalformed
		}
		opt.Authorities, err = record.ParseAuthorities(fh)
		fh.Close()
		if err != nil {
			fmt.Fprintf(stderr, "eoverify: %s: %s\n", oneLine(*authFile), oneLine(strings.TrimPrefix(err.Error(), "record: ")))
			return record.ExitMalformed
		}
	}
	// A bar per phase of each question on a terminal, without --json.
	var meter *progress.Meter
	var mu sync.Mutex
	current := map[int]string{} // each question's running phase
	if isTerminal(stderr) && !*asJSON {
		meter = progress.New(stderr, true)
		defer meter.Close()
		opt.Progress = func(q int, phase string) {
			mu.Lock()
			defer mu.Unlock()
			if prev, ok := current[q]; ok {
				meter.Phase(prev, 1, 1)
			}
			current[q] = fmt.Sprintf("question %d: %s", q, phase)
			meter.Phase(current[q], 0, 1)
		}
	}
	rep, err := record.VerifyPath(paths[0], opt)
	if err == nil {
		for _, p := range current {
			meter.Phase(p, 1, 1)
		}
	}
	meter.Close()
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

var votesHashRE = regexp.MustCompile(`^ni:///sha-256;[A-Za-z0-9_-]{43}$`)

// summary prints the human report.
func summary(w io.Writer, rep *record.Report) {
	if rep.ElectionID != "" {
		fmt.Fprintf(w, "election %s\n", oneLine(rep.ElectionID))
	}
	if rep.VotesHash != "" {
		fmt.Fprintf(w, "votes %s\n", oneLine(rep.VotesHash))
	}
	if len(rep.Authorities) > 0 {
		fmt.Fprintf(w, "threshold %d of %d authorities\n", rep.Threshold, len(rep.Authorities))
		for _, a := range rep.Authorities {
			absent := ""
			if slices.Contains(rep.Absent, a.Index) {
				absent = " (absent)"
			}
			fmt.Fprintf(w, "authority %d %s %s%s\n", a.Index, oneLine(a.Name), a.Fingerprint, absent)
		}
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
	for _, e := range rep.Events {
		fmt.Fprintf(w, "event: authority %d (%s), question %d, %s: %s\n", e.Authority, oneLine(e.Name), e.Question, e.Phase, oneLine(e.Reason))
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
