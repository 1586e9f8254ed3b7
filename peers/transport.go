package peers

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
)

// A Message is one message between authorities: a type and a body, sent
// whole, or streamed for long payloads such as ciphertext lists.
type Message struct {
	Type MessageType
	// Body is the content of a whole message, at most MaxMessageSize bytes,
	// which the receiver holds in memory in one piece.
	Body []byte
	// Stream, if not nil, makes the message a streamed one, of Size bytes
	// (at most MaxStreamSize), and Body is ignored.
	//
	// To send, set Stream to a reader of exactly Size bytes: Send copies
	// them through a 64 KiB buffer, or, if Stream implements io.WriterTo,
	// lets it write them itself (so a list can be encoded straight into the
	// connection, record by record, and never sit in one buffer).
	//
	// A received streamed message has Stream set to a reader that yields the
	// Size bytes as they arrive and then io.EOF; io.ErrUnexpectedEOF if the
	// sender stopped short. The receiver must read it to the end or call
	// Close: the sender's Send returns only when the receiver has read all of
	// it (nil) or closed it early (an error).
	Stream io.Reader
	Size   int64
}

// Close discards a received streamed message that was not read to its end
// (the sender's Send then fails). It does nothing for other messages.
func (m Message) Close() error {
	if c, ok := m.Stream.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// A Transport carries messages between authorities. The protocol's state
// machines are driven through it; Endpoint implements it over QUIC.
type Transport interface {
	// Send delivers msg to the installed peer hostname, connecting (and
	// reconnecting) as needed. It returns nil once the peer has taken the
	// message: queued it for its Receive, or, for a streamed message, read
	// it to the end.
	Send(ctx context.Context, to string, msg Message) error
	// Receive returns the next message and the host name of its sender, as
	// established by the sender's certificate at the handshake: never from
	// anything in the message.
	Receive(ctx context.Context) (from string, msg Message, err error)
	// Close closes every connection; Send and Receive then fail with
	// ErrClosed.
	Close() error
}

var _ Transport = (*Endpoint)(nil)

var (
	// ErrClosed is returned by the methods of a closed Endpoint.
	ErrClosed = errors.New("peers: endpoint closed")
	// ErrRefused is wrapped by the errors of Send when the peer refused
	// the message (bad frame, closed unread, shutting down).
	ErrRefused = errors.New("peers: message refused by peer")
)

// Application error codes on connections and streams.
const (
	connClosing   quic.ApplicationErrorCode = 0
	connUntrusted quic.ApplicationErrorCode = 1

	streamBadFrame  quic.StreamErrorCode = 1
	streamDiscarded quic.StreamErrorCode = 2
	streamShutdown  quic.StreamErrorCode = 3
	streamCanceled  quic.StreamErrorCode = 4

	ackOK = 0x00
)

var streamReasons = map[quic.StreamErrorCode]string{
	streamBadFrame:  "bad frame",
	streamDiscarded: "closed by the receiver before the end",
	streamShutdown:  "receiver shutting down",
	streamCanceled:  "canceled by the sender",
}

// EndpointConfig configures an Endpoint. Identity and Store are required;
// every other zero field means its default.
type EndpointConfig struct {
	Identity *Identity
	Store    *Store
	// ListenAddr is the UDP address to listen on (":" and the identity's
	// QUIC port). Ignored if PacketConn is set.
	ListenAddr string
	// PacketConn, if set, is the socket to use; the Endpoint owns it and
	// closes it.
	PacketConn net.PacketConn
	Limits     Limits
	// PollInterval is how often the endpoint checks the trust store to cut
	// the connections of peers that were uninstalled or replaced, or whose
	// certificate expired (250 ms; a check is one stat(2) when nothing
	// changed). Handshakes and messages check it too.
	PollInterval time.Duration
	// HandshakeTimeout bounds a handshake and the arrival of a message's
	// header (5 s).
	HandshakeTimeout time.Duration
	// IdleTimeout closes a connection that has been silent that long
	// (30 s); keep-alives are sent at a third of it, so a connection to a
	// peer that died (and restarted) is found dead within about 10 s.
	IdleTimeout time.Duration
	// MessageTimeout bounds the arrival of a whole message's body (2 min).
	MessageTimeout time.Duration
	// SendAttempts is how many connections Send tries before giving up on
	// a whole message, or on a streamed one of which nothing was sent yet
	// (4); the context's deadline bounds them too.
	SendAttempts int
	// ReceiveQueue is how many received messages wait for Receive before
	// senders are held back (64).
	ReceiveQueue int
	// Time, if set, is the clock against which certificates' validity is
	// checked.
	Time func() time.Time
}

// An Endpoint is an authority's end of the QUIC transport: it listens on
// one UDP socket, from which it also dials, and keeps at most a few
// connections per peer. Each message travels on its own bidirectional
// stream: the frame (see HeaderSize), then the receiver's one-byte
// acknowledgment.
type Endpoint struct {
	cfg       EndpointConfig
	id        *Identity
	store     *Store
	conn      net.PacketConn
	tr        *quic.Transport
	ln        *quic.Listener
	qconf     *quic.Config
	serverTLS *tls.Config

	ctx       context.Context
	cancel    context.CancelFunc
	incoming  chan incoming
	wg        sync.WaitGroup
	closeOnce sync.Once

	mu      sync.Mutex
	conns   map[string][]*peerConn
	dialing map[string]*dialCall
	closed  bool
}

type incoming struct {
	pc  *peerConn
	msg Message
}

// A peerConn is a connection with an authenticated peer.
type peerConn struct {
	host string
	cert *Certificate
	conn *quic.Conn
}

type dialCall struct {
	done chan struct{}
	pc   *peerConn
	err  error
}

// Listen starts an endpoint.
func Listen(cfg EndpointConfig) (*Endpoint, error) {
	if cfg.Identity == nil || cfg.Store == nil {
		return nil, errors.New("peers: EndpointConfig needs an Identity and a Store")
	}
	cfg.Limits = cfg.Limits.withDefaults()
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.PollInterval, 250*time.Millisecond)
	def(&cfg.HandshakeTimeout, 5*time.Second)
	def(&cfg.IdleTimeout, 30*time.Second)
	def(&cfg.MessageTimeout, 2*time.Minute)
	if cfg.SendAttempts <= 0 {
		cfg.SendAttempts = 4
	}
	if cfg.ReceiveQueue <= 0 {
		cfg.ReceiveQueue = 64
	}
	conn := cfg.PacketConn
	if conn == nil {
		addr := cfg.ListenAddr
		if addr == "" {
			addr = netJoin("", cfg.Identity.Config.QUICPort)
		}
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, fmt.Errorf("peers: %w", err)
		}
		conn = c
	}
	resetKey, err := statelessResetKey(cfg.Identity)
	if err != nil {
		conn.Close()
		return nil, err
	}
	e := &Endpoint{
		cfg:   cfg,
		id:    cfg.Identity,
		store: cfg.Store,
		conn:  conn,
		// The stateless reset key is derived from the private key, so that
		// after a restart this authority tells its peers at once that their
		// old connections are gone, and they reconnect.
		tr: &quic.Transport{Conn: conn, StatelessResetKey: resetKey},
		qconf: &quic.Config{
			HandshakeIdleTimeout:           cfg.HandshakeTimeout,
			MaxIdleTimeout:                 cfg.IdleTimeout,
			KeepAlivePeriod:                cfg.IdleTimeout / 3,
			MaxIncomingStreams:             256,
			MaxIncomingUniStreams:          -1,
			InitialStreamReceiveWindow:     1 << 20,
			MaxStreamReceiveWindow:         16 << 20,
			InitialConnectionReceiveWindow: 2 << 20,
			MaxConnectionReceiveWindow:     64 << 20,
		},
		incoming: make(chan incoming, cfg.ReceiveQueue),
		conns:    map[string][]*peerConn{},
		dialing:  map[string]*dialCall{},
	}
	e.serverTLS = ServerTLSConfig(e.id, e.store, ALPN)
	e.serverTLS.Time = cfg.Time
	// Only authorities take part in the peer protocol: a web server's
	// certificate, installed for the HTTPS API, is refused here.
	e.serverTLS.VerifyConnection = func(cs tls.ConnectionState) error {
		_, err := e.store.authenticateAs(cs, e.now(), RoleAuthority)
		return err
	}
	e.ln, err = e.tr.Listen(e.serverTLS, e.qconf)
	if err != nil {
		e.tr.Close()
		conn.Close()
		return nil, fmt.Errorf("peers: %w", err)
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.wg.Add(2)
	go e.acceptLoop()
	go e.watchLoop()
	return e, nil
}

func statelessResetKey(id *Identity) (*quic.StatelessResetKey, error) {
	der, err := x509.MarshalPKCS8PrivateKey(id.TLS.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	h := sha256.New()
	h.Write([]byte("eo/1 QUIC stateless reset key\x00"))
	h.Write(der)
	var k quic.StatelessResetKey
	copy(k[:], h.Sum(nil))
	return &k, nil
}

// Addr returns the local UDP address.
func (e *Endpoint) Addr() net.Addr { return e.conn.LocalAddr() }

// Hostname returns the host name of this authority.
func (e *Endpoint) Hostname() string { return e.id.Hostname() }

func (e *Endpoint) now() time.Time {
	if e.cfg.Time != nil {
		return e.cfg.Time()
	}
	return time.Now()
}

func (e *Endpoint) acceptLoop() {
	defer e.wg.Done()
	for {
		conn, err := e.ln.Accept(e.ctx)
		if err != nil {
			return
		}
		// The handshake is complete, so the certificate was installed a
		// moment ago; authenticate again to learn whose it is.
		host, err := e.store.authenticateAs(conn.ConnectionState().TLS, e.now(), RoleAuthority)
		if err != nil {
			conn.CloseWithError(connUntrusted, "certificate not trusted")
			continue
		}
		leaf := conn.ConnectionState().TLS.PeerCertificates[0]
		e.register(&peerConn{host: host, cert: &Certificate{Leaf: leaf, Fingerprint: FingerprintOf(leaf.Raw)}, conn: conn})
	}
}

// register adds a connection and serves the streams that the peer opens on
// it, until it closes.
func (e *Endpoint) register(pc *peerConn) bool {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		pc.conn.CloseWithError(connClosing, "endpoint closed")
		return false
	}
	e.conns[pc.host] = append(e.conns[pc.host], pc)
	e.wg.Add(1)
	e.mu.Unlock()
	go e.serveConn(pc)
	return true
}

func (e *Endpoint) unregister(pc *peerConn) {
	e.mu.Lock()
	defer e.mu.Unlock()
	list := e.conns[pc.host]
	for i, c := range list {
		if c == pc {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(e.conns, pc.host)
	} else {
		e.conns[pc.host] = list
	}
}

func (e *Endpoint) trusted(pc *peerConn) bool {
	return e.store.TrustedAs(pc.host, pc.cert.Fingerprint, RoleAuthority) && pc.cert.checkValidity(e.now()) == nil
}

func (e *Endpoint) serveConn(pc *peerConn) {
	defer e.wg.Done()
	defer e.unregister(pc)
	for {
		str, err := pc.conn.AcceptStream(e.ctx)
		if err != nil {
			return
		}
		if !e.trusted(pc) {
			pc.conn.CloseWithError(connUntrusted, "certificate no longer trusted")
			return
		}
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.handleStream(pc, str)
		}()
	}
}

func refuse(str *quic.Stream, code quic.StreamErrorCode) {
	str.CancelRead(code)
	str.CancelWrite(code)
}

func acknowledge(str *quic.Stream) {
	str.Write([]byte{ackOK})
	str.Close()
}

func (e *Endpoint) handleStream(pc *peerConn, str *quic.Stream) {
	str.SetReadDeadline(time.Now().Add(e.cfg.HandshakeTimeout))
	h, err := ReadHeader(str, e.cfg.Limits)
	if err != nil {
		refuse(str, streamBadFrame)
		return
	}
	msg := Message{Type: h.Type}
	complete := !h.Streamed
	if h.Streamed && h.Length > 0 {
		str.SetReadDeadline(time.Time{})
		msg.Size = int64(h.Length)
		msg.Stream = &inStream{str: str, remaining: h.Length}
	} else if h.Streamed {
		// An empty stream is complete already: a receiver that reads
		// nothing from it must not hold its sender.
		if err := expectEOF(str); err != nil {
			refuse(str, streamBadFrame)
			return
		}
		msg.Stream = &inStream{str: str, err: io.EOF}
		complete = true
	} else {
		str.SetReadDeadline(time.Now().Add(e.cfg.MessageTimeout))
		msg.Body, err = readBody(str, h.Length)
		if err != nil {
			refuse(str, streamBadFrame)
			return
		}
	}
	select {
	case e.incoming <- incoming{pc, msg}:
	case <-e.ctx.Done():
		refuse(str, streamShutdown)
		return
	case <-pc.conn.Context().Done():
		return
	}
	if complete {
		acknowledge(str)
	}
}

// An inStream is the body of a received streamed message.
type inStream struct {
	str       *quic.Stream
	remaining uint64
	err       error // sticky: io.EOF once complete
}

func (s *inStream) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if uint64(len(p)) > s.remaining {
		p = p[:s.remaining]
	}
	n, err := s.str.Read(p)
	s.remaining -= uint64(n)
	switch {
	case s.remaining == 0:
		// The whole body is here: require the end of the stream, then
		// acknowledge, at once, so that a reader that never asks for more
		// than Size bytes still lets the sender's Send return.
		if err == nil || err == io.EOF {
			err = expectEOF(s.str)
		}
		if err != nil {
			s.fail(err)
			return n, s.err
		}
		acknowledge(s.str)
		s.err = io.EOF
		return n, nil
	case err == io.EOF:
		s.fail(io.ErrUnexpectedEOF)
		return n, s.err
	case err != nil:
		s.fail(err)
		return n, s.err
	}
	return n, nil
}

func (s *inStream) fail(err error) {
	refuse(s.str, streamBadFrame)
	if err == io.ErrUnexpectedEOF {
		s.err = err
		return
	}
	s.err = fmt.Errorf("peers: receiving stream: %w", err)
}

// Close discards the rest of the stream, if any.
func (s *inStream) Close() error {
	if s.err == nil {
		refuse(s.str, streamDiscarded)
		s.err = fmt.Errorf("peers: stream closed")
	}
	return nil
}

// Receive returns the next message from any trusted peer. Messages from a
// peer uninstalled since they arrived are dropped.
func (e *Endpoint) Receive(ctx context.Context) (string, Message, error) {
	for {
		select {
		case in := <-e.incoming:
			if !e.trusted(in.pc) {
				in.msg.Close()
				continue
			}
			return in.pc.host, in.msg, nil
		case <-ctx.Done():
			return "", Message{}, ctx.Err()
		case <-e.ctx.Done():
			return "", Message{}, ErrClosed
		}
	}
}

// Send delivers msg to the peer hostname. A whole message is sent again on
// a new connection if the connection fails before the peer acknowledged it,
// so a peer may receive it twice (the protocol's message identifiers make
// that harmless); a streamed message is retried only if none of it was read
// from msg.Stream yet.
func (e *Endpoint) Send(ctx context.Context, to string, msg Message) error {
	if msg.Type == 0 {
		return errors.New("peers: message type 0")
	}
	if msg.Stream != nil {
		if msg.Size < 0 || msg.Size > e.cfg.Limits.MaxStreamSize {
			return fmt.Errorf("peers: stream of %d bytes exceeds the limit of %d", msg.Size, e.cfg.Limits.MaxStreamSize)
		}
	} else if int64(len(msg.Body)) > e.cfg.Limits.MaxMessageSize {
		return fmt.Errorf("peers: message of %d bytes exceeds the limit of %d (stream it)", len(msg.Body), e.cfg.Limits.MaxMessageSize)
	}
	to = strings.ToLower(to)
	if to == strings.ToLower(e.id.Hostname()) {
		return errors.New("peers: cannot send to self")
	}
	var started bool
	var err error
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		if e.ctx.Err() != nil {
			return ErrClosed
		}
		var pc *peerConn
		pc, err = e.connect(ctx, to)
		if err == nil {
			err = e.sendOn(ctx, pc, msg, &started)
			if err == nil {
				return nil
			}
		}
		if !retryable(err) || started || attempt >= e.cfg.SendAttempts || ctx.Err() != nil {
			break
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
		case <-e.ctx.Done():
		}
		backoff *= 2
	}
	if e.ctx.Err() != nil {
		return ErrClosed
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		err = fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return &SendError{To: to, Err: err}
}

// A SendError is the error of Send.
type SendError struct {
	To  string
	Err error
}

func (e *SendError) Error() string {
	return "peers: send to " + e.To + ": " + strings.TrimPrefix(e.Err.Error(), "peers: ")
}

func (e *SendError) Unwrap() error { return e.Err }

// A permanentError is not worth another attempt.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

func retryable(err error) bool {
	var p permanentError
	return !errors.As(err, &p) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// connect returns a live connection to the peer, dialing one if there is
// none; concurrent callers share one dial.
func (e *Endpoint) connect(ctx context.Context, host string) (*peerConn, error) {
	// Check the trust store first: an uninstalled peer gets no packet.
	pkg, err := e.store.Get(host)
	if err != nil {
		return nil, permanentError{err}
	}
	if r := pkg.EffectiveRole(); r != RoleAuthority {
		return nil, permanentError{wrongRole(host, r, RoleAuthority)}
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	list := e.conns[host]
	for i := len(list) - 1; i >= 0; i-- {
		pc := list[i]
		if pc.conn.Context().Err() == nil && pc.cert.Fingerprint == pkg.Fingerprint() {
			e.mu.Unlock()
			return pc, nil
		}
	}
	d := e.dialing[host]
	if d == nil {
		d = &dialCall{done: make(chan struct{})}
		e.dialing[host] = d
		go func() {
			d.pc, d.err = e.dial(host, pkg)
			e.mu.Lock()
			delete(e.dialing, host)
			e.mu.Unlock()
			close(d.done)
		}()
	}
	e.mu.Unlock()
	select {
	case <-d.done:
		return d.pc, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (e *Endpoint) dial(host string, pkg *Package) (*peerConn, error) {
	addr, err := net.ResolveUDPAddr("udp", pkg.Address())
	if err != nil {
		return nil, err
	}
	tlsConf := ClientTLSConfig(e.id, e.store, host, ALPN)
	tlsConf.Time = e.cfg.Time
	verify := tlsConf.VerifyConnection
	var verifyErr error
	tlsConf.VerifyConnection = func(cs tls.ConnectionState) error {
		verifyErr = verify(cs)
		if verifyErr == nil {
			// The role may have changed since connect looked.
			_, verifyErr = e.store.authenticateAs(cs, now(tlsConf), RoleAuthority)
		}
		return verifyErr
	}
	ctx, cancel := context.WithTimeout(e.ctx, 2*e.cfg.HandshakeTimeout)
	defer cancel()
	conn, err := e.tr.Dial(ctx, addr, tlsConf, e.qconf)
	if err != nil {
		if verifyErr != nil {
			return nil, permanentError{verifyErr}
		}
		if err := classify(err); errors.As(err, new(permanentError)) {
			return nil, err
		}
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	leaf := conn.ConnectionState().TLS.PeerCertificates[0]
	pc := &peerConn{host: host, cert: &Certificate{Leaf: leaf, Fingerprint: FingerprintOf(leaf.Raw)}, conn: conn}
	if !e.register(pc) {
		return nil, ErrClosed
	}
	return pc, nil
}

// countingReader notes whether anything was read from the source of a
// streamed message, after which Send can no longer retry it.
type countingReader struct {
	r       io.Reader
	started *bool
}

func (c countingReader) Read(p []byte) (int, error) {
	*c.started = true
	return c.r.Read(p)
}

// limitedWriter passes at most n bytes on to w.
type limitedWriter struct {
	w io.Writer
	n int64
}

var errStreamTooLong = errors.New("peers: stream source wrote more than Size bytes")

func (l *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, permanentError{errStreamTooLong}
	}
	n, err := l.w.Write(p)
	l.n -= int64(n)
	return n, err
}

// classify turns the errors of QUIC that say why the peer did not take a
// message into ours.
func classify(err error) error {
	var se *quic.StreamError
	if errors.As(err, &se) && se.Remote {
		reason := streamReasons[se.ErrorCode]
		if reason == "" {
			reason = fmt.Sprintf("code %d", se.ErrorCode)
		}
		return permanentError{fmt.Errorf("%w: %s", ErrRefused, reason)}
	}
	var ae *quic.ApplicationError
	if errors.As(err, &ae) && ae.Remote && ae.ErrorCode == connUntrusted {
		return permanentError{fmt.Errorf("%w: the peer no longer trusts this authority", ErrUntrusted)}
	}
	var te *quic.TransportError
	if errors.As(err, &te) && te.Remote && te.ErrorCode.IsCryptoError() {
		return permanentError{fmt.Errorf("%w: the peer refused the handshake (is this authority's package installed there?): %v", ErrUntrusted, te)}
	}
	return err
}

func (e *Endpoint) sendOn(ctx context.Context, pc *peerConn, msg Message, started *bool) (err error) {
	defer func() { err = classify(err) }()
	str, err := pc.conn.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { refuse(str, streamCanceled) })
	defer stop()
	stopClose := context.AfterFunc(e.ctx, func() { refuse(str, streamCanceled) })
	defer stopClose()
	defer func() {
		if err != nil {
			refuse(str, streamCanceled)
			if ctx.Err() != nil {
				err = ctx.Err()
			}
		}
	}()

	h := Header{Type: msg.Type, Streamed: msg.Stream != nil, Length: uint64(len(msg.Body))}
	if h.Streamed {
		h.Length = uint64(msg.Size)
	}
	var hdr [HeaderSize]byte
	if h.Streamed {
		// The header, then the body through a 64 KiB buffer, so that a
		// source writing one small record at a time costs one stream write
		// per 64 KiB; the limit is checked below the buffer.
		lw := &limitedWriter{w: str, n: msg.Size}
		bw := bufio.NewWriterSize(lw, 64<<10)
		if _, err := str.Write(h.AppendHeader(hdr[:0])); err != nil {
			return err
		}
		if wt, ok := msg.Stream.(io.WriterTo); ok {
			*started = true
			_, err = wt.WriteTo(bw)
		} else {
			_, err = io.CopyBuffer(bw, io.LimitReader(countingReader{msg.Stream, started}, msg.Size), make([]byte, 32<<10))
		}
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			return fmt.Errorf("streaming: %w", err)
		}
		if lw.n != 0 {
			return permanentError{fmt.Errorf("peers: stream source gave %d bytes, Size is %d", msg.Size-lw.n, msg.Size)}
		}
	} else {
		if _, err := str.Write(h.AppendHeader(hdr[:0])); err != nil {
			return err
		}
		if _, err := str.Write(msg.Body); err != nil {
			return err
		}
	}
	if err := str.Close(); err != nil {
		return err
	}
	var ack [1]byte
	if _, err := io.ReadFull(str, ack[:]); err != nil {
		return err
	}
	if ack[0] != ackOK {
		return permanentError{fmt.Errorf("%w: acknowledgment %#02x", ErrRefused, ack[0])}
	}
	return nil
}

func (e *Endpoint) watchLoop() {
	defer e.wg.Done()
	t := time.NewTicker(e.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-t.C:
		}
		e.store.Refresh()
		e.cutUntrusted()
	}
}

// cutUntrusted closes the connections of peers that are no longer installed
// with the certificate they presented, or whose certificate expired.
func (e *Endpoint) cutUntrusted() {
	e.mu.Lock()
	var cut []*peerConn
	for _, list := range e.conns {
		for _, pc := range list {
			if !e.trusted(pc) {
				cut = append(cut, pc)
			}
		}
	}
	e.mu.Unlock()
	for _, pc := range cut {
		pc.conn.CloseWithError(connUntrusted, "certificate no longer trusted")
	}
}

// Peers returns the host names of the peers with an open connection.
func (e *Endpoint) Peers() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for h, list := range e.conns {
		for _, pc := range list {
			if pc.conn.Context().Err() == nil {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

// Close closes every connection, telling the peers, and the socket.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.closed = true
		var all []*peerConn
		for _, list := range e.conns {
			all = append(all, list...)
		}
		e.mu.Unlock()
		e.cancel()
		for _, pc := range all {
			pc.conn.CloseWithError(connClosing, "endpoint closed")
		}
		e.ln.Close()
		e.tr.Close()
		e.conn.Close()
		e.wg.Wait()
	})
	return nil
}
