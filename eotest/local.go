// Package eotest is the test harness of eo: it runs whole elections
// against real authorities and checks their outcome end to end. It plays
// the election web server (Harness: serves the ballots, receives the
// callbacks, over mutual TLS with the local authority's certificate), and
// with --local it first starts N authorities on loopback (Cluster).
package eotest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/orchestra"
	"github.com/eo-mixnet/eo/record"
)

// Options of a whole election.
type Options struct {
	// Local, if positive, starts that many authorities on loopback in a
	// temporary directory; otherwise Dir is the local authority (the
	// director) and Peers the other authorities, all running.
	Local int
	Dir   string
	Peers []string

	Threshold int     // t (0: all authorities)
	Questions int     // questions (0: one per width in Widths, else 1)
	Widths    []int   // ballot widths (QuestionWidths): one per question, or one for all (nil: 1, questions without "width" as the old web server's)
	Votes     int     // voters
	Spoil     float64 // fraction of the vote file's lines to spoil (Spoil): garbage, repeated voters, broken proofs
	Answers   int     // answers per question, voted uniformly at random (0: 4)
	Listen    string  // where the harness serves ballots and callbacks (":8000"; loopback and any port with Local)
	Out       string  // directory for the record and tally.tar.gz ("": none written)
	Timeout   time.Duration
	Progress  io.Writer
	// Phases, if set, receives the progress of each phase: eotest's own
	// (keygen, encrypt, tally, verify) and, during the key generation and
	// the tally, those the director's status page reports, as "tally:
	// <phase>" (polled every PollEvery). total <= 0 is unknown.
	Phases func(phase string, done, total int)

	// Logger receives the events of the local authorities; Config is
	// their configuration (both for Local only).
	Logger *slog.Logger
	Config *orchestra.Config
	// Impair, with Local, puts a lossy proxy before every authority.
	Impair *Impairment
	// Adversaries, with Local, makes authorities misbehave (1-based index
	// to one of drill.Kinds; see ClusterOptions.Adversaries).
	Adversaries map[int]string
	// Down, with Local, stops authorities at a phase of the election and
	// maybe starts them again (operator drills; see Down).
	Down []Down
	// Processes, with Local, runs each authority in its own process
	// (ClusterOptions.Processes) and reports each one's peak memory, and
	// this process's, in the Result. AuthorityCommand is then the
	// ClusterOptions.Command (nil: this program's AuthorityCommand).
	Processes        bool
	AuthorityCommand []string
}

// QuestionWidths resolves the widths of an election's questions from a
// number of questions (0: not given) and widths as eotest's --widths
// gives them: none (every question width 1), one (every question that
// width), or one per question (then questions is their number, or 0).
// Each width is 1 … elgamal.MaxWidth.
func QuestionWidths(questions int, widths []int) ([]int, error) {
	switch {
	case questions < 0:
		return nil, fmt.Errorf("eotest: %d questions", questions)
	case len(widths) == 0:
		widths = []int{1}
	}
	if len(widths) > 1 {
		if questions != 0 && questions != len(widths) {
			return nil, fmt.Errorf("eotest: %d widths for %d questions (give one per question, or one for all)", len(widths), questions)
		}
		questions = len(widths)
	}
	questions = max(questions, 1)
	out := make([]int, questions)
	for q := range out {
		w := widths[min(q, len(widths)-1)]
		if w < 1 || w > elgamal.MaxWidth {
			return nil, fmt.Errorf("eotest: width %d out of 1 … %d", w, elgamal.MaxWidth)
		}
		out[q] = w
	}
	return out, nil
}

// PhaseTimes are the seconds each phase took.
type PhaseTimes struct {
	KeyGeneration float64 `json:"keygen_s"`
	Encryption    float64 `json:"encrypt_s"`
	Tally         float64 `json:"tally_s"`    // download, validation, mixes with cross-verification, decryption, record, at every authority
	Download      float64 `json:"download_s"` // tally.tar.gz from the director
	Verification  float64 `json:"verify_s"`
	Total         float64 `json:"total_s"`
}

// Result is the outcome of an election.
type Result struct {
	ElectionID  string           `json:"election_id"`
	Authorities []string         `json:"authorities"`
	Threshold   int              `json:"threshold"`
	Votes       int              `json:"votes"`
	Times       PhaseTimes       `json:"times"`
	Counts      [][]record.Count `json:"counts"`
	TallyHash   string           `json:"tally_hash,omitempty"` // ni:///sha-256 of tally.tar.gz
	Checks      int              `json:"checks"`
	Blame       []record.Blame   `json:"blame,omitempty"`  // the misbehaviour the record proves
	Events      []record.Event   `json:"events,omitempty"` // what it shows without proving misbehaviour
	Excluded    int              `json:"excluded"`         // ballot lines excluded, all questions
	// Down are the Options.Down drills carried out, "local-a3@mix" (and
	// ":10s" when it restarted after 10 s).
	Down []string `json:"down,omitempty"`
	// Absent are the authorities the record names absent (no part in the
	// tally); Unsigned those that took part but whose signature over the
	// record's parameters it lacks (at least t signed).
	Absent   []string `json:"absent,omitempty"`
	Unsigned []string `json:"unsigned,omitempty"`
	// With Options.Processes: each authority's peak resident memory in
	// bytes (0: unknown on this system), and the harness's (this
	// process: encryption, download, verification).
	PeakMemBytes        []int64 `json:"authority_peak_mem_bytes,omitempty"`
	HarnessPeakMemBytes int64   `json:"harness_peak_mem_bytes,omitempty"`
}

// PollEvery is how often Full reads the director's status during a phase.
const PollEvery = 500 * time.Millisecond

func (o *Options) phase(name string, done, total int) {
	if o.Phases != nil {
		o.Phases(name, done, total)
	}
}

// follow is Follow with o.Phases.
func (o *Options) follow(ctx context.Context, h *Harness, electionID, what string) (stop func()) {
	return Follow(ctx, h, electionID, what, o.Phases)
}

// Follow reports to phases, every PollEvery until the returned function
// is called, the phases that the director's status page (h.Status) shows
// for the election, named "what: phase". A nil phases follows nothing.
func Follow(ctx context.Context, h *Harness, electionID, what string, phases func(phase string, done, total int)) (stop func()) {
	if phases == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(PollEvery)
		defer t.Stop()
		for {
			if st, err := h.Status(ctx); err == nil {
				for _, e := range st.Elections {
					if e.ID != electionID {
						continue
					}
					for _, p := range e.Phases {
						phases(what+": "+p.Name, p.Done, p.Total)
					}
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (o *Options) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// Full runs a whole election against real authorities: creation (key
// generation), encryption of random ballots with proofs, the tally
// (validation, every authority mixing in turn with cross-verification,
// threshold decryption), then the download and the full verification of
// the record. It fails unless the record verifies and the decrypted
// multiset equals the encrypted one.
func Full(ctx context.Context, o Options) (*Result, error) {
	if o.Votes < 1 {
		return nil, errors.New("eotest: --vcount must be at least 1")
	}
	widths, err := QuestionWidths(o.Questions, o.Widths)
	if err != nil {
		return nil, err
	}
	o.Questions = len(widths)
	if o.Processes && o.Local == 0 {
		return nil, errors.New("eotest: --processes needs --local")
	}
	if len(o.Down) > 0 {
		if o.Local == 0 {
			return nil, errors.New("eotest: --down needs --local")
		}
		if err := CheckDowns(o.Down, o.Local); err != nil {
			return nil, fmt.Errorf("eotest: %w", err)
		}
		if o.Progress != nil {
			o.Progress = &lockedWriter{w: o.Progress}
		}
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	total := time.Now()
	var authorities []string
	var c *Cluster
	drill := &downDrill{}
	if o.Local > 0 {
		tmp, err := os.MkdirTemp("", "eotest-local-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		o.logf("starting %d authorities on loopback in %s", o.Local, tmp)
		co := ClusterOptions{N: o.Local, Dir: tmp, Config: o.Config, Logger: o.Logger, Impair: o.Impair, Adversaries: o.Adversaries,
			Processes: o.Processes, Command: o.AuthorityCommand}
		if len(o.Down) > 0 {
			drill = newDownDrill(ctx, &o)
			if !o.Processes {
				co.At = drill.hooks()
			}
		}
		c, err = StartCluster(ctx, co)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		o.Dir, authorities = c.Dirs[0], c.Names
		if o.Listen == "" {
			o.Listen = "127.0.0.1:0"
		}
	}
	h, err := NewHarness(HarnessOptions{Dir: o.Dir, Listen: o.Listen, Progress: o.Progress})
	if err != nil {
		return nil, err
	}
	defer h.Close()
	if o.Local == 0 {
		authorities = append([]string{h.Hostname()}, o.Peers...)
	}
	if o.Threshold == 0 {
		o.Threshold = len(authorities)
	}
	res := &Result{ElectionID: NewElectionID(), Authorities: authorities, Threshold: o.Threshold, Votes: o.Votes}
	if o.Processes {
		// The authorities' peaks are known once their processes exited:
		// the cluster closes first (before the deferred Close, which
		// then does nothing).
		defer func() {
			if err := c.Close(); err != nil {
				o.logf("%v", err) // an authority's process failed
			}
			res.PeakMemBytes, res.HarnessPeakMemBytes = c.PeakMemory(), selfMaxRSS()
		}()
	}
	// The --down drill: its authorities stop at their phase (before the
	// creation, before the tally request, watched during the tally); it
	// ends with the tally, before the cluster closes.
	if len(o.Down) > 0 {
		drill.attach(c, res.ElectionID)
		defer drill.close()
		for _, d := range o.Down {
			again := ""
			if d.Restart > 0 {
				again = fmt.Sprintf(", started again %s later", d.Restart)
			}
			o.logf("down: %s to stop at %s%s", authorities[d.Authority-1], d.Phase, again)
		}
		if k := StayDown(o.Down); k > len(authorities)-o.Threshold {
			o.logf("down: %d authorities stay down, more than n − t = %d: the election cannot finish; expect it to stop cleanly", k, len(authorities)-o.Threshold)
		}
	}

	drill.at("create")
	o.logf("create: election %s, authorities %v, threshold %d, %d question(s) of widths %v", res.ElectionID, authorities, o.Threshold, o.Questions, widths)
	start := time.Now()
	o.phase("keygen", 0, 1)
	stop := o.follow(ctx, h, res.ElectionID, "keygen")
	var pks []string
	if o.Widths == nil {
		pks, err = h.Create(ctx, res.ElectionID, authorities, o.Threshold, o.Questions)
	} else {
		pks, err = h.CreateWidths(ctx, res.ElectionID, authorities, o.Threshold, widths)
	}
	stop()
	if err != nil {
		return nil, drill.wrap(err)
	}
	o.phase("keygen", 1, 1)
	res.Times.KeyGeneration = time.Since(start).Seconds()
	if cb := h.CreationCallback(res.ElectionID); cb != nil {
		if absent, _ := cb.Data["absent"].([]any); len(absent) > 0 {
			o.logf("create: absent %v", absent)
		}
	}

	o.logf("encrypt: %d voters", o.Votes)
	start = time.Now()
	o.phase("encrypt", 0, o.Votes)
	votes, err := encryptWidths(res.ElectionID, pks, widths, o.Votes, o.Answers, func(done int) { o.phase("encrypt", done, o.Votes) })
	if err != nil {
		return nil, err
	}
	var spoiled *Spoiled
	if o.Spoil > 0 {
		if spoiled, err = Spoil(votes, o.Spoil); err != nil {
			return nil, err
		}
		o.logf("spoiled %d lines: %d garbage, %d repeated voters, %d broken proofs", 3*spoiled.Garbage, spoiled.Garbage, spoiled.Repeated, spoiled.BadProofs)
	}
	res.Times.Encryption = time.Since(start).Seconds()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	o.logf("tally: download and validation at every authority, %d mixes with cross-verification, decryption, record", len(authorities))
	start = time.Now()
	o.phase("tally", 0, 1)
	drill.at("tally")
	drill.watch()
	stop = o.follow(ctx, h, res.ElectionID, "tally")
	tallyURL, tallyHash, err := h.Tally(ctx, res.ElectionID, votes.File)
	stop()
	down, downErr := drill.close()
	res.Down = down
	if err != nil {
		if down != nil {
			return res, drill.wrap(err)
		}
		return nil, err
	}
	if downErr != nil {
		return res, downErr
	}
	o.phase("tally", 1, 1)
	res.Times.Tally = time.Since(start).Seconds()
	res.TallyHash = tallyHash

	start = time.Now()
	tgz, err := h.Download(ctx, tallyURL, tallyHash)
	if err != nil {
		return nil, err
	}
	if err := WriteOut(o.Out, tgz); err != nil {
		return nil, err
	}
	f, err := record.ReadTarGz(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("eotest: tally.tar.gz: %w", err)
	}
	// The vote file is not needed any more (nor the archive, past its last
	// use above): a million-ballot run lets go of both, about 1 GB, before
	// it verifies.
	votes.File = nil
	res.Times.Download = time.Since(start).Seconds()

	o.logf("verify: the whole record, as eoverify does")
	start = time.Now()
	o.phase("verify", 0, 1)
	rep, err := CheckFiles(f, res.ElectionID, authorities, votes.Want)
	if err == nil {
		o.phase("verify", 1, 1)
	}
	res.Times.Verification = time.Since(start).Seconds()
	if rep != nil {
		res.Checks, res.Blame, res.Events = rep.Checks, rep.Blame, rep.Events
		res.Absent, res.Unsigned = absentUnsigned(rep, authorities)
	}
	if err != nil {
		return res, err
	}
	for _, qr := range rep.Questions {
		res.Counts = append(res.Counts, qr.Counts)
		res.Excluded += qr.Excluded
	}
	if spoiled != nil {
		var excl [][]ballot.Exclusion
		for q := range rep.Questions {
			var x []ballot.Exclusion
			if err := json.Unmarshal(f[fmt.Sprintf("q%d/excluded.json", q)], &x); err != nil {
				return res, err
			}
			excl = append(excl, x)
		}
		if err := CheckExclusions(excl, spoiled); err != nil {
			return res, err
		}
	}
	res.Times.Total = time.Since(total).Seconds()
	return res, nil
}

// absentUnsigned names the authorities a record's report says were
// absent, and those that took part but did not sign it.
func absentUnsigned(rep *record.Report, authorities []string) (absent, unsigned []string) {
	name := func(i int) string {
		for _, a := range rep.Authorities {
			if a.Index == i && a.Name != "" {
				return a.Name
			}
		}
		if i >= 1 && i <= len(authorities) {
			return authorities[i-1]
		}
		return fmt.Sprintf("authority %d", i)
	}
	for _, i := range rep.Absent {
		absent = append(absent, name(i))
	}
	if len(rep.Signers) == 0 { // a record that did not get that far
		return absent, nil
	}
	n := max(len(rep.Authorities), len(authorities))
	for i := 1; i <= n; i++ {
		if !slices.Contains(rep.Absent, i) && !slices.Contains(rep.Signers, i) {
			unsigned = append(unsigned, name(i))
		}
	}
	return absent, unsigned
}
