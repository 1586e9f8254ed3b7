package orchestra

import (
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// The metrics are client_golang's exposition, on a registry of their own:
// eo's counters and phase histogram, the Go runtime's and the process's.
func TestMetricsExposition(t *testing.T) {
	m := newMetrics()
	m.setActive(func() int { return 3 })
	m.sessionStarted("tally")
	m.sessionEnded("tallied")
	m.received("local-a2", "mix", 100)
	m.sent("local-a2", "dec", 50)
	m.phase("mix", 2*time.Second)
	m.phase("mix", 5*time.Millisecond)

	w := httptest.NewRecorder()
	m.handler.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body := w.Body.String()
	want := []string{
		`eo_sessions_started_total{kind="tally"} 1`,
		`eo_sessions_ended_total{status="tallied"} 1`,
		`eo_messages_received_total{peer="local-a2",type="mix"} 1`,
		`eo_received_bytes_total{peer="local-a2"} 100`,
		`eo_messages_sent_total{peer="local-a2",type="dec"} 1`,
		`eo_sent_bytes_total{peer="local-a2"} 50`,
		`# TYPE eo_phase_seconds histogram`,
		`eo_phase_seconds_bucket{phase="mix",le="0.01"} 1`,
		`eo_phase_seconds_bucket{phase="mix",le="+Inf"} 2`,
		`eo_phase_seconds_count{phase="mix"} 2`,
		`eo_sessions_active 3`,
		`eo_up_seconds `,
		`go_goroutines `,
		`go_memstats_heap_alloc_bytes `,
	}
	if runtime.GOOS == "linux" {
		want = append(want, `process_resident_memory_bytes `, `process_cpu_seconds_total `)
	}
	for _, s := range want {
		require.Contains(t, body, s)
	}

	// Not the global registry: two servers in one process (a local
	// cluster) do not collide, and nothing of eo's is in the default one.
	newMetrics().setActive(func() int { return 0 })
	mfs, err := prometheus.DefaultGatherer.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		require.False(t, strings.HasPrefix(mf.GetName(), "eo_"), mf.GetName())
	}
}
