// Package wasmbuild builds the booth's WebAssembly module (booth/wasm)
// with the go command that runs it, for go generate ./web/booth and for
// the browser tests.
package wasmbuild

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Package is the import path of the module's main package.
const Package = "github.com/eo-mixnet/eo/booth/wasm"

// Build runs the go command on PATH (go test and go generate put their
// own first) and writes dir/eo.wasm, built with
//
//	GOOS=js GOARCH=wasm go build -trimpath -ldflags=-s [-tags TAGS] -o dir/eo.wasm booth/wasm
//
// and dir/wasm_exec.js, the toolchain's own ($(go env GOROOT)/lib/wasm),
// which must match the compiler that built eo.wasm. Tags are build tags:
// "boothtesting" makes the test build.
func Build(dir string, tags ...string) error {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("wasmbuild: go env GOROOT: %v", err)
	}
	root := strings.TrimSpace(string(out))
	args := []string{"build", "-trimpath", "-ldflags=-s"}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	args = append(args, "-o", filepath.Join(dir, "eo.wasm"), Package)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("wasmbuild: GOOS=js GOARCH=wasm go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	js, err := os.ReadFile(filepath.Join(root, "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return fmt.Errorf("wasmbuild: %v", err)
	}
	return os.WriteFile(filepath.Join(dir, "wasm_exec.js"), js, 0o644)
}
