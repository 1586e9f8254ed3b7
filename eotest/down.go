package eotest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Down is an operator drill of a local election (eotest full --down
// AUTHORITY@PHASE[:RESTART]): authority Authority (1-based) is stopped,
// as a shutdown would, at Phase, and started again from its directory
// Restart later (0: it stays down until the end). The election should
// still end with any t authorities (doc/daemon.md "Liveness"), the
// record naming the absent; with fewer than t left it stops cleanly.
type Down struct {
	Authority int
	Phase     string // one of DownPhases
	Restart   time.Duration
}

// DownPhases are where a Down drill stops its authority:
//
//   - create: before the key generation starts (before the creation
//     request);
//   - tally: after the creation, before the tally request;
//   - mix: in the middle of the mixes, as the authority starts its own
//     mix (it verified another's mix); with --processes, once its tally
//     store holds a verified mix of another authority at position 1 (the
//     authority may have mixed by the time it stops);
//   - decrypt: once the authority's own decryption share is stored.
var DownPhases = []string{"create", "tally", "mix", "decrypt"}

// String is the drill as --down takes it: "3@mix", "2@mix:2s".
func (d Down) String() string {
	s := fmt.Sprintf("%d@%s", d.Authority, d.Phase)
	if d.Restart > 0 {
		s += ":" + d.Restart.String()
	}
	return s
}

// ParseDown parses --down's AUTHORITY@PHASE[:RESTART] for an election of
// n local authorities: AUTHORITY is 2 … n (or its name, local-aN;
// authority 1 directs the election in eotest), PHASE one of DownPhases,
// RESTART a positive Go duration.
func ParseDown(s string, n int) (Down, error) {
	who, rest, ok := strings.Cut(s, "@")
	if !ok || who == "" || rest == "" {
		return Down{}, fmt.Errorf("--down %q: want AUTHORITY@PHASE[:RESTART]", s)
	}
	if n < 2 {
		return Down{}, fmt.Errorf("--down %q: needs --local 2 or more (authority 1 directs the election in eotest)", s)
	}
	var d Down
	phase, restart, hasRestart := strings.Cut(rest, ":")
	i, err := strconv.Atoi(strings.TrimPrefix(who, "local-a"))
	switch {
	case err != nil || i < 1 || i > n:
		return Down{}, fmt.Errorf("--down %q: AUTHORITY is 2 … %d, of the %d local authorities", s, n, n)
	case i == 1:
		return Down{}, fmt.Errorf("--down %q: authority 1 directs the election in eotest; down another", s)
	case !slices.Contains(DownPhases, phase):
		return Down{}, fmt.Errorf("--down %q: PHASE is one of %s", s, strings.Join(DownPhases, ", "))
	}
	d.Authority, d.Phase = i, phase
	if hasRestart {
		r, err := time.ParseDuration(restart)
		if err != nil || r <= 0 {
			return Down{}, fmt.Errorf("--down %q: RESTART is a positive duration (10s, 1m30s)", s)
		}
		d.Restart = r
	}
	return d, nil
}

// CheckDowns checks drills for an election of n local authorities: each
// one valid (as ParseDown), each authority at most once.
func CheckDowns(downs []Down, n int) error {
	seen := map[int]bool{}
	for _, d := range downs {
		if _, err := ParseDown(d.String(), n); err != nil {
			return err
		}
		if seen[d.Authority] {
			return fmt.Errorf("--down: authority %d twice (one drill per authority)", d.Authority)
		}
		seen[d.Authority] = true
	}
	return nil
}

// StayDown counts the drills that leave their authority down until the
// end (no restart).
func StayDown(downs []Down) int {
	k := 0
	for _, d := range downs {
		if d.Restart == 0 {
			k++
		}
	}
	return k
}

// downDrill carries out Options.Down on a local cluster during Full.
type downDrill struct {
	c      *Cluster
	o      *Options
	id     string
	downs  []Down
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	fired    map[int]bool // by index in downs
	stopping map[int]bool // the hook started the stop
	done     []string     // "local-a3@mix", in the order they were stopped
	errs     []error      // restarts that failed

	closing bool // close began: the hooks stop nobody more
	closed  bool
}

// newDownDrill prepares o's --down drill; attach gives it its cluster and
// election once they exist.
func newDownDrill(ctx context.Context, o *Options) *downDrill {
	ctx, cancel := context.WithCancel(ctx)
	return &downDrill{o: o, downs: o.Down, ctx: ctx, cancel: cancel, fired: map[int]bool{}, stopping: map[int]bool{}}
}

// attach gives the drill its cluster and the election it follows.
func (d *downDrill) attach(c *Cluster, electionID string) {
	d.mu.Lock()
	d.c, d.id = c, electionID
	d.mu.Unlock()
}

// hooks are the in-process authorities' drill hooks (ClusterOptions.At):
// a mix drill stops its authority as it starts its own mix, so that it
// never mixes first (a watch of its files would race with it).
func (d *downDrill) hooks() map[int]func(context.Context, string) {
	at := map[int]func(context.Context, string){}
	for k, dn := range d.downs {
		if dn.Phase != "mix" {
			continue
		}
		at[dn.Authority] = func(ctx context.Context, point string) {
			if point != "mix-start" {
				return
			}
			d.mu.Lock()
			fire := d.c != nil && !d.stopping[k] && !d.closing
			if fire {
				d.stopping[k] = true
				d.wg.Add(1) // under mu, so before close's Wait
			}
			d.mu.Unlock()
			if !fire {
				return
			}
			go func() {
				defer d.wg.Done()
				d.stop(k)
			}()
			<-ctx.Done() // the stop has begun: the authority goes no further
		}
	}
	return at
}

func (d *downDrill) name(k int) string { return d.c.Names[d.downs[k].Authority-1] }

// at stops, now, the authorities whose drill is at phase (create, tally).
func (d *downDrill) at(phase string) {
	for k, dn := range d.downs {
		if dn.Phase == phase {
			d.stop(k)
		}
	}
}

// watch starts following the authorities whose drill is in the middle of
// the tally (decrypt; mix with --processes, where no hook reaches them):
// each is stopped once its tally store holds the file that marks the
// moment.
func (d *downDrill) watch() {
	for k, dn := range d.downs {
		if dn.Phase != "decrypt" && (dn.Phase != "mix" || !d.o.Processes) {
			continue
		}
		dir := filepath.Join(d.c.Dirs[dn.Authority-1], "elections", d.id, "tally")
		var pattern string
		own := ""
		if dn.Phase == "mix" {
			// Another's mix at position 1, verified and stored: the
			// authority has not mixed yet.
			pattern = "q0.mix-*-at-1.msg"
			own = fmt.Sprintf("q0.mix-%d-at-1.msg", dn.Authority)
		} else {
			pattern = fmt.Sprintf("q0.dec-%d-*", dn.Authority)
		}
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			t := time.NewTicker(2 * time.Millisecond)
			defer t.Stop()
			for {
				m, _ := filepath.Glob(filepath.Join(dir, pattern))
				if slices.ContainsFunc(m, func(p string) bool { return filepath.Base(p) != own }) {
					d.stop(k)
					return
				}
				select {
				case <-d.ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
}

// stop stops the authority of drill k and, with a restart, starts it
// again later (unless the election ended first).
func (d *downDrill) stop(k int) {
	dn, name := d.downs[k], d.name(k)
	err := d.c.Stop(dn.Authority)
	d.mu.Lock()
	d.fired[k] = true
	entry := name + "@" + dn.Phase
	if dn.Restart > 0 {
		entry += ":" + dn.Restart.String()
	}
	d.done = append(d.done, entry)
	d.mu.Unlock()
	if err != nil && !errors.Is(err, context.Canceled) {
		d.o.logf("down: %s stopped at %s (it ended with: %v)", name, dn.Phase, err)
	} else {
		d.o.logf("down: %s stopped at %s", name, dn.Phase)
	}
	if dn.Restart == 0 {
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		t := time.NewTimer(dn.Restart)
		defer t.Stop()
		select {
		case <-d.ctx.Done():
			d.o.logf("down: %s not started again (the tally ended first)", name)
			return
		case <-t.C:
		}
		if err := d.c.Start(dn.Authority); err != nil {
			d.o.logf("down: %s did not restart: %v", name, err)
			d.mu.Lock()
			d.errs = append(d.errs, fmt.Errorf("eotest: --down %s: restarting %s: %w", dn, name, err))
			d.mu.Unlock()
			return
		}
		d.o.logf("down: %s restarted after %s", name, dn.Restart)
	}()
}

// close ends the drill: the watches and pending restarts stop (it must
// run before the cluster closes). It returns the drills carried out, and
// the first time says which never came to pass. A drill without Down
// closes to nothing.
func (d *downDrill) close() (done []string, err error) {
	if d.cancel == nil {
		return nil, nil
	}
	d.mu.Lock()
	d.closing = true
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
	if !d.closed {
		d.closed = true
		for k, dn := range d.downs {
			if !d.fired[k] {
				d.o.logf("down: %s never reached %s (the election ended first)", d.name(k), dn.Phase)
			}
		}
	}
	return d.done, errors.Join(d.errs...)
}

// wrap names, in an election's error, the authorities the drill stopped.
func (d *downDrill) wrap(err error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil || len(d.done) == 0 {
		return err
	}
	return fmt.Errorf("%w (down: %s)", err, strings.Join(d.done, ", "))
}

// lockedWriter serializes the writes of Full's progress lines: the drill
// writes them from its own goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}
