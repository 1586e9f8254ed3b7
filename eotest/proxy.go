package eotest

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Impairment is what a Proxy does to the datagrams it forwards, each
// independently: drop, duplicate, delay (which reorders them).
type Impairment struct {
	Drop      float64       // probability a datagram is lost
	Duplicate float64       // probability it is delivered twice
	MaxDelay  time.Duration // each copy waits uniformly in [0, MaxDelay)
}

// Proxy is a UDP relay between the authorities of a test cluster: it
// listens on a loopback port, forwards every client's datagrams to target
// from a socket of its own, and the answers back, impaired as its
// Impairment says (which may change while it runs).
type Proxy struct {
	conn   *net.UDPConn
	target *net.UDPAddr
	imp    atomic.Pointer[Impairment]
	mu     sync.Mutex
	peers  map[string]*net.UDPConn
	closed atomic.Bool
	// Counters, for tests.
	Forwarded, Dropped, Duplicated atomic.Int64
}

// NewProxy starts a proxy to target on a free loopback port.
func NewProxy(target string, imp Impairment) (*Proxy, error) {
	t, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		return nil, err
	}
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	p := &Proxy{conn: c, target: t, peers: map[string]*net.UDPConn{}}
	p.imp.Store(&imp)
	go p.serve()
	return p, nil
}

// Port is the proxy's UDP port.
func (p *Proxy) Port() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

// Set changes the impairment.
func (p *Proxy) Set(imp Impairment) { p.imp.Store(&imp) }

// Close stops the proxy.
func (p *Proxy) Close() error {
	p.closed.Store(true)
	p.mu.Lock()
	for _, c := range p.peers {
		c.Close()
	}
	p.mu.Unlock()
	return p.conn.Close()
}

func (p *Proxy) serve() {
	buf := make([]byte, 65536)
	for {
		n, from, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		up, err := p.upstream(from)
		if err != nil {
			continue
		}
		pkt := append([]byte(nil), buf[:n]...)
		p.impair(func() { up.Write(pkt) })
	}
}

// upstream returns the socket that stands for client from towards the
// target, starting the relay of the target's answers.
func (p *Proxy) upstream(from *net.UDPAddr) (*net.UDPConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.peers[from.String()]; ok {
		return c, nil
	}
	c, err := net.DialUDP("udp", nil, p.target)
	if err != nil {
		return nil, err
	}
	p.peers[from.String()] = c
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			pkt := append([]byte(nil), buf[:n]...)
			p.impair(func() { p.conn.WriteToUDP(pkt, from) })
		}
	}()
	return c, nil
}

func (p *Proxy) impair(send func()) {
	imp := p.imp.Load()
	if rand.Float64() < imp.Drop {
		p.Dropped.Add(1)
		return
	}
	copies := 1
	if rand.Float64() < imp.Duplicate {
		copies = 2
		p.Duplicated.Add(1)
	}
	p.Forwarded.Add(1)
	for range copies {
		if imp.MaxDelay <= 0 {
			send()
			continue
		}
		time.AfterFunc(rand.N(imp.MaxDelay), func() {
			if !p.closed.Load() {
				send()
			}
		})
	}
}
