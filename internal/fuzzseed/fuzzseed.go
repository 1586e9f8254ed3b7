// Package fuzzseed writes Go fuzzing seed-corpus files
// (testdata/fuzz/<Target>/<name>, "go test fuzz v1" format) for the
// seed-writing tests of eo's packages.
package fuzzseed

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Write writes one seed with the given values ([]byte, string or int, in
// the order of the fuzz function's arguments) under testdata/fuzz of the
// current package.
func Write(t testing.TB, target, name string, values ...any) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString("go test fuzz v1\n")
	for _, v := range values {
		switch v := v.(type) {
		case []byte:
			fmt.Fprintf(&sb, "[]byte(%q)\n", v)
		case string:
			fmt.Fprintf(&sb, "string(%q)\n", v)
		case int:
			fmt.Fprintf(&sb, "int(%d)\n", v)
		default:
			t.Fatalf("fuzzseed: unsupported seed type %T", v)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
