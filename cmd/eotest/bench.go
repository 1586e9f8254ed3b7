package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/eo-mixnet/eo/bench"
	"github.com/eo-mixnet/eo/eotest"
	"github.com/eo-mixnet/eo/internal/progress"
)

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "eotest",
		Short:         "Test an eo deployment and measure its capacity",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var cpuProfile, memProfile string
	var stop, stopMem func()
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this `file`")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentFlags().StringVar(&memProfile, "memprofile", "", "write a heap profile near the run's peak to this `file`")
	root.PersistentFlags().MarkHidden("memprofile")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if memProfile != "" {
			stopMem = peakHeapProfile(memProfile)
		}
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		stop = func() { pprof.StopCPUProfile(); f.Close() }
		return nil
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if stop != nil {
			stop()
		}
		if stopMem != nil {
			stopMem()
		}
	}
	root.AddCommand(benchCmd(), fullCmd(), createCmd(), encryptCmd(), tallyCmd())
	return root
}

func benchCmd() *cobra.Command {
	var n, width, procs, recordN int
	var asJSON, mem, threshold bool
	var sweep []int
	var sweepOut string
	var sweepN int
	var sweepProcs bool
	var memBudget string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure shuffle, proof and verification costs on this machine",
		Long: `Measure, in one run, one variable-base scalar multiplication (SM) and the
costs of shuffling, proving and verifying n ciphertexts of the given width,
per ciphertext and as ratios to SM.

With --sweep 1000,10000,100000, run instead a whole local election (as
eotest full --local) at each size and report each phase's seconds and the
peak memory, and the time per ballot with its slope (the largest size
against 100 000, or the size before it): a table (--json: one JSON
object), and an SVG plot against the ballots, with the old engine's
figure, in --out. With --processes each authority runs in its own process
(as eotest full --processes), and each one's peak memory is reported;
--memory-budget sets each one's memory_budget.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var budget int64
			if memBudget != "" {
				var err error
				if budget, err = parseBytes(memBudget); err != nil || !sweepProcs {
					return fmt.Errorf("--memory-budget %q: want a size (bytes, or with MiB or GiB), --sweep and --processes", memBudget)
				}
			}
			if len(sweep) > 0 {
				return runSweep(cmd, eotest.SweepOptions{Sizes: sweep, Authorities: sweepN, Processes: sweepProcs, MemoryBudget: budget}, sweepOut, asJSON)
			}
			if sweepProcs {
				return errors.New("--processes goes with --sweep")
			}
			rep, err := bench.ShuffleBench(n, width, procs, mem)
			if err != nil {
				return err
			}
			full := struct {
				*bench.ShuffleReport
				*bench.ThresholdReport
				*bench.RecordReport
			}{ShuffleReport: rep}
			if threshold {
				if full.ThresholdReport, err = bench.ThresholdBench(n, procs, rep.SMNs); err != nil {
					return err
				}
			}
			if recordN > 0 {
				if full.RecordReport, err = bench.RecordBench(recordN, procs, rep.SMNs); err != nil {
					return err
				}
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(full)
			}
			fmt.Fprintf(cmd.OutOrStdout(), `n=%d width=%d procs=%d  SM=%.1f µs
  shuffle (re-encrypt)   %8.1f µs/ct  %5.2f SM
  shuffle + prove        %8.1f µs/ct  %5.2f SM   (offline %.1f µs, online %.1f µs)
  verify                 %8.1f µs/ct  %5.2f SM
  generators             %8.1f µs/ct
  proof                  %8.1f B/ct
  peak heap beyond lists %8.0f B/ct prove, %.0f B/ct verify
`, rep.N, rep.Width, rep.Procs, rep.SMNs/1e3,
				rep.ShuffleNsPerCt/1e3, rep.ShuffleSM,
				(rep.OfflineNsPerCt+rep.OnlineNsPerCt)/1e3, rep.ShuffleProveSM, rep.OfflineNsPerCt/1e3, rep.OnlineNsPerCt/1e3,
				rep.VerifyNsPerCt/1e3, rep.VerifySM, rep.GeneratorsNsCt/1e3, rep.ProofBytesPerCt, rep.ProveHeapPerCt, rep.VerifyHeapPerCt)
			if t := full.ThresholdReport; t != nil {
				fmt.Fprintf(cmd.OutOrStdout(), `  key generation         %8.0f SM (n=3, t=2)  %.0f SM (n=5, t=3)  %.0f SM (n=10, t=6)
  decryption share       %8.1f µs/ct  %5.2f SM
  verify a share         %8.1f µs/ct  %5.2f SM
  combine 2 shares       %8.1f µs/ct  %5.2f SM
`, t.KeygenN3SM, t.KeygenN5SM, t.KeygenN10SM, t.DecryptShareNsCt/1e3, t.DecryptShareSMCt,
					t.VerifyShareNsCt/1e3, t.VerifyShareSMCt, t.CombineT2NsCt/1e3, t.CombineT2SMCt)
			}
			if r := full.RecordReport; r != nil {
				fmt.Fprintf(cmd.OutOrStdout(), `record of %d ballots, %d mixes:
  encrypt ballots        %8.1f µs/ballot
  tally                  %8.1f µs/ballot
  verify the record      %8.1f µs/ballot  %5.2f SM
`, r.Ballots, r.Mixes, r.EncryptNsBallot/1e3, r.TallyNsBallot/1e3, r.VerifyNsBallot/1e3, r.VerifySMBallot)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&n, "n", 10000, "number of ciphertexts")
	cmd.Flags().IntVar(&width, "width", 1, "pairs per ciphertext")
	cmd.Flags().IntVar(&procs, "procs", runtime.GOMAXPROCS(0), "goroutines to use (GOMAXPROCS)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON line")
	cmd.Flags().BoolVar(&mem, "mem", true, "also measure peak memory (proves and verifies a second time)")
	cmd.Flags().BoolVar(&threshold, "threshold", true, "also measure key generation and threshold decryption")
	cmd.Flags().IntSliceVar(&sweep, "sweep", nil, "run whole local elections of these sizes (ballots) and plot them")
	cmd.Flags().IntVar(&sweepN, "authorities", 2, "with --sweep: authorities")
	cmd.Flags().StringVar(&sweepOut, "out", ".", "with --sweep: the directory of sweep.svg")
	cmd.Flags().BoolVar(&sweepProcs, "processes", false, "with --sweep: run each authority in its own process, and report each one's peak memory")
	cmd.Flags().StringVar(&memBudget, "memory-budget", "", "with --sweep --processes: each authority's memory_budget (bytes, or 1800MiB, 2GiB)")
	cmd.Flags().IntVar(&recordN, "record", 0, "also run an in-process 2-authority election of this many ballots and verify its record")
	return cmd
}

func runSweep(cmd *cobra.Command, o eotest.SweepOptions, out string, asJSON bool) error {
	var meter *progress.Meter // nil with --json: shows nothing
	if !asJSON {
		meter = progress.New(cmd.ErrOrStderr(), progress.IsTerminal(cmd.ErrOrStderr()))
		defer meter.Close()
		o.Phases = meter.Phase
	}
	rep, err := eotest.Sweep(cmd.Context(), o)
	meter.Close()
	if err != nil {
		return err
	}
	var svg bytes.Buffer
	if err := rep.WriteSVG(&svg); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "sweep.svg"), svg.Bytes(), 0o644); err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(rep)
	}
	rep.WriteTable(cmd.OutOrStdout())
	fmt.Fprintf(cmd.OutOrStdout(), "plot: %s\n", filepath.Join(out, "sweep.svg"))
	return nil
}
