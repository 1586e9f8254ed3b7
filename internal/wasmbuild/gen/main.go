// Command gen builds the booth's module into a directory (go generate
// ./web/booth runs it with "."): eo.wasm and wasm_exec.js.
package main

import (
	"fmt"
	"os"

	"github.com/eo-mixnet/eo/internal/wasmbuild"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen DIR")
		os.Exit(2)
	}
	if err := wasmbuild.Build(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
