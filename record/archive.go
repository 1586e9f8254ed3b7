package record

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/eo-mixnet/eo/internal/atomicfile"
)

// Files is an election record as named files: slash-separated relative
// paths to contents. It is the unit that is written to a directory or a
// tar.gz and read back.
type Files map[string][]byte

// Limits on what ReadDir and ReadTarGz accept, so that a hostile record
// cannot exhaust memory.
const (
	MaxFiles     = 4096
	MaxFileSize  = 1 << 31 // 2 GiB
	MaxTotalSize = 1 << 33 // 8 GiB
)

// ErrMalformedArchive is wrapped by errors about the container: unsafe
// names, links, sizes, duplicates, a bad gzip or tar stream.
var ErrMalformedArchive = errors.New("record: malformed archive")

// tarEpoch is the fixed modification time of every entry of tally.tar.gz.
var tarEpoch = time.Unix(0, 0).UTC()

// Names returns the file names in sorted order.
func (f Files) Names() []string {
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func checkName(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || path.Clean(name) != name || name == "." ||
		strings.HasPrefix(name, "../") || name == ".." || strings.Contains(name, "\\") {
		return fmt.Errorf("%w: unsafe file name %q", ErrMalformedArchive, name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: control character in file name %q", ErrMalformedArchive, name)
		}
	}
	return nil
}

// WriteTarGz writes f as a deterministic gzip-compressed tar: entries in
// sorted order, regular files of mode 0644 owned by uid and gid 0 with no
// user or group names, modification time 1970-01-01, PAX-free USTAR
// headers, and a gzip header with no name and no time. The same Files
// always give the same bytes.
func WriteTarGz(w io.Writer, f Files) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestSpeed) // ciphertexts do not compress
	if err != nil {
		return err
	}
	gz.Header = gzip.Header{OS: 255} // unknown OS, no name, no time
	tw := tar.NewWriter(gz)
	dirs := map[string]bool{}
	for _, name := range f.Names() {
		if err := checkName(name); err != nil {
			return err
		}
		// Directories first, each once, in order.
		for i := 0; i < len(name); i++ {
			if name[i] == '/' && !dirs[name[:i]] {
				dirs[name[:i]] = true
				hdr := &tar.Header{Typeflag: tar.TypeDir, Name: name[:i] + "/", Mode: 0o755, ModTime: tarEpoch, Format: tar.FormatUSTAR}
				if err := tw.WriteHeader(hdr); err != nil {
					return err
				}
			}
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(f[name])), ModTime: tarEpoch, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f[name]); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// TarGz returns the deterministic tar.gz of f and its SHA-256.
func TarGz(f Files) ([]byte, [32]byte, error) {
	var buf bytes.Buffer
	if err := WriteTarGz(&buf, f); err != nil {
		return nil, [32]byte{}, err
	}
	return buf.Bytes(), sha256.Sum256(buf.Bytes()), nil
}

// ReadTarGz reads a record from a tar.gz, accepting only directories and
// regular files with safe relative names, each once, within the limits.
func ReadTarGz(r io.Reader) (Files, error) {
	// One gzip member and nothing after it (doc/verify.md §9): the reader
	// stops at the member's end, and br says whether anything follows.
	br := bufio.NewReader(r)
	gz, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrMalformedArchive, err)
	}
	gz.Multistream(false)
	tr := tar.NewReader(gz)
	f := Files{}
	var total int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: tar: %v", ErrMalformedArchive, err)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := checkName(strings.TrimSuffix(hdr.Name, "/")); err != nil {
				return nil, err
			}
			continue
		case tar.TypeReg:
		default:
			return nil, fmt.Errorf("%w: entry %q is not a regular file or directory", ErrMalformedArchive, hdr.Name)
		}
		if err := checkName(hdr.Name); err != nil {
			return nil, err
		}
		if _, dup := f[hdr.Name]; dup {
			return nil, fmt.Errorf("%w: %q appears twice", ErrMalformedArchive, hdr.Name)
		}
		if len(f) >= MaxFiles || hdr.Size < 0 || hdr.Size > MaxFileSize || total+hdr.Size > MaxTotalSize {
			return nil, fmt.Errorf("%w: too many or too large files", ErrMalformedArchive)
		}
		total += hdr.Size
		data, err := io.ReadAll(io.LimitReader(tr, hdr.Size+1))
		if err != nil {
			return nil, fmt.Errorf("%w: reading %q: %v", ErrMalformedArchive, hdr.Name, err)
		}
		if int64(len(data)) != hdr.Size {
			return nil, fmt.Errorf("%w: %q is truncated", ErrMalformedArchive, hdr.Name)
		}
		f[hdr.Name] = data
	}
	// After the tar archive's end, only zero bytes (record padding) in
	// the member, which must end cleanly; then nothing at all.
	if err := zerosToEOF(gz); err != nil {
		return nil, err
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the gzip member (a second member or trailing bytes)", ErrMalformedArchive)
	}
	return f, nil
}

// zerosToEOF reads r to its end and fails unless every byte is zero.
func zerosToEOF(r io.Reader) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		for _, c := range buf[:n] {
			if c != 0 {
				return fmt.Errorf("%w: data after the tar archive's end", ErrMalformedArchive)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: gzip: %v", ErrMalformedArchive, err)
		}
	}
}

// WriteDir writes f under dir (created if needed), each file atomically,
// then the directories' entries are synced. Existing files of the same
// names are replaced; nothing else in dir is touched.
func WriteDir(dir string, f Files) error {
	for _, name := range f.Names() {
		if err := checkName(name); err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(p, f[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ReadDir reads every regular file under dir. Symbolic links and other
// special files are refused.
func ReadDir(dir string) (Files, error) {
	f := Files{}
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if !d.Type().IsRegular() {
			return fmt.Errorf("%w: %q is not a regular file", ErrMalformedArchive, name)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if len(f) >= MaxFiles || info.Size() > MaxFileSize || total+info.Size() > MaxTotalSize {
			return fmt.Errorf("%w: too many or too large files", ErrMalformedArchive)
		}
		total += info.Size()
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f[name] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}
