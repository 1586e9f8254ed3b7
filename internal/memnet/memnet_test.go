package memnet_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/internal/memnet"
	"github.com/eo-mixnet/eo/internal/testctx"
	"github.com/eo-mixnet/eo/peers"
)

const tmsg peers.MessageType = 1

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// recv receives one message within a generous time.
func recv(t testing.TB, e *memnet.Endpoint) (string, peers.Message) {
	t.Helper()
	from, msg, err := e.Receive(testctx.Context(t))
	require.NoError(t, err)
	return from, msg
}

// nothing checks that no message arrives at e for a while.
func nothing(t testing.TB, e *memnet.Endpoint) {
	t.Helper()
	_, _, err := e.Receive(ctxT(t, 50*time.Millisecond))
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func hosts(n *memnet.Network, names ...string) []*memnet.Endpoint {
	var out []*memnet.Endpoint
	for _, h := range names {
		out = append(out, n.Endpoint(h))
	}
	return out
}

func TestRoundTripBody(t *testing.T) {
	n := memnet.New(memnet.Options{})
	e := hosts(n, "a", "b")
	ctx := testctx.Context(t)

	body := []byte("hello b")
	require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg, Body: body}))
	body[0] = 'J' // the sender's buffer is its own once Send returns
	from, msg := recv(t, e[1])
	require.Equal(t, "a", from)
	require.Equal(t, tmsg, msg.Type)
	require.Equal(t, "hello b", string(msg.Body))
	require.Nil(t, msg.Stream)

	// Host names are case-insensitive; empty bodies go through; order is
	// kept without delays.
	for i := range 20 {
		require.NoError(t, e[1].Send(ctx, "A", peers.Message{Type: peers.MessageType(10 + i), Body: fmt.Appendf(nil, "%d", i)}))
	}
	require.NoError(t, e[1].Send(ctx, "a", peers.Message{Type: tmsg}))
	for i := range 20 {
		from, msg := recv(t, e[0])
		require.Equal(t, "b", from)
		require.Equal(t, peers.MessageType(10+i), msg.Type)
		require.Equal(t, strconv.Itoa(i), string(msg.Body))
	}
	_, msg = recv(t, e[0])
	require.Empty(t, msg.Body)
	require.Equal(t, int64(22), n.Delivered())
	require.Zero(t, n.Dropped())
}

// onlyReader hides the io.WriterTo of its reader.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestRoundTripStream(t *testing.T) {
	n := memnet.New(memnet.Options{})
	e := hosts(n, "a", "b")
	ctx := testctx.Context(t)
	data := make([]byte, 1<<20+17)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for name, src := range map[string]func([]byte) io.Reader{
		"WriterTo": func(b []byte) io.Reader { return bytes.NewReader(b) },
		"Reader":   func(b []byte) io.Reader { return onlyReader{bytes.NewReader(b)} },
	} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg, Stream: src(data), Size: int64(len(data))}))
			from, msg := recv(t, e[1])
			require.Equal(t, "a", from)
			require.Equal(t, int64(len(data)), msg.Size)
			require.NotNil(t, msg.Stream)
			got, err := io.ReadAll(msg.Stream)
			require.NoError(t, err)
			require.Equal(t, data, got)
			require.NoError(t, msg.Close())

			// Empty stream.
			require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg, Stream: src(nil)}))
			_, msg = recv(t, e[1])
			require.NotNil(t, msg.Stream)
			got, err = io.ReadAll(msg.Stream)
			require.NoError(t, err)
			require.Empty(t, got)

			// A source shorter or longer than Size is an error, and
			// nothing is delivered.
			err = e[0].Send(ctx, "b", peers.Message{Type: tmsg, Stream: src(data), Size: int64(len(data)) + 1})
			require.ErrorContains(t, err, "Size is")
			err = e[0].Send(ctx, "b", peers.Message{Type: tmsg, Stream: src(data), Size: int64(len(data)) - 1})
			require.ErrorContains(t, err, "more than Size")
			nothing(t, e[1])
		})
	}
}

func TestSenderIdentity(t *testing.T) {
	n := memnet.New(memnet.Options{})
	e := hosts(n, "a", "b", "C")
	ctx := testctx.Context(t)
	require.Equal(t, "c", e[2].Hostname())
	// The sender is the endpoint that sent, whatever the message says.
	require.NoError(t, e[2].Send(ctx, "b", peers.Message{Type: tmsg, Body: []byte("from: a")}))
	require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg, Body: []byte("from: c")}))
	from, msg := recv(t, e[1])
	require.Equal(t, "c", from)
	require.Equal(t, "from: a", string(msg.Body))
	from, _ = recv(t, e[1])
	require.Equal(t, "a", from)
}

func TestSendErrors(t *testing.T) {
	n := memnet.New(memnet.Options{})
	e := hosts(n, "a", "b")
	ctx := testctx.Context(t)

	err := e[0].Send(ctx, "nobody", peers.Message{Type: tmsg})
	require.ErrorIs(t, err, memnet.ErrNoHost)
	require.ErrorContains(t, err, "nobody")
	var se *peers.SendError
	require.ErrorAs(t, err, &se)
	require.Equal(t, "nobody", se.To)

	require.ErrorContains(t, e[0].Send(ctx, "A", peers.Message{Type: tmsg}), "self")
	require.ErrorContains(t, e[0].Send(ctx, "b", peers.Message{}), "type 0")
	require.ErrorContains(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg, Body: make([]byte, peers.DefaultMaxMessageSize+1)}), "stream it")

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, e[0].Send(canceled, "b", peers.Message{Type: tmsg}), context.Canceled)
	nothing(t, e[1])

	require.Panics(t, func() { n.Endpoint("B") })
	require.Panics(t, func() { n.SetFaults(1.5, 0, 0) })
	require.Panics(t, func() { memnet.New(memnet.Options{MaxDelay: -1}) })
}

func TestClose(t *testing.T) {
	n := memnet.New(memnet.Options{})
	e := hosts(n, "a", "b")
	ctx := testctx.Context(t)

	// A blocked Receive wakes with ErrClosed.
	errc := make(chan error, 1)
	go func() {
		_, _, err := e[1].Receive(ctx)
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, e[1].Close())
	select {
	case err := <-errc:
		require.ErrorIs(t, err, peers.ErrClosed)
	case <-testctx.Context(t).Done():
		t.Fatal("Receive did not wake on Close")
	}
	require.NoError(t, e[1].Close())

	// The closed one fails Send and Receive; others fail to reach it.
	require.ErrorIs(t, e[1].Send(ctx, "a", peers.Message{Type: tmsg}), peers.ErrClosed)
	_, _, err := e[1].Receive(ctx)
	require.ErrorIs(t, err, peers.ErrClosed)
	err = e[0].Send(ctx, "b", peers.Message{Type: tmsg})
	require.ErrorIs(t, err, memnet.ErrUnreachable)
	require.ErrorContains(t, err, "b is closed")

	// A closed host can be registered again, as a restarted authority;
	// the messages waiting at a Close are discarded with it.
	b2 := n.Endpoint("b")
	require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg, Body: []byte("1")}))
	require.NoError(t, b2.Close())
	b3 := n.Endpoint("b")
	require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg, Body: []byte("2")}))
	from, msg := recv(t, b3)
	require.Equal(t, "a", from)
	require.Equal(t, "2", string(msg.Body))
	nothing(t, b3)
}

func TestReceiveContext(t *testing.T) {
	n := memnet.New(memnet.Options{})
	e := n.Endpoint("a")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := e.Receive(ctx)
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		require.ErrorIs(t, err, context.Canceled)
	case <-testctx.Context(t).Done():
		t.Fatal("Receive did not honour its context")
	}
	// The endpoint still works.
	b := n.Endpoint("b")
	require.NoError(t, b.Send(testctx.Context(t), "a", peers.Message{Type: tmsg}))
	from, _ := recv(t, e)
	require.Equal(t, "b", from)
}

func TestPartition(t *testing.T) {
	n := memnet.New(memnet.Options{})
	e := hosts(n, "a", "b", "c")
	ctx := testctx.Context(t)
	m := peers.Message{Type: tmsg}
	reach := func(from, to int) error { return e[from].Send(ctx, e[to].Hostname(), m) }
	drain := func(i int) {
		t.Helper()
		_, _ = recv(t, e[i])
	}

	n.Partition("A", "b")
	for _, p := range [][2]int{{0, 1}, {1, 0}} {
		err := reach(p[0], p[1])
		require.ErrorIs(t, err, memnet.ErrUnreachable)
		require.ErrorContains(t, err, "partitioned")
		require.ErrorContains(t, err, e[p[1]].Hostname())
	}
	require.NoError(t, reach(0, 2))
	drain(2)
	require.NoError(t, reach(2, 1))
	drain(1)
	n.Heal("b", "a")
	require.NoError(t, reach(0, 1))
	drain(1)
	require.NoError(t, reach(1, 0))
	drain(0)

	n.Isolate("c")
	for _, p := range [][2]int{{0, 2}, {2, 0}, {1, 2}, {2, 1}} {
		require.ErrorIs(t, reach(p[0], p[1]), memnet.ErrUnreachable)
	}
	require.NoError(t, reach(0, 1))
	drain(1)
	n.Rejoin("c")
	require.NoError(t, reach(0, 2))
	drain(2)
	require.NoError(t, reach(2, 1))
	drain(1)

	// Isolate and Partition are independent.
	n.Partition("a", "c")
	n.Isolate("c")
	n.Rejoin("c")
	require.ErrorIs(t, reach(0, 2), memnet.ErrUnreachable)
	require.NoError(t, reach(1, 2))
	drain(2)
	require.Zero(t, n.Dropped())
}

// A partition that arises while a message is in flight drops it.
func TestPartitionInFlight(t *testing.T) {
	n := memnet.New(memnet.Options{MaxDelay: 200 * time.Millisecond, Seed: 1})
	e := hosts(n, "a", "b")
	ctx := testctx.Context(t)
	const k = 20
	for range k {
		require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg}))
	}
	n.Isolate("b")
	require.Eventually(t, func() bool { return n.Dropped()+n.Delivered() == k }, 10*time.Second, 5*time.Millisecond)
	require.Positive(t, n.Dropped())
}

func TestDropAll(t *testing.T) {
	n := memnet.New(memnet.Options{Drop: 1, Duplicate: 1})
	e := hosts(n, "a", "b")
	ctx := testctx.Context(t)
	for range 10 {
		// Lost after acceptance: Send succeeds.
		require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg}))
	}
	nothing(t, e[1])
	require.Equal(t, int64(10), n.Dropped())
	require.Zero(t, n.Delivered())
	require.Zero(t, n.Duplicated())

	n.SetFaults(0, 0, 0)
	require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg}))
	recv(t, e[1])
}

func TestDuplicateAll(t *testing.T) {
	for _, delay := range []time.Duration{0, 10 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			n := memnet.New(memnet.Options{Duplicate: 1, MaxDelay: delay})
			e := hosts(n, "a", "b")
			ctx := testctx.Context(t)
			const k = 10
			for i := range k {
				require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg, Body: []byte{byte(i)}}))
			}
			count := map[byte]int{}
			var first peers.Message
			for i := range 2 * k {
				_, msg := recv(t, e[1])
				require.Len(t, msg.Body, 1)
				count[msg.Body[0]]++
				if i == 0 {
					first = msg
				}
			}
			nothing(t, e[1])
			for i := range k {
				require.Equal(t, 2, count[byte(i)], "message %d", i)
			}
			// Copies do not share memory.
			first.Body[0] = 0xff
			require.Equal(t, int64(k), n.Duplicated())
			require.Equal(t, int64(2*k), n.Delivered())
		})
	}
}

// received sends k numbered messages from a to b over a network with the
// options, and returns which arrived.
func received(t *testing.T, o memnet.Options, k int) []bool {
	n := memnet.New(o)
	e := hosts(n, "a", "b")
	ctx := testctx.Context(t)
	for i := range k {
		require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg, Body: []byte(strconv.Itoa(i))}))
	}
	got := make([]bool, k)
	for range n.Delivered() {
		_, msg := recv(t, e[1])
		i, err := strconv.Atoi(string(msg.Body))
		require.NoError(t, err)
		require.False(t, got[i], "message %d twice", i)
		got[i] = true
	}
	require.Equal(t, int64(k), n.Dropped()+n.Delivered())
	return got
}

func TestSameSeedSameDecisions(t *testing.T) {
	const k = 300
	o := memnet.Options{Seed: 42, Drop: 0.3}
	a, b := received(t, o, k), received(t, o, k)
	require.Equal(t, a, b)
	lost := 0
	for _, ok := range a {
		if !ok {
			lost++
		}
	}
	require.Greater(t, lost, k/10)
	require.Less(t, lost, k/2)

	o.Seed = 43
	require.NotEqual(t, a, received(t, o, k))
}

// Reseed makes the decisions that follow independent of the sends before.
func TestReseed(t *testing.T) {
	const k = 100
	lost := func(before int) []bool {
		n := memnet.New(memnet.Options{Seed: 5, Duplicate: 0.5})
		e := hosts(n, "a", "b")
		ctx := testctx.Context(t)
		for range before {
			require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg}))
		}
		n.Reseed(9)
		n.SetFaults(0.3, 0, 0)
		var out []bool
		for range k {
			d := n.Dropped()
			require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg}))
			out = append(out, n.Dropped() > d)
		}
		return out
	}
	a := lost(0)
	require.Equal(t, a, lost(17))
	require.Contains(t, a, true)
	require.Contains(t, a, false)
}

func TestDelayReorders(t *testing.T) {
	n := memnet.New(memnet.Options{Seed: 7, MaxDelay: 20 * time.Millisecond})
	e := hosts(n, "a", "b")
	ctx := testctx.Context(t)
	const k = 200
	for i := range k {
		require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg, Body: []byte(strconv.Itoa(i))}))
	}
	var order []int
	for range k {
		_, msg := recv(t, e[1])
		i, err := strconv.Atoi(string(msg.Body))
		require.NoError(t, err)
		order = append(order, i)
	}
	nothing(t, e[1])
	inOrder := true
	seen := map[int]bool{}
	for j, i := range order {
		seen[i] = true
		if j > 0 && i < order[j-1] {
			inOrder = false
		}
	}
	require.Len(t, seen, k)
	require.False(t, inOrder, "200 messages with random delays arrived in order")
}

func TestInboxFull(t *testing.T) {
	n := memnet.New(memnet.Options{})
	e := hosts(n, "a", "b")
	ctx := testctx.Context(t)
	for range memnet.MaxQueued {
		require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg}))
	}
	err := e[0].Send(ctx, "b", peers.Message{Type: tmsg})
	require.ErrorIs(t, err, peers.ErrRefused)
	require.Equal(t, int64(1), n.Dropped())
	recv(t, e[1])
	require.NoError(t, e[0].Send(ctx, "b", peers.Message{Type: tmsg}))
}

// Many senders and receivers while the faults change: for -race. Every
// accepted message ends delivered or dropped, each copy once.
func TestConcurrent(t *testing.T) {
	n := memnet.New(memnet.Options{Seed: 3, Drop: 0.1, Duplicate: 0.1, MaxDelay: time.Millisecond})
	names := []string{"a", "b", "c", "d"}
	e := hosts(n, names...)
	ctx := testctx.Context(t)
	const k = 200
	var senders, receivers sync.WaitGroup
	var accepted, got atomic.Int64
	for i := range e {
		receivers.Go(func() {
			for {
				if _, _, err := e[i].Receive(ctx); err != nil {
					return
				}
				got.Add(1)
			}
		})
		senders.Go(func() {
			for j := range k {
				to := names[(i+1+j%(len(names)-1))%len(names)]
				err := e[i].Send(ctx, to, peers.Message{Type: tmsg, Body: []byte("x")})
				switch {
				case err == nil:
					accepted.Add(1)
				case !errors.Is(err, memnet.ErrUnreachable):
					t.Error(err)
				}
			}
		})
	}
	senders.Go(func() {
		for j := range k {
			n.SetFaults(0.1, 0.1, time.Duration(j%3)*time.Millisecond)
			n.Partition("a", names[1+j%3])
			n.Isolate("d")
			n.Heal("a", names[1+j%3])
			n.Rejoin("d")
		}
	})
	senders.Wait()
	require.Eventually(t, func() bool {
		return n.Delivered()+n.Dropped() == accepted.Load()+n.Duplicated() && got.Load() == n.Delivered()
	}, 10*time.Second, time.Millisecond)
	for _, x := range e {
		require.NoError(t, x.Close())
	}
	receivers.Wait()
	require.Positive(t, accepted.Load())
	require.Positive(t, n.Dropped())
	require.Positive(t, n.Duplicated())
}
