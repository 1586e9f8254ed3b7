//go:build !drill

package main

import "github.com/eo-mixnet/eo/orchestra"

// setDrill does nothing: the production daemon has no drills, and ignores
// $EO_CRASH_AT (build with -tags drill for the crash drill).
func setDrill(*orchestra.Options, func(string) string) {}
