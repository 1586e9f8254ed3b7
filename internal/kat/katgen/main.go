// Command katgen writes eo's known-answer vectors to proofs/testdata/kat.json.
// Run it from the repository root after an intended change of encoding:
//
//	go run ./internal/kat/katgen
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/eo-mixnet/eo/internal/kat"
)

func main() {
	b, err := json.MarshalIndent(kat.Compute(), "", " ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "katgen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile("proofs/testdata/kat.json", append(b, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "katgen:", err)
		os.Exit(1)
	}
}
