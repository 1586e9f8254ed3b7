package record

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func sample() Files {
	return Files{
		"parameters.json":       []byte(`{"a":1}` + "\n"),
		"q0/ballots.jsonl":      []byte("line1\nline2\n"),
		"q0/mix-1/proof.bin":    bytes.Repeat([]byte{7}, 1000),
		"q0/mix-1/output.bin":   {},
		"q1/plaintexts.txt":     []byte("1\n2\n"),
		"q10/deep/er/file.json": []byte("{}"),
	}
}

func TestTarGzDeterministicRoundTrip(t *testing.T) {
	f := sample()
	a, sumA, err := TarGz(f)
	require.NoError(t, err)
	for i := 0; i < 5; i++ { // map order never shows
		b, sumB, err := TarGz(sample())
		require.NoError(t, err)
		require.Equal(t, a, b)
		require.Equal(t, sumA, sumB)
	}
	got, err := ReadTarGz(bytes.NewReader(a))
	require.NoError(t, err)
	require.Equal(t, f, got)
	// Fixed header fields.
	gz, err := gzip.NewReader(bytes.NewReader(a))
	require.NoError(t, err)
	require.True(t, gz.ModTime.IsZero() || gz.ModTime.Unix() == 0)
	require.Empty(t, gz.Name)
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		require.EqualValues(t, 0, h.ModTime.Unix())
		require.Zero(t, h.Uid)
		require.Zero(t, h.Gid)
		require.Empty(t, h.Uname)
		names = append(names, h.Name)
	}
	require.Equal(t, []string{"parameters.json", "q0/", "q0/ballots.jsonl", "q0/mix-1/", "q0/mix-1/output.bin",
		"q0/mix-1/proof.bin", "q1/", "q1/plaintexts.txt", "q10/", "q10/deep/", "q10/deep/er/", "q10/deep/er/file.json"}, names)
}

func tarOf(t *testing.T, entries ...*tar.Header) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range entries {
		require.NoError(t, tw.WriteHeader(h))
		if h.Typeflag == tar.TypeReg {
			_, err := tw.Write(make([]byte, h.Size))
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	return buf.Bytes()
}

func TestReadTarGzRejects(t *testing.T) {
	reg := func(name string) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: 1, Mode: 0o644}
	}
	for name, data := range map[string][]byte{
		"traversal": tarOf(t, reg("../x")),
		"absolute":  tarOf(t, reg("/etc/passwd")),
		"unclean":   tarOf(t, reg("a/./b")),
		"duplicate": tarOf(t, reg("a"), reg("a")),
		"symlink":   tarOf(t, &tar.Header{Typeflag: tar.TypeSymlink, Name: "l", Linkname: "/etc/passwd"}),
		"hardlink":  tarOf(t, &tar.Header{Typeflag: tar.TypeLink, Name: "l", Linkname: "a"}),
		"not gzip":  []byte("plain"),
		"empty":     {},
	} {
		_, err := ReadTarGz(bytes.NewReader(data))
		require.ErrorIs(t, err, ErrMalformedArchive, name)
	}
	good, _, err := TarGz(sample())
	require.NoError(t, err)
	for _, n := range []int{1, 10, len(good) / 2, len(good) - 1} {
		_, err := ReadTarGz(bytes.NewReader(good[:n]))
		require.Error(t, err, "truncated to %d", n)
	}
	_, _, err = TarGz(Files{"../x": nil})
	require.ErrorIs(t, err, ErrMalformedArchive)
}

func TestDirRoundTrip(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, WriteDir(dir, sample()))
	got, err := ReadDir(dir)
	require.NoError(t, err)
	require.Equal(t, sample(), got)
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "link")))
	_, err = ReadDir(dir)
	require.ErrorIs(t, err, ErrMalformedArchive)
	require.ErrorIs(t, WriteDir(t.TempDir(), Files{"a/../../b": nil}), ErrMalformedArchive)
}

func FuzzReadTarGz(f *testing.F) {
	good, _, err := TarGz(sample())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		files, err := ReadTarGz(bytes.NewReader(b))
		if err != nil {
			return
		}
		for name := range files {
			if checkName(name) != nil {
				t.Fatalf("unsafe name %q accepted", name)
			}
		}
	})
}

// tally.tar.gz is one gzip member and nothing after it (doc/verify.md §9):
// a second member (even an empty one, or one holding more files), trailing
// bytes, or non-zero data after the tar archive's end are refused.
func TestReadTarGzOneMember(t *testing.T) {
	good, _, err := TarGz(sample())
	require.NoError(t, err)
	member := func(data []byte) []byte {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		_, err := gz.Write(data)
		require.NoError(t, err)
		require.NoError(t, gz.Close())
		return buf.Bytes()
	}
	more, _, err := TarGz(Files{"notes.txt": []byte("hidden\n")})
	require.NoError(t, err)
	for name, data := range map[string][]byte{
		"empty second member":  append(bytes.Clone(good), member(nil)...),
		"second archive":       append(bytes.Clone(good), more...),
		"trailing zero byte":   append(bytes.Clone(good), 0),
		"trailing garbage":     append(bytes.Clone(good), "junk"...),
		"data after tar's end": func() []byte { raw := gunzip(t, good); return member(append(raw, "x"...)) }(),
	} {
		_, err := ReadTarGz(bytes.NewReader(data))
		require.ErrorIs(t, err, ErrMalformedArchive, name)
	}
	// Zero padding after the archive's end is tar's own and accepted.
	f, err := ReadTarGz(bytes.NewReader(member(append(gunzip(t, good), make([]byte, 1024)...))))
	require.NoError(t, err)
	require.Equal(t, sample(), f)
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err)
	var out bytes.Buffer
	_, err = out.ReadFrom(gz)
	require.NoError(t, err)
	return out.Bytes()
}
