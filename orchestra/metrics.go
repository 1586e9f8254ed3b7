package orchestra

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/eo-mixnet/eo/eolog"
)

// metrics are the daemon's Prometheus metrics, in the text exposition
// format (a handful of counters need no client library).
type metrics struct {
	mu        sync.Mutex
	started   map[string]float64    // eo_sessions_started_total{kind}
	ended     map[string]float64    // eo_sessions_ended_total{status}
	msgsIn    map[[2]string]float64 // eo_messages_received_total{peer,type}
	bytesIn   map[string]float64    // eo_received_bytes_total{peer}
	msgsOut   map[[2]string]float64
	bytesOut  map[string]float64
	phaseSum  map[string]float64 // eo_phase_seconds_sum{phase}
	phaseCnt  map[string]float64
	startTime time.Time
}

func newMetrics() *metrics {
	return &metrics{started: map[string]float64{}, ended: map[string]float64{}, msgsIn: map[[2]string]float64{},
		bytesIn: map[string]float64{}, msgsOut: map[[2]string]float64{}, bytesOut: map[string]float64{},
		phaseSum: map[string]float64{}, phaseCnt: map[string]float64{}, startTime: time.Now()}
}

func (m *metrics) sessionStarted(kind string) { m.mu.Lock(); m.started[kind]++; m.mu.Unlock() }
func (m *metrics) sessionEnded(status string) { m.mu.Lock(); m.ended[status]++; m.mu.Unlock() }

func (m *metrics) received(peer, typ string, n int) {
	m.mu.Lock()
	m.msgsIn[[2]string{peer, typ}]++
	m.bytesIn[peer] += float64(n)
	m.mu.Unlock()
}

func (m *metrics) sent(peer, typ string, n int) {
	m.mu.Lock()
	m.msgsOut[[2]string{peer, typ}]++
	m.bytesOut[peer] += float64(n)
	m.mu.Unlock()
}

func (m *metrics) phase(name string, d time.Duration) {
	m.mu.Lock()
	m.phaseSum[name] += d.Seconds()
	m.phaseCnt[name]++
	m.mu.Unlock()
}

func (m *metrics) write(w io.Writer, active int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(w, "# HELP eo_up_seconds Seconds since the daemon started.\n# TYPE eo_up_seconds gauge\neo_up_seconds %g\n", time.Since(m.startTime).Seconds())
	fmt.Fprintf(w, "# HELP eo_sessions_active Elections with a running phase.\n# TYPE eo_sessions_active gauge\neo_sessions_active %d\n", active)
	counter1(w, "eo_sessions_started_total", "Key generations and tallies started.", "kind", m.started)
	counter1(w, "eo_sessions_ended_total", "Key generations and tallies ended, by outcome.", "status", m.ended)
	counter2(w, "eo_messages_received_total", "Peer messages received.", m.msgsIn)
	counter1(w, "eo_received_bytes_total", "Peer message bytes received.", "peer", m.bytesIn)
	counter2(w, "eo_messages_sent_total", "Peer messages sent.", m.msgsOut)
	counter1(w, "eo_sent_bytes_total", "Peer message bytes sent.", "peer", m.bytesOut)
	fmt.Fprintf(w, "# HELP eo_phase_seconds Time spent per protocol phase.\n# TYPE eo_phase_seconds summary\n")
	for _, k := range sortedKeys(m.phaseSum) {
		fmt.Fprintf(w, "eo_phase_seconds_sum{phase=%q} %g\neo_phase_seconds_count{phase=%q} %g\n", k, m.phaseSum[k], k, m.phaseCnt[k])
	}
}

func counter1(w io.Writer, name, help, label string, v map[string]float64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
	for _, k := range sortedKeys(v) {
		fmt.Fprintf(w, "%s{%s=%q} %g\n", name, label, k, v[k])
	}
}

func counter2(w io.Writer, name, help string, v map[[2]string]float64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
	keys := make([][2]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+"\x00"+keys[i][1] < keys[j][0]+"\x00"+keys[j][1] })
	for _, k := range keys {
		fmt.Fprintf(w, "%s{peer=%q,type=%q} %g\n", name, k[0], k[1], v[k])
	}
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	active := 0
	for _, e := range s.elections {
		e.mu.Lock()
		if e.running {
			active++
		}
		e.mu.Unlock()
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	s.metrics.write(w, active)
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
