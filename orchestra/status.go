package orchestra

import (
	"log/slog"
	"sync"
	"time"

	"github.com/eo-mixnet/eo/eolog"
)

// progressLogEvery is how often reportProgress logs one phase's progress
// at most (its first report and its completion are always logged).
const progressLogEvery = 5 * time.Second

// progressBoard is what the phases of every election report of their
// progress (reportProgress), for the status page and the event log.
type progressBoard struct {
	mu sync.Mutex
	el map[string]*electionProgress // by election id
}

// electionProgress is one election's phases, in the order they first
// reported.
type electionProgress struct {
	log    *slog.Logger
	phases []*phaseProgress
	byName map[string]*phaseProgress
}

// phaseProgress is one phase of one election: done of total units (ballots
// validated, mixes, decryption shares …).
type phaseProgress struct {
	name        string
	done, total int
	started     time.Time // first report
	updated     time.Time // last report
	finished    time.Time // first report with done >= total; zero before
	logged      time.Time // last logged
}

// reportProgress records that phase of election electionID has done units
// of total, for the status page, and logs it as an Info event (attributes
// election, phase, done, total, percent) at most every progressLogEvery
// per phase, and always on the first report and when done reaches total.
//
// It is safe for concurrent use and cheap enough for hot loops: one mutex
// and two map look-ups, O(1), no allocation after a phase's first report
// except when it logs. Phase names are free-form and shown as given
// ("keygen", "validate", "mix", "decrypt", "q0 mix" …); a phase that
// reports done below its last value after it finished starts again.
// total <= 0 means unknown.
func (s *Server) reportProgress(electionID, phase string, done, total int) {
	now := time.Now()
	b := &s.progress
	b.mu.Lock()
	if b.el == nil {
		b.el = map[string]*electionProgress{}
	}
	ep := b.el[electionID]
	if ep == nil {
		ep = &electionProgress{log: s.log.With(eolog.Election(electionID)), byName: map[string]*phaseProgress{}}
		b.el[electionID] = ep
	}
	p := ep.byName[phase]
	if p == nil {
		p = &phaseProgress{name: phase, started: now}
		ep.byName[phase] = p
		ep.phases = append(ep.phases, p)
	} else if !p.finished.IsZero() && done < p.done {
		*p = phaseProgress{name: phase, started: now}
	}
	p.done, p.total, p.updated = done, total, now
	complete := total > 0 && done >= total
	log := p.logged.IsZero() || now.Sub(p.logged) >= progressLogEvery
	if complete && p.finished.IsZero() {
		p.finished, log = now, true
	}
	if log {
		p.logged = now
	}
	logger := ep.log
	b.mu.Unlock()
	if !log {
		return
	}
	attrs := []any{eolog.Phase(phase), slog.Int("done", done), slog.Int("total", total)}
	if total > 0 {
		attrs = append(attrs, slog.Float64("percent", percent(done, total)))
	}
	logger.Info("progress", attrs...)
}

// percent is done/total in percent, rounded to a tenth.
func percent(done, total int) float64 {
	if total <= 0 {
		return 0
	}
	return float64(done*1000/total) / 10
}
