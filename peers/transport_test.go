package peers

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/eo-mixnet/eo/internal/testctx"

	"github.com/quic-go/quic-go"
	"github.com/stretchr/testify/require"
)

const (
	tmsgHello  MessageType = 1
	tmsgList   MessageType = 2
	recordSize             = 64
)

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// recv receives one whole message within a few seconds.
func recv(t testing.TB, ep *Endpoint) (string, Message) {
	t.Helper()
	from, msg, err := ep.Receive(testctx.Context(t))
	require.NoError(t, err)
	return from, msg
}

func TestTwoEndpointsExchange(t *testing.T) {
	a, b := startedPair(t)
	ctx := testctx.Context(t)

	require.NoError(t, a.ep.Send(ctx, "b", Message{Type: tmsgHello, Body: []byte("hello b")}))
	from, msg := recv(t, b.ep)
	require.Equal(t, "a", from)
	require.Equal(t, tmsgHello, msg.Type)
	require.Equal(t, "hello b", string(msg.Body))

	// The reply travels on a connection b dials or on a's, either way it
	// is authenticated as b.
	require.NoError(t, b.ep.Send(ctx, "A", Message{Type: tmsgHello, Body: []byte("hello a")}))
	from, msg = recv(t, a.ep)
	require.Equal(t, "b", from)
	require.Equal(t, "hello a", string(msg.Body))

	// Empty bodies and many messages in flight.
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			require.NoError(t, a.ep.Send(ctx, "b", Message{Type: MessageType(10 + i), Body: fmt.Appendf(nil, "%d", i)}))
		})
	}
	seen := map[MessageType]bool{}
	for range n {
		_, msg := recv(t, b.ep)
		require.Equal(t, fmt.Sprint(int(msg.Type)-10), string(msg.Body))
		seen[msg.Type] = true
	}
	wg.Wait()
	require.Len(t, seen, n)
	require.NoError(t, a.ep.Send(ctx, "b", Message{Type: tmsgHello}))
	_, msg = recv(t, b.ep)
	require.Empty(t, msg.Body)
}

func TestThreeEndpoints(t *testing.T) {
	as := []*authority{newAuthority(t, "a1"), newAuthority(t, "a2"), newAuthority(t, "a3")}
	mutualTrust(t, as...)
	for _, a := range as {
		a.start(t)
	}
	ctx := testctx.Context(t)
	var wg sync.WaitGroup
	for _, from := range as {
		for _, to := range as {
			if from == to {
				continue
			}
			wg.Go(func() {
				body := []byte(from.id.Hostname() + "->" + to.id.Hostname())
				require.NoError(t, from.ep.Send(ctx, to.id.Hostname(), Message{Type: tmsgHello, Body: body}))
			})
		}
	}
	for _, to := range as {
		got := map[string]string{}
		for range 2 {
			from, msg := recv(t, to.ep)
			got[from] = string(msg.Body)
		}
		for _, from := range as {
			if from != to {
				require.Equal(t, from.id.Hostname()+"->"+to.id.Hostname(), got[from.id.Hostname()])
			}
		}
	}
	wg.Wait()
}

// recordList streams n random records of recordSize bytes, as a ciphertext
// list would be encoded, one record at a time, through WriteTo.
type recordList struct {
	records [][recordSize]byte
}

func newRecordList(n int) *recordList {
	l := &recordList{records: make([][recordSize]byte, n)}
	for i := range l.records {
		rand.Read(l.records[i][:])
	}
	return l
}

func (l *recordList) size() int64 { return int64(len(l.records)) * recordSize }

func (l *recordList) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for i := range l.records {
		m, err := w.Write(l.records[i][:])
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (l *recordList) Read([]byte) (int, error) { panic("Send must use WriteTo") }

// readRecords decodes a streamed list record by record into a preallocated
// slice, as a receiver decoding ciphertexts would.
func readRecords(r io.Reader, size int64) ([][recordSize]byte, error) {
	if size%recordSize != 0 {
		return nil, errors.New("size is not a multiple of the record size")
	}
	out := make([][recordSize]byte, size/recordSize)
	br := newBufReader(r)
	for i := range out {
		if _, err := io.ReadFull(br, out[i][:]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func TestStreamCiphertextList(t *testing.T) {
	a, b := startedPair(t)
	ctx := testctx.Context(t)

	list := newRecordList(100_000)
	errc := make(chan error, 1)
	go func() {
		errc <- a.ep.Send(ctx, "b", Message{Type: tmsgList, Stream: list, Size: list.size()})
	}()
	from, msg := recv(t, b.ep)
	require.Equal(t, "a", from)
	require.Equal(t, tmsgList, msg.Type)
	require.Nil(t, msg.Body)
	require.Equal(t, int64(100_000*recordSize), msg.Size)
	got, err := readRecords(msg.Stream, msg.Size)
	require.NoError(t, err)
	require.Equal(t, list.records, got)
	require.NoError(t, <-errc, "Send returns once the receiver read it all")
	n, err := msg.Stream.Read(make([]byte, 1))
	require.Equal(t, 0, n)
	require.Equal(t, io.EOF, err)

	// A plain reader works too, and a streamed message may be empty.
	body := bytes.Repeat([]byte("x"), 100_000)
	go func() {
		errc <- a.ep.Send(ctx, "b", Message{Type: tmsgList, Stream: bytes.NewReader(body), Size: int64(len(body))})
	}()
	_, msg = recv(t, b.ep)
	all, err := io.ReadAll(msg.Stream)
	require.NoError(t, err)
	require.Equal(t, body, all)
	require.NoError(t, <-errc)
	go func() { errc <- a.ep.Send(ctx, "b", Message{Type: tmsgList, Stream: bytes.NewReader(nil), Size: 0}) }()
	_, msg = recv(t, b.ep)
	require.NoError(t, <-errc, "an empty stream needs no read")
	all, err = io.ReadAll(msg.Stream)
	require.NoError(t, err)
	require.Empty(t, all)

	// A reader that asks for exactly Size bytes and no more releases the
	// sender.
	go func() {
		errc <- a.ep.Send(ctx, "b", Message{Type: tmsgList, Stream: bytes.NewReader(body), Size: int64(len(body))})
	}()
	_, msg = recv(t, b.ep)
	_, err = io.ReadFull(msg.Stream, make([]byte, len(body)))
	require.NoError(t, err)
	require.NoError(t, <-errc)
}

func TestStreamDiscardedBySender(t *testing.T) {
	a, b := startedPair(t)
	ctx := testctx.Context(t)
	errc := make(chan error, 1)
	go func() {
		errc <- a.ep.Send(ctx, "b", Message{Type: tmsgList, Stream: bytes.NewReader(make([]byte, 1<<20)), Size: 1 << 20})
	}()
	_, msg := recv(t, b.ep)
	buf := make([]byte, 1000)
	_, err := io.ReadFull(msg.Stream, buf)
	require.NoError(t, err)
	require.NoError(t, msg.Close())
	err = <-errc
	require.ErrorIs(t, err, ErrRefused)
	require.ErrorContains(t, err, "closed by the receiver")

	// The source is shorter than Size: Send fails, the receiver sees an
	// unexpected EOF, and the endpoint goes on.
	go func() {
		errc <- a.ep.Send(ctx, "b", Message{Type: tmsgList, Stream: bytes.NewReader(make([]byte, 10)), Size: 20})
	}()
	require.ErrorContains(t, <-errc, "gave 10 bytes, Size is 20")
	// The source writes more than Size: Send fails without sending more.
	long := newRecordList(10)
	go func() { errc <- a.ep.Send(ctx, "b", Message{Type: tmsgList, Stream: long, Size: long.size() - 1}) }()
	require.ErrorIs(t, <-errc, errStreamTooLong)
	require.NoError(t, a.ep.Send(ctx, "b", Message{Type: tmsgHello, Body: []byte("still here")}))
	for {
		_, msg := recv(t, b.ep)
		if msg.Stream != nil {
			_, err := io.ReadAll(msg.Stream)
			require.Error(t, err)
			continue
		}
		require.Equal(t, "still here", string(msg.Body))
		break
	}
}

func TestMessageLimits(t *testing.T) {
	a, b := newAuthority(t, "a"), newAuthority(t, "b")
	mutualTrust(t, a, b)
	lim := func(c *EndpointConfig) { c.Limits = Limits{MaxMessageSize: 1000, MaxStreamSize: 5000} }
	a.start(t, lim)
	b.start(t)
	ctx := testctx.Context(t)
	err := a.ep.Send(ctx, "b", Message{Type: tmsgHello, Body: make([]byte, 1001)})
	require.ErrorContains(t, err, "exceeds the limit")
	err = a.ep.Send(ctx, "b", Message{Type: tmsgHello, Stream: bytes.NewReader(nil), Size: 5001})
	require.ErrorContains(t, err, "exceeds the limit")
	require.ErrorContains(t, a.ep.Send(ctx, "b", Message{Type: 0}), "type 0")

	// The receiver's limits are enforced on what arrives: b sends a's
	// endpoint more than a accepts.
	err = b.ep.Send(ctx, "a", Message{Type: tmsgHello, Body: make([]byte, 2000)})
	require.ErrorIs(t, err, ErrRefused)
	require.ErrorContains(t, err, "bad frame")
	require.NoError(t, b.ep.Send(ctx, "a", Message{Type: tmsgHello, Body: make([]byte, 1000)}))
	_, msg := recv(t, a.ep)
	require.Len(t, msg.Body, 1000)
}

func TestSendToUnknownPeer(t *testing.T) {
	a, b := newAuthority(t, "a"), newAuthority(t, "b")
	a.start(t)
	b.start(t)
	ctx := testctx.Context(t)
	err := a.ep.Send(ctx, "b", Message{Type: tmsgHello})
	require.ErrorIs(t, err, ErrNotInstalled)
	require.ErrorContains(t, a.ep.Send(ctx, "a", Message{Type: tmsgHello}), "self")
}

// assertRefused checks that from cannot reach to, and that to received
// nothing.
func assertRefused(t *testing.T, from, to *authority) error {
	t.Helper()
	err := from.ep.Send(testctx.Context(t), to.id.Hostname(), Message{Type: tmsgHello, Body: []byte("let me in")})
	require.Error(t, err)
	ctx := ctxT(t, 100*time.Millisecond)
	_, msg, rerr := to.ep.Receive(ctx)
	require.ErrorIs(t, rerr, context.DeadlineExceeded, "received %q", msg.Body)
	return err
}

func TestUnknownCertificateRefused(t *testing.T) {
	a, b := newAuthority(t, "a"), newAuthority(t, "b")
	// a trusts b, b does not know a.
	a.trust(t, b)
	a.start(t)
	b.start(t)
	err := assertRefused(t, a, b)
	require.ErrorIs(t, err, ErrUntrusted)
	require.ErrorContains(t, err, "refused the handshake")
}

func TestServerWithUnexpectedCertificateRefused(t *testing.T) {
	a, b := newAuthority(t, "a"), newAuthority(t, "b")
	mutualTrust(t, a, b)
	// An impostor answers at b's address with its own certificate for "b".
	imp := &authority{id: newIdentity(t, "b", 1), conn: b.conn}
	var err error
	imp.store, err = imp.id.OpenStore()
	require.NoError(t, err)
	imp.trust(t, a)
	a.start(t)
	imp.start(t)
	err = assertRefused(t, a, imp)
	require.ErrorIs(t, err, ErrUntrusted)
	require.ErrorContains(t, err, "the installed certificate is")
}

func TestReplacedCertificateRefused(t *testing.T) {
	a, b := startedPair(t)
	// b replaces a's package with another certificate for "a" (--force).
	other := newIdentity(t, "a", 1)
	op, err := other.Package(false)
	require.NoError(t, err)
	_, err = b.store.Install(op, true)
	require.NoError(t, err)
	assertRefused(t, a, b)
}

func TestExpiredCertificateRefused(t *testing.T) {
	a, b := newAuthority(t, "a"), newAuthority(t, "b")
	mutualTrust(t, a, b)
	a.start(t)
	// b's clock is past a's certificate's end.
	later := a.id.Certificate.Leaf.NotAfter.Add(time.Hour)
	b.start(t, func(c *EndpointConfig) { c.Time = func() time.Time { return later } })
	assertRefused(t, a, b)
	// And b refuses to dial a, whose certificate it sees as expired.
	err := b.ep.Send(testctx.Context(t), "a", Message{Type: tmsgHello})
	require.ErrorIs(t, err, ErrUntrusted)
	require.ErrorContains(t, err, "expired")
}

func TestUninstalledRefusedAndCut(t *testing.T) {
	a, b := startedPair(t)
	ctx := testctx.Context(t)
	require.NoError(t, a.ep.Send(ctx, "b", Message{Type: tmsgHello, Body: []byte("1")}))
	recv(t, b.ep)
	require.Equal(t, []string{"b"}, a.ep.Peers())

	// An open stream from a is cut too.
	errc := make(chan error, 1)
	go func() {
		errc <- a.ep.Send(ctx, "b", Message{Type: tmsgList, Stream: bytes.NewReader(make([]byte, 1<<20)), Size: 1 << 20})
	}()
	_, msg := recv(t, b.ep)

	// The operator uninstalls a on b, from another process.
	cli, err := OpenStore(b.store.Dir())
	require.NoError(t, err)
	_, err = cli.Uninstall("a")
	require.NoError(t, err)

	// b closes the connection within its poll interval; a sees it closed.
	require.Eventually(t, func() bool { return len(a.ep.Peers()) == 0 && len(b.ep.Peers()) == 0 },
		3*time.Second, 10*time.Millisecond, "connection cut")
	_, err = io.ReadAll(msg.Stream)
	require.Error(t, err, "the open stream is cut")
	require.Error(t, <-errc)
	// And a new handshake is refused.
	assertRefused(t, a, b)
}

func TestReconnect(t *testing.T) {
	a, b := startedPair(t)
	ctx := testctx.Context(t)
	require.NoError(t, a.ep.Send(ctx, "b", Message{Type: tmsgHello, Body: []byte("1")}))
	recv(t, b.ep)

	// b restarts on the same port.
	addr := b.ep.Addr().String()
	require.NoError(t, b.ep.Close())
	conn, err := net.ListenPacket("udp", addr)
	require.NoError(t, err)
	b.conn = conn
	b.start(t)

	require.NoError(t, a.ep.Send(ctx, "b", Message{Type: tmsgHello, Body: []byte("2")}))
	from, msg := recv(t, b.ep)
	require.Equal(t, "a", from)
	require.Equal(t, "2", string(msg.Body))
}

func TestSendToDownPeerGivesUp(t *testing.T) {
	a, b := newAuthority(t, "a"), newAuthority(t, "b")
	mutualTrust(t, a, b)
	a.start(t, func(c *EndpointConfig) { c.HandshakeTimeout = 200 * time.Millisecond; c.SendAttempts = 2 })
	b.conn.Close() // b never starts
	// It gives up after its attempts, on its own: the test's context
	// has no deadline near (a clock here would fail a loaded machine).
	err := a.ep.Send(testctx.Context(t), "b", Message{Type: tmsgHello})
	require.Error(t, err)
	require.NotErrorIs(t, err, context.DeadlineExceeded)
	require.NotErrorIs(t, err, context.Canceled)

	// A context deadline bounds Send too.
	a2 := newAuthority(t, "a2")
	a2.trust(t, b)
	a2.start(t)
	ctx := ctxT(t, 300*time.Millisecond)
	err = a2.ep.Send(ctx, "b", Message{Type: tmsgHello})
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestCloseUnblocks(t *testing.T) {
	a := newAuthority(t, "a")
	a.start(t)
	done := make(chan error, 1)
	go func() {
		_, _, err := a.ep.Receive(context.Background())
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, a.ep.Close())
	select {
	case err := <-done:
		require.ErrorIs(t, err, ErrClosed)
	case <-testctx.Context(t).Done():
		t.Fatal("Receive not unblocked by Close")
	}
	require.ErrorIs(t, a.ep.Send(context.Background(), "x", Message{Type: 1}), ErrClosed)
	require.NoError(t, a.ep.Close(), "Close twice")
}

func TestBadFrameEndsOnlyThatMessage(t *testing.T) {
	a, b := startedPair(t)
	ctx := testctx.Context(t)
	require.NoError(t, a.ep.Send(ctx, "b", Message{Type: tmsgHello}))
	recv(t, b.ep)
	pc, err := a.ep.connect(ctx, "b")
	require.NoError(t, err)
	for _, raw := range [][]byte{
		{9, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},           // frame version
		{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},           // type 0
		{1, 0, 0, 1, 0xff, 0, 0, 0, 0, 0, 0, 0},        // huge length
		{1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 'a'},      // short body
		{1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 'b'}, // long body
		{1, 0}, // short header
	} {
		str, err := pc.conn.OpenStreamSync(ctx)
		require.NoError(t, err)
		str.Write(raw)
		str.Close()
		_, err = io.ReadAll(str)
		require.Error(t, err, "%x refused", raw)
	}
	require.NoError(t, a.ep.Send(ctx, "b", Message{Type: tmsgHello, Body: []byte("ok")}))
	_, msg := recv(t, b.ep)
	require.Equal(t, "ok", string(msg.Body))
}

func TestWrongALPNRefused(t *testing.T) {
	a, b := newAuthority(t, "a"), newAuthority(t, "b")
	mutualTrust(t, a, b)
	b.start(t)
	tlsConf := ClientTLSConfig(a.id, a.store, "b", "h3")
	ctx := testctx.Context(t)
	_, err := quic.DialAddr(ctx, b.ep.Addr().String(), tlsConf, nil)
	require.Error(t, err)
	require.ErrorContains(t, err, "application protocol")
	// The right ALPN with the same certificates works.
	conn, err := quic.DialAddr(ctx, b.ep.Addr().String(), ClientTLSConfig(a.id, a.store, "b", ALPN), nil)
	require.NoError(t, err)
	conn.CloseWithError(0, "")
}

// TestReconnectAfterCrash: b's process dies without closing its
// connections and comes back on the same port. Its stateless resets, keyed
// by its private key, tell a that the old connection is gone, and a's Send
// reconnects at once instead of waiting for the idle timeout. a's
// timeouts are ten minutes here, so that a Send that waited for one would
// take that long; the bound below is two minutes, far above what a loaded
// machine needs and far below what the fault would take.
func TestReconnectAfterCrash(t *testing.T) {
	a, b := newAuthority(t, "a"), newAuthority(t, "b")
	mutualTrust(t, a, b)
	a.start(t, func(c *EndpointConfig) { c.IdleTimeout, c.HandshakeTimeout = 10*time.Minute, 10*time.Minute })
	b.start(t)
	ctx := testctx.Context(t)
	require.NoError(t, a.ep.Send(ctx, "b", Message{Type: tmsgHello, Body: []byte("1")}))
	recv(t, b.ep)

	addr := b.ep.Addr().String()
	require.NoError(t, b.conn.Close()) // the socket goes; no CONNECTION_CLOSE is sent
	conn, err := net.ListenPacket("udp", addr)
	require.NoError(t, err)
	old := b.ep
	b.conn = conn
	b.start(t)

	start := time.Now()
	require.NoError(t, a.ep.Send(ctx, "b", Message{Type: tmsgHello, Body: []byte("2")}))
	_, msg := recv(t, b.ep)
	require.Equal(t, "2", string(msg.Body))
	require.Less(t, time.Since(start), 2*time.Minute)
	old.Close()
}
