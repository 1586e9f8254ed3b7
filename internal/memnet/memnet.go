// Package memnet is an in-memory network between authorities: each
// [Endpoint] implements [peers.Transport] without sockets, so that the
// daemon's tests, and a deterministic simulator, can run authorities in one
// process and inject faults (loss, duplication, delay and so reordering,
// partitions) at will. It is for tests and the simulator only; the
// production daemon always talks QUIC through [peers.Endpoint].
//
// Every random decision (drop, duplicate, delay) is drawn from one PCG
// seeded by [Options.Seed], behind a mutex, and every accepted Send draws
// the same number of values whatever the faults: the same sequence of sends
// makes the same decisions. The order in which delayed messages arrive
// still depends on the Go timers that carry them.
//
// Where it differs from the QUIC endpoint:
//   - Send of a streamed message reads the whole stream into memory and
//     returns once the message is accepted, not once the receiver has read
//     it; the receiver's Stream is a reader over those bytes.
//   - A message lost to [Options.Drop] is lost after acceptance: Send
//     returns nil and nothing arrives (a retrying protocol must cope). A
//     partition, a closed peer or an unknown host make Send fail at once,
//     as a dead peer makes the QUIC endpoint's Send fail.
//   - A receiver holds at most MaxQueued messages; the rest are dropped
//     and counted (a Send that delivers at once fails, wrapping
//     peers.ErrRefused), where QUIC would hold the senders back.
//   - The size limits are peers' defaults; there is no trust store, so a
//     host name is trusted once registered.
package memnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eo-mixnet/eo/peers"
)

// MaxQueued is how many received messages an Endpoint holds for Receive;
// a message that arrives at a full inbox is dropped and counted.
const MaxQueued = 1 << 16

var (
	// ErrNoHost is wrapped by the error of a Send to a host name that was
	// never registered on the network.
	ErrNoHost = errors.New("memnet: no such host")
	// ErrUnreachable is wrapped by the error of a Send across a partition
	// or to a closed endpoint.
	ErrUnreachable = errors.New("memnet: host unreachable")
)

// Options configure a Network. The fault fields can be changed later with
// SetFaults.
type Options struct {
	// Seed seeds the generator of every random decision.
	Seed uint64
	// Drop is the probability that an accepted message is lost, Duplicate
	// the probability that it is delivered twice; both in [0, 1].
	Drop, Duplicate float64
	// MaxDelay, if positive, delays each delivery by a random duration in
	// [0, MaxDelay), so that messages reorder; zero delivers at once, in
	// order.
	MaxDelay time.Duration
}

// A Network connects the Endpoints registered on it. Its methods are safe
// for concurrent use.
type Network struct {
	mu       sync.Mutex
	rng      *rand.Rand
	drop     float64
	dup      float64
	maxDelay time.Duration
	hosts    map[string]*Endpoint
	cut      map[[2]string]bool // partitioned pairs, in order
	isolated map[string]bool

	dropped, duplicated, delivered atomic.Int64
}

// New returns an empty network. It panics if a fault is out of range.
func New(opts Options) *Network {
	checkFaults(opts.Drop, opts.Duplicate, opts.MaxDelay)
	return &Network{
		rng:      newRand(opts.Seed),
		drop:     opts.Drop,
		dup:      opts.Duplicate,
		maxDelay: opts.MaxDelay,
		hosts:    map[string]*Endpoint{},
		cut:      map[[2]string]bool{},
		isolated: map[string]bool{},
	}
}

func checkFaults(drop, dup float64, maxDelay time.Duration) {
	if !(drop >= 0 && drop <= 1) || !(dup >= 0 && dup <= 1) {
		panic(fmt.Sprintf("memnet: probabilities %v and %v outside [0, 1]", drop, dup))
	}
	if maxDelay < 0 {
		panic("memnet: negative MaxDelay")
	}
}

// SetFaults changes the probabilities of loss and duplication and the
// maximum delay, for the messages sent from now on. It panics if a fault
// is out of range.
func (n *Network) SetFaults(drop, duplicate float64, maxDelay time.Duration) {
	checkFaults(drop, duplicate, maxDelay)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.drop, n.dup, n.maxDelay = drop, duplicate, maxDelay
}

// Reseed restarts the generator of random decisions from seed, as New
// seeds it: the decisions of the sends that follow no longer depend on how
// many messages were sent before (a test's earlier phases).
func (n *Network) Reseed(seed uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.rng = newRand(seed)
}

func newRand(seed uint64) *rand.Rand {
	// The second word of the PCG state is fixed: the seed alone chooses
	// the sequence.
	return rand.New(rand.NewPCG(seed, 0x656f2f6d656d6e65)) // "eo/memne"
}

func pair(a, b string) [2]string {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if a > b {
		a, b = b, a
	}
	return [2]string{a, b}
}

// Partition cuts hosts a and b apart, in both directions: Send between
// them fails, and messages between them still in flight are dropped.
func (n *Network) Partition(a, b string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cut[pair(a, b)] = true
}

// Heal undoes Partition(a, b).
func (n *Network) Heal(a, b string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.cut, pair(a, b))
}

// Isolate partitions host from every other host, until Rejoin. It is
// independent of Partition: Rejoin does not heal pairs cut by Partition.
func (n *Network) Isolate(host string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.isolated[strings.ToLower(host)] = true
}

// Rejoin undoes Isolate(host).
func (n *Network) Rejoin(host string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.isolated, strings.ToLower(host))
}

// partitioned reports whether a and b are cut apart; n.mu must be held.
func (n *Network) partitioned(a, b string) bool {
	return n.cut[pair(a, b)] || n.isolated[a] || n.isolated[b]
}

// Dropped is the number of messages lost: to Drop, to a partition or a
// closed receiver while in flight, or to a full inbox.
func (n *Network) Dropped() int64 { return n.dropped.Load() }

// Duplicated is the number of extra copies made by Duplicate.
func (n *Network) Duplicated() int64 { return n.duplicated.Load() }

// Delivered is the number of messages (copies included) queued for a
// receiver's Receive.
func (n *Network) Delivered() int64 { return n.delivered.Load() }

// Endpoint registers hostname (case-insensitive, like peer host names) on
// the network and returns its endpoint. A closed endpoint's name can be
// registered again, as a restarted authority would be; registering a name
// whose endpoint is open is a bug, and panics.
func (n *Network) Endpoint(hostname string) *Endpoint {
	host := strings.ToLower(hostname)
	if host == "" {
		panic("memnet: empty host name")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if old := n.hosts[host]; old != nil && !old.closed.Load() {
		panic("memnet: host " + host + " registered twice")
	}
	e := &Endpoint{net: n, host: host, ready: make(chan struct{}, 1), done: make(chan struct{})}
	n.hosts[host] = e
	return e
}

// An Endpoint is one host's end of a Network; it implements
// peers.Transport.
type Endpoint struct {
	net    *Network
	host   string
	ready  chan struct{} // signalled when the queue may be non-empty
	done   chan struct{} // closed by Close
	closed atomic.Bool

	mu    sync.Mutex
	queue []envelope
}

var _ peers.Transport = (*Endpoint)(nil)

type envelope struct {
	from string
	msg  peers.Message
}

// Hostname returns the host name this endpoint was registered as, in lower
// case.
func (e *Endpoint) Hostname() string { return e.host }

// Send delivers msg to the host to, as peers.Transport documents, with
// the differences listed in the package documentation. A streamed
// message's Stream must give exactly Size bytes and then io.EOF.
func (e *Endpoint) Send(ctx context.Context, to string, msg peers.Message) error {
	if e.closed.Load() {
		return peers.ErrClosed
	}
	if msg.Type == 0 {
		return errors.New("memnet: message type 0")
	}
	if msg.Stream != nil {
		if msg.Size < 0 || msg.Size > peers.DefaultMaxStreamSize {
			return fmt.Errorf("memnet: stream of %d bytes exceeds the limit of %d", msg.Size, int64(peers.DefaultMaxStreamSize))
		}
	} else if len(msg.Body) > peers.DefaultMaxMessageSize {
		return fmt.Errorf("memnet: message of %d bytes exceeds the limit of %d (stream it)", len(msg.Body), peers.DefaultMaxMessageSize)
	}
	to = strings.ToLower(to)
	if to == e.host {
		return errors.New("memnet: cannot send to self")
	}
	if err := ctx.Err(); err != nil {
		return &peers.SendError{To: to, Err: err}
	}
	// The content is taken before the network is consulted, as the QUIC
	// endpoint reads it before it knows the peer took it.
	body, err := content(msg)
	if err != nil {
		return &peers.SendError{To: to, Err: err}
	}
	if e.closed.Load() {
		return peers.ErrClosed
	}

	n := e.net
	n.mu.Lock()
	dst := n.hosts[to]
	switch {
	case dst == nil:
		n.mu.Unlock()
		return &peers.SendError{To: to, Err: fmt.Errorf("%w %q on this network", ErrNoHost, to)}
	case dst.closed.Load():
		n.mu.Unlock()
		return &peers.SendError{To: to, Err: fmt.Errorf("%w: %s is closed", ErrUnreachable, to)}
	case n.partitioned(e.host, to):
		n.mu.Unlock()
		return &peers.SendError{To: to, Err: fmt.Errorf("%w: %s is partitioned from %s", ErrUnreachable, to, e.host)}
	}
	// Always four draws, so that the faults in force do not shift the
	// sequence of later decisions.
	lost := n.rng.Float64() < n.drop
	twice := n.rng.Float64() < n.dup
	delays := [2]time.Duration{
		time.Duration(n.rng.Float64() * float64(n.maxDelay)),
		time.Duration(n.rng.Float64() * float64(n.maxDelay)),
	}
	if lost {
		n.mu.Unlock()
		n.dropped.Add(1)
		return nil
	}
	copies := 1
	if twice {
		copies = 2
	}
	if n.maxDelay == 0 {
		// At once and in order, under the lock that checked the
		// partitions. A copy is made only of a message that was taken.
		defer n.mu.Unlock()
		if err := n.deliverLocked(dst, envelope{from: e.host, msg: message(msg, body, false)}); err != nil {
			return &peers.SendError{To: to, Err: err}
		}
		if twice {
			n.duplicated.Add(1)
			n.deliverLocked(dst, envelope{from: e.host, msg: message(msg, body, true)})
		}
		return nil
	}
	n.mu.Unlock()
	if twice {
		n.duplicated.Add(1)
	}
	for i := range copies {
		in := envelope{from: e.host, msg: message(msg, body, i > 0)}
		time.AfterFunc(delays[i], func() {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.deliverLocked(dst, in)
		})
	}
	return nil
}

// content returns a copy of a whole message's body, or the Size bytes of a
// streamed one.
func content(msg peers.Message) ([]byte, error) {
	if msg.Stream == nil {
		return bytes.Clone(msg.Body), nil
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(msg.Size, 64<<20)))
	lw := &limitedWriter{w: buf, n: msg.Size}
	var err error
	if wt, ok := msg.Stream.(io.WriterTo); ok {
		_, err = wt.WriteTo(lw)
	} else {
		_, err = io.Copy(lw, msg.Stream)
	}
	switch {
	case errors.Is(err, errStreamTooLong):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("memnet: streaming: %w", err)
	case lw.n != 0:
		return nil, fmt.Errorf("memnet: stream source gave %d bytes, Size is %d", msg.Size-lw.n, msg.Size)
	}
	return buf.Bytes(), nil
}

var errStreamTooLong = errors.New("memnet: stream source gave more than Size bytes")

// limitedWriter passes at most n bytes on to w.
type limitedWriter struct {
	w io.Writer
	n int64
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, errStreamTooLong
	}
	n, err := l.w.Write(p)
	l.n -= int64(n)
	return n, err
}

// message is what the receiver gets: its own copy of a whole body (a
// duplicate gets another), or a reader over the streamed bytes, which no
// one writes any more.
func message(msg peers.Message, body []byte, again bool) peers.Message {
	if msg.Stream != nil {
		return peers.Message{Type: msg.Type, Stream: bytes.NewReader(body), Size: int64(len(body))}
	}
	if again {
		body = bytes.Clone(body)
	}
	return peers.Message{Type: msg.Type, Body: body}
}

// deliverLocked queues in at dst, or drops it if a partition arose, dst
// closed or its inbox is full; n.mu must be held.
func (n *Network) deliverLocked(dst *Endpoint, in envelope) error {
	var err error
	if n.partitioned(in.from, dst.host) {
		err = fmt.Errorf("%w: %s is partitioned from %s", ErrUnreachable, dst.host, in.from)
	} else {
		err = dst.push(in)
	}
	if err != nil {
		n.dropped.Add(1)
		return err
	}
	n.delivered.Add(1)
	return nil
}

func (e *Endpoint) push(in envelope) error {
	e.mu.Lock()
	switch {
	case e.closed.Load():
		e.mu.Unlock()
		return fmt.Errorf("%w: %s is closed", ErrUnreachable, e.host)
	case len(e.queue) >= MaxQueued:
		e.mu.Unlock()
		return fmt.Errorf("%w: inbox of %s full", peers.ErrRefused, e.host)
	}
	e.queue = append(e.queue, in)
	e.mu.Unlock()
	e.signal()
	return nil
}

func (e *Endpoint) signal() {
	select {
	case e.ready <- struct{}{}:
	default:
	}
}

// Receive returns the next message and the registered host name of its
// sender. It fails with ctx's error when ctx is done, and with
// peers.ErrClosed once the endpoint is closed.
func (e *Endpoint) Receive(ctx context.Context) (string, peers.Message, error) {
	for {
		if err := ctx.Err(); err != nil {
			return "", peers.Message{}, err
		}
		e.mu.Lock()
		if e.closed.Load() {
			e.mu.Unlock()
			return "", peers.Message{}, peers.ErrClosed
		}
		if len(e.queue) > 0 {
			in := e.queue[0]
			e.queue[0] = envelope{}
			e.queue = e.queue[1:]
			more := len(e.queue) > 0
			e.mu.Unlock()
			if more {
				// Another Receive may be waiting for the rest.
				e.signal()
			}
			return in.from, in.msg, nil
		}
		e.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
		case <-e.done:
		}
	}
}

// Close closes the endpoint: Send and Receive then fail with
// peers.ErrClosed, blocked Receives included, and the messages waiting for
// Receive are discarded. Messages to it fail or, in flight, are dropped.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed.Swap(true) {
		return nil
	}
	close(e.done)
	e.queue = nil
	return nil
}
