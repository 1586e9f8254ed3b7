package tally

// The deterministic simulator: n authorities' tally machines, a seeded
// network, virtual time and a seeded fault schedule in one goroutine (the
// shape of FoundationDB's and TigerBeetle's simulators). Everything that
// varies comes from the seed: the election (n, t, questions, widths,
// ballots), the network (loss, duplication, delay, partitions), which
// authorities are slow, crash at which step and come back when, which
// misbehave and how, and the randomness of every mix and share. A failing
// seed prints the one-line command that replays it with a trace.
//
//	go test ./tally -run TestSimulation -sim.seed=N -v    # one seed, traced
//	go test ./tally -run TestSimulation -sim.seeds=100000 # a long batch
//
// ECDSA signatures are the one thing not replayed bit for bit (the
// standard library hedges its nonces); no decision depends on their bytes.

import (
	"bytes"
	"container/heap"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/chain"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/drill"
	"github.com/eo-mixnet/eo/internal/testrand"
	"github.com/eo-mixnet/eo/record"
)

var (
	simSeed  = flag.Uint64("sim.seed", 0, "run this one seed of the tally simulator, traced")
	simSeeds = flag.Int("sim.seeds", 0, "run this many seeds of the tally simulator (default: the CI batch)")
	simFirst = flag.Uint64("sim.first", 1, "the first seed of a batch")
)

// regressionSeeds are seeds that once found a bug, kept for ever.
var regressionSeeds = []uint64{
	529,   // an authority that signed other final lists stopped, short of a quorum, though a quorum had signed a record it verified
	840,   // the same, with duplication
	980,   // signatures split 2–2 between two final lists, one authority down: nobody could reach the quorum (now: relax after Step)
	1453,  // n = 7: an authority catching up on a record of other final lists
	5578,  // a slow authority closed before a late mix arrived (slots skew by the delay): closing waits a Grace, and a Step more below t
	6597,  // signatures short of a quorum (the same skew)
	12150, // fewer than t shares when a slow authority's share came late: the share wait is 2·Step
	18384, // the same, n = 4
	19166, // signatures short of a quorum (skew)
	21289, // the same, t = 4
	40470, // a returning authority was absent from the only record, so it could not sign it: it joins (shares on) the lists another signed
	40601, // an authority back from crashes after the others signed: the quorum waited for it
	40276, // parameters signed before a restart: the version is rebuilt from them
	51469, // joining flapped between two signed versions: an authority joins one, once
	62319, // the signature a quorum's version needed was lost, and the authority only asked for those missing from its own version
	55779, // a restarted authority counted its turns again from its restart and shared after the others gave up: it closes when asked for its share on its tip's chain
	58001, // the same, n = 5
	59903, // a late mix moved the tip here after the others closed on its parent: the same rule
	37668, // the others moved to a late mix and closed at once, this one waited out two more turns
	32077, // the drill's bad mixer woke for ever at its slot, where it does not mix again
	67078, // the same
	68667, // the same
	20182, // closed when asked before the drill's bad mix arrived, then never asked for it: the others' parameters could not be rebuilt, no quorum
	26965, // the same, n = 5
}

func TestSimulation(t *testing.T) {
	if *simSeed != 0 {
		r := simulate(*simSeed, true)
		t.Log(r.trace.String())
		if r.err != nil {
			t.Fatalf("seed %d: %v", *simSeed, r.err)
		}
		t.Logf("seed %d: %s", *simSeed, r.summary)
		return
	}
	n := *simSeeds
	if n == 0 {
		// The CI batch: 2 000 seeded elections (about 100 s on two
		// cores); the short tier (and -race) runs a few.
		n = 2000
		if testing.Short() {
			n = 16
		}
	}
	seeds := append([]uint64(nil), regressionSeeds...)
	for s := *simFirst; s < *simFirst+uint64(n); s++ {
		seeds = append(seeds, s)
	}
	start := time.Now()
	var failed atomic.Int32
	var mu sync.Mutex
	stats := map[string]int{}
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= len(seeds) || failed.Load() >= 5 {
					return
				}
				r := simulate(seeds[k], false)
				mu.Lock()
				stats[r.outcome]++
				mu.Unlock()
				if r.err != nil {
					failed.Add(1)
					t.Errorf("seed %d: %v\n  replay: go test ./tally -run 'TestSimulation$' -sim.seed=%d -v", seeds[k], r.err, seeds[k])
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	t.Logf("%d seeded elections in %v (%.0f per second): %v", len(seeds), el.Round(time.Millisecond), float64(len(seeds))/el.Seconds(), stats)
}

// The virtual world.

type simEvent struct {
	at   time.Time
	seq  int
	kind int // evDeliver, evWake, evRestart
	to   int
	from int
	data []byte
}

const (
	evDeliver = iota
	evWake
	evRestart
)

type eventQueue []*simEvent

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*simEvent)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type memStore map[string][]byte

func (s memStore) Get(name string) ([]byte, bool) { b, ok := s[name]; return b, ok }
func (s memStore) Put(name string, b []byte) error {
	s[name] = bytes.Clone(b)
	return nil
}

type crashSignal struct{ point string }

type simAuth struct {
	i         int
	cfg       Config
	m         *Machine
	store     memStore
	up        bool
	adversary string
	slow      time.Duration // added to every message it sends
	crashes   int           // crashes left to happen
	crashP    float64       // chance of a crash at each crash point
	returns   bool          // comes back after a crash
	downFor   time.Duration // the time it spent crashed, in all
	crashed   int           // how many times it crashed
	wakeAt    time.Time
	done      bool
	result    *Result
	err       error
}

type world struct {
	seed    uint64
	r       *rand.Rand
	now     time.Time
	seq     int
	q       eventQueue
	auths   []*simAuth // index 1 … n
	n, t    int
	loss    float64
	dup     float64
	delay   [2]time.Duration
	cut     map[[2]int][2]time.Time // a partition: link → [from, until)
	trace   *strings.Builder
	tracing bool
	mixes   map[[3]int][]byte // honest mixes by (question, author, position): never two
	events  int
}

func (w *world) logf(format string, args ...any) {
	if w.tracing {
		fmt.Fprintf(w.trace, "%8.3fs ", w.now.Sub(simEpoch).Seconds())
		fmt.Fprintf(w.trace, format, args...)
		w.trace.WriteByte('\n')
	}
}

var simEpoch = time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)

func (w *world) push(e *simEvent) {
	w.seq++
	e.seq = w.seq
	heap.Push(&w.q, e)
}

// send puts a message on the network, which may lose, duplicate, delay or
// cut it.
func (w *world) send(from, to int, data []byte) {
	copies := 1
	if w.r.Float64() < w.loss {
		copies = 0
	} else if w.r.Float64() < w.dup {
		copies = 2
	}
	for range copies {
		d := w.delay[0] + time.Duration(w.r.Int64N(int64(w.delay[1]-w.delay[0])+1)) + w.auths[from].slow
		at := w.now.Add(d)
		if c, ok := w.cut[[2]int{min(from, to), max(from, to)}]; ok && !at.Before(c[0]) && at.Before(c[1]) {
			continue
		}
		w.push(&simEvent{at: at, kind: evDeliver, to: to, from: from, data: data})
	}
}

// run calls the machine of a, catching the crash drill's signal: a crash
// loses everything but the store.
func (w *world) run(a *simAuth, f func() Output) {
	var out Output
	crashed := func() (c bool) {
		defer func() {
			if r := recover(); r != nil {
				cs, ok := r.(crashSignal)
				if !ok {
					panic(r)
				}
				w.logf("%s CRASHES at %s", w.name(a.i), cs.point)
				c = true
			}
		}()
		out = f()
		return false
	}()
	if crashed {
		a.up, a.m = false, nil
		if a.returns {
			d := time.Duration(1+w.r.IntN(15)) * time.Second
			a.downFor += d
			a.crashed++
			w.push(&simEvent{at: w.now.Add(d), kind: evRestart, to: a.i})
		}
		return
	}
	checkShed(a)
	for _, e := range out.Events {
		w.logf("%s %s %v", w.name(a.i), e.Msg, e.Attrs)
	}
	for _, s := range out.Sends {
		b := s.Msg.Bytes()
		if s.Msg.Kind == KindMix && a.adversary == "" && s.Msg.Author == a.i {
			k := [3]int{s.Msg.Q, a.i, s.Msg.Position}
			if old, ok := w.mixes[k]; ok && !bytes.Equal(old, b) {
				panic(fmt.Sprintf("honest %s published two different mixes of question %d for position %d", w.name(a.i), s.Msg.Q, s.Msg.Position))
			}
			w.mixes[k] = b
		}
		for to := 1; to <= w.n; to++ {
			if to != a.i && (s.To == 0 || s.To == to) {
				w.send(a.i, to, b)
			}
		}
		w.logf("%s sends %s q%d author=%d parent=%d to %d", w.name(a.i), s.Msg.Kind, s.Msg.Q, s.Msg.Author, s.Msg.Parent, s.To)
	}
	if a.adversary == drill.Garbage && w.r.IntN(3) == 0 {
		for to := 1; to <= w.n; to++ {
			if to != a.i {
				g := make([]byte, w.r.IntN(80))
				for k := range g {
					g[k] = byte(w.r.Uint32())
				}
				if len(g) > 0 && w.r.IntN(2) == 0 {
					g[0] = byte(1 + w.r.IntN(4)) // a plausible kind
				}
				w.send(a.i, to, g)
			}
		}
	}
	a.result, a.err = a.m.Result()
	a.done = a.result != nil || a.err != nil
	w.schedule(a)
}

func (w *world) name(i int) string { return fmt.Sprintf("a%d", i) }

// schedule makes sure a wake-up event exists for a's next deadline.
func (w *world) schedule(a *simAuth) {
	if !a.up || a.m == nil {
		return
	}
	at := a.m.Wake()
	if at.IsZero() {
		return
	}
	if at.Before(w.now) {
		at = w.now
	}
	if a.wakeAt.Equal(at) {
		return
	}
	a.wakeAt = at
	w.push(&simEvent{at: at, kind: evWake, to: a.i})
}

func (w *world) start(a *simAuth) {
	a.wakeAt = time.Time{}
	var m *Machine
	var err error
	w.run(a, func() Output {
		m, err = New(a.cfg, a.store, w.now)
		if err != nil {
			panic(fmt.Sprintf("%s: New: %v", w.name(a.i), err))
		}
		a.m, a.up = m, true
		return m.Start(w.now)
	})
}

type simResult struct {
	err     error
	outcome string
	summary string
	trace   *strings.Builder
	auths   []*simAuth // 1-based
}

// simKeys caches key generations: they are not what the simulator tests
// (the threshold package's tests and the daemon's drills do), and they
// cost more than the tally of a small election.
var simKeys sync.Map // "n/t/questions" → *simKeySet

type simKeySet struct {
	keys  []*record.QuestionKeys
	akeys []*record.Key
}

func keysFor(n, t, questions int) *simKeySet {
	id := fmt.Sprintf("%d/%d/%d", n, t, questions)
	if v, ok := simKeys.Load(id); ok {
		return v.(*simKeySet)
	}
	cfg := simElectionConfig(n, t, make([]int, questions))
	keys, err := record.SimulateKeys(&cfg, testrand.New(uint64(n*100+t*10+questions)))
	if err != nil {
		panic(err)
	}
	ks := &simKeySet{keys: keys}
	for i := 1; i <= n; i++ {
		k, err := record.GenerateKey(i, fmt.Sprintf("a%d.sim", i))
		if err != nil {
			panic(err)
		}
		ks.akeys = append(ks.akeys, k)
	}
	v, _ := simKeys.LoadOrStore(id, ks)
	return v.(*simKeySet)
}

func simElectionConfig(n, t int, widths []int) record.ElectionConfig {
	cfg := record.ElectionConfig{ElectionID: "sim", N: n, T: t}
	for q, w := range widths {
		if w == 0 {
			w = 1
		}
		cfg.Questions = append(cfg.Questions, record.QuestionConfig{SessionID: fmt.Sprintf("q%d", q), Width: w})
	}
	return cfg
}

// simulate runs one seeded election.
// simLoadVotesErr, set, is what the even authorities' Config.LoadVotes
// returns (TestLoadVotesFails); no test that sets it runs in parallel.
var simLoadVotesErr error

func simulate(seed uint64, tracing bool) (res simResult) {
	w := &world{seed: seed, r: rand.New(rand.NewPCG(seed, 0x5eed)), now: simEpoch, trace: &strings.Builder{}, tracing: tracing,
		cut: map[[2]int][2]time.Time{}, mixes: map[[3]int][]byte{}}
	res.trace = w.trace
	defer func() {
		if r := recover(); r != nil {
			res.err = fmt.Errorf("panic: %v", r)
		}
	}()
	r := w.r
	// The election.
	n := 2 + r.IntN(6)
	t := 1 + r.IntN(n)
	if n >= 3 && r.IntN(3) > 0 {
		t = 2 + r.IntN(n-2) // mostly a real threshold: 2 … n−1
	}
	questions := 1 + r.IntN(2)
	widths := make([]int, questions)
	for q := range widths {
		widths[q] = 1 + r.IntN(3)
	}
	w.n, w.t = n, t
	ks := keysFor(n, t, questions)
	cfg := simElectionConfig(n, t, widths)
	// Swarm testing: this seed's own fault probabilities.
	w.loss = []float64{0, 0, 0.05, 0.2, 0.4}[r.IntN(5)]
	w.dup = []float64{0, 0.1, 0.3}[r.IntN(3)]
	w.delay = [2]time.Duration{time.Millisecond, time.Duration(1+r.IntN(500)) * time.Millisecond}
	step, grace, resend := 10*time.Second, 2*time.Second, time.Second

	// Who misbehaves, who is down, who crashes, who is slow. At most
	// n − t adversaries, so that the election's secret stays safe.
	auths := make([]*simAuth, n+1)
	faulty := 0
	for i := 1; i <= n; i++ {
		a := &simAuth{i: i, store: memStore{}, returns: true}
		auths[i] = a
		switch x := r.IntN(12); {
		case x == 0 && faulty < n-t:
			a.adversary = []string{drill.BadShuffle, drill.BadDecryption, drill.Garbage}[r.IntN(3)]
			faulty++
		case x == 1:
			a.crashes, a.crashP = 1+r.IntN(3), 0.3
		case x == 2:
			a.crashes, a.crashP, a.returns = 1, 0.3, false // crashes for good
		case x == 3:
			a.slow = time.Duration(r.IntN(15)) * time.Second // may be slower than a step
		}
	}
	down := map[int]bool{} // never starts
	if r.IntN(3) == 0 {
		i := 1 + r.IntN(n)
		down[i] = true
	}
	if r.IntN(5) == 0 {
		a, b := 1+r.IntN(n), 1+r.IntN(n)
		if a != b {
			from := simEpoch.Add(time.Duration(r.IntN(30)) * time.Second)
			w.cut[[2]int{min(a, b), max(a, b)}] = [2]time.Time{from, from.Add(time.Duration(1+r.IntN(40)) * time.Second)}
		}
	}
	w.auths = auths

	// The ballots: each question's plaintexts, encrypted by the voters.
	nb := 1 + r.IntN(12)
	want := make([][]string, questions)
	lines := make([][][]byte, nb) // voter → question → ballot line
	for q := range questions {
		pk := ks.keys[q].Public.PublicKey
		bctx := ballot.Context{ElectionID: cfg.ElectionID, Question: q, PK: pk, Width: widths[q]}
		for v := range nb {
			ms := make([]*group.Element, widths[q])
			var text []string
			for k := range ms {
				x := uint64(r.IntN(4))
				e, err := elgamal.EncodeUint64(x)
				if err != nil {
					panic(err)
				}
				ms[k] = e
				text = append(text, fmt.Sprint(x))
			}
			b, err := ballot.Encrypt(testrand.New(seed*1000+uint64(q*100+v)), bctx, ms, fmt.Sprintf("voter-%d", v))
			if err != nil {
				panic(err)
			}
			lines[v] = append(lines[v], b.MarshalLine())
			want[q] = append(want[q], strings.Join(text, ","))
		}
	}
	var votes []byte
	for v := range nb {
		l, err := ballot.JoinFile(lines[v])
		if err != nil {
			panic(err)
		}
		votes = append(append(votes, l...), '\n')
	}
	files, err := ballot.SplitFile(votes, widths)
	if err != nil {
		panic(err)
	}
	voteFile := votes
	if questions == 1 {
		votes = nil
	}
	auth := make([]record.Authority, n)
	for i := range auth {
		auth[i] = ks.akeys[i].Authority
	}
	verify := record.MixVerifier(ks.akeys)
	for i := 1; i <= n; i++ {
		a := auths[i]
		key := ks.akeys[i-1]
		a.cfg = Config{Election: cfg, Authorities: auth, Self: i, Step: step, Grace: grace, Resend: resend, Votes: votes,
			Sign: key.Sign, Rand: testrand.New(seed*31 + uint64(i))}
		if questions == 1 {
			a.cfg.VotesHash = record.VotesHash(files[0])
		} else {
			a.cfg.VotesHash = record.VotesHash(votes)
		}
		if a.adversary == drill.BadShuffle || a.adversary == drill.BadDecryption {
			a.cfg.Drill = &drill.Authority{Kind: a.adversary}
		}
		if a.crashes > 0 {
			a.cfg.Crash = func(point string) {
				if a.crashes > 0 && w.r.Float64() < a.crashP {
					a.crashes--
					panic(crashSignal{point})
				}
			}
		}
		for q := range questions {
			k := ks.keys[q]
			bctx := ballot.Context{ElectionID: cfg.ElectionID, Question: q, PK: k.Public.PublicKey, Width: widths[q]}
			accepted, excluded := ballot.Validate(bctx, files[q])
			input, err := ballot.Ciphertexts(accepted)
			if err != nil {
				panic(err)
			}
			c, err := chain.New(chain.Config{ElectionID: cfg.ElectionID, Question: q, SessionID: cfg.Questions[q].SessionID,
				PublicKey: k.Public.PublicKey, Width: widths[q], Authorities: n, Threshold: t, VerifySignature: verify}, input)
			if err != nil {
				panic(err)
			}
			qr := &record.QuestionRecord{Config: cfg.Questions[q], Transcript: k.Transcript, Ballots: files[q], Excluded: excluded, Input: input.Bytes()}
			if i%2 == 0 {
				qr.Ballots = nil // read when the record is built, as a daemon does (#18)
			}
			a.cfg.Questions = append(a.cfg.Questions, Question{Record: qr, Chain: c, Public: k.Public, Share: k.Shares[i-1]})
		}
		if i%2 == 0 {
			a.cfg.Votes = nil
			a.cfg.LoadVotes = func() ([]byte, error) {
				if simLoadVotesErr != nil {
					return nil, simLoadVotesErr
				}
				return bytes.Clone(voteFile), nil
			}
		}
	}
	w.logf("seed %d: n=%d t=%d questions=%d widths=%v ballots=%d loss=%.2f dup=%.2f delay≤%v down=%v cut=%v",
		seed, n, t, questions, widths, nb, w.loss, w.dup, w.delay[1], down, w.cut)
	for i := 1; i <= n; i++ {
		a := auths[i]
		w.logf("a%d: adversary=%q crashes=%d returns=%v slow=%v", i, a.adversary, a.crashes, a.returns, a.slow)
		if down[i] {
			continue
		}
		w.start(a)
	}

	// Run until every live authority ended, or the bound of virtual time.
	bound := simEpoch.Add(time.Duration(6*n+20) * step)
	for w.q.Len() > 0 {
		e := heap.Pop(&w.q).(*simEvent)
		if e.at.After(bound) {
			break
		}
		w.now = e.at
		w.events++
		if w.events > 200000 {
			return simResult{err: errors.New("more than 200 000 events: a message storm"), trace: w.trace}
		}
		a := auths[e.to]
		switch e.kind {
		case evRestart:
			w.logf("%s RESTARTS", w.name(a.i))
			w.start(a)
		case evWake:
			if a.up && !a.done && e.at.Equal(a.wakeAt) {
				a.wakeAt = time.Time{}
				w.run(a, func() Output { return a.m.Tick(w.now) })
			}
		case evDeliver:
			if !a.up {
				continue
			}
			msg, err := DecodeMessage(e.data)
			if err != nil {
				w.logf("%s drops a malformed message from a%d", w.name(a.i), e.from)
				continue
			}
			w.run(a, func() Output { return a.m.Handle(w.now, e.from, msg) })
		}
		if w.allEnded() {
			break
		}
	}
	out := w.judge(want, down)
	out.auths = auths
	return out
}

// checkShed checks, after each step of a running machine, that a list
// with exactly one mix of it judged (accepted, none rejected) and no
// decryption session is held by its encoding only (#18): its points come
// back only when a second mix of it is judged or it is decrypted.
func checkShed(a *simAuth) {
	if a.m == nil || a.m.shed {
		return
	}
	for q, qs := range a.m.qs {
		judged := map[key]int{}
		for _, nd := range qs.nodes {
			if nd.msg != nil {
				judged[nd.parent]++
			}
		}
		for _, r := range qs.rejected {
			judged[r.parent] += 2
		}
		for k, nd := range qs.nodes {
			if judged[k] == 1 && qs.sessions[k] == nil && nd.c.Current().Decoded() {
				panic(fmt.Sprintf("a%d question %d: list %v is held decoded after a mix of it stands", a.i, q, k))
			}
		}
	}
}

// allEnded reports whether every authority that is up has ended (and the
// ones that will restart have).
func (w *world) allEnded() bool {
	for _, a := range w.auths[1:] {
		if a.up && !a.done {
			return false
		}
	}
	for _, e := range w.q {
		if e.kind == evRestart {
			return false
		}
	}
	return true
}

// judge checks the run: safety always, liveness when it was owed.
func (w *world) judge(want [][]string, down map[int]bool) simResult {
	res := simResult{trace: w.trace}
	honestLive := 0
	var finals [][]byte
	// Liveness is owed to authorities that keep their steps: up from the
	// start, never slower than half a step, and if they crash, once and
	// back within a step (a restarted mixer's slot counts from its
	// restart: repeated crashes may lose it, as they may lose the work).
	reliable := func(a *simAuth) bool {
		return a.adversary == "" && !down[a.i] && (a.crashP == 0 || (a.returns && a.crashed <= 1 && a.downFor <= 10*time.Second)) && a.slow < 5*time.Second
	}
	reports := map[[32]byte]*record.Report{}
	for _, a := range w.auths[1:] {
		honest := a.adversary == ""
		if reliable(a) {
			honestLive++
		}
		if !honest || a.result == nil {
			continue
		}
		// Identical records have identical verdicts: verify each once.
		h := filesDigest(a.result.Files)
		rep, ok := reports[h]
		if !ok {
			rep = record.Verify(a.result.Files, record.Options{})
			reports[h] = rep
		}
		if !rep.Valid() {
			res.err = fmt.Errorf("a%d's record does not verify: %+v", a.i, rep.Failures)
			return res
		}
		for q, qr := range rep.Questions {
			got := slices.Clone(plaintextsOf(a.result.Files, q))
			exp := slices.Clone(want[q])
			sort.Strings(got)
			sort.Strings(exp)
			if !slices.Equal(got, exp) {
				res.err = fmt.Errorf("a%d's question %d decrypts to %v, the voters encrypted %v", a.i, q, got, exp)
				return res
			}
			_ = qr
		}
		for _, b := range rep.Blame {
			if w.auths[b.Authority].adversary == "" {
				res.err = fmt.Errorf("a%d's record blames honest a%d: %+v", a.i, b.Authority, b)
				return res
			}
		}
		var fl []byte
		for q := range want {
			fl = append(fl, a.result.Files[fmt.Sprintf("q%d/plaintexts.txt", q)]...)
		}
		finals = append(finals, fl)
	}
	// Two honest authorities may keep records of different final lists
	// only after the signatures split (doc/daemon.md, "Liveness"): each
	// record verified above and decrypts to the votes; it is counted.
	split := false
	for k := 1; k < len(finals); k++ {
		if !bytes.Equal(finals[0], finals[k]) {
			split = true
		}
	}
	owed := honestLive >= max(w.t, w.n/2+1) && len(w.cut) == 0 && w.loss < 0.4
	ended := 0
	for _, a := range w.auths[1:] {
		if a.adversary != "" || down[a.i] {
			continue
		}
		if a.result != nil {
			ended++
		}
		if a.up && !a.done {
			res.err = fmt.Errorf("a%d neither finished nor stopped by the bound of virtual time", a.i)
			return res
		}
		if a.err != nil && owed && reliable(a) {
			res.err = fmt.Errorf("a%d stopped although %d honest authorities were live (t = %d): %v", a.i, honestLive, w.t, a.err)
			return res
		}
		var st *Stopped
		if a.err != nil && (!errors.As(a.err, &st) || st.Reason == "") {
			res.err = fmt.Errorf("a%d stopped without a reason: %v", a.i, a.err)
			return res
		}
	}
	switch {
	case ended > 0 && split:
		res.outcome = "tallied, two records"
	case ended > 0:
		res.outcome = "tallied"
	default:
		res.outcome = "stopped"
	}
	res.summary = fmt.Sprintf("%s, %d events, %.1f s of virtual time", res.outcome, w.events, w.now.Sub(simEpoch).Seconds())
	return res
}

// filesDigest hashes a record's files, names and contents, in name order.
func filesDigest(f record.Files) [32]byte {
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(f)) {
		fmt.Fprintf(h, "%d:%s%d:", len(name), name, len(f[name]))
		h.Write(f[name])
	}
	return [32]byte(h.Sum(nil))
}

func plaintextsOf(f record.Files, q int) []string {
	s := strings.TrimSuffix(string(f[fmt.Sprintf("q%d/plaintexts.txt", q)]), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
