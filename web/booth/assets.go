// Package boothweb is the demo voting booth's page: index.html, the
// JavaScript module eo.js that wraps eo's ballot encryption compiled to
// WebAssembly (booth/wasm), and, once built, the module eo.wasm and the Go
// toolchain's wasm_exec.js beside them. cmd/eobooth serves it.
//
// eo.wasm and wasm_exec.js are build outputs, not in the repository:
//
//	go generate ./web/booth
//
// writes them here, and a server built afterwards embeds them.
package boothweb

import (
	"embed"
	"io/fs"
)

//go:generate go run ../../internal/wasmbuild/gen .

// files holds this directory; everything but Names is left out by FS.
//
//go:embed *
var files embed.FS

// Names are the files of the booth: the page and the module's script,
// always here, and the two build outputs, here after go generate.
var Names = []string{"index.html", "eo.js", "eo.wasm", "wasm_exec.js"}

// FS returns the booth's files that this build embeds, by name.
func FS() fs.FS { return namedFS{files} }

type namedFS struct{ fs.FS }

func (n namedFS) Open(name string) (fs.File, error) {
	for _, ok := range Names {
		if name == ok {
			return n.FS.Open(name)
		}
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}
