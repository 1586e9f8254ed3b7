package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eo-mixnet/eo/eolog"
	"github.com/eo-mixnet/eo/eotest"
	"github.com/eo-mixnet/eo/internal/drill"
	"github.com/eo-mixnet/eo/internal/progress"
	"github.com/eo-mixnet/eo/orchestra"
)

func fullCmd() *cobra.Command {
	var o eotest.Options
	var local int
	var asJSON, verbose, vmnd, processes bool
	var imp eotest.Impairment
	var stepTimeout time.Duration
	var adversaries, downs []string
	var memBudget string
	cmd := &cobra.Command{
		Use:   "full",
		Short: "Run a whole election: create, encrypt, tally, verify",
		Long: `Run a whole election and check it: key generation, encryption of random
ballots with proofs, validation, mixing with cross-verification, threshold
decryption, and the full verification of the record (as eoverify does).
Exits non-zero on any failure.

With --local N, N authorities start on loopback in a temporary directory
(real certificates, peer packages, QUIC and HTTPS) and stop at the end.
With --peers HOST…, the election runs against running authorities: the
one in --dir (the local authority, whose certificate eotest presents)
directs, the peers take part.

With --local, --processes runs each authority in its own process (this
program again) instead of in eotest's, and reports each one's peak
resident memory and eotest's own (encryption, download, verification);
each process applies its memory budget (memory_budget, or $GOMEMLIMIT).
Not with --adversary, --drop, --duplicate or --delay.

With --local, --down AUTHORITY@PHASE[:RESTART] is an operator drill: it
stops that authority (2 … N; authority 1 directs the election here) at
PHASE — create (before the key generation), tally (after the creation,
before the tally request), mix (once it verified another's mix, before
its own), decrypt (once its decryption share is stored) — and starts it
again RESTART later (a duration), or never. The authorities wait
--step-timeout (10s with --down) for a silent peer's step. With any t
authorities left the election ends and the record names the absent;
with fewer it stops cleanly, and eotest reports that as the failure it is:

  eotest full --local 3 --threshold 2 --down 3@mix
  eotest full --local 3 --threshold 2 --down 2@mix:2s
  eotest full --local 3 --threshold 2 --down 2@tally --down 3@tally   (fails)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if vmnd {
				fmt.Fprintln(cmd.ErrOrStderr(), "eotest: --vmnd is accepted for compatibility and does nothing")
			}
			switch {
			case local > 0 && len(o.Peers) > 0:
				return errors.New("--local and --peers exclude each other")
			case local == 0 && len(o.Peers) == 0:
				return errors.New("say where the authorities are: --local N, or --peers HOST… with --dir")
			}
			o.Local = local
			if processes {
				switch {
				case local == 0:
					return errors.New("--processes needs --local")
				case len(adversaries) > 0 || imp != (eotest.Impairment{}):
					return errors.New("--processes runs honest authorities on real sockets: not with --adversary, --drop, --duplicate or --delay")
				}
				o.Processes = true
			}
			if !cmd.Flags().Changed("questions") {
				o.Questions = 0 // one per width, or 1
			}
			if len(adversaries) > 0 {
				if local == 0 {
					return errors.New("--adversary needs --local")
				}
				o.Adversaries = map[int]string{}
				for _, a := range adversaries {
					kind, who, ok := strings.Cut(a, ":")
					i, err := strconv.Atoi(strings.TrimPrefix(who, "local-a"))
					if !ok || err != nil || i < 1 || i > local {
						return fmt.Errorf("--adversary %q: want KIND:AUTHORITY, AUTHORITY 1 … %d", a, local)
					}
					if kind == "" || drill.CheckKind(kind) != nil {
						return fmt.Errorf("--adversary %q: KIND is one of %s", a, strings.Join(drill.Kinds, ", "))
					}
					o.Adversaries[i] = kind
				}
			}
			if len(downs) > 0 {
				if local == 0 {
					return errors.New("--down needs --local")
				}
				for _, s := range downs {
					d, err := eotest.ParseDown(s, local)
					if err != nil {
						return err
					}
					o.Down = append(o.Down, d)
				}
				if err := eotest.CheckDowns(o.Down, local); err != nil {
					return err
				}
				if !cmd.Flags().Changed("step-timeout") {
					stepTimeout = downStepTimeout
				}
			}
			if stepTimeout < 0 || stepTimeout > 0 && local == 0 {
				return errors.New("--step-timeout is a positive duration, with --local")
			}
			if stepTimeout > 0 {
				o.Config = stepConfig(stepTimeout)
			}
			if memBudget != "" {
				n, err := parseBytes(memBudget)
				if err != nil || !processes {
					return fmt.Errorf("--memory-budget %q: want a size (bytes, or with MiB or GiB) and --processes", memBudget)
				}
				if o.Config == nil {
					o.Config = &orchestra.Config{}
				}
				o.Config.MemoryBudget = n
			}
			if imp != (eotest.Impairment{}) {
				if local == 0 {
					return errors.New("--drop, --duplicate and --delay need --local")
				}
				o.Impair = &imp
			}
			if local > 0 && !cmd.Flags().Changed("listen") {
				o.Listen = "" // any loopback port
			}
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelInfo
			}
			logTo := cmd.ErrOrStderr()
			var meter *progress.Meter // nil with --json: shows nothing
			if !asJSON {
				// Bars per phase on a terminal, lines otherwise.
				meter = progress.New(cmd.ErrOrStderr(), progress.IsTerminal(cmd.ErrOrStderr()))
				defer meter.Close()
				o.Progress, o.Phases, logTo = meter.Writer(), meter.Phase, meter.Writer()
			}
			o.Logger = slog.New(eolog.NewTextHandler(logTo, &eolog.Options{Level: level}))
			res, err := eotest.Full(cmd.Context(), o)
			meter.Close()
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			printResult(cmd.OutOrStdout(), res)
			return nil
		},
	}
	cmd.Flags().IntVar(&local, "local", 0, "run N authorities on loopback, in this process (unless --processes)")
	cmd.Flags().BoolVar(&processes, "processes", false, "with --local: run each authority in its own process, and report each one's peak memory")
	cmd.Flags().StringVar(&memBudget, "memory-budget", "", "with --processes: each authority's memory_budget, its soft memory limit (bytes, or 1800MiB, 2GiB; default: half the machine's memory)")
	cmd.Flags().StringSliceVar(&o.Peers, "peers", nil, "the other authorities (installed peers), with --dir the local one, which directs")
	cmd.Flags().StringVar(&o.Dir, "dir", defaultDir(), "the local authority's directory ($EO_DIR)")
	cmd.Flags().StringVar(&o.Listen, "listen", ":8000", "where to serve the ballots and receive the callbacks (any loopback port with --local)")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 0, "give up after this long (0: never)")
	cmd.Flags().IntVar(&o.Votes, "vcount", 1000, "ballots per question")
	cmd.Flags().IntVar(&o.Threshold, "threshold", 0, "authorities needed to decrypt (default: all)")
	cmd.Flags().IntVar(&o.Questions, "questions", 1, "questions")
	cmd.Flags().IntSliceVar(&o.Widths, "widths", nil, widthsHelp)
	cmd.Flags().StringVar(&o.Out, "out", "", "write the record and tally.tar.gz here")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "with --local, show the authorities' events (warnings and errors otherwise)")
	cmd.Flags().Float64Var(&o.Spoil, "spoil", 0, "spoil this fraction of the vote file's lines (garbage, repeated voters, broken proofs) and check that exactly those are excluded")
	cmd.Flags().StringArrayVar(&adversaries, "adversary", nil, "with --local: KIND:AUTHORITY makes that authority misbehave, KIND one of "+strings.Join(drill.Kinds, ", ")+" (repeatable)")
	cmd.Flags().StringArrayVar(&downs, "down", nil, "with --local: AUTHORITY@PHASE[:RESTART] stops that authority (2 … N) at PHASE, one of "+strings.Join(eotest.DownPhases, ", ")+", and starts it again RESTART (a duration) later, or never (repeatable)")
	cmd.Flags().DurationVar(&stepTimeout, "step-timeout", 0, "with --local: the authorities' step_timeout, how long they wait for a silent peer's step (default: the daemon's, 20m; with --down, 10s)")
	cmd.Flags().Float64Var(&imp.Drop, "drop", 0, "with --local: drop this fraction of the datagrams between authorities")
	cmd.Flags().Float64Var(&imp.Duplicate, "duplicate", 0, "with --local: duplicate this fraction of them")
	cmd.Flags().DurationVar(&imp.MaxDelay, "delay", 0, "with --local: delay each by up to this long (reordering them)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a one-line JSON summary")
	// The old eotest's --vmnd chose its verifier; eo always verifies the
	// whole record.
	cmd.Flags().BoolVar(&vmnd, "vmnd", false, "accepted for compatibility with the old eotest; does nothing")
	return cmd
}

// parseBytes reads a size: a number of bytes, or of MiB or GiB.
func parseBytes(s string) (int64, error) {
	unit := int64(1)
	for suffix, u := range map[string]int64{"MiB": 1 << 20, "GiB": 1 << 30} {
		if t, ok := strings.CutSuffix(s, suffix); ok {
			s, unit = t, u
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/unit {
		return 0, fmt.Errorf("%q is not a positive size", s)
	}
	return n * unit, nil
}

// downStepTimeout is the authorities' step_timeout in a --down drill
// unless --step-timeout says otherwise: the daemon's 20 minutes would
// keep the drill waiting that long for the authority down.
const downStepTimeout = 10 * time.Second

// stepConfig is the local authorities' configuration for a step_timeout:
// the key generation's rounds and the resends shorten with it.
func stepConfig(step time.Duration) *orchestra.Config {
	return &orchestra.Config{StepTimeout: orchestra.Duration(step),
		RoundTimeout: orchestra.Duration(min(30*time.Second, step/2)), ResendAfter: orchestra.Duration(min(15*time.Second, step/8))}
}

// widthsHelp is the help of --widths, for full, create and encrypt.
const widthsHelp = `ballot widths (ElGamal pairs per ballot, 1 … 1024), sent as each question's "width": one per question, --widths 1,3 (without --questions, one question per width), or one for every question, --widths 3 (default: 1, and the questions carry no "width")`

func printResult(w io.Writer, r *eotest.Result) {
	fmt.Fprintf(w, "election %s: %d ballots per question, record verified (%d checks)\n", r.ElectionID, r.Votes, r.Checks)
	t := r.Times
	fmt.Fprintf(w, "  key generation %6.2f s\n  encryption     %6.2f s  (%.0f ballots/s)\n  tally          %6.2f s  (%.0f ballots/s)\n  download       %6.2f s\n  verification   %6.2f s\n  total          %6.2f s\n",
		t.KeyGeneration, t.Encryption, float64(r.Votes*len(r.Counts))/t.Encryption, t.Tally, float64(r.Votes*len(r.Counts))/t.Tally, t.Download, t.Verification, t.Total)
	for q, counts := range r.Counts {
		fmt.Fprintf(w, "  question %d:", q)
		for _, c := range counts {
			fmt.Fprintf(w, " %s→%d", c.Plaintext, c.Count)
		}
		fmt.Fprintln(w)
	}
	for _, b := range r.Blame {
		fmt.Fprintf(w, "  blamed: authority %d (%s), question %d, %s: %s\n", b.Authority, b.Name, b.Question, b.Phase, b.Reason)
	}
	for _, ev := range r.Events {
		fmt.Fprintf(w, "  event: authority %d (%s), question %d, %s: %s\n", ev.Authority, ev.Name, ev.Question, ev.Phase, ev.Reason)
	}
	if len(r.Down) > 0 {
		fmt.Fprintf(w, "  down: %s\n", strings.Join(r.Down, ", "))
	}
	if len(r.Absent) > 0 {
		fmt.Fprintf(w, "  absent from the tally: %s\n", strings.Join(r.Absent, ", "))
	}
	if len(r.Unsigned) > 0 {
		fmt.Fprintf(w, "  did not sign the record: %s\n", strings.Join(r.Unsigned, ", "))
	}
	if len(r.PeakMemBytes) > 0 {
		fmt.Fprintf(w, "  peak memory   ")
		for i, m := range r.PeakMemBytes {
			name := fmt.Sprintf("authority %d", i+1)
			if i < len(r.Authorities) {
				name = r.Authorities[i]
			}
			fmt.Fprintf(w, " %s %s,", name, mib(m))
		}
		fmt.Fprintf(w, " eotest %s\n", mib(r.HarnessPeakMemBytes))
	}
	if r.TallyHash != "" {
		fmt.Fprintf(w, "  tally hash %s\n", r.TallyHash)
	}
}

// mib writes a size in bytes in MiB, "?" for 0 (unknown).
func mib(b int64) string {
	if b <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// defaultDir is $EO_DIR, else /etc/eo, as for eopeers and eolog.
func defaultDir() string {
	if d := os.Getenv("EO_DIR"); d != "" {
		return d
	}
	return "/etc/eo"
}
