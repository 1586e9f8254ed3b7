package eolog_test

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/eo-mixnet/eo/eolog"
)

// The daemon's logger: JSON lines to the event log, at debug level; human
// lines to the console, at info level, coloured on a terminal.
func Example() {
	dir, _ := os.MkdirTemp("", "eo")
	defer os.RemoveAll(dir)
	f, err := eolog.OpenFile(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "eorchestra: %v\n", err)
		return
	}
	defer f.Close()
	logger := slog.New(eolog.Tee(
		eolog.NewJSONHandler(f, &eolog.Options{Level: slog.LevelDebug}),
		eolog.NewTextHandler(os.Stderr, &eolog.Options{Color: false}),
	))

	log := eolog.With(logger, "42", "42-0", "dkg", "")
	log.Debug("dealing shares", "n", 3, "t", 2)
	log.Info("share received", eolog.Peer("a2.example.org"), "share", eolog.SecretString("s3cr3t"))

	r, _ := os.Open(eolog.Path(dir))
	defer r.Close()
	events, _, _ := eolog.Tail(r, 10, eolog.Filter{MinLevel: slog.LevelDebug})
	for _, e := range events {
		fmt.Println(e.Level, e.Election, e.Session, e.Phase, e.Peer, e.Msg, e.Attrs)
	}
	// Output:
	// DEBUG 42 42-0 dkg  dealing shares map[n:3 t:2]
	// INFO 42 42-0 dkg a2.example.org share received map[share:[redacted]]
}

func ExampleFormat() {
	line := `{"time":"2026-11-26T14:05:01.123456789Z","level":"WARN","msg":"mix rejected",` +
		`"election":"42","session":"42-0","phase":"mix","peer":"a3.example.org","error":"invalid proof","mixer":2}`
	e, err := eolog.ParseEvent([]byte(line))
	if err != nil {
		panic(err)
	}
	fmt.Println(eolog.Format(e, false))
	// Output:
	// 2026-11-26 14:05:01.123 WARN  [42/42-0] mix a3.example.org: mix rejected error="invalid proof" mixer=2
}

func ExampleTail() {
	log := `{"time":"2026-11-26T14:05:01Z","level":"INFO","msg":"one","election":"1"}
{"time":"2026-11-26T14:05:02Z","level":"INFO","msg":"two","election":"2"}
not an event
{"time":"2026-11-26T14:05:03Z","level":"ERROR","msg":"three","election":"1"}
`
	events, malformed, err := eolog.Tail(strings.NewReader(log), 2, eolog.Filter{Election: "1"})
	if err != nil {
		panic(err)
	}
	for _, e := range events {
		fmt.Println(e.Msg)
	}
	fmt.Println(malformed, "malformed")
	// Output:
	// one
	// three
	// 1 malformed
}
