// Command eotest tests an eo deployment and measures what it can tally.
//
// Output rules: data (reports, JSON lines) goes to stdout; errors go to
// stderr as one line prefixed "eotest: ", lowercase, with no trailing
// period; any failure exits non-zero.
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	root := rootCmd()
	root.AddCommand(authorityCmd())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "eotest:", strings.TrimPrefix(err.Error(), "eotest: "))
		os.Exit(1)
	}
}
