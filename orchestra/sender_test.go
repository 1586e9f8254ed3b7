package orchestra

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/internal/testctx"
	"github.com/eo-mixnet/eo/peers"
	"github.com/eo-mixnet/eo/tally"
)

// heldTransport records what is sent and holds each Send until released,
// as a long mix on the wire is held.
type heldTransport struct {
	mu      sync.Mutex
	sent    []string // "host:body"
	release chan struct{}
	fail    bool
}

func (h *heldTransport) Send(ctx context.Context, to string, msg peers.Message) error {
	select {
	case <-h.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail {
		return peers.ErrClosed
	}
	h.sent = append(h.sent, to+":"+string(msg.Body))
	return nil
}

func (h *heldTransport) Receive(ctx context.Context) (string, peers.Message, error) {
	<-ctx.Done()
	return "", peers.Message{}, ctx.Err()
}

func (h *heldTransport) Close() error { return nil }

func (h *heldTransport) log() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.sent...)
}

// A message queued or on its way to a peer is not queued for it again (an
// ask answered with the mix just published); once its send ended — here
// failed — it goes again, and to another peer it goes all the same.
func TestTallySenderOnItsWay(t *testing.T) {
	e, s := testElection()
	tr := &heldTransport{release: make(chan struct{})}
	s.tr = tr
	s.cfg.StepTimeout = Duration(time.Minute)
	e.st.Setup.Authorities = []authority{{Name: "a1"}, {Name: "a2"}, {Name: "a3"}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts := newTallySender(ctx, e)
	drained := func() bool { // nothing queued or on its way
		ts.mu.Lock()
		defer ts.mu.Unlock()
		return len(ts.onItsWay) == 0
	}
	releaseOne := func() {
		t.Helper()
		select {
		case tr.release <- struct{}{}:
		case <-testctx.Context(t).Done():
			t.Fatal("no send waits to be released")
		}
	}

	mix, other := &tally.Message{Kind: tally.KindMix}, &tally.Message{Kind: tally.KindMix}
	encoded := 0
	body := func(b string) func() []byte { return func() []byte { encoded++; return []byte(b) } }
	ts.send(2, mix, body("mix"))
	ts.send(2, mix, body("mix")) // the ask that arrived while it was mixing
	ts.send(3, mix, body("mix"))
	ts.send(2, other, body("other"))
	require.Equal(t, 3, encoded, "the copy on its way is not even encoded")
	for range 3 {
		releaseOne()
	}
	require.Eventually(t, func() bool { return len(tr.log()) == 3 }, 10*time.Second, time.Millisecond)
	require.ElementsMatch(t, []string{"a2:mix", "a3:mix", "a2:other"}, tr.log())

	// Sent: asked again, it goes again.
	require.Eventually(t, drained, 10*time.Second, time.Millisecond)
	ts.send(2, mix, body("mix"))
	releaseOne()
	require.Eventually(t, func() bool { return len(tr.log()) == 4 }, 10*time.Second, time.Millisecond)
	// The transport logs a send before the sender releases it: wait for
	// the release, or the next send is (rightly) dropped as on its way.
	require.Eventually(t, drained, 10*time.Second, time.Millisecond)

	// A send that fails releases the message too.
	tr.mu.Lock()
	tr.fail = true
	tr.mu.Unlock()
	ts.send(2, mix, body("mix"))
	releaseOne()
	require.Eventually(t, drained, 10*time.Second, time.Millisecond)
	ts.send(2, mix, body("mix"))
	require.Equal(t, 6, encoded, "queued again after the failure")
}

// fakeMachine is a tally machine that has ended or not, and counts the
// messages handed to it.
type fakeMachine struct {
	res     *tally.Result
	handled int
}

func (f *fakeMachine) Result() (*tally.Result, error) { return f.res, nil }
func (f *fakeMachine) Handle(time.Time, int, *tally.Message) tally.Output {
	f.handled++
	return tally.Output{}
}

// A machine whose drive stopped before its tally ended (a cancelled
// context) is not kept to answer: answering through Handle drove it on,
// towards a decryption share with a wiped key (the CI failure of
// 2026-12-06's stop). An ended one is kept and answers.
func TestKeepEndedOnlyEnded(t *testing.T) {
	e, s := testElection()
	s.cfg.StepTimeout = Duration(time.Minute)
	e.st.Setup.Authorities = []authority{{Name: "a1"}, {Name: "a2"}}
	env := &envelope{Election: "e", Fields: [][]byte{(&tally.Message{Kind: tally.KindAsk}).Bytes()}}

	live := &fakeMachine{}
	ctx, cancel := context.WithCancel(context.Background())
	e.keepEnded(live, newTallySender(ctx, e), cancel)
	require.Error(t, ctx.Err(), "a machine not kept has its sender cancelled")
	e.answerEnded("a2", env)
	require.Zero(t, live.handled, "a machine that has not ended is not driven")

	done := &fakeMachine{res: &tally.Result{}}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	e.keepEnded(done, newTallySender(ctx, e), cancel)
	require.NoError(t, ctx.Err())
	require.True(t, e.answerEnded("a2", env))
	require.Equal(t, 1, done.handled, "an ended machine answers")
}
