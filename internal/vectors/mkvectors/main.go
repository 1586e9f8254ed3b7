// Command mkvectors writes the test vectors of testdata/vectors
// (doc/verify.md §12). Run it from the repository root:
//
//	go run ./internal/vectors/mkvectors
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/eo-mixnet/eo/internal/vectors"
)

func main() {
	out := flag.String("out", vectors.Dir, "vectors directory")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "mkvectors:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	files, err := vectors.Generate()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
