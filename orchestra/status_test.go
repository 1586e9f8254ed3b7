package orchestra

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/eolog"
)

func TestStatusReportProgress(t *testing.T) {
	var buf bytes.Buffer
	s := &Server{log: slog.New(eolog.NewJSONHandler(&buf, nil))}
	for i := 0; i <= 1000; i++ {
		s.reportProgress("e1", "validate", i, 1000)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// The first report and the completion, nothing between (no test runs
	// for progressLogEvery between two of these calls… unless the machine
	// stalls, so allow a few more).
	if len(lines) < 2 || len(lines) > 10 {
		t.Fatalf("%d progress events:\n%s", len(lines), buf.String())
	}
	for _, want := range []string{`"election":"e1"`, `"phase":"validate"`, `"done":1000`, `"total":1000`, `"percent":100`} {
		if !strings.Contains(lines[len(lines)-1], want) {
			t.Errorf("last event %s lacks %s", lines[len(lines)-1], want)
		}
	}
}

func TestStatusReportProgressConcurrent(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				s.reportProgress("e", []string{"mix", "decrypt"}[g%2], i, 1000)
			}
		}()
	}
	wg.Wait()
}

func TestStatusReportProgressAllocs(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	s.reportProgress("e", "mix", 0, 10)
	i := 0
	if n := testing.AllocsPerRun(100, func() { i++; s.reportProgress("e", "mix", i%9, 10) }); n > 0 {
		t.Errorf("reportProgress allocates %v times per call", n)
	}
}

// The page shows what the state says of a failed election: its reason,
// the absent and blamed authorities, the trustees awaited; phases with
// their progress and an estimate of the time left. Text is escaped.
func TestStatusTemplate(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	p := &phaseProgress{name: "mix", done: 1, total: 4, started: now.Add(-10 * time.Second), updated: now}
	seen := now.Add(-3 * time.Second)
	r := StatusReport{Authority: "a1", Time: now, Started: now.Add(-time.Hour), Elections: []ElectionReport{{
		ID: "e<1>", Status: statusFailed, Reason: "local-a3 sent a mix whose proof fails", Threshold: 2,
		Authorities: []string{"local-a1", "local-a2", "local-a3"}, Absent: []string{"local-a2"}, Blamed: []string{"local-a3"},
		Approvals: []ApprovalReport{{Authority: "local-a1", Kind: "tally"}},
		Phases:    []PhaseReport{p.report(now)},
	}}, Peers: []PeerReport{{Name: "local-a2", Role: "authority", Connected: true, LastSeen: &seen}}}
	require.NotNil(t, r.Elections[0].Phases[0].ETASeconds)
	require.InDelta(t, 30, *r.Elections[0].Phases[0].ETASeconds, 0.01)
	var buf bytes.Buffer
	require.NoError(t, statusTemplate.Execute(&buf, r))
	html := buf.String()
	for _, want := range []string{`data-status="failed"`, "local-a3 sent a mix whose proof fails", "Absent: local-a2",
		"Blamed: local-a3", "local-a1 (tally)", "1 of 4 (25%)", "~30s", "3s ago", "e&lt;1&gt;", "connected"} {
		require.Contains(t, html, want)
	}
	require.NotContains(t, html, "e<1>")
}

// What reportProgress records is in the election's report: phases in the
// order first reported, done, total, an ETA while running, the duration
// once done; a trustee awaited is listed.
func TestStatusElectionReportProgress(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler), cfg: Config{}.withDefaults()}
	e := &election{srv: s, id: "e1", st: state{Status: statusTallying, Setup: setup{ElectionID: "e1", Director: "a1", Threshold: 2,
		Questions: 2, Widths: []int{1, 3}, Authorities: []authority{{Name: "a1"}, {Name: "a2"}}}, Absent: []string{"a2"}}}
	e.approvals.others = map[approvalKey]*peerWaits{{from: 2, kind: "tally"}: {first: time.Now(), last: time.Now()}}
	s.reportProgress("e1", "validate", 100, 100)
	s.reportProgress("e1", "mix", 1, 2)
	s.reportProgress("other", "mix", 1, 2)
	r := s.electionReport(e, time.Now().Add(time.Second))
	require.Equal(t, statusTallying, r.Status)
	require.Equal(t, []QuestionReport{{"q0", 1}, {"q1", 3}}, r.Questions)
	require.Equal(t, []string{"a2"}, r.Absent)
	require.Len(t, r.Phases, 2)
	require.Equal(t, "validate", r.Phases[0].Name)
	require.NotNil(t, r.Phases[0].Finished)
	require.Nil(t, r.Phases[0].ETASeconds)
	require.Equal(t, "mix", r.Phases[1].Name)
	require.Equal(t, 50.0, r.Phases[1].Percent)
	require.NotNil(t, r.Phases[1].ETASeconds)
	require.Nil(t, r.Phases[1].Finished)
	require.Equal(t, []ApprovalReport{{Authority: "a2", Kind: "tally", Since: r.Approvals[0].Since}}, r.Approvals)
	require.Empty(t, r.Record)

	// A phase that reports again from the start after it ended restarts.
	s.reportProgress("e1", "validate", 0, 50)
	r = s.electionReport(e, time.Now())
	require.Nil(t, r.Phases[0].Finished)
	require.Equal(t, 50, r.Phases[0].Total)
}
