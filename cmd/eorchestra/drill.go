//go:build drill

package main

import (
	"github.com/eo-mixnet/eo/internal/drill"
	"github.com/eo-mixnet/eo/orchestra"
)

// setDrill, in the drill build of the daemon (go build -tags drill
// ./cmd/eorchestra), takes the crash drill from $EO_CRASH_AT: "point" or
// "point:n" makes the daemon kill itself with SIGKILL at the n-th passage
// of that point (doc/daemon.md). TestCrashResume runs this build. Never
// deploy it.
func setDrill(o *orchestra.Options, getenv func(string) string) {
	if c := getenv(drill.Env); c != "" {
		o.Drill = &drill.Authority{CrashAt: c}
	}
}
