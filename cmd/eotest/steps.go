package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/eo-mixnet/eo/eotest"
	"github.com/eo-mixnet/eo/internal/progress"
)

// The step commands run one phase of an election each against running
// authorities, as an operator does by hand: create, encrypt, tally.

type stepFlags struct {
	dir, listen string
}

func (f *stepFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dir, "dir", defaultDir(), "the local authority's directory ($EO_DIR), which directs")
	cmd.Flags().StringVar(&f.listen, "listen", ":8000", "where to serve the ballots and receive the callbacks")
}

func (f *stepFlags) harness(cmd *cobra.Command) (*eotest.Harness, error) {
	return eotest.NewHarness(eotest.HarnessOptions{Dir: f.dir, Listen: f.listen, Progress: cmd.ErrOrStderr()})
}

func createCmd() *cobra.Command {
	var f stepFlags
	var peers []string
	var id string
	var threshold, questions int
	var widths []int
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an election with the local authority and --peers; print its id and public keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := f.harness(cmd)
			if err != nil {
				return err
			}
			defer h.Close()
			if id == "" {
				id = eotest.NewElectionID()
			}
			auths := append([]string{h.Hostname()}, peers...)
			if threshold == 0 {
				threshold = len(auths)
			}
			var pks []string
			if widths == nil {
				pks, err = h.Create(cmd.Context(), id, auths, threshold, questions)
			} else {
				if !cmd.Flags().Changed("questions") {
					questions = 0 // one per width, or 1
				}
				var ws []int
				if ws, err = eotest.QuestionWidths(questions, widths); err != nil {
					return err
				}
				pks, err = h.CreateWidths(cmd.Context(), id, auths, threshold, ws)
			}
			if err != nil {
				return err
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"election_id": id, "authorities": auths, "threshold": threshold, "public_keys": pks})
		},
	}
	f.add(cmd)
	cmd.Flags().StringSliceVar(&peers, "peers", nil, "the other authorities")
	cmd.Flags().StringVar(&id, "id", "", "election id (default: a fresh one)")
	cmd.Flags().IntVar(&threshold, "threshold", 0, "authorities needed to decrypt (default: all)")
	cmd.Flags().IntVar(&questions, "questions", 1, "questions")
	cmd.Flags().IntSliceVar(&widths, "widths", nil, widthsHelp)
	return cmd
}

func encryptCmd() *cobra.Command {
	var f stepFlags
	var votes, answers int
	var widths []int
	var out string
	cmd := &cobra.Command{
		Use:   "encrypt ID",
		Short: "Encrypt random ballots with proofs for a created election: OUT/votes.jsonl and OUT/votes.plain.json",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := f.harness(cmd)
			if err != nil {
				return err
			}
			defer h.Close()
			pks, err := h.PublicKeys(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			ws, err := eotest.QuestionWidths(len(pks), widths)
			if err != nil {
				return err
			}
			v, err := eotest.EncryptWidths(args[0], pks, ws, votes, answers)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, "votes.jsonl"), v.File, 0o644); err != nil {
				return err
			}
			plain, _ := json.Marshal(v.Want)
			if err := os.WriteFile(filepath.Join(out, "votes.plain.json"), plain, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\n", filepath.Join(out, "votes.jsonl"))
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().IntVar(&votes, "vcount", 1000, "voters")
	cmd.Flags().IntVar(&answers, "answers", 4, "answers per question")
	cmd.Flags().IntSliceVar(&widths, "widths", nil, "the widths the election was created with (as create's --widths)")
	cmd.Flags().StringVar(&out, "out", ".", "directory for votes.jsonl and votes.plain.json")
	return cmd
}

func tallyCmd() *cobra.Command {
	var f stepFlags
	var vfile, out string
	cmd := &cobra.Command{
		Use:   "tally ID",
		Short: "Tally a vote file (--vfile), download the record and verify it completely",
		Long: `Serve the vote file, ask the director to tally it, download tally.tar.gz and
verify the record completely (the code of eoverify). If votes.plain.json lies
next to the vote file (eotest encrypt writes it), also check that the
decrypted votes are exactly those encrypted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if vfile == "" {
				return errors.New("give the vote file with --vfile")
			}
			data, err := os.ReadFile(vfile)
			if err != nil {
				return err
			}
			var want [][]string
			if b, err := os.ReadFile(filepath.Join(filepath.Dir(vfile), "votes.plain.json")); err == nil {
				if err := json.Unmarshal(b, &want); err != nil {
					return fmt.Errorf("votes.plain.json: %w", err)
				}
			}
			// On a terminal, a bar for the tally and each of the
			// director's phases.
			var meter *progress.Meter
			if progress.IsTerminal(cmd.ErrOrStderr()) {
				meter = progress.New(cmd.ErrOrStderr(), true)
				defer meter.Close()
			}
			progressTo := cmd.ErrOrStderr()
			if meter != nil {
				progressTo = meter.Writer() // above the bars
			}
			h, err := eotest.NewHarness(eotest.HarnessOptions{Dir: f.dir, Listen: f.listen, Progress: progressTo})
			if err != nil {
				return err
			}
			defer h.Close()
			var phases func(string, int, int)
			if meter != nil {
				phases = meter.Phase
				phases("tally", 0, 1)
			}
			stop := eotest.Follow(cmd.Context(), h, args[0], "tally", phases)
			url, hash, err := h.Tally(cmd.Context(), args[0], data)
			stop()
			if err != nil {
				return err
			}
			meter.Phase("tally", 1, 1)
			meter.Close()
			tgz, err := h.Download(cmd.Context(), url, hash)
			if err != nil {
				return err
			}
			if err := eotest.WriteOut(out, tgz); err != nil {
				return err
			}
			rep, err := eotest.Check(tgz, args[0], nil, want)
			if err != nil {
				return err
			}
			counts := [][]any{}
			for _, q := range rep.Questions {
				var c []any
				for _, x := range q.Counts {
					c = append(c, x)
				}
				counts = append(counts, c)
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"election_id": args[0], "tally_url": url, "tally_hash": hash,
				"checks": rep.Checks, "multiset_checked": want != nil, "counts": counts})
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&vfile, "vfile", "", "the vote file (one line per voter)")
	cmd.Flags().StringVar(&out, "out", "", "write the record and tally.tar.gz here")
	return cmd
}
