package orchestra

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

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
