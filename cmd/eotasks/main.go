// Command eotasks lets an eo authority's trustee approve the elections it
// creates and tallies.
//
//	eotasks [--all] [--json]                  list the pending tasks (--all: the decided ones too)
//	eotasks --accept ID                       accept a task: the daemon proceeds
//	eotasks --reject ID --reason "…"          reject it: the election ends with that reason
//
// With "policy": {"approval": "manual"} in eorchestra.json, the daemon
// writes a task before it starts an election's key generation (kind
// create) and, once it has downloaded and validated the ballots, before it
// mixes and decrypts them (kind tally), and waits for the trustee's
// decision; a task not decided within the policy's approval_timeout
// expires and the election ends. A task shows everything the trustee
// decides on: the election, its owner, t of n, every authority with the
// fingerprint of its certificate, the questions and, for a tally, the
// vote file and the ballots accepted and excluded per question. The tasks
// are files in the tasks directory of the authority directory given by
// --dir, else $EO_DIR, else /etc/eo; doc/daemon.md describes them.
//
// Output rules, followed everywhere in this file: data (the tasks, what was
// decided) goes to standard output; errors go to standard error as one line
// "eotasks: message", lower case, without a final period, and the exit
// status is 1 (2 for a usage error).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eo-mixnet/eo/orchestra"
)

const defaultDir = "/etc/eo"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

type options struct {
	dir                    string
	accept, reject, reason string
	all, json              bool
	stdout                 io.Writer
	getenv                 func(string) string
}

// run runs eotasks with args and returns its exit status.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	o := &options{stdout: stdout, getenv: getenv}
	cmd := &cobra.Command{
		Use:   "eotasks",
		Short: "List, accept and reject this eo authority's tasks",
		Long: "eotasks lists the tasks that wait for this eo authority's trustee (approval\n" +
			"\"manual\" in eorchestra.json) and records the trustee's decision: --accept lets\n" +
			"the daemon create or tally the election, --reject ends the election with the\n" +
			"reason given.\n\n" +
			"The tasks are under --dir, else $EO_DIR, else " + defaultDir + ".",
		Example: "  eotasks\n" +
			"  eotasks --json\n" +
			"  eotasks --accept 1234-tally\n" +
			"  eotasks --reject 1234-tally --reason \"the election closed with 3 voters\"",
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(_ *cobra.Command, args []string) error { return o.run(args) },
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err.Error()} })
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	f := cmd.Flags()
	f.SortFlags = false
	f.StringVar(&o.dir, "dir", "", "authority `directory` (default $EO_DIR, else "+defaultDir+")")
	f.StringVar(&o.accept, "accept", "", "accept the task `ID`")
	f.StringVar(&o.reject, "reject", "", "reject the task `ID` (with --reason)")
	f.StringVar(&o.reason, "reason", "", "why the task is rejected (`text`, sent to the other authorities and the web server)")
	f.BoolVar(&o.all, "all", false, "list the decided tasks too")
	f.BoolVar(&o.json, "json", false, "print JSON: the list of tasks, or the decided task")

	err := cmd.Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "eotasks: %s\n", message(err))
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// message is the text of an error as eotasks prints it: one line, without
// a final period.
func message(err error) string {
	s := strings.TrimRight(strings.TrimSpace(err.Error()), ".")
	return strings.ReplaceAll(s, "\n", " ")
}

func (o *options) run(args []string) error {
	if len(args) != 0 {
		return usagef("unexpected argument %q (see --help)", args[0])
	}
	switch {
	case o.accept != "" && o.reject != "":
		return usagef("give --accept or --reject, not both")
	case o.reject != "" && strings.TrimSpace(o.reason) == "":
		return usagef("--reject needs a --reason")
	case o.reason != "" && o.reject == "":
		return usagef("--reason goes with --reject")
	case o.all && (o.accept != "" || o.reject != ""):
		return usagef("--all lists tasks; it does not go with --accept or --reject")
	}
	dir := o.dir
	if dir == "" {
		dir = o.getenv("EO_DIR")
	}
	if dir == "" {
		dir = defaultDir
	}
	if o.accept != "" || o.reject != "" {
		return o.decide(dir)
	}
	tasks, err := orchestra.ReadTasks(dir)
	if err != nil {
		return err
	}
	shown := []*orchestra.Task{}
	for _, t := range tasks {
		if o.all || t.Status == orchestra.TaskPending {
			shown = append(shown, t)
		}
	}
	if o.json {
		enc := json.NewEncoder(o.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(shown)
	}
	if len(shown) == 0 {
		_, err := fmt.Fprintln(o.stdout, "no pending task")
		return err
	}
	for i, t := range shown {
		if i > 0 {
			fmt.Fprintln(o.stdout)
		}
		if err := writeTask(o.stdout, t); err != nil {
			return err
		}
	}
	return nil
}

func (o *options) decide(dir string) error {
	id, accept := o.accept, true
	if id == "" {
		id, accept = o.reject, false
	}
	t, err := orchestra.DecideTask(dir, id, accept, o.reason)
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(o.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(t)
	}
	if accept {
		_, err = fmt.Fprintf(o.stdout, "task %s accepted: the daemon %s election %s\n", t.ID, proceeds(t.Kind), t.Election)
	} else {
		_, err = fmt.Fprintf(o.stdout, "task %s rejected: election %s ends with the reason %q\n", t.ID, t.Election, t.Reason)
	}
	return err
}

func proceeds(kind string) string {
	if kind == orchestra.TaskCreate {
		return "creates"
	}
	return "tallies"
}

// writeTask prints one task for a human, one field a line.
func writeTask(w io.Writer, t *orchestra.Task) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	line := func(k, format string, args ...any) { fmt.Fprintf(tw, "  %s\t%s\n", k, fmt.Sprintf(format, args...)) }
	what := "create"
	if t.Kind == orchestra.TaskTally {
		what = "tally"
	}
	fmt.Fprintf(tw, "task %s: %s election %s\n", t.ID, what, t.Election)
	line("status", "%s", status(t))
	if t.Status == orchestra.TaskPending {
		line("decide", "eotasks --accept %s, or eotasks --reject %s --reason \"…\"", t.ID, t.ID)
	}
	line("authority", "%s (this authority)", t.Authority)
	line("director", "%s", t.Director)
	line("owner", "%s  %s", t.Owner.Name, t.Owner.Fingerprint)
	line("threshold", "%d of %d authorities", t.Threshold, len(t.Authorities))
	for i, a := range t.Authorities {
		k := ""
		if i == 0 {
			k = "authorities"
		}
		line(k, "%d %s  %s", i+1, a.Name, a.Fingerprint)
	}
	widths := make([]string, len(t.Widths))
	for i, w := range t.Widths {
		widths[i] = fmt.Sprint(w)
	}
	line("questions", "%d (widths %s)", t.Questions, strings.Join(widths, ", "))
	if t.Kind == orchestra.TaskTally {
		line("votes_url", "%s", t.VotesURL)
		line("votes_hash", "%s", t.VotesHash)
		line("vote lines", "%d", t.Lines)
		for i, b := range t.Ballots {
			k := ""
			if i == 0 {
				k = "ballots"
			}
			line(k, "question %d: %d accepted, %d excluded", b.Question, b.Accepted, b.Excluded)
		}
	}
	return tw.Flush()
}

func status(t *orchestra.Task) string {
	const layout = "2006-01-02 15:04:05 MST"
	if t.Status == orchestra.TaskPending {
		return fmt.Sprintf("pending since %s, expires %s (in %s)", t.Created.Local().Format(layout), t.Expires.Local().Format(layout),
			time.Until(t.Expires).Round(time.Second))
	}
	s := t.Status
	if t.DecidedAt != nil {
		s += " " + t.DecidedAt.Local().Format(layout)
	}
	if t.DecidedBy != "" {
		s += " by " + t.DecidedBy
	}
	if t.Reason != "" {
		s += ": " + t.Reason
	}
	return s
}
