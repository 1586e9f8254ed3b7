package eotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/eo-mixnet/eo/internal/drill"
	"github.com/eo-mixnet/eo/internal/memnet"
	"github.com/eo-mixnet/eo/orchestra"
	"github.com/eo-mixnet/eo/peers"
)

// Cluster is N authorities on loopback, each a real orchestra.Server with
// its own directory, certificate and trust store holding the others'
// packages, talking QUIC (or, with ClusterOptions.Network, through an
// in-memory network) and HTTPS: what --local starts. The servers run in
// this process, or each in its own with ClusterOptions.Processes.
type Cluster struct {
	Dirs    []string // authority i's directory is Dirs[i-1]
	Names   []string
	Proxies []*Proxy // with ClusterOptions.Impair: Proxies[i-1] stands before authority i
	servers []*orchestra.Server
	cancels []context.CancelFunc
	dones   []chan struct{}
	errs    []error
	opts    ClusterOptions
	configs []*orchestra.Config
	ctx     context.Context
	procs   []*proc // with ClusterOptions.Processes, instead of servers
}

// ClusterOptions configure StartCluster.
type ClusterOptions struct {
	N   int
	Dir string // parent directory of the authorities' directories
	// Config is every authority's configuration (nil: defaults), except
	// those that Configs gives (by authority, 1-based).
	Config  *orchestra.Config
	Configs map[int]*orchestra.Config
	// Logger receives every authority's events (nil: none).
	Logger *slog.Logger
	// Impair, if set, puts a Proxy with this impairment in front of every
	// authority's QUIC port: the others' packages name the proxy.
	Impair *Impairment
	// Network, if set, carries the peer protocol instead of QUIC: each
	// authority talks through Network.Endpoint(its host name), and the
	// faults are the Network's. The HTTPS API stays on loopback TCP.
	// Impair must then be nil.
	Network *memnet.Network
	// Adversaries maps an authority (1-based) to the way it misbehaves
	// (one of drill.Kinds), for drills: it becomes the authority's
	// orchestra.Options.Drill.
	Adversaries map[int]string
	// LateStart maps an authority (1-based) to how late it starts its key
	// generations, for drills (a starved machine).
	LateStart map[int]time.Duration
	// At maps an authority (1-based) to its drill hook, called at each
	// crash point it passes (drill.Authority.At): the --down drills.
	At map[int]func(ctx context.Context, point string)
	// Processes runs each authority in its own process instead of in
	// this one, so that PeakMemory can tell each one's peak memory: the
	// process is Command (default: this program's AuthorityCommand, which
	// calls ServeAuthority), given its directory, where the cluster
	// writes its configuration (eorchestra.json), and its sockets. Not
	// with Network, Impair, Adversaries, LateStart or At: drills run in
	// process.
	Processes bool
	// Command is the program and first arguments of an authority's
	// process with Processes (nil: os.Executable() and AuthorityCommand);
	// the cluster appends --dir DIR and the other arguments ServeAuthority
	// reads.
	Command []string
}

// drillOf returns authority i's drill (1-based), nil for an honest one.
func (o ClusterOptions) drillOf(i int) *drill.Authority {
	if o.Adversaries[i] == "" && o.LateStart[i] == 0 && o.At[i] == nil {
		return nil
	}
	return &drill.Authority{Kind: o.Adversaries[i], LateStart: o.LateStart[i], At: o.At[i]}
}

// bindPair binds a TCP and a UDP socket on the same free loopback port.
func bindPair() (net.Listener, net.PacketConn, int, error) {
	var lastErr error
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			return l, u, port, nil
		}
		l.Close()
		lastErr = err
	}
	return nil, nil, 0, fmt.Errorf("eotest: no free port for TCP and UDP: %w", lastErr)
}

// socks are an authority's sockets: the HTTPS API's, and the QUIC one
// unless the cluster runs on a memnet.Network.
type socks struct {
	tcp net.Listener
	udp net.PacketConn
}

func (s socks) close() {
	s.tcp.Close()
	if s.udp != nil {
		s.udp.Close()
	}
}

// StartCluster initializes N authorities (local-a1 … local-aN) in o.Dir,
// installs every authority's peer package at every other, and starts them.
func StartCluster(ctx context.Context, o ClusterOptions) (*Cluster, error) {
	if o.N < 1 {
		return nil, errors.New("eotest: --local needs at least one authority")
	}
	if o.Network != nil && o.Impair != nil {
		return nil, errors.New("eotest: Impair (a QUIC proxy) and Network are exclusive")
	}
	if o.Processes && (o.Network != nil || o.Impair != nil || len(o.Adversaries) > 0 || len(o.LateStart) > 0 || len(o.At) > 0) {
		return nil, errors.New("eotest: --processes runs honest authorities on real sockets: not with adversaries, late starts, an in-memory network or an impairment (those drills run in one process)")
	}
	c := &Cluster{}
	var ss []socks
	closeAll := func() {
		for _, s := range ss {
			s.close()
		}
	}
	var ids []*peers.Identity
	for i := 1; i <= o.N; i++ {
		tcp, udp, port, err := bindPair()
		if err != nil {
			closeAll()
			return nil, err
		}
		if o.Network != nil {
			// The package still names the port, for QUIC too, but
			// nothing listens there.
			udp.Close()
			udp = nil
		}
		ss = append(ss, socks{tcp, udp})
		name := fmt.Sprintf("local-a%d", i)
		dir := filepath.Join(o.Dir, name)
		id, err := peers.InitIdentity(dir, peers.InitOptions{Hostname: name, IPAddress: "127.0.0.1", Port: port})
		if err != nil {
			closeAll()
			return nil, err
		}
		ids = append(ids, id)
		c.Dirs, c.Names = append(c.Dirs, dir), append(c.Names, name)
		cfg := orchestra.Config{}
		if c := o.Configs[len(c.Dirs)]; c != nil {
			cfg = *c
		} else if o.Config != nil {
			cfg = *o.Config
		}
		if cfg.PassphraseFile == "" {
			// Each authority's key shares are encrypted under its own
			// random passphrase, as an operator's would be.
			var pass [16]byte
			rand.Read(pass[:])
			if err := os.WriteFile(filepath.Join(dir, "passphrase"), []byte(hex.EncodeToString(pass[:])), 0o600); err != nil {
				closeAll()
				return nil, err
			}
			cfg.PassphraseFile = "passphrase"
		}
		c.configs = append(c.configs, &cfg)
	}
	if o.Impair != nil {
		for i := range ids {
			px, err := NewProxy(ss[i].udp.LocalAddr().String(), *o.Impair)
			if err != nil {
				closeAll()
				c.closeProxies()
				return nil, err
			}
			c.Proxies = append(c.Proxies, px)
		}
	}
	for i, id := range ids {
		st, err := id.OpenStore()
		if err != nil {
			closeAll()
			c.closeProxies()
			return nil, err
		}
		for j, other := range ids {
			if i == j {
				continue
			}
			p, err := other.Package(false)
			if err == nil && c.Proxies != nil {
				p.QUICPort = c.Proxies[j].Port()
			}
			if err == nil {
				_, err = st.Install(p, false)
			}
			if err != nil {
				closeAll()
				return nil, err
			}
		}
	}
	c.opts, c.ctx = o, ctx
	if o.Processes {
		return c.startProcesses(ss)
	}
	for i, dir := range c.Dirs {
		log := o.Logger
		if log != nil {
			log = log.With("authority", c.Names[i])
		}
		opts := orchestra.Options{Dir: dir, Config: c.configs[i], Logger: log, TCP: ss[i].tcp, UDP: ss[i].udp, Drill: o.drillOf(i + 1)}
		if o.Network != nil {
			opts.Transport = o.Network.Endpoint(c.Names[i])
		}
		srv, err := orchestra.New(opts)
		if err != nil {
			if opts.Transport != nil {
				opts.Transport.Close()
			}
			for _, s := range ss[i:] {
				s.close()
			}
			c.servers = append(c.servers, nil)
			c.Close()
			return nil, err
		}
		c.servers = append(c.servers, srv)
	}
	c.errs = make([]error, len(c.servers))
	c.cancels = make([]context.CancelFunc, len(c.servers))
	c.dones = make([]chan struct{}, len(c.servers))
	for i := range c.servers {
		c.run(i)
	}
	return c, nil
}

func (c *Cluster) run(i int) {
	ctx, cancel := context.WithCancel(c.ctx)
	c.cancels[i], c.dones[i] = cancel, make(chan struct{})
	srv, done := c.servers[i], c.dones[i]
	go func() {
		defer close(done)
		c.errs[i] = srv.Run(ctx)
	}()
}

// startProcesses starts every authority in its own process, on the
// sockets ss, which it closes: the processes inherit copies, and so does
// the cluster, for their restarts.
func (c *Cluster) startProcesses(ss []socks) (*Cluster, error) {
	n := len(c.Dirs)
	c.errs, c.cancels, c.dones = make([]error, n), make([]context.CancelFunc, n), make([]chan struct{}, n)
	var err error
	for i, dir := range c.Dirs {
		p := &proc{name: c.Names[i], dir: dir}
		c.procs = append(c.procs, p)
		if err = writeConfig(dir, c.configs[i]); err != nil {
			break
		}
		if p.tcp, p.udp, err = socketFiles(ss[i]); err != nil {
			break
		}
	}
	if err != nil {
		for _, s := range ss {
			s.close()
		}
		c.Close()
		return nil, err
	}
	for i := range c.procs {
		if err := c.spawn(i); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Stop stops authority i (1-based) as a shutdown would, and waits for it.
func (c *Cluster) Stop(i int) error {
	c.cancels[i-1]()
	<-c.dones[i-1]
	return c.errs[i-1]
}

// Start starts a stopped authority i again from its directory, on its
// port: it resumes its elections.
func (c *Cluster) Start(i int) error {
	if c.procs != nil {
		return c.spawn(i - 1)
	}
	log := c.opts.Logger
	if log != nil {
		log = log.With("authority", c.Names[i-1])
	}
	opts := orchestra.Options{Dir: c.Dirs[i-1], Config: c.configs[i-1], Logger: log, Drill: c.opts.drillOf(i)}
	if c.opts.Network != nil {
		opts.Transport = c.opts.Network.Endpoint(c.Names[i-1])
	}
	srv, err := orchestra.New(opts)
	if err != nil {
		if opts.Transport != nil {
			opts.Transport.Close()
		}
		return err
	}
	c.servers[i-1] = srv
	c.run(i - 1)
	return nil
}

// Close stops every authority and returns their errors.
func (c *Cluster) Close() error {
	for i := range c.cancels {
		if c.cancels[i] != nil {
			c.cancels[i]()
			<-c.dones[i]
		}
	}
	c.closeProxies()
	for _, p := range c.procs {
		if p.tcp != nil {
			p.tcp.Close()
			p.udp.Close()
			p.tcp, p.udp = nil, nil
		}
	}
	return errors.Join(c.errs...)
}

// PeakMemory returns, after Close, each authority's peak resident memory
// in bytes (over its restarts): with ClusterOptions.Processes, where the
// system tells a process's peak (getrusage's ru_maxrss, Unix); nil
// otherwise.
func (c *Cluster) PeakMemory() []int64 {
	if c.procs == nil {
		return nil
	}
	peaks := make([]int64, len(c.procs))
	for i, p := range c.procs {
		peaks[i] = p.peak
	}
	return peaks
}

func (c *Cluster) closeProxies() {
	for _, p := range c.Proxies {
		p.Close()
	}
}

// Status returns authority i's (1-based) status report: what its status
// page shows. With ClusterOptions.Processes it reads the status page
// (/status.json), and returns an empty report if it cannot (the authority
// is stopped, or its status_listen is off).
func (c *Cluster) Status(i int) orchestra.StatusReport {
	if c.procs != nil {
		r, _ := processStatus(c.ctx, c.procs[i-1].status)
		return r
	}
	return c.servers[i-1].Status()
}

// StatusURL returns the address of authority i's (1-based) status page,
// "" if it serves none (status_listen "off").
func (c *Cluster) StatusURL(i int) string {
	if c.procs != nil {
		return c.procs[i-1].status
	}
	a := c.servers[i-1].StatusAddr()
	if a == nil {
		return ""
	}
	return "http://" + a.String() + "/status"
}
