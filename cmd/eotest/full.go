package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/eo-mixnet/eo/eotest"
)

func fullCmd() *cobra.Command {
	var o eotest.Options
	var local int
	var peers []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "full",
		Short: "Run a whole election: create, encrypt, tally, verify",
		Long: `Run a whole election and check it: key generation, encryption of random
ballots with proofs, validation, mixing with cross-verification, threshold
decryption, and the full verification of the record (as eoverify does).
Exits non-zero on any failure.

With --local N, N authorities run inside this process (no network yet: the
networked authorities of --peers come with the daemon).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(peers) > 0 || local == 0 {
				return errors.New("only --local N is available: elections against running authorities (--peers) need the eo daemon, which is not built yet")
			}
			o.Authorities = local
			if !asJSON {
				o.Progress = cmd.ErrOrStderr()
			}
			res, err := eotest.RunLocal(cmd.Context(), o)
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
	cmd.Flags().IntVar(&local, "local", 0, "run N authorities in this process")
	cmd.Flags().StringSliceVar(&peers, "peers", nil, "authorities to run the election against (needs the daemon)")
	cmd.Flags().IntVar(&o.Votes, "vcount", 1000, "ballots per question")
	cmd.Flags().IntVar(&o.Threshold, "threshold", 0, "authorities needed to decrypt (default: all)")
	cmd.Flags().IntVar(&o.Questions, "questions", 1, "questions")
	cmd.Flags().StringVar(&o.Out, "out", "", "write the record and tally.tar.gz here")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a one-line JSON summary")
	return cmd
}

func printResult(w io.Writer, r *eotest.Result) {
	fmt.Fprintf(w, "election %s: %d ballots per question, record verified (%d checks)\n", r.ElectionID, r.Votes, r.Checks)
	t := r.Times
	fmt.Fprintf(w, "  key generation %6.2f s\n  encryption     %6.2f s  (%.0f ballots/s)\n  tally          %6.2f s  (%.0f ballots/s)\n  record         %6.2f s\n  verification   %6.2f s\n  total          %6.2f s\n",
		t.KeyGeneration, t.Encryption, float64(r.Votes*len(r.Counts))/t.Encryption, t.Tally, float64(r.Votes*len(r.Counts))/t.Tally, t.Record, t.Verification, t.Total)
	for q, counts := range r.Counts {
		fmt.Fprintf(w, "  question %d:", q)
		for _, c := range counts {
			fmt.Fprintf(w, " %s→%d", c.Plaintext, c.Count)
		}
		fmt.Fprintln(w)
	}
	if r.TallyHash != "" {
		fmt.Fprintf(w, "  tally hash %s\n", r.TallyHash)
	}
}
