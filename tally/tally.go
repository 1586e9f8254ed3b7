// Package tally is the tally of an election at one authority as a pure
// state machine: the mix chain with skipping, threshold decryption by any
// t, and the signed parameters, so that an election ends with any t live,
// honest authorities. The daemon (package orchestra) drives it with real
// messages, a clock and files; the simulator (sim_test.go) drives n of
// them in one process with a seeded network, virtual time and crashes.
// It does no I/O and does not log: it returns the messages to send and
// the events to log, and keeps what must survive a crash in a Store.
//
// # The rule (doc/daemon.md, "Liveness")
//
// Mixing. Every mix names its input: the output of an earlier mix
// (Parent, Position−1), or the ballots. An authority keeps every valid mix
// it learns — a tree — and follows its tip: the longest chain, ties
// going to the higher-numbered mixer. A mixer not on the tip's chain (nor
// rejected on it, nor stopped) mixes the tip when its turn comes: the
// mixers waiting are taken in turn after the tip's mixer, cyclically, and
// the r-th of them mixes at tipSince + r·Step. So a silent mixer is
// skipped by the next one after Step, and that mixer's signed mix is the
// evidence every other authority follows; nobody votes, nobody needs a
// leader; a skipped mixer that comes back mixes later, on the tip. An
// authority closes the chain when every mixer is on it, or when the last
// turn passed; it then decrypts the tip's list if at least t mixes stand.
// Asked by another for its share of a list of at least t mixes on its
// tip's chain, it closes there at once (the asker closed there).
// A restarted authority listens for Grace before it mixes or closes.
//
// Decryption. A qualified authority publishes its share of the final list
// it closed on; it collects shares (each signed and proven) of that list,
// and is done with a question once t verify and every qualified authority
// has answered, or Grace after the t-th. A final list that t valid shares
// decrypt moves it there if its own has fewer, or if that list's chain is
// longer; it shares that list too.
//
// Joining. An authority that has signed nothing yet and receives
// parameters another signed, whose final lists it verified, moves to
// those lists and shares on them: it then takes part in that record and
// can sign it (an absent authority cannot), which a quorum may need.
//
// Parameters. When every question is done, an authority signs the
// parameters of its record (the outcome: the chain, rejected mixes, shares
// and rejected shares, absent authorities) and sends them with the
// signature. It signs too the parameters of another authority that it
// can rebuild from what it verified itself (the same outcome with another
// choice of shares) — but, for Step after it signed, never parameters of
// other final lists than the first it signed (it keeps, without signing,
// a record of other lists that a quorum signed) — and assembles the record
// of parameters that a quorum signed, max(t, ⌊n/2⌋+1), after waiting Grace
// for the others' signatures. Two quorums share an authority: while
// signatures are exclusive, two records never decrypt different lists.
// When no quorum formed in Step (the signatures split between lists and
// too few authorities remain to break the tie), an authority signs any
// record it rebuilds; then two complete records of different final lists
// may exist — each verifies, each has t valid mixes, both decrypt to the
// same votes — and an authority keeps the one most signed (then the
// longer chain, then the lower digest).
//
// Every wait is bounded: a question with fewer than t mixes a Step after
// its last turn, fewer than t valid shares 2·Step after it closed, or
// fewer than a quorum of signatures 2·Step after this authority signed,
// stops the tally with a reason naming the authorities missing. (The
// margins are for skew: authorities learn of the tip, and so close, at
// times that differ by the network's delay and an authority's slowness.)
//
// # Drivers
//
// The daemon (package orchestra, tallydrive.go) drives it with the peer
// protocol's tally-msg messages, the wall clock and a directory store;
// the simulator (sim_test.go) with a seeded network and virtual time:
// go test ./tally runs 2 000 seeded elections (16 with -short),
// -sim.seeds=N any number, -sim.seed=S -v one with its trace.
package tally

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/chain"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/internal/drill"
	"github.com/eo-mixnet/eo/record"
	"github.com/eo-mixnet/eo/shuffle"
	"github.com/eo-mixnet/eo/threshold"
)

// Store keeps what the machine must not lose in a crash. Put is atomic
// and durable when it returns: the machine stores a message before it
// sends it, and a verdict before anything depends on it.
type Store interface {
	Get(name string) ([]byte, bool)
	Put(name string, data []byte) error
}

// Question is one question of the tally, as validation left it.
type Question struct {
	// Record holds what every authority computed alike before the tally:
	// Config, Transcript, Ballots, Excluded and Input.
	Record *record.QuestionRecord
	// Chain is a new chain from the accepted ballots (chain.New).
	Chain *chain.Chain
	// Public is the key generation's public output; Share this
	// authority's key share, nil when it has none (disqualified).
	Public *threshold.DKGPublic
	Share  *threshold.KeyShare
}

// Config is one authority's tally.
type Config struct {
	Election  record.ElectionConfig
	VotesHash string
	Votes     []byte // the vote file, with more than one question
	// LoadVotes, if set, returns the vote file when the record is built,
	// at the end of the tally, for the questions whose Record.Ballots is
	// nil (and for Votes, with more than one question): a daemon then
	// holds no vote file while it mixes. The machine splits it as
	// ballot.SplitFile does; the caller checks it against VotesHash. Its
	// error stops the tally.
	LoadVotes   func() ([]byte, error)
	Authorities []record.Authority
	Self        int
	Questions   []Question
	// Step is a mixer's slot and the bound of every wait; Grace how long a
	// finished step waits for the stragglers; Resend how often a wait asks
	// again for what it misses.
	Step, Grace, Resend time.Duration
	// Sign signs a digest with this authority's key.
	Sign func(digest [32]byte) ([]byte, error)
	// Rand is the randomness of mixes and shares; nil is crypto/rand.
	Rand io.Reader
	// Mix makes this authority's mix of question q on c's current list
	// (a daemon uses its offline phase); nil is shuffle.ShuffleAndProve.
	Mix func(q int, c *chain.Chain) (*elgamal.List, *shuffle.Proof, error)
	// Crash is called at the named points of the crash drill; nil in
	// production.
	Crash func(point string)
	// Drill makes this authority misbehave (bad-shuffle, bad-decryption).
	Drill *drill.Authority
}

// Send is a message to send: to authority To, or to every other one
// when To is 0.
type Send struct {
	To  int
	Msg *Message
}

// Event is something to log.
type Event struct {
	Level slog.Level
	Msg   string
	Attrs []any
}

// Output is what a call of the machine asks its driver to do.
type Output struct {
	Sends  []Send
	Events []Event
}

// Stopped is the error of a tally that cannot finish: fewer than t
// authorities took a step.
type Stopped struct {
	Reason  string
	Missing []int // the authorities whose step was missing
}

func (s *Stopped) Error() string { return s.Reason }

// Result is a finished tally.
type Result struct {
	Files   record.Files
	Digest  [32]byte // of the parameters
	Signers []int
	Absent  []int // took no part in the record
	Blamed  []int // rejected mixes or shares
	Skipped []int // mixers whose mix is not in the chain, not rejected
}

// key names a mix of a question: its mixer and position (an honest
// mixer mixes at most once at each position; the ballots are {0, 0}).
type key struct{ mixer, pos int }

// node is a list of a question's chains: the ballots, or an accepted mix.
// Once a mix of it stands its chain keeps the list by its encoding only
// (chain.Chain.Shed): only the tips are held decoded (#18).
type node struct {
	key
	parent key
	msg    *Message // nil for the root
	c      *chain.Chain
}

func parentOf(msg *Message) key { return key{msg.Parent, msg.Position - 1} }

// better orders the candidate tips: the longer chain, then the higher
// mixer.
func better(a, b key) bool {
	if a.pos != b.pos {
		return a.pos > b.pos
	}
	return a.mixer > b.mixer
}

type rejection struct {
	parent key
	msg    *Message
	fault  error
}

type shareRec struct {
	msg   *Message
	valid bool
}

type qstate struct {
	Question
	nodes     map[key]*node // {0, 0} is the ballots
	rejected  map[key]*rejection
	pending   map[key]*Message // mixes whose input is not known yet
	tip       *node
	since     time.Time
	closed    bool
	final     *node
	finalAt   time.Time
	shares    map[key]map[int]*shareRec // final list → author → share
	waiting   map[key]map[int]*Message  // shares of a list not known yet
	sessions  map[key]*threshold.DecryptionSession
	decrypted map[key][]string // the plaintext lines of a final list, once combined (not its points: #18)
	shared    map[key]bool     // final lists this authority shared
	tReached  time.Time
	done      bool
}

type version struct {
	params   []byte
	rec      *record.ElectionRecord // nil until rebuilt here
	sigs     map[int][]byte
	msgs     map[int]*Message
	accepted bool // signed by this authority, or kept without signing (it is absent from it, or a quorum signed it)
	tAt      time.Time
}

// Machine is one authority's tally. It is not safe for concurrent use.
type Machine struct {
	cfg       Config
	st        Store
	n, t      int
	qs        []*qstate
	stopped   map[int]bool // authorities that said they stopped
	versions  map[[32]byte]*version
	own       [32]byte
	signedAt  time.Time
	started   time.Time // a (re)started authority listens a Grace before it mixes or closes
	listened  bool
	restarted bool         // the store held a machine's state at New
	joined    bool         // it joined the final lists of another's parameters
	loaded    *loadedVotes // Config.LoadVotes's file, once the record needs it
	// signedFinals are the final lists of the parameters this authority
	// signed first: for Step it signs no parameters of other final lists,
	// so two records with different final lists cannot both gather a
	// quorum unless the signatures split (see adopt).
	signedFinals []key
	lastAsk      time.Time
	shed         bool      // shedState ran
	clock        time.Time // the latest time the driver gave
	out          Output
	result       *Result
	err          error
}

// New makes the machine of cfg, restoring what st holds from an earlier
// run: its own and verified mixes (not verified again), the final lists,
// shares and signed parameters.
func New(cfg Config, st Store, now time.Time) (*Machine, error) {
	n, t := cfg.Election.N, cfg.Election.T
	switch {
	case cfg.Self < 1 || cfg.Self > n || len(cfg.Authorities) != n:
		return nil, fmt.Errorf("tally: authority %d of %d, %d named", cfg.Self, n, len(cfg.Authorities))
	case len(cfg.Questions) != len(cfg.Election.Questions) || len(cfg.Questions) == 0:
		return nil, fmt.Errorf("tally: %d questions, the election has %d", len(cfg.Questions), len(cfg.Election.Questions))
	case cfg.Step <= 0 || cfg.Grace <= 0 || cfg.Resend <= 0:
		return nil, errors.New("tally: step, grace and resend must be positive")
	case cfg.Sign == nil:
		return nil, errors.New("tally: no signer")
	}
	m := &Machine{cfg: cfg, st: st, n: n, t: t, stopped: map[int]bool{}, versions: map[[32]byte]*version{}, lastAsk: now, started: now}
	for _, q := range cfg.Questions {
		root := &node{c: q.Chain}
		qs := &qstate{Question: q, nodes: map[key]*node{{}: root}, rejected: map[key]*rejection{}, pending: map[key]*Message{},
			tip: root, since: now, shares: map[key]map[int]*shareRec{}, waiting: map[key]map[int]*Message{},
			sessions: map[key]*threshold.DecryptionSession{}, shared: map[key]bool{}, decrypted: map[key][]string{}}
		m.qs = append(m.qs, qs)
	}
	// A restarted machine listens a Grace before it mixes or closes: the
	// others may have gone on meanwhile.
	if _, ok := st.Get(startedName); ok {
		m.restarted = true
	} else if err := st.Put(startedName, []byte("started\n")); err != nil {
		return nil, err
	}
	if err := m.restore(now); err != nil {
		return nil, err
	}
	return m, nil
}

// Names of the store.
func mixName(q int, k key) string { return fmt.Sprintf("q%d.mix-%d-at-%d.msg", q, k.mixer, k.pos) }
func rejectedName(q int, k key) string {
	return fmt.Sprintf("q%d.mix-%d-at-%d.rejected", q, k.mixer, k.pos)
}
func finalName(q int) string { return fmt.Sprintf("q%d.final", q) }
func shareName(q, i int, f key) string {
	return fmt.Sprintf("q%d.dec-%d-of-%d-at-%d.msg", q, i, f.mixer, f.pos)
}

const startedName = "started"

func paramsName(i int) string        { return fmt.Sprintf("params-%d.msg", i) }
func adoptedName(i, k int) string    { return fmt.Sprintf("params-%d-signed-%d.msg", i, k) }
func (m *Machine) self() int         { return m.cfg.Self }
func (m *Machine) name(i int) string { return m.cfg.Authorities[i-1].Name }
func (m *Machine) crash(point string) {
	if m.cfg.Crash != nil {
		m.cfg.Crash(point)
	}
}

func (m *Machine) emit(level slog.Level, msg string, attrs ...any) {
	m.out.Events = append(m.out.Events, Event{Level: level, Msg: msg, Attrs: attrs})
}

func (m *Machine) send(to int, msg *Message) {
	m.out.Sends = append(m.out.Sends, Send{To: to, Msg: msg})
}

func (m *Machine) take() Output {
	if (m.result != nil || m.err != nil) && !m.shed {
		m.shedState()
	}
	o := m.out
	m.out = Output{}
	return o
}

// shedState lets go, once the tally ended, of what only the tally needed:
// decoded lists and chains, decryption sessions and plaintexts, rebuilt
// records. An ended machine only answers asks, from the messages it keeps;
// the daemon keeps it a while after it writes the record, and a large
// election's lists would otherwise stay in memory that long (#18).
func (m *Machine) shedState() {
	m.shed = true
	for _, qs := range m.qs {
		for _, nd := range qs.nodes {
			nd.c = nil
		}
		qs.Chain, qs.Record = nil, nil
		qs.sessions, qs.decrypted = nil, nil
		qs.pending, qs.waiting = nil, nil
	}
	for _, v := range m.versions {
		v.rec = nil
	}
	m.loaded = nil
}

// loadedVotes is the vote file read by Config.LoadVotes: whole, and split
// into the questions' ballot files.
type loadedVotes struct {
	all   []byte
	files [][]byte
}

// loadVotes reads the vote file with Config.LoadVotes, once, when a
// record is built without it.
func (m *Machine) loadVotes() error {
	if m.cfg.LoadVotes == nil || m.loaded != nil {
		return nil
	}
	b, err := m.cfg.LoadVotes()
	if err != nil {
		return fmt.Errorf("tally: the vote file: %w", err)
	}
	widths := make([]int, len(m.cfg.Election.Questions))
	for q, qc := range m.cfg.Election.Questions {
		widths[q] = qc.Width
	}
	files, err := ballot.SplitFile(b, widths)
	if err != nil {
		return fmt.Errorf("tally: the vote file: %w", err)
	}
	m.loaded = &loadedVotes{all: b, files: files}
	return nil
}

// restore rebuilds the machine from its store.
func (m *Machine) restore(now time.Time) error {
	for q, qs := range m.qs {
		// Mixes, parents first: a stored mix was judged before it was
		// stored (or made here), so it is adopted, not verified again.
		var left []*Message
		for j := 1; j <= m.n; j++ {
			for p := 1; p <= m.n; p++ {
				b, ok := m.st.Get(mixName(q, key{j, p}))
				if !ok {
					continue
				}
				msg, err := DecodeMessage(b)
				if err != nil {
					return fmt.Errorf("tally: stored %s: %w", mixName(q, key{j, p}), err)
				}
				left = append(left, msg)
			}
		}
		slices.SortFunc(left, func(a, b *Message) int { return a.Position - b.Position })
		for _, msg := range left {
			k := key{msg.Author, msg.Position}
			parent := qs.nodes[parentOf(msg)]
			if parent == nil {
				qs.pending[k] = msg
				continue
			}
			c := parent.c.Clone()
			if _, bad := m.st.Get(rejectedName(q, k)); bad {
				fault := errors.New("rejected before a restart")
				if err := c.Adopt(mixOf(msg), nil, fault); err != nil {
					return fmt.Errorf("tally: stored rejected mix %v of question %d: %w", k, q, err)
				}
				qs.rejected[k] = &rejection{parent: parentOf(msg), msg: msg, fault: fault}
				continue
			}
			if err := c.Adopt(mixOf(msg), nil, nil); err != nil {
				return fmt.Errorf("tally: stored mix %v of question %d: %w", k, q, err)
			}
			qs.nodes[k] = &node{key: k, parent: parentOf(msg), msg: msg, c: c}
			parent.c.Shed()
		}
		m.updateTip(qs, now)
		if b, ok := m.st.Get(finalName(q)); ok && len(b) == 2 {
			if f := qs.nodes[key{int(b[0]), int(b[1])}]; f != nil {
				qs.closed, qs.final, qs.finalAt = true, f, now
			}
		}
		for _, f := range sortedNodeKeys(qs.nodes) {
			for i := 1; i <= m.n; i++ {
				if b, ok := m.st.Get(shareName(q, i, f)); ok {
					msg, err := DecodeMessage(b)
					if err != nil {
						return fmt.Errorf("tally: stored %s: %w", shareName(q, i, f), err)
					}
					if i == m.self() {
						qs.shared[f] = true
					}
					m.handleShare(qs, msg, now)
				}
			}
		}
	}
	if b, ok := m.st.Get(paramsName(m.self())); ok {
		msg, err := DecodeMessage(b)
		if err != nil {
			return fmt.Errorf("tally: stored parameters: %w", err)
		}
		m.signedAt = now
		m.own = record.ParametersDigest(msg.Fields[0])
		m.signedFinals = finalsOf(msg.Fields[0])
		m.handleParams(msg, now)
	}
	for k := 0; k <= 2*m.n; k++ {
		if b, ok := m.st.Get(adoptedName(m.self(), k)); ok {
			if msg, err := DecodeMessage(b); err == nil {
				if m.signedFinals == nil {
					m.signedFinals = finalsOf(msg.Fields[0])
				}
				m.handleParams(msg, now)
			}
		}
	}
	m.out.Sends = nil
	return nil
}

// republish sends again everything this authority published: after a
// restart, what it stored may never have left.
func (m *Machine) republish() {
	for _, qs := range m.qs {
		for _, k := range sortedNodeKeys(qs.nodes) {
			if k.mixer == m.self() {
				m.send(0, qs.nodes[k].msg)
			}
		}
		for _, k := range sortedRejectedKeys(qs.rejected) {
			if k.mixer == m.self() {
				m.send(0, qs.rejected[k].msg)
			}
		}
		for _, f := range sortedNodeKeys(qs.nodes) {
			if s := qs.shares[f][m.self()]; s != nil {
				m.send(0, s.msg)
			}
		}
	}
	for _, d := range sortedDigests(m.versions) {
		if msg := m.versions[d].msgs[m.self()]; msg != nil {
			m.send(0, msg)
		}
	}
}

func sortedKeys[V any](mp map[int]V) []int {
	k := make([]int, 0, len(mp))
	for i := range mp {
		k = append(k, i)
	}
	sort.Ints(k)
	return k
}

func sortKeys(ks []key) []key {
	slices.SortFunc(ks, func(a, b key) int {
		if a.pos != b.pos {
			return a.pos - b.pos
		}
		return a.mixer - b.mixer
	})
	return ks
}

func sortedNodeKeys(mp map[key]*node) []key {
	var ks []key
	for k := range mp {
		ks = append(ks, k)
	}
	return sortKeys(ks)
}

func sortedRejectedKeys(mp map[key]*rejection) []key {
	var ks []key
	for k := range mp {
		ks = append(ks, k)
	}
	return sortKeys(ks)
}

func sortedPendingKeys(mp map[key]*Message) []key {
	var ks []key
	for k := range mp {
		ks = append(ks, k)
	}
	return sortKeys(ks)
}

func mixOf(msg *Message) chain.Mix {
	return chain.Mix{Position: msg.Position, Mixer: msg.Author, Output: msg.Fields[0], Proof: msg.Fields[1], Signature: msg.Fields[2]}
}

// Start begins (or resumes) the tally.
func (m *Machine) Start(now time.Time) Output {
	m.republish()
	m.advance(now)
	m.ask(now, true)
	return m.take()
}

// Tick lets time pass: slots, deadlines and asks.
func (m *Machine) Tick(now time.Time) Output {
	m.advance(now)
	if now.Sub(m.lastAsk) >= m.cfg.Resend {
		m.ask(now, false)
	}
	return m.take()
}

// Stopped tells the machine that authority i stopped the tally (an abort
// it sent): its slot and its share are not waited for.
func (m *Machine) Stopped(now time.Time, i int) Output {
	if i >= 1 && i <= m.n && i != m.self() {
		m.stopped[i] = true
		m.advance(now)
	}
	return m.take()
}

// Handle takes a message that authority from sent (the author of a
// relayed message may be another).
func (m *Machine) Handle(now time.Time, from int, msg *Message) Output {
	if msg == nil {
		return m.take()
	}
	if msg.Q >= len(m.qs) || msg.Author > m.n || (msg.Kind != KindAsk && (msg.Parent > m.n || msg.Position > m.n)) || from < 1 || from > m.n ||
		(msg.Kind == KindMix && msg.Position < 1) {
		m.emit(slog.LevelWarn, "tally message out of range; dropped", "from", m.name1(from), "kind", msg.Kind.String())
		return m.take()
	}
	qs := m.qs[msg.Q]
	if m.err != nil || m.result != nil {
		// Ended here: it still serves what it holds, to an authority
		// that catches up.
		if msg.Kind == KindAsk {
			m.answer(qs, from, msg)
		}
		return m.take()
	}
	switch msg.Kind {
	case KindStop:
		if msg.Author != from {
			return m.take()
		}
		m.emit(slog.LevelWarn, "an authority stopped its tally; not waiting for it", "authority", m.name(from), "reason", string(msg.Fields[0]))
		m.stopped[from] = true
	case KindMix:
		m.handleMix(qs, msg, now)
	case KindShare:
		m.handleShare(qs, msg, now)
	case KindParams:
		m.handleParams(msg, now)
	case KindAsk:
		m.answer(qs, from, msg)
		m.closeOnAsk(qs, from, msg, now)
	}
	m.advance(now)
	return m.take()
}

func (m *Machine) name1(i int) string {
	if i < 1 || i > m.n {
		return fmt.Sprint(i)
	}
	return m.name(i)
}

// Wake returns when Tick is due next; zero once the tally ended.
func (m *Machine) Wake() time.Time {
	if m.result != nil || m.err != nil {
		return time.Time{}
	}
	w := m.lastAsk.Add(m.cfg.Resend)
	for _, qs := range m.qs {
		for _, d := range m.deadlines(qs) {
			if d.Before(w) {
				w = d
			}
		}
	}
	if !m.signedAt.IsZero() {
		d := m.signedAt.Add(m.cfg.Step) // relax, then stop (finish)
		if !d.After(m.clock) {
			d = d.Add(m.cfg.Step)
		}
		if d.Before(w) {
			w = d
		}
		for _, v := range m.versions {
			if v.accepted && v.rec != nil && !v.tAt.IsZero() && v.tAt.Add(m.cfg.Grace).Before(w) {
				w = v.tAt.Add(m.cfg.Grace)
			}
		}
	}
	return w
}

// Result returns the record once the tally ended, or why it stopped; nil
// and nil while it runs.
func (m *Machine) Result() (*Result, error) { return m.result, m.err }

// Progress says what the machine waits for, for a status page: the
// phase, and in the mix phase the least advanced question's mixes.
func (m *Machine) Progress() (phase string, mixes int) {
	switch {
	case m.result != nil:
		return "tallied", 0
	case m.err != nil:
		return "failed", 0
	case !m.signedAt.IsZero():
		return "signing", 0
	}
	for _, qs := range m.qs {
		if !qs.closed {
			return "mix", qs.tip.pos
		}
	}
	return "decrypt", 0
}

// path returns the mixers on the chain ending at nd, with the mixers
// whose mix was rejected on one of its lists.
func (m *Machine) path(qs *qstate, nd *node) map[int]bool {
	on := map[int]bool{}
	lists := map[key]bool{}
	for x := nd; x != nil; x = qs.nodes[x.parent] {
		lists[x.key] = true
		if x.mixer != 0 {
			on[x.mixer] = true
		} else {
			break
		}
	}
	for _, r := range qs.rejected {
		if lists[r.parent] {
			on[r.msg.Author] = true
		}
	}
	return on
}

// waitingFor lists, in turn order after the tip's mixer, the mixers
// that may still extend the tip: neither on its chain nor rejected on
// it, nor stopped.
func (m *Machine) waitingFor(qs *qstate) []int {
	on := m.path(qs, qs.tip)
	var w []int
	for d := 1; d <= m.n; d++ {
		k := (qs.tip.mixer+d-1)%m.n + 1
		if !on[k] && !m.stopped[k] {
			w = append(w, k)
		}
	}
	return w
}

// slot returns when mixer j's turn on the tip comes.
func (m *Machine) slot(qs *qstate, j int) (time.Time, bool) {
	for r, k := range m.waitingFor(qs) {
		if k == j {
			return qs.since.Add(time.Duration(r) * m.cfg.Step), true
		}
	}
	return time.Time{}, false
}

// closing returns when the mixing of a question closes.
//
// The last turn ends after Step, and a Grace more for its mix to arrive:
// the authorities learn of the tip at different times, so their slots are
// skewed by the network's delay. A chain shorter than t waits a Step more
// before the tally stops: a late mix still saves the election.
func (m *Machine) closing(qs *qstate) time.Time {
	w := len(m.waitingFor(qs))
	if w == 0 {
		return qs.since // nobody can extend the chain
	}
	at := qs.since.Add(time.Duration(w)*m.cfg.Step + m.cfg.Grace)
	if qs.tip.pos < m.t {
		at = at.Add(m.cfg.Step)
	}
	return at
}

// deadlines returns a question's next times.
func (m *Machine) deadlines(qs *qstate) []time.Time {
	if qs.closed {
		if qs.done {
			return nil
		}
		if !qs.tReached.IsZero() {
			return []time.Time{qs.tReached.Add(m.cfg.Grace)}
		}
		return []time.Time{qs.finalAt.Add(2 * m.cfg.Step)}
	}
	if !m.listened && m.restarted {
		return []time.Time{m.started.Add(m.cfg.Grace)}
	}
	out := []time.Time{m.closing(qs)}
	if s, ok := m.slot(qs, m.self()); ok && m.mixes(qs) {
		out = append(out, s)
	}
	return out
}

func (m *Machine) updateTip(qs *qstate, now time.Time) {
	best := qs.tip
	for k, nd := range qs.nodes {
		if better(k, best.key) {
			best = nd
		}
	}
	if best != qs.tip {
		qs.tip, qs.since = best, now
	}
}

// advance does whatever is due: mix, close, decide, sign, finish.
func (m *Machine) advance(now time.Time) {
	if now.After(m.clock) {
		m.clock = now
	}
	if m.err != nil || m.result != nil {
		return
	}
	for _, v := range m.versions {
		if v.accepted && v.rec != nil && len(v.sigs) >= m.quorum() {
			// Another record that t authorities signed and this one
			// verified (an authority catching up): it is the outcome.
			m.finish(now)
			if m.result != nil || m.err != nil {
				return
			}
			break
		}
	}
	if m.signedFinals == nil && !m.joined {
		// Parameters another signed, whose lists this authority verified:
		// it joins the best of them (the most signed, the longer chain,
		// the lower digest), once.
		var bv *version
		for _, d := range sortedDigests(m.versions) {
			v := m.versions[d]
			if d == m.own || len(v.sigs) == 0 || !m.joinable(v) {
				continue
			}
			if bv == nil || len(v.sigs) > len(bv.sigs) || (len(v.sigs) == len(bv.sigs) && chainLength(v.params) > chainLength(bv.params)) {
				bv = v
			}
		}
		if bv != nil {
			m.join(bv, now)
			m.joined = true
			if m.err != nil {
				return
			}
		}
	}
	listening := m.restarted && now.Before(m.started.Add(m.cfg.Grace))
	m.listened = !listening
	for q, qs := range m.qs {
		if !qs.closed && !listening {
			if s, ok := m.slot(qs, m.self()); ok && !now.Before(s) && m.mixes(qs) {
				if err := m.mix(q, qs, now); err != nil {
					m.fail(fmt.Errorf("tally: mix of question %d: %w", q, err), nil)
					return
				}
			}
			if !now.Before(m.closing(qs)) || qs.tip.pos == m.n {
				if !m.close(q, qs, now) {
					return
				}
			}
		}
		if qs.closed && !qs.done {
			// Its share of the final list (again after a crash before it
			// was stored: shareOn does it once).
			m.shareOn(q, qs, qs.final)
			if m.err != nil {
				return
			}
			m.decideQuestion(q, qs, now)
			if m.err != nil {
				return
			}
		}
	}
	for _, qs := range m.qs {
		if !qs.done {
			return
		}
	}
	if m.signedAt.IsZero() && m.signedFinals != nil {
		m.signedAt = now // it signed another's parameters already: those are its outcome
	}
	if m.signedAt.IsZero() {
		if err := m.signOwn(now); err != nil {
			m.fail(err, nil)
			return
		}
	}
	m.finish(now)
}

// mixes reports whether this authority mixes when its turn comes: the
// drill's bad mixer does not mix again (its slot is then no deadline, or
// it would wake at once for ever: seeds 32077, 67078, 68667).
func (m *Machine) mixes(qs *qstate) bool {
	return m.cfg.Drill == nil || m.cfg.Drill.Kind != drill.BadShuffle || !m.mixedBad(qs)
}

// mixedBad reports whether the drill's bad mixer made its (rejected) mix
// already: it mixes once, like an honest mixer whose mix is skipped.
func (m *Machine) mixedBad(qs *qstate) bool {
	for k := range qs.rejected {
		if k.mixer == m.self() {
			return true
		}
	}
	return false
}

// mix makes, stores and sends this authority's mix of the tip.
func (m *Machine) mix(q int, qs *qstate, now time.Time) error {
	m.crash("mix-start")
	parent := qs.tip
	c := parent.c.Clone()
	var out *elgamal.List
	var proof *shuffle.Proof
	var err error
	if m.cfg.Mix != nil {
		out, proof, err = m.cfg.Mix(q, c)
	} else {
		out, proof, err = shuffle.ShuffleAndProve(m.cfg.Rand, c.Context(c.Next()), c.Generators(), c.Current())
	}
	if err != nil {
		return err
	}
	pb := proof.Bytes()
	bad := m.cfg.Drill != nil && m.cfg.Drill.Kind == drill.BadShuffle
	if bad {
		pb[len(pb)/2] ^= 1 // drill: a proof that fails, signed all the same
	}
	sig, err := m.cfg.Sign(c.Digest(out.Bytes(), pb))
	if err != nil {
		return err
	}
	k := key{m.self(), c.Next()}
	msg := &Message{Kind: KindMix, Q: q, Author: m.self(), Parent: parent.mixer, Position: k.pos, Fields: [][]byte{out.Bytes(), pb, sig}}
	if bad {
		// The drill's adversary judges its own mix like the others do.
		v, err := c.Offer(mixOf(msg))
		if err != nil {
			return err
		}
		if !v.Accepted {
			if err := m.st.Put(rejectedName(q, k), nil); err != nil {
				return err
			}
			qs.rejected[k] = &rejection{parent: parent.key, msg: msg, fault: v.Fault}
		}
	}
	if err := m.st.Put(mixName(q, k), msg.Bytes()); err != nil {
		return err
	}
	m.crash("mix-stored")
	if !bad {
		if err := c.Adopt(mixOf(msg), out, nil); err != nil {
			return err
		}
		qs.nodes[k] = &node{key: k, parent: parent.key, msg: msg, c: c}
		parent.c.Shed()
	}
	m.send(0, msg)
	m.crash("mix-published")
	m.emit(slog.LevelInfo, "mixed and published", "question", q, "mix", k.pos, "input", m.inputName(parent.key), "ciphertexts", out.Len())
	m.updateTip(qs, now)
	return nil
}

func (m *Machine) inputName(k key) string {
	if k.mixer == 0 {
		return "the ballots"
	}
	return fmt.Sprintf("%s's mix %d", m.name(k.mixer), k.pos)
}

// handleMix judges a mix (or keeps it until its input is known) and
// stores the verdict.
func (m *Machine) handleMix(qs *qstate, msg *Message, now time.Time) {
	q, k := msg.Q, key{msg.Author, msg.Position}
	if old := m.known(qs, k); old != nil {
		if !bytes.Equal(old.Bytes(), msg.Bytes()) {
			m.emit(slog.LevelError, "a second, different mix by the same mixer for the same position; the first one stands", "question", q, "mixer", m.name(k.mixer))
		}
		return
	}
	parent := qs.nodes[parentOf(msg)]
	if parent == nil {
		if qs.pending[k] == nil && len(qs.pending) < m.n*m.n {
			qs.pending[k] = msg
		}
		return
	}
	delete(qs.pending, k)
	c := parent.c.Clone()
	v, err := c.Offer(mixOf(msg))
	if err != nil {
		m.emit(slog.LevelWarn, "mix not judged (no fault proven); dropped", "question", q, "mixer", m.name(k.mixer), "error", err.Error())
		return
	}
	if !v.Accepted {
		if err := m.st.Put(rejectedName(q, k), nil); err != nil {
			m.fail(err, nil)
			return
		}
		if err := m.st.Put(mixName(q, k), msg.Bytes()); err != nil {
			m.fail(err, nil)
			return
		}
		qs.rejected[k] = &rejection{parent: parent.key, msg: msg, fault: v.Fault}
		m.emit(slog.LevelError, "mix rejected: its proof does not verify; its mixer is blamed", "question", q, "mixer", m.name(k.mixer), "error", v.Fault.Error())
		return
	}
	if err := m.st.Put(mixName(q, k), msg.Bytes()); err != nil {
		m.fail(err, nil)
		return
	}
	m.crash("mix-verified")
	qs.nodes[k] = &node{key: k, parent: parent.key, msg: msg, c: c}
	parent.c.Shed()
	m.emit(slog.LevelInfo, "mix verified", "question", q, "mixer", m.name(k.mixer), "mix", k.pos, "input", m.inputName(parent.key))
	m.updateTip(qs, now)
	m.converge(q, qs, now)
	// Mixes that waited for this one, and shares of its list.
	for _, p := range sortedPendingKeys(qs.pending) {
		if pm := qs.pending[p]; pm != nil && parentOf(pm) == k {
			m.handleMix(qs, pm, now)
		}
	}
	if w := qs.waiting[k]; w != nil {
		delete(qs.waiting, k)
		for _, i := range sortedKeys(w) {
			m.handleShare(qs, w[i], now)
		}
	}
}

// known returns the mix message of k that this authority holds.
func (m *Machine) known(qs *qstate, k key) *Message {
	if nd := qs.nodes[k]; nd != nil {
		return nd.msg
	}
	if r := qs.rejected[k]; r != nil {
		return r.msg
	}
	return nil
}

// closeOnAsk closes a question on the list F that another authority asks
// this one to share on: that authority closed on F and waits for this
// share. If this authority verified F, F has at least t mixes and lies on
// its tip's chain, waiting on for the mixers the other skipped can only
// lose the election — the other gives up 2·Step after it closed — while
// closing on F, like the asker, is what the rule would do without them:
// F is decrypted only if t authorities share on it, and a longer chain is
// still followed (converge). Seeds 55779 and 58001: a restarted authority
// counted the turns again from its restart; 59903 and 37668: a late mix
// moved the tip here after the others closed.
func (m *Machine) closeOnAsk(qs *qstate, from int, a *Message, now time.Time) {
	if qs.closed || Kind(a.Parent) != KindShare || a.Author != m.self() || from == m.self() ||
		(m.restarted && now.Before(m.started.Add(m.cfg.Grace))) {
		return
	}
	fk := key{a.Position >> 8, a.Position & 0xff}
	f := qs.nodes[fk]
	if f == nil || fk.mixer < 1 || fk.pos < m.t {
		return
	}
	for nd := qs.tip; nd != nil; nd = qs.nodes[nd.parent] {
		if nd == f {
			m.emit(slog.LevelInfo, "closing: another authority closed on a list of this chain and asks for this share", "question", a.Q, "authority", m.name(from), "final", m.inputName(fk))
			m.closeOn(a.Q, qs, f, now)
			return
		}
		if nd.key.mixer == 0 {
			return
		}
	}
}

// close ends the mixing of a question: the final list is the tip's, if
// at least t mixes stand behind it. It reports false when the tally
// stopped.
func (m *Machine) close(q int, qs *qstate, now time.Time) bool {
	best := qs.tip
	if best.pos < m.t {
		on := m.path(qs, best)
		var missing []int
		for k := 1; k <= m.n; k++ {
			if !on[k] {
				missing = append(missing, k)
			}
		}
		var rejected []int
		for k := range qs.rejected {
			if !slices.Contains(rejected, k.mixer) {
				rejected = append(rejected, k.mixer)
			}
		}
		sort.Ints(rejected)
		m.fail(fmt.Errorf("question %d: only %d mixes stand, fewer than the threshold %d; no mix from %s (rejected: %s)", q, best.pos, m.t, m.names(missing), m.names(rejected)), missing)
		return false
	}
	return m.closeOn(q, qs, best, now)
}

// closeOn closes a question on the verified list best, of at least t
// mixes. It reports false when the tally stopped.
func (m *Machine) closeOn(q int, qs *qstate, best *node, now time.Time) bool {
	if err := m.st.Put(finalName(q), []byte{byte(best.mixer), byte(best.pos)}); err != nil {
		m.fail(err, nil)
		return false
	}
	qs.closed, qs.final, qs.finalAt = true, best, now
	m.emit(slog.LevelInfo, "mixing closed", "question", q, "mixes", best.pos, "final", m.inputName(best.key), "skipped", m.names(m.skipped(qs, best)))
	m.shareOn(q, qs, best)
	return m.err == nil
}

// skipped lists the mixers that are not on the chain ending at f and
// were not rejected on it.
func (m *Machine) skipped(qs *qstate, f *node) []int {
	on := m.path(qs, f)
	var s []int
	for k := 1; k <= m.n; k++ {
		if !on[k] {
			s = append(s, k)
		}
	}
	return s
}

func (m *Machine) names(idx []int) string {
	if len(idx) == 0 {
		return "none"
	}
	s := ""
	for k, i := range idx {
		if k > 0 {
			s += ", "
		}
		s += m.name(i)
	}
	return s
}

// shareOn publishes this authority's share of f's output (once), if it
// holds a share.
func (m *Machine) shareOn(q int, qs *qstate, f *node) {
	if qs.Share == nil || !slices.Contains(qs.Public.Qualified, m.self()) || qs.shared[f.key] {
		return
	}
	m.crash("share-start")
	list := f.c.Current()
	sm, err := qs.Share.DecryptionShare(qs.Public, list, m.cfg.Rand)
	if err != nil {
		m.fail(err, nil)
		return
	}
	b := sm.Bytes()
	if m.cfg.Drill != nil && m.cfg.Drill.Kind == drill.BadDecryption {
		// Drill: swap the first two factors; the proof fails.
		fb := sm.FactorBytes()
		if k := bytes.Index(b, fb); k >= 0 && len(fb) >= 64 {
			copy(b[k:k+32], fb[32:64])
			copy(b[k+32:k+64], fb[:32])
		}
	}
	sig, err := m.cfg.Sign(record.ShareDigest(m.cfg.Election.ElectionID, q, m.self(), list.Bytes(), b))
	if err != nil {
		m.fail(err, nil)
		return
	}
	msg := &Message{Kind: KindShare, Q: q, Author: m.self(), Parent: f.mixer, Position: f.pos, Fields: [][]byte{b, sig}}
	if err := m.st.Put(shareName(q, m.self(), f.key), msg.Bytes()); err != nil {
		m.fail(err, nil)
		return
	}
	m.crash("share-stored")
	qs.shared[f.key] = true
	m.send(0, msg)
	m.crash("share-published")
	m.emit(slog.LevelInfo, "decryption share published", "question", q, "final", m.inputName(f.key))
	m.handleShare(qs, msg, m.clockOf(qs))
}

func (m *Machine) clockOf(qs *qstate) time.Time { return qs.finalAt }

// handleShare checks a share's signature and proof and keeps it.
func (m *Machine) handleShare(qs *qstate, msg *Message, now time.Time) {
	q, i, fk := msg.Q, msg.Author, key{msg.Parent, msg.Position}
	if !slices.Contains(qs.Public.Qualified, i) || fk.mixer < 1 || fk.pos < m.t {
		m.emit(slog.LevelWarn, "decryption share from an authority without a key share, or of a list with fewer than t mixes; dropped", "question", q, "author", m.name1(i))
		return
	}
	if qs.shares[fk][i] != nil {
		return
	}
	f := qs.nodes[fk]
	if f == nil {
		if qs.waiting[fk] == nil {
			if len(qs.waiting) >= m.n*m.n {
				return
			}
			qs.waiting[fk] = map[int]*Message{}
		}
		if qs.waiting[fk][i] == nil {
			qs.waiting[fk][i] = msg
		}
		return
	}
	list := f.c.Current()
	digest := record.ShareDigest(m.cfg.Election.ElectionID, q, i, list.Bytes(), msg.Fields[0])
	if err := m.cfg.Authorities[i-1].VerifySignature(digest, msg.Fields[1]); err != nil {
		m.emit(slog.LevelWarn, "decryption share not signed by its author; dropped", "question", q, "author", m.name(i), "error", err.Error())
		return
	}
	ds := qs.sessions[fk]
	if ds == nil {
		var err error
		if ds, err = threshold.NewDecryptionSession(qs.Public, list); err != nil {
			m.fail(err, nil)
			return
		}
		qs.sessions[fk] = ds
	}
	if i != m.self() {
		if err := m.st.Put(shareName(q, i, fk), msg.Bytes()); err != nil {
			m.fail(err, nil)
			return
		}
	}
	err := ds.Handle(i, msg.Fields[0])
	if qs.shares[fk] == nil {
		qs.shares[fk] = map[int]*shareRec{}
	}
	qs.shares[fk][i] = &shareRec{msg: msg, valid: err == nil}
	if err != nil {
		m.emit(slog.LevelError, "decryption share rejected: it does not verify; its author is blamed", "question", q, "author", m.name(i), "error", err.Error())
	}
	m.converge(q, qs, now)
}

// converge moves a question to the final list that at least t valid
// shares decrypt, if its own has fewer or the other is better (a longer
// chain): the authorities that closed on different lists (a late mix
// reached some before they closed) end on one.
func (m *Machine) converge(q int, qs *qstate, now time.Time) {
	if !qs.closed || m.result != nil || m.signedFinals != nil || m.joined {
		return // an authority signs the parameters of one set of final lists (and one that joined stays)
	}
	var target *node
	for _, fk := range sortedShareKeys(qs.shares) {
		n := 0
		for _, s := range qs.shares[fk] {
			if s.valid {
				n++
			}
		}
		if f := qs.nodes[fk]; f != nil && n >= m.t && (target == nil || better(fk, target.key)) {
			target = f
		}
	}
	if v, _ := m.validOn(qs, qs.final.key); target != nil && v >= m.t && !better(target.key, qs.final.key) {
		target = nil // its own list is decrypted, and the other is not better
	}
	// Else a longer chain than the one it closed on (a late mix), while
	// its own list is not decrypted: it moves there too, so that all end
	// on the longest.
	if v, _ := m.validOn(qs, qs.final.key); target == nil && v < m.t && better(qs.tip.key, qs.final.key) && qs.tip.pos >= m.t {
		target = qs.tip
	}
	if target == nil || target == qs.final {
		return
	}
	m.emit(slog.LevelInfo, "moving to another final list: a longer chain, or one that t authorities decrypt", "question", q, "final", m.inputName(target.key), "was", m.inputName(qs.final.key))
	if err := m.st.Put(finalName(q), []byte{byte(target.mixer), byte(target.pos)}); err != nil {
		m.fail(err, nil)
		return
	}
	qs.final, qs.finalAt, qs.tReached, qs.done = target, now, time.Time{}, false
	m.shareOn(q, qs, target)
}

func sortedShareKeys(mp map[key]map[int]*shareRec) []key {
	var ks []key
	for k := range mp {
		ks = append(ks, k)
	}
	return sortKeys(ks)
}

func (m *Machine) validOn(qs *qstate, fk key) (valid, answered int) {
	for _, s := range qs.shares[fk] {
		answered++
		if s.valid {
			valid++
		}
	}
	return valid, answered
}

// valid counts the valid shares of a question's final list, and the
// authorities that answered.
func (m *Machine) valid(qs *qstate) (valid, answered int) { return m.validOn(qs, qs.final.key) }

// decideQuestion ends a question's decryption when it can.
func (m *Machine) decideQuestion(q int, qs *qstate, now time.Time) {
	v, answered := m.valid(qs)
	if v >= m.t && qs.tReached.IsZero() {
		qs.tReached = now
	}
	expected := 0
	for _, i := range qs.Public.Qualified {
		if !m.stopped[i] || qs.shares[qs.final.key][i] != nil {
			expected++
		}
	}
	switch {
	case v >= m.t && (answered >= expected || !now.Before(qs.tReached.Add(m.cfg.Grace))):
		qs.done = true
		m.emit(slog.LevelInfo, "question decrypted", "question", q, "valid_shares", v, "answered", answered, "qualified", len(qs.Public.Qualified))
	case v < m.t && (answered >= len(qs.Public.Qualified) || !now.Before(qs.finalAt.Add(2*m.cfg.Step))):
		var missing []int
		for _, i := range qs.Public.Qualified {
			if s := qs.shares[qs.final.key][i]; s == nil || !s.valid {
				missing = append(missing, i)
			}
		}
		m.fail(fmt.Errorf("question %d: %d valid decryption shares, fewer than the threshold %d; none valid from %s", q, v, m.t, m.names(missing)), missing)
	}
}

// build makes the election record of the final lists with the given
// choice of shares per question (nil: every share received).
func (m *Machine) build(finals []*node, choice []map[int]bool) (*record.ElectionRecord, error) {
	cfg := m.cfg
	rec := &record.ElectionRecord{Config: cfg.Election, VotesHash: cfg.VotesHash, Votes: cfg.Votes}
	took := map[int]bool{}
	for q, qs := range m.qs {
		final := qs.final
		if finals != nil {
			final = finals[q]
		}
		if final == nil {
			return nil, fmt.Errorf("question %d: no final list", q)
		}
		// The chain, list by list: the mixes rejected on each list of
		// it, by mixer, then its accepted mix.
		var path []*node
		for nd := final; nd.mixer != 0; nd = qs.nodes[nd.parent] {
			path = append([]*node{nd}, path...)
		}
		c := qs.nodes[key{}].c.Clone()
		prev := key{}
		for _, nd := range append(path, nil) {
			for _, k := range sortedRejectedKeys(qs.rejected) {
				if r := qs.rejected[k]; r.parent == prev {
					if err := c.Adopt(mixOf(r.msg), nil, r.fault); err != nil {
						return nil, err
					}
				}
			}
			if nd == nil {
				break
			}
			if err := c.Adopt(mixOf(nd.msg), nd.c.Current(), nil); err != nil {
				return nil, err
			}
			prev = nd.key
		}
		qr := *qs.Record
		qr.Mixes = c.Accepted()
		qr.RejectedMixes = nil
		for _, r := range c.Rejected() {
			qr.RejectedMixes = append(qr.RejectedMixes, r.Mix)
			took[r.Mixer] = true
		}
		for _, mx := range qr.Mixes {
			took[mx.Mixer] = true
		}
		var vs int
		shares := qs.shares[final.key]
		for _, i := range sortedKeys(shares) {
			if choice != nil && !choice[q][i] {
				continue
			}
			s := shares[i]
			sr := record.ShareRecord{Authority: i, Message: s.msg.Fields[0], Signature: s.msg.Fields[1]}
			took[i] = true
			if s.valid {
				qr.Shares = append(qr.Shares, sr)
				vs++
			} else {
				qr.RejectedShares = append(qr.RejectedShares, sr)
			}
		}
		if choice != nil {
			for i := range choice[q] {
				if shares[i] == nil {
					return nil, fmt.Errorf("question %d: no share of %s here", q, m.name1(i))
				}
			}
		}
		if vs < m.t {
			return nil, fmt.Errorf("question %d: %d valid shares chosen", q, vs)
		}
		// Any t valid shares give the same plaintexts.
		lines, err := m.result0(qs, final.key)
		if err != nil {
			return nil, fmt.Errorf("question %d: %w", q, err)
		}
		qr.Plaintexts = lines
		qr.Counts = record.PlaintextCounts(qr.Plaintexts)
		rec.Questions = append(rec.Questions, &qr)
	}
	rec.Absent = []int{}
	for i := 1; i <= m.n; i++ {
		if !took[i] {
			rec.Absent = append(rec.Absent, i)
		}
	}
	// The vote file last, once the decryptions let go of their points
	// (result0): it is the largest thing a record holds (#18).
	if err := m.loadVotes(); err != nil {
		return nil, err
	}
	if m.loaded != nil {
		if rec.Votes == nil && len(m.qs) > 1 {
			rec.Votes = m.loaded.all
		}
		for q, qr := range rec.Questions {
			if qr.Ballots == nil {
				qr.Ballots = m.loaded.files[q]
			}
		}
	}
	return rec, nil
}

// result0 decrypts a final list with t of its valid shares and returns
// its plaintext lines (any t give the same plaintexts: the lines are kept,
// a record is built more than once).
func (m *Machine) result0(qs *qstate, fk key) ([]string, error) {
	if d := qs.decrypted[fk]; d != nil {
		return d, nil
	}
	ds := qs.sessions[fk]
	if ds == nil {
		return nil, errors.New("no share of this list")
	}
	d, err := ds.Result()
	if err != nil {
		return nil, err
	}
	lines := record.PlaintextLines(d.Plaintexts)
	qs.decrypted[fk] = lines
	// The lines are kept: the factors are not needed again, and the
	// session still judges the shares that come later (#18).
	ds.Forget()
	return lines, nil
}

// signOwn builds this authority's record, signs its parameters, stores
// and sends them.
func (m *Machine) signOwn(now time.Time) error {
	rec, err := m.build(nil, nil)
	if err != nil {
		return err
	}
	params, err := record.ParametersOf(rec, m.cfg.Authorities)
	if err != nil {
		return err
	}
	digest := record.ParametersDigest(params)
	if slices.Contains(rec.Absent, m.self()) {
		// An authority that took no part signs nothing (P6); it keeps
		// the record that others sign.
		m.signedAt, m.own = now, digest
		v := m.versionOf(digest, params)
		v.rec, v.accepted = rec, true
		m.emit(slog.LevelInfo, "took no part in the outcome; waiting for the others' signatures")
		return nil
	}
	sig, err := m.cfg.Sign(digest)
	if err != nil {
		return err
	}
	msg := &Message{Kind: KindParams, Author: m.self(), Fields: [][]byte{params, sig}}
	if err := m.st.Put(paramsName(m.self()), msg.Bytes()); err != nil {
		return err
	}
	m.crash("params-stored")
	m.signedAt, m.own, m.signedFinals = now, digest, finalsOf(params)
	m.send(0, msg)
	m.crash("params-published")
	m.handleParams(msg, now)
	m.versions[digest].rec = rec
	m.emit(slog.LevelInfo, "parameters signed", "absent", m.names(rec.Absent))
	return nil
}

func (m *Machine) versionOf(digest [32]byte, params []byte) *version {
	v := m.versions[digest]
	if v == nil {
		v = &version{params: params, sigs: map[int][]byte{}, msgs: map[int]*Message{}}
		m.versions[digest] = v
	}
	return v
}

// handleParams keeps a signature over parameters, and signs another's
// parameters too when they are the outcome this authority verified with
// another choice of shares.
func (m *Machine) handleParams(msg *Message, now time.Time) {
	params, sig, i := msg.Fields[0], msg.Fields[1], msg.Author
	digest := record.ParametersDigest(params)
	if err := m.cfg.Authorities[i-1].VerifySignature(digest, sig); err != nil {
		m.emit(slog.LevelWarn, "signature over parameters does not verify; dropped", "author", m.name(i), "error", err.Error())
		return
	}
	if len(m.versions) >= 2*m.n && m.versions[digest] == nil {
		return // bounded: one version per authority, and a few adopted
	}
	v := m.versionOf(digest, params)
	if v.sigs[i] != nil {
		return
	}
	v.sigs[i], v.msgs[i] = sig, msg
	if i == m.self() {
		v.accepted = true
	}
	if len(v.sigs) >= m.quorum() && v.tAt.IsZero() {
		v.tAt = now
	}
	if digest != m.own && (!m.signedAt.IsZero() || len(v.sigs) >= m.quorum()) {
		m.adopt(digest, v, now)
	}
}

// joinable reports whether this authority verified the final lists of
// v's parameters (else ask fetches them).
func (m *Machine) joinable(v *version) bool {
	fs := finalsOf(v.params)
	if len(fs) != len(m.qs) {
		return false
	}
	for q, fk := range fs {
		if m.qs[q].nodes[fk] == nil || fk.pos < m.t {
			return false
		}
	}
	return true
}

// join moves an authority that has signed nothing yet to the final lists
// of parameters another authority signed, if it verified them: it shares
// on them, so that it takes part in that record (an authority absent
// from a record cannot sign it, and the quorum may need it: one that
// returns after a crash, or lags). It then signs its own parameters of
// those lists, which the others sign too (the same lists).
func (m *Machine) join(v *version, now time.Time) {
	for q, fk := range finalsOf(v.params) {
		qs := m.qs[q]
		if qs.closed && qs.final.key == fk {
			continue
		}
		target := qs.nodes[fk]
		m.emit(slog.LevelInfo, "joining the final list of parameters another authority signed", "question", q, "final", m.inputName(fk))
		if err := m.st.Put(finalName(q), []byte{byte(target.mixer), byte(target.pos)}); err != nil {
			m.fail(err, nil)
			return
		}
		qs.closed, qs.final, qs.finalAt, qs.tReached, qs.done = true, target, now, time.Time{}, false
		m.shareOn(q, qs, target)
		if m.err != nil {
			return
		}
	}
}

// adopt signs the parameters of another authority if this one rebuilds
// exactly them from what it verified.
func (m *Machine) adopt(digest [32]byte, v *version, now time.Time) {
	if v.accepted {
		return
	}
	// An authority signs the parameters of one set of final lists only,
	// for Step: it keeps a record of other final lists without signing
	// once a quorum signed it (that quorum has none of the authorities
	// that signed this one's lists). When no quorum formed in Step (the
	// signatures split between lists, and too few authorities remain to
	// break the tie), it signs any record it rebuilds: then two records of
	// different final lists may both be complete — each verifies, and both
	// decrypt to the same votes (doc/daemon.md, "Liveness").
	keepOnly := false
	if fs := finalsOf(v.params); m.signedFinals != nil && !slices.Equal(fs, m.signedFinals) &&
		(m.signedAt.IsZero() || now.Before(m.signedAt.Add(m.cfg.Step))) {
		if len(v.sigs) < m.quorum() {
			return
		}
		keepOnly = true
	}
	rec := m.rebuild(v)
	if rec == nil {
		return // not (yet) what this authority verified
	}
	params := v.params
	v.rec = rec
	if keepOnly || slices.Contains(rec.Absent, m.self()) {
		v.accepted = true // it keeps this record, and signs nothing
		if keepOnly {
			m.emit(slog.LevelInfo, "keeping the record a quorum signed, of other final lists than this authority signed")
		}
		return
	}
	sig, err := m.cfg.Sign(digest)
	if err != nil {
		m.fail(err, nil)
		return
	}
	msg := &Message{Kind: KindParams, Author: m.self(), Fields: [][]byte{params, sig}}
	k := 0
	for m.hasAdopted(k) {
		k++
	}
	if err := m.st.Put(adoptedName(m.self(), k), msg.Bytes()); err != nil {
		m.fail(err, nil)
		return
	}
	if m.signedFinals == nil {
		m.signedFinals = finalsOf(params)
	}
	m.send(0, msg)
	m.emit(slog.LevelInfo, "signed the parameters of another authority's record")
	m.handleParams(msg, now)
}

// rebuild returns the record of v's parameters built from what this
// authority verified, or nil if it cannot build exactly them.
func (m *Machine) rebuild(v *version) *record.ElectionRecord {
	var p record.Parameters
	if err := json.Unmarshal(v.params, &p); err != nil || len(p.Questions) != len(m.qs) {
		return nil
	}
	choice := make([]map[int]bool, len(m.qs))
	finals := make([]*node, len(m.qs))
	for q, pq := range p.Questions {
		if len(pq.Mixes) == 0 {
			return nil
		}
		last := pq.Mixes[len(pq.Mixes)-1]
		if finals[q] = m.qs[q].nodes[key{last.Mixer, last.Position}]; finals[q] == nil {
			return nil // not (yet) verified here
		}
		choice[q] = map[int]bool{}
		for _, i := range append(append([]int(nil), pq.Shares...), pq.RejectedShares...) {
			if i < 1 || i > m.n {
				return nil
			}
			choice[q][i] = true
		}
	}
	rec, err := m.build(finals, choice)
	if err != nil {
		return nil
	}
	params, err := record.ParametersOf(rec, m.cfg.Authorities)
	if err != nil || !bytes.Equal(params, v.params) {
		return nil
	}
	return rec
}

// quorum is how many authorities must sign the parameters of a record:
// the threshold, and a majority, so that two quorums share an authority
// (which signs one set of final lists only).
func (m *Machine) quorum() int { return max(m.t, m.n/2+1) }

// finalsOf returns the final list of each question that parameters
// name: the last accepted mix.
func finalsOf(params []byte) []key {
	var p record.Parameters
	if json.Unmarshal(params, &p) != nil {
		return []key{}
	}
	fs := make([]key, len(p.Questions))
	for q, pq := range p.Questions {
		if l := len(pq.Mixes); l > 0 {
			fs[q] = key{pq.Mixes[l-1].Mixer, pq.Mixes[l-1].Position}
		}
	}
	return fs
}

// chainLength is the number of accepted mixes that parameters name, over
// all questions.
func chainLength(params []byte) int {
	var p record.Parameters
	if json.Unmarshal(params, &p) != nil {
		return 0
	}
	l := 0
	for _, pq := range p.Questions {
		l += len(pq.Mixes)
	}
	return l
}

func (m *Machine) hasAdopted(k int) bool {
	_, ok := m.st.Get(adoptedName(m.self(), k))
	return ok
}

// finish assembles the record of parameters that t authorities signed,
// once the others had Grace to sign too.
func (m *Machine) finish(now time.Time) {
	// Retry adopting versions that came before this authority could.
	for _, d := range sortedDigests(m.versions) {
		if d != m.own {
			m.adopt(d, m.versions[d], now)
		}
	}
	order := sortedDigests(m.versions)
	slices.SortStableFunc(order, func(a, b [32]byte) int {
		// The most signed first (an authority catching up joins the
		// others' record), then this authority's own.
		if d := len(m.versions[b].sigs) - len(m.versions[a].sigs); d != 0 {
			return d
		}
		// Then the longer chains, then the digest: every authority
		// orders the same records the same way.
		if d := chainLength(m.versions[b].params) - chainLength(m.versions[a].params); d != 0 {
			return d
		}
		return bytes.Compare(a[:], b[:])
	})
	for _, d := range order {
		v := m.versions[d]
		if v.accepted && v.rec == nil && len(v.sigs) >= m.quorum() {
			v.rec = m.rebuild(v) // signed before a restart
		}
		if !v.accepted || v.rec == nil || len(v.sigs) < m.quorum() {
			continue
		}
		all := true
		for i := 1; i <= m.n; i++ {
			if v.sigs[i] == nil && !slices.Contains(v.rec.Absent, i) && !m.stopped[i] {
				all = false
			}
		}
		if !all && now.Before(v.tAt.Add(m.cfg.Grace)) {
			continue
		}
		sigs := make([][]byte, m.n)
		var signers []int
		for i := 1; i <= m.n; i++ {
			if s := v.sigs[i]; s != nil && !slices.Contains(v.rec.Absent, i) {
				sigs[i-1] = s
				signers = append(signers, i)
			}
		}
		files, err := record.Assemble(v.rec, v.params, sigs)
		if err != nil {
			m.fail(err, nil)
			return
		}
		res := &Result{Files: files, Digest: d, Signers: signers, Absent: v.rec.Absent}
		blamed := map[int]bool{}
		for q, qr := range v.rec.Questions {
			for _, r := range qr.RejectedMixes {
				blamed[r.Mixer] = true
			}
			for _, r := range qr.RejectedShares {
				blamed[r.Authority] = true
			}
			for _, k := range m.skipped(m.qs[q], m.qs[q].final) {
				if !slices.Contains(res.Skipped, k) && !blamed[k] {
					res.Skipped = append(res.Skipped, k)
				}
			}
		}
		res.Blamed = sortedKeys(blamed)
		sort.Ints(res.Skipped)
		m.result = res
		m.emit(slog.LevelInfo, "record complete", "signers", m.names(signers), "absent", m.names(v.rec.Absent))
		return
	}
	if !m.signedAt.IsZero() && now.Sub(m.signedAt) >= 2*m.cfg.Step {
		own := m.versions[m.own]
		var missing []int
		for i := 1; i <= m.n; i++ {
			if own == nil || own.sigs[i] == nil {
				missing = append(missing, i)
			}
		}
		m.fail(fmt.Errorf("fewer than %d authorities (the quorum: the threshold, and a majority) signed the parameters of this record; no signature from %s", m.quorum(), m.names(missing)), missing)
	}
}

func sortedDigests(mp map[[32]byte]*version) [][32]byte {
	var d [][32]byte
	for k := range mp {
		d = append(d, k)
	}
	slices.SortFunc(d, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	return d
}

// ask asks every other authority for what this one misses: the mixes
// that could still extend its tip, the inputs of mixes it holds, the
// lists of shares it holds, the shares of its final lists, the
// signatures over its parameters.
func (m *Machine) ask(now time.Time, first bool) {
	m.lastAsk = now
	if m.err != nil || m.result != nil {
		return
	}
	askMix := func(q, mixer int) {
		m.send(0, &Message{Kind: KindAsk, Q: q, Author: mixer, Parent: int(KindMix)})
	}
	for q, qs := range m.qs {
		if !qs.closed || first {
			for _, k := range m.waitingFor(qs) {
				if k != m.self() {
					askMix(q, k)
				}
			}
		}
		asked := map[int]bool{}
		for _, p := range sortedPendingKeys(qs.pending) {
			if pm := qs.pending[p]; qs.nodes[parentOf(pm)] == nil && !asked[pm.Parent] {
				asked[pm.Parent] = true
				askMix(q, pm.Parent)
			}
		}
		for fk := range qs.waiting {
			if !asked[fk.mixer] {
				asked[fk.mixer] = true
				askMix(q, fk.mixer)
			}
		}
		if qs.closed && !qs.done {
			for _, i := range qs.Public.Qualified {
				if i != m.self() && qs.shares[qs.final.key][i] == nil && !m.stopped[i] {
					m.send(0, &Message{Kind: KindAsk, Q: q, Author: i, Parent: int(KindShare), Position: qs.final.mixer<<8 | qs.final.pos})
				}
			}
		}
	}
	// The signatures over parameters that this authority lacks (an
	// authority catching up learns so the others' record) — in any version
	// it holds, not only its own: a quorum of another version may lack
	// just one (seed 62319: a2's own version had a1's signature, and the
	// version a quorum signed lost a1's on the way to a2) —, and the
	// shares that others' parameters list and this authority lacks: it
	// signs their parameters once it verified them.
	for i := 1; i <= m.n; i++ {
		if i == m.self() {
			continue
		}
		lacks := m.versions[m.own] == nil
		for _, v := range m.versions {
			lacks = lacks || v.sigs[i] == nil
		}
		if lacks {
			m.send(0, &Message{Kind: KindAsk, Author: i, Parent: int(KindParams)})
		}
	}
	for _, d := range sortedDigests(m.versions) {
		v := m.versions[d]
		if v.accepted {
			continue
		}
		var p record.Parameters
		if err := json.Unmarshal(v.params, &p); err != nil || len(p.Questions) != len(m.qs) {
			continue
		}
		for q, pq := range p.Questions {
			if len(pq.Mixes) == 0 {
				continue
			}
			qs, last := m.qs[q], pq.Mixes[len(pq.Mixes)-1]
			fk := key{last.Mixer, last.Position}
			if fk.mixer < 1 || fk.mixer > m.n || fk.pos < 1 || fk.pos > m.n {
				continue
			}
			if qs.nodes[fk] == nil {
				m.send(0, &Message{Kind: KindAsk, Q: q, Author: fk.mixer, Parent: int(KindMix)})
			}
			// Its rejected mixes too: without them the parameters cannot
			// be rebuilt here (seeds 20182, 26965: this authority closed
			// when asked, before the bad mix reached it, and it no longer
			// asked the mixers waiting).
			for _, r := range pq.RejectedMixes {
				rk := key{r.Mixer, r.Position}
				if r.Mixer >= 1 && r.Mixer <= m.n && qs.rejected[rk] == nil && qs.nodes[rk] == nil {
					m.send(0, &Message{Kind: KindAsk, Q: q, Author: r.Mixer, Parent: int(KindMix)})
				}
			}
			for _, i := range append(append([]int(nil), pq.Shares...), pq.RejectedShares...) {
				if i >= 1 && i <= m.n && i != m.self() && qs.shares[fk][i] == nil {
					m.send(0, &Message{Kind: KindAsk, Q: q, Author: i, Parent: int(KindShare), Position: fk.mixer<<8 | fk.pos})
				}
			}
		}
	}
}

// answer sends authority from what it asks for, if this one holds it.
func (m *Machine) answer(qs *qstate, from int, a *Message) {
	if from == m.self() {
		return
	}
	switch Kind(a.Parent) {
	case KindMix:
		for _, k := range sortedNodeKeys(qs.nodes) {
			if k.mixer == a.Author && k.mixer != 0 {
				m.send(from, qs.nodes[k].msg)
			}
		}
		for _, k := range sortedRejectedKeys(qs.rejected) {
			if k.mixer == a.Author {
				m.send(from, qs.rejected[k].msg)
			}
		}
	case KindShare:
		if s := qs.shares[key{a.Position >> 8, a.Position & 0xff}][a.Author]; s != nil {
			m.send(from, s.msg)
		}
	case KindParams:
		for _, d := range sortedDigests(m.versions) {
			if msg := m.versions[d].msgs[a.Author]; msg != nil {
				m.send(from, msg)
			}
		}
	}
}

// AnswerStored answers an ask from what store st holds, for authority
// self of n whose tally of questions questions ended before a restart: it
// runs no machine then, and an authority that misses what this one
// published before it stopped — its mixes, its shares, its signatures
// over parameters, which may have left in no message (it completed its
// record and stopped before its send queue drained) — could otherwise
// never complete. What the store does not hold gets no answer.
func AnswerStored(st Store, self, n, questions int, ask *Message) []*Message {
	if ask == nil || ask.Kind != KindAsk || ask.Q < 0 || ask.Q >= questions || ask.Author < 1 || ask.Author > n {
		return nil
	}
	var names []string
	switch Kind(ask.Parent) {
	case KindMix:
		for p := 1; p <= n; p++ {
			names = append(names, mixName(ask.Q, key{ask.Author, p}))
		}
	case KindShare:
		f := key{ask.Position >> 8, ask.Position & 0xff}
		if f.mixer < 0 || f.mixer > n || f.pos < 0 || f.pos > n {
			return nil
		}
		names = append(names, shareName(ask.Q, ask.Author, f))
	case KindParams:
		if ask.Author != self {
			return nil // others' signatures are theirs to send
		}
		names = append(names, paramsName(self))
		for k := 0; k <= 2*n; k++ {
			names = append(names, adoptedName(self, k))
		}
	}
	var out []*Message
	for _, name := range names {
		if b, ok := st.Get(name); ok {
			if msg, err := DecodeMessage(b); err == nil {
				out = append(out, msg)
			}
		}
	}
	return out
}

// fail stops the tally.
func (m *Machine) fail(err error, missing []int) {
	if m.err != nil {
		return
	}
	var s *Stopped
	if !errors.As(err, &s) {
		s = &Stopped{Reason: err.Error(), Missing: missing}
	}
	m.err = s
	m.emit(slog.LevelError, "tally stopped", "error", s.Reason)
	m.send(0, &Message{Kind: KindStop, Author: m.self(), Fields: [][]byte{[]byte(s.Reason)}})
}
