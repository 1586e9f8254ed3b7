package record

import (
	"fmt"
	"os"
)

// ReadPath reads a record from path: a directory is read with ReadDir,
// anything else as a tar.gz with ReadTarGz. A path that cannot be read,
// or a container that is malformed (ErrMalformedArchive), is an error.
func ReadPath(path string) (Files, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return ReadDir(path)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is neither a directory nor a regular file", ErrMalformedArchive, path)
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f, err := ReadTarGz(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// VerifyPath reads the record at path (ReadPath) and verifies it (Verify).
// It is the entry point for a service that publishes results: an error
// means the record could not be read at all (treat it as ExitMalformed);
// otherwise the Report says whether the record is valid and, for each
// question it could decrypt, Report.Questions[q].Counts holds the counts
// recomputed from the record itself. Use the counts only if
// Report.Valid().
func VerifyPath(path string, opt Options) (*Report, error) {
	f, err := ReadPath(path)
	if err != nil {
		return nil, err
	}
	return Verify(f, opt), nil
}
