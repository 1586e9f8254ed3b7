package orchestra

import (
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/eo-mixnet/eo/eolog"
)

// metrics are the daemon's Prometheus metrics, through
// prometheus/client_golang on a registry of their own (not the global
// default one): eo's counters, a histogram of the phases' durations, and
// the Go runtime's and the process's collectors, under the names
// Grafana's dashboards expect (go_*, process_*).
type metrics struct {
	reg       *prometheus.Registry
	started   *prometheus.CounterVec   // eo_sessions_started_total{kind}
	ended     *prometheus.CounterVec   // eo_sessions_ended_total{status}
	msgsIn    *prometheus.CounterVec   // eo_messages_received_total{peer,type}
	bytesIn   *prometheus.CounterVec   // eo_received_bytes_total{peer}
	msgsOut   *prometheus.CounterVec   // eo_messages_sent_total{peer,type}
	bytesOut  *prometheus.CounterVec   // eo_sent_bytes_total{peer}
	phases    *prometheus.HistogramVec // eo_phase_seconds{phase}
	startTime time.Time
	handler   http.Handler
}

// phaseBuckets are eo_phase_seconds's buckets: 10 ms to about 3 hours.
var phaseBuckets = prometheus.ExponentialBuckets(0.01, 3, 14)

// newMetrics makes the metrics; setActive adds eo_sessions_active.
func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), startTime: time.Now()}
	m.started = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "eo_sessions_started_total", Help: "Key generations and tallies started."}, []string{"kind"})
	m.ended = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "eo_sessions_ended_total", Help: "Key generations and tallies ended, by outcome."}, []string{"status"})
	m.msgsIn = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "eo_messages_received_total", Help: "Peer messages received."}, []string{"peer", "type"})
	m.bytesIn = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "eo_received_bytes_total", Help: "Peer message bytes received."}, []string{"peer"})
	m.msgsOut = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "eo_messages_sent_total", Help: "Peer messages sent."}, []string{"peer", "type"})
	m.bytesOut = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "eo_sent_bytes_total", Help: "Peer message bytes sent."}, []string{"peer"})
	m.phases = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "eo_phase_seconds", Help: "Time spent per protocol phase.", Buckets: phaseBuckets}, []string{"phase"})
	m.reg.MustRegister(m.started, m.ended, m.msgsIn, m.bytesIn, m.msgsOut, m.bytesOut, m.phases,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "eo_up_seconds", Help: "Seconds since the daemon started."},
			func() float64 { return time.Since(m.startTime).Seconds() }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

// setActive registers eo_sessions_active, which active counts.
func (m *metrics) setActive(active func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "eo_sessions_active", Help: "Elections with a running phase."},
		func() float64 { return float64(active()) }))
}

func (m *metrics) sessionStarted(kind string) { m.started.WithLabelValues(kind).Inc() }
func (m *metrics) sessionEnded(status string) { m.ended.WithLabelValues(status).Inc() }

func (m *metrics) received(peer, typ string, n int) {
	m.msgsIn.WithLabelValues(peer, typ).Inc()
	m.bytesIn.WithLabelValues(peer).Add(float64(n))
}

func (m *metrics) sent(peer, typ string, n int) {
	m.msgsOut.WithLabelValues(peer, typ).Inc()
	m.bytesOut.WithLabelValues(peer).Add(float64(n))
}

func (m *metrics) phase(name string, d time.Duration) {
	m.phases.WithLabelValues(name).Observe(d.Seconds())
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// activeSessions counts the elections with a running phase.
func (s *Server) activeSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	active := 0
	for _, e := range s.elections {
		e.mu.Lock()
		if e.running {
			active++
		}
		e.mu.Unlock()
	}
	return active
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	s.metrics.handler.ServeHTTP(w, r)
}

// summary is what one key generation or tally cost at this authority,
// logged when it ends: time per phase, bytes per peer, proof sizes.
type summary struct {
	mu     sync.Mutex
	phases []string
	secs   map[string]float64
	sent   map[string]int
	recv   map[string]int
	proofs int
}

func newSummary() *summary {
	return &summary{secs: map[string]float64{}, sent: map[string]int{}, recv: map[string]int{}}
}

func (s *summary) phase(name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.secs[name]; !ok {
		s.phases = append(s.phases, name)
	}
	s.secs[name] += d.Seconds()
}

func (s *summary) addSent(peer string, n int) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.sent[peer] += n
	s.mu.Unlock()
}

func (s *summary) addReceived(peer string, env *envelope) {
	if s == nil {
		return
	}
	n := 0
	for _, f := range env.Fields {
		n += len(f)
	}
	s.mu.Lock()
	s.recv[peer] += n
	s.mu.Unlock()
}

func (s *summary) proof(n int) {
	s.mu.Lock()
	s.proofs += n
	s.mu.Unlock()
}

func (s *summary) log(log *slog.Logger, kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ph []any
	for _, p := range s.phases {
		ph = append(ph, slog.Float64(p, s.secs[p]))
	}
	var sent, recv []any
	for _, p := range sortedKeys(toFloat(s.sent)) {
		sent = append(sent, slog.Int(p, s.sent[p]))
	}
	for _, p := range sortedKeys(toFloat(s.recv)) {
		recv = append(recv, slog.Int(p, s.recv[p]))
	}
	log.Info(kind+" summary", eolog.Phase(kind), slog.Group("seconds", ph...), slog.Group("bytes_sent", sent...),
		slog.Group("bytes_received", recv...), slog.Int("proof_bytes", s.proofs))
}

func toFloat(m map[string]int) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = float64(v)
	}
	return out
}
