// Package orchestra is the authority daemon of eo (eorchestra): the public
// HTTPS API that the election web server calls, the peer protocol that
// drives the threshold state machines over the QUIC transport of package
// peers, the persistent state of every election, callbacks and metrics.
//
// The authority that receives a request is that request's director: it
// checks the request, tells every other authority (msgSetup, msgTally), takes
// part like the others, collects their outcomes and calls the web server
// back. Each election runs in its own goroutine, independently of the
// others; every failure ends that election with a reason, in the log and
// in an error callback. The protocol is specified in doc/daemon.md.
package orchestra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eo-mixnet/eo/eolog"
	"github.com/eo-mixnet/eo/internal/drill"
	"github.com/eo-mixnet/eo/keystore"
	"github.com/eo-mixnet/eo/peers"
)

// ElectionsDir is the directory of the elections' state under the
// authority directory.
const ElectionsDir = keystore.ElectionsDir

// Options of a Server.
type Options struct {
	// Dir is the authority directory (eopeers --init), which also holds
	// the elections' state and eorchestra.json.
	Dir string
	// Config overrides eorchestra.json if not nil.
	Config *Config
	// Logger receives the events; nil logs nothing.
	Logger *slog.Logger
	// TCP and UDP, if set, are the already bound sockets of the HTTPS API
	// and of the QUIC transport (tests and local clusters bind port 0).
	TCP net.Listener
	UDP net.PacketConn
	// Transport, if set, carries the peer protocol instead of a QUIC
	// endpoint: tests and the simulator give an internal/memnet Endpoint
	// registered under this authority's host name. New then opens no QUIC
	// socket (UDP must be nil). The Server closes it when it stops.
	Transport peers.Transport
	// Drill, for fault drills only, makes this authority misbehave (an
	// adversary kind) or kill itself at a named point (the crash drill);
	// nil for a real authority. Its type is internal to this module, so
	// only the module's tests, eotest's local clusters and an eorchestra
	// built with -tags drill can set it: no configuration file and no
	// user of the library can.
	Drill *drill.Authority
}

// Server is a running authority.
type Server struct {
	id         *peers.Identity
	store      *peers.Store
	cfg        Config
	log        *slog.Logger
	tr         peers.Transport
	quicAddr   net.Addr // the QUIC endpoint's, nil with Options.Transport
	httpSrv    *http.Server
	tcp        net.Listener
	metricsSrv *http.Server
	client     *http.Client       // votes_url and callbacks
	ks         *keystore.Keystore // secrets at rest
	dir        string             // elections directory
	metrics    *metrics
	progress   progressBoard // reportProgress, for the status page
	peers      peerLog       // what this authority saw of its peers
	statusSrv  *http.Server  // status_listen
	statusLn   net.Listener

	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	drill *drill.Authority // Options.Drill: nil for a real authority
	crash struct {
		point string
		n     int
		mu    sync.Mutex
		seen  int
	}

	mu        sync.Mutex
	elections map[string]*election
	orphans   map[string][]orphan
}

type orphan struct {
	host string
	typ  peers.MessageType
	env  *envelope
	at   time.Time
}

// New loads the authority in o.Dir, opens its sockets and resumes the
// elections found in its state; Run serves.
func New(o Options) (*Server, error) {
	if err := o.Drill.Check(); err != nil {
		return nil, fmt.Errorf("orchestra: %w", err)
	}
	if o.Transport != nil && o.UDP != nil {
		return nil, errors.New("orchestra: Options.UDP and Options.Transport are exclusive")
	}
	id, store, err := peers.Open(o.Dir)
	if err != nil {
		return nil, err
	}
	cfg := o.Config
	if cfg == nil {
		if cfg, err = LoadConfig(filepath.Join(o.Dir, ConfigFile)); err != nil {
			return nil, err
		}
	} else if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("orchestra: %w", err)
	}
	pass, err := passphrase(o.Dir, cfg)
	if err != nil {
		return nil, err
	}
	ks, err := keystore.Open(o.Dir, pass)
	clear(pass)
	if err != nil {
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m := ks.Migrated(); len(m) > 0 {
		log.Info("keystore migrated to age's passphrase format", "files", len(m))
	}
	s := &Server{id: id, store: store, cfg: cfg.withDefaults(), log: log, dir: filepath.Join(o.Dir, ElectionsDir),
		elections: map[string]*election{}, orphans: map[string][]orphan{}, ks: ks}
	s.metrics = newMetrics()
	s.metrics.setActive(s.activeSessions)
	if o.Drill != nil {
		d := *o.Drill
		s.drill = &d
		s.crash.point, s.crash.n, _ = drill.ParseCrashAt(d.CrashAt) // checked above
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("orchestra: %w", err)
	}
	listen := s.cfg.Listen
	if listen == "" {
		listen = ":" + strconv.Itoa(id.Config.Port)
	}
	s.tcp = o.TCP
	if s.tcp == nil {
		if s.tcp, err = net.Listen("tcp", listen); err != nil {
			return nil, fmt.Errorf("orchestra: HTTPS API: %w", err)
		}
	}
	if s.tr = o.Transport; s.tr == nil {
		udp := o.UDP
		if udp == nil {
			qaddr := listen
			if id.Config.QUICPort != 0 && id.Config.QUICPort != id.Config.Port && s.cfg.Listen == "" {
				qaddr = ":" + strconv.Itoa(id.Config.QUICPort)
			}
			if udp, err = net.ListenPacket("udp", qaddr); err != nil {
				s.tcp.Close()
				return nil, fmt.Errorf("orchestra: QUIC: %w", err)
			}
		}
		ep, err := peers.Listen(peers.EndpointConfig{Identity: id, Store: store, PacketConn: udp})
		if err != nil {
			s.tcp.Close()
			return nil, err
		}
		s.tr, s.quicAddr = ep, ep.Addr()
	}
	s.client = peers.NewAnyPeerHTTPClient(id, store)
	s.httpSrv = peers.NewHTTPServer("", id, store, s.routes())
	s.httpSrv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	s.httpSrv.ReadHeaderTimeout = 10 * time.Second
	if s.cfg.StatusListen != "off" {
		if s.statusLn, err = net.Listen("tcp", s.cfg.StatusListen); err != nil {
			s.tr.Close()
			s.tcp.Close()
			return nil, fmt.Errorf("orchestra: status page: %w", err)
		}
		s.statusSrv = &http.Server{Handler: s.statusHandler(), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	}
	return s, nil
}

// StatusAddr is the address of the status page (status_listen), nil if
// it is "off".
func (s *Server) StatusAddr() net.Addr {
	if s.statusLn == nil {
		return nil
	}
	return s.statusLn.Addr()
}

// Hostname is this authority's host name.
func (s *Server) Hostname() string { return s.id.Hostname() }

// Addr is the address of the HTTPS API.
func (s *Server) Addr() net.Addr { return s.tcp.Addr() }

// Run serves until ctx ends, then closes everything and waits for the
// elections' goroutines (they stop where they are and resume at the next
// start).
func (s *Server) Run(ctx context.Context) error {
	s.ctx, s.cancel = context.WithCancelCause(ctx)
	attrs := []any{eolog.Peer(s.Hostname()), "api", s.tcp.Addr().String()}
	if s.quicAddr != nil {
		attrs = append(attrs, "quic", s.quicAddr.String())
	}
	if s.statusLn != nil {
		attrs = append(attrs, "status", "http://"+s.statusLn.Addr().String()+"/status")
	}
	s.log.Info("authority starting", append(attrs, "fingerprint", s.id.Fingerprint().String())...)
	if err := s.resume(); err != nil {
		s.cancel(err)
		s.tr.Close()
		s.tcp.Close()
		if s.statusLn != nil {
			s.statusLn.Close()
		}
		return err
	}
	errc := make(chan error, 4)
	if s.statusSrv != nil {
		go func() { errc <- s.statusSrv.Serve(s.statusLn) }()
	}
	go func() { errc <- s.httpSrv.ServeTLS(s.tcp, "", "") }()
	if s.cfg.MetricsListen != "" {
		s.metricsSrv = &http.Server{Addr: s.cfg.MetricsListen, Handler: http.HandlerFunc(s.serveMetrics), ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- s.metricsSrv.ListenAndServe() }()
	}
	go func() { errc <- s.receiveLoop() }()
	var err error
	select {
	case <-s.ctx.Done():
	case err = <-errc:
		s.log.Error("authority stopping", eolog.Err(err))
	}
	s.cancel(errors.New("the daemon is stopping"))
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.httpSrv.Shutdown(shut)
	if s.metricsSrv != nil {
		s.metricsSrv.Shutdown(shut)
	}
	if s.statusSrv != nil {
		s.statusSrv.Shutdown(shut)
	}
	s.tr.Close()
	s.wg.Wait()
	s.log.Info("authority stopped")
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *Server) receiveLoop() error {
	for {
		host, msg, err := s.tr.Receive(s.ctx)
		if err != nil {
			if s.ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, peers.ErrClosed) {
				return err
			}
			s.log.Warn("receive", eolog.Err(err))
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handleMessage(host, msg)
		}()
	}
}

// handleMessage reads and routes one message from an authenticated peer.
func (s *Server) handleMessage(host string, msg peers.Message) {
	if r, err := s.store.Role(host); err != nil || r != peers.RoleAuthority {
		msg.Close()
		s.log.Warn("a peer-protocol message from a peer that is not installed as an authority; dropped", eolog.Peer(host), "type", msgName(msg.Type))
		return
	}
	body := msg.Body
	if msg.Stream != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(msg.Stream, msg.Size))
		msg.Close()
		if err != nil {
			s.log.Warn("message lost while streaming", eolog.Peer(host), eolog.Err(err))
			return
		}
	}
	s.metrics.received(host, msgName(msg.Type), len(body))
	s.peers.note(host, true, nil)
	env, err := decodeEnvelope(msg.Type, body)
	if err != nil {
		s.log.Warn("message dropped", eolog.Peer(host), "type", msgName(msg.Type), eolog.Err(err))
		return
	}
	switch msg.Type {
	case msgSetup:
		s.acceptSetup(host, env)
		return
	case msgResend:
		s.resend(host, env)
		return
	case msgApproval:
		s.noteApproval(host, env)
		return
	}
	s.mu.Lock()
	e := s.elections[env.Election]
	if e == nil {
		// The setup of this election may still be on its way: keep the
		// message a while (bounded), it is delivered with the setup.
		if len(s.orphans[env.Election]) < maxPending && len(s.orphans) < 1000 {
			s.orphans[env.Election] = append(s.orphans[env.Election], orphan{host, msg.Type, env, time.Now()})
		}
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	e.deliver(host, msg.Type, env)
}

// send delivers one message to an authority, counting its bytes.
func (s *Server) send(ctx context.Context, host string, t peers.MessageType, body []byte) error {
	err := s.tr.Send(ctx, host, toMessage(t, body))
	if ctx.Err() == nil {
		s.peers.note(host, false, err)
	}
	if err == nil {
		s.metrics.sent(host, msgName(t), len(body))
	}
	return err
}

func (s *Server) electionDir(id string) string { return filepath.Join(s.dir, id) }

// resume loads every election of the state directory.
func (s *Server) resume() error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("orchestra: %w", err)
	}
	for _, de := range ents {
		if !de.IsDir() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		st, err := loadState(filepath.Join(s.dir, de.Name()))
		if err != nil {
			s.log.Error("election state unreadable; left as it is", eolog.Election(de.Name()), eolog.Err(err))
			continue
		}
		e, err := s.newElection(st)
		if err != nil {
			s.log.Error("election state invalid; left as it is", eolog.Election(de.Name()), eolog.Err(err))
			continue
		}
		s.elections[st.Setup.ElectionID] = e
		e.resume()
	}
	return nil
}

// orphansFor removes and returns the messages kept for an election.
func (s *Server) orphansFor(id string) []orphan {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orphans[id]
	delete(s.orphans, id)
	// Forget orphans older than a round's timeout: a setup that never came.
	for k, v := range s.orphans {
		if len(v) > 0 && time.Since(v[len(v)-1].at) > 10*time.Minute {
			delete(s.orphans, k)
		}
	}
	return o
}
