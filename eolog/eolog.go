// Package eolog is eo's event log: how an authority writes what it does,
// and how an operator reads it back.
//
// An authority daemon logs with log/slog. It writes every event as one
// JSON object per line to a file (NewJSONHandler; by convention
// Path(dir), "log/events.jsonl" under the authority directory) and, for
// the console, the same events as human-readable lines (NewTextHandler);
// Tee sends one logger's events to both:
//
//	f, err := eolog.OpenFile(dir)
//	...
//	logger := slog.New(eolog.Tee(
//		eolog.NewJSONHandler(f, &eolog.Options{Level: slog.LevelDebug}),
//		eolog.NewTextHandler(os.Stderr, &eolog.Options{Color: true}),
//	))
//	log := eolog.With(logger, electionID, sessionID, "", "")
//	log.Info("mix verified", eolog.Phase("mix"), eolog.Peer("a2.example.org"))
//
// Every line holds "time" (RFC 3339, UTC, nanoseconds), "level", "msg",
// the well-known attributes "election", "session", "phase" and "peer"
// where they apply, "error" for failures, and any other attributes. The
// format is described in doc/eolog.md.
//
// Secrets never reach the log: the handlers of this package replace by
// "[redacted]" every attribute whose key is a secret key (IsSecretKey),
// everything inside a group so named, and every value that implements
// Redactor, such as Secret. Redact adds the same rule to any handler.
//
// ParseEvent, Tail and Follow read the log back; Filter selects events;
// Format renders one as a line of text. The eolog command is built on
// them.
package eolog

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// The keys of the well-known attributes.
const (
	// KeyElection is the election's identifier, as the web server gave it.
	KeyElection = "election"
	// KeySession is the session's identifier: one question of an election.
	KeySession = "session"
	// KeyPhase is the protocol phase the event belongs to.
	KeyPhase = "phase"
	// KeyPeer is the host name of the other authority the event concerns.
	KeyPeer = "peer"
	// KeyError is the reason of a failure.
	KeyError = "error"
)

// TimeFormat is the layout of the "time" attribute: RFC 3339 with
// nanoseconds, always nine digits, in UTC, so that lines sort by time.
const TimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// Election returns the attribute naming an election.
func Election(id string) slog.Attr { return slog.String(KeyElection, id) }

// Session returns the attribute naming a session.
func Session(id string) slog.Attr { return slog.String(KeySession, id) }

// Phase returns the attribute naming a protocol phase.
func Phase(name string) slog.Attr { return slog.String(KeyPhase, name) }

// Peer returns the attribute naming another authority by its host name.
func Peer(host string) slog.Attr { return slog.String(KeyPeer, host) }

// Err returns the attribute giving the reason of a failure. A nil err gives
// an empty attribute, which handlers omit.
func Err(err error) slog.Attr {
	if err == nil {
		return slog.Attr{}
	}
	return slog.String(KeyError, err.Error())
}

// With returns a logger that adds the well-known attributes that are not
// empty to every event. Call it before any WithGroup, so that they stay at
// the top level of the event where readers look for them.
func With(logger *slog.Logger, election, session, phase, peer string) *slog.Logger {
	var args []any
	for _, a := range []slog.Attr{Election(election), Session(session), Phase(phase), Peer(peer)} {
		if a.Value.String() != "" {
			args = append(args, a)
		}
	}
	if len(args) == 0 {
		return logger
	}
	return logger.With(args...)
}

// Options configures the handlers of this package. A nil *Options is the
// zero Options.
type Options struct {
	// Level is the minimum level logged; nil means slog.LevelInfo.
	Level slog.Leveler
	// AddSource adds the "source" attribute (function, file and line).
	AddSource bool
	// Color makes NewTextHandler colour its lines with ANSI escapes. Set it
	// only when the writer is a terminal.
	Color bool
	// RedactKeys are keys to redact in addition to the standard ones (see
	// IsSecretKey), compared the same way.
	RedactKeys []string
}

func (o *Options) handlerOptions() *slog.HandlerOptions {
	if o == nil {
		o = &Options{}
	}
	return &slog.HandlerOptions{
		Level:       o.Level,
		AddSource:   o.AddSource,
		ReplaceAttr: replaceTime,
	}
}

// replaceTime writes the record's time in TimeFormat, in UTC.
func replaceTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey && a.Value.Kind() == slog.KindTime {
		return slog.String(slog.TimeKey, a.Value.Time().UTC().Format(TimeFormat))
	}
	return a
}

// NewJSONHandler returns the handler of the event log file: one JSON object
// per line, written to w with one Write call each, with secrets redacted.
// It is safe for concurrent use.
func NewJSONHandler(w io.Writer, opts *Options) slog.Handler {
	var keys []string
	if opts != nil {
		keys = opts.RedactKeys
	}
	return Redact(slog.NewJSONHandler(w, opts.handlerOptions()), keys...)
}

// New returns a logger writing JSON lines to w, as NewJSONHandler.
func New(w io.Writer, opts *Options) *slog.Logger {
	return slog.New(NewJSONHandler(w, opts))
}

// FileName is the path of the event log under an authority directory.
const FileName = "log/events.jsonl"

// Path returns the path of the event log of the authority directory dir.
func Path(dir string) string {
	return filepath.Join(dir, filepath.FromSlash(FileName))
}

// OpenFile opens the event log of the authority directory dir for
// appending, creating it (mode 0640) and its directory (0750) if needed.
func OpenFile(dir string) (*os.File, error) {
	p := Path(dir)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return nil, err
	}
	return os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
}

// Tee returns a handler that sends each record to every one of handlers
// that is enabled for its level. Its errors are those of the handlers,
// joined.
func Tee(handlers ...slog.Handler) slog.Handler {
	return tee(append([]slog.Handler(nil), handlers...))
}

type tee []slog.Handler

func (t tee) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range t {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (t tee) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range t {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (t tee) WithAttrs(attrs []slog.Attr) slog.Handler {
	u := make(tee, len(t))
	for i, h := range t {
		u[i] = h.WithAttrs(attrs)
	}
	return u
}

func (t tee) WithGroup(name string) slog.Handler {
	u := make(tee, len(t))
	for i, h := range t {
		u[i] = h.WithGroup(name)
	}
	return u
}
