package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/eo-mixnet/eo/record"
	"github.com/stretchr/testify/require"
)

const corpus = "../../testdata/records"

type expect struct {
	Exit  int    `json:"exit"`
	Check string `json:"check"`
	Note  string `json:"note"`
}

type result struct {
	code           int
	stdout, stderr string
}

func runArgs(args ...string) result {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// corpusRecords lists testdata/records: each <name>.expect.json and its
// record directory <name>.
func corpusRecords(t *testing.T) map[string]expect {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(corpus, "*.expect.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	recs := map[string]expect{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		var e expect
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&e), p)
		recs[strings.TrimSuffix(filepath.Base(p), ".expect.json")] = e
	}
	return recs
}

func decodeReport(t *testing.T, s string) jsonReport {
	t.Helper()
	var r jsonReport
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&r), s)
	require.False(t, dec.More(), "more than one JSON value")
	return r
}

// TestCorpus runs every record of testdata/records, as a directory and as
// a tar.gz, through eoverify and checks its exit status and that the
// expected check is among the failures.
func TestCorpus(t *testing.T) {
	recs := corpusRecords(t)
	require.Contains(t, recs, "valid")
	tmp := t.TempDir()
	for name, e := range recs {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(corpus, name)
			f, err := record.ReadDir(dir)
			require.NoError(t, err)
			tgz, _, err := record.TarGz(f)
			require.NoError(t, err)
			file := filepath.Join(tmp, name+".tar.gz")
			require.NoError(t, os.WriteFile(file, tgz, 0o644))

			for _, path := range []string{dir, file} {
				r := runArgs(path)
				require.Equal(t, e.Exit, r.code, "%s: %s\n%s", path, e.Note, r.stdout)
				require.Empty(t, r.stderr)
				require.Contains(t, r.stdout, "election eo-corpus\n")
				if e.Exit == 0 {
					require.True(t, strings.HasSuffix(r.stdout, "record is valid\n"), r.stdout)
				} else {
					require.Contains(t, r.stdout, "\n"+e.Check+" ", "%s: %s", e.Note, r.stdout)
					require.NotContains(t, r.stdout, "record is valid")
				}

				r = runArgs("--json", path)
				require.Equal(t, e.Exit, r.code)
				rep := decodeReport(t, r.stdout)
				require.Equal(t, e.Exit, rep.Exit)
				require.Equal(t, e.Exit == 0, rep.Valid)
				var got []string
				for _, fl := range rep.Failures {
					got = append(got, fl.Check)
					require.NotEmpty(t, fl.Location, "%+v", fl)
					require.NotEmpty(t, fl.Message)
					require.NotEqual(t, "X1", fl.Check, "internal error: %s", fl.Message)
				}
				if e.Check != "" {
					require.True(t, slices.Contains(got, e.Check), "%s: want %s among %v", name, e.Check, got)
				} else {
					require.Empty(t, got)
				}
			}
		})
	}
}

func TestValidSummary(t *testing.T) {
	r := runArgs(filepath.Join(corpus, "valid"))
	require.Equal(t, 0, r.code)
	require.Equal(t, `election eo-corpus
question 0: 6 ballots, 5 accepted, 1 excluded, 2 mixes, decrypted with the shares of authorities 1, 2, 3
  plaintext  count
  1              2
  2              2
  3              1
question 1: 6 ballots, 5 accepted, 1 excluded, 2 mixes, decrypted with the shares of authorities 1, 2, 3
  plaintext  count
  1,2            2
  2,1            2
  3,3            1
record is valid
`, r.stdout)
	// Flags may follow the path; --threads sets GOMAXPROCS only while it runs.
	procs := runtime.GOMAXPROCS(0)
	r2 := runArgs(filepath.Join(corpus, "valid"), "--threads", "1")
	require.Equal(t, r, r2)
	require.Equal(t, procs, runtime.GOMAXPROCS(0))
}

func TestJSONFailures(t *testing.T) {
	r := runArgs("--json", filepath.Join(corpus, "decryption-too-few-shares"))
	require.Equal(t, 1, r.code)
	require.Equal(t, 1, strings.Count(r.stdout, "\n"), "one JSON object on one line")
	rep := decodeReport(t, r.stdout)
	require.Equal(t, "eo-corpus", rep.ElectionID)
	require.Greater(t, rep.Checks, 50)
	require.Len(t, rep.Failures, 3)
	require.Equal(t, record.Failure{Check: "D1", Phase: "decryption", Location: "q1/decryption/share-1.bin",
		Message: rep.Failures[0].Message}, rep.Failures[0])
	require.Equal(t, "q1/decryption/share-3.bin", rep.Failures[1].Location)
	require.Equal(t, "D2", rep.Failures[2].Check)
	require.Equal(t, "q1/", rep.Failures[2].Location)
	require.Len(t, rep.Questions, 2)
	require.Equal(t, []int{1, 3}, rep.Questions[1].Blamed)
	require.Nil(t, rep.Questions[1].Counts)
	require.Equal(t, []int{1, 2, 3}, rep.Questions[0].Shares)

	r = runArgs("--json", filepath.Join(corpus, "extra-file"))
	require.Equal(t, 2, r.code)
	rep = decodeReport(t, r.stdout)
	require.Equal(t, []record.Failure{{Check: "F1", Phase: "files", Location: "notes.txt",
		Message: "unexpected files in the record", Malformed: true}}, rep.Failures)
}

func TestUnreadable(t *testing.T) {
	dir := t.TempDir()
	notGzip := filepath.Join(dir, "plain.tar.gz")
	require.NoError(t, os.WriteFile(notGzip, []byte("not a record\n"), 0o644))
	truncated := filepath.Join(dir, "truncated.tar.gz")
	f, err := record.ReadDir(filepath.Join(corpus, "valid"))
	require.NoError(t, err)
	tgz, _, err := record.TarGz(f)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(truncated, tgz[:len(tgz)/2], 0o644))
	for _, args := range [][]string{
		{filepath.Join(dir, "nonexistent")},
		{"--json", filepath.Join(dir, "nonexistent.tar.gz")},
		{notGzip},
		{"--json", truncated},
	} {
		r := runArgs(args...)
		require.Equal(t, 2, r.code, "%v", args)
		require.Empty(t, r.stdout)
		require.True(t, strings.HasPrefix(r.stderr, "eoverify: "), r.stderr)
		require.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
		require.False(t, strings.HasSuffix(r.stderr, ".\n"), r.stderr)
	}
}

// TestNotARecord: a well-formed tar.gz that holds something else is
// incomplete (no parameters.json): exit 2.
func TestNotARecord(t *testing.T) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	require.NoError(t, tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "hello.txt", Size: 6, Mode: 0o644}))
	_, err := tw.Write([]byte("hello\n"))
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	file := filepath.Join(t.TempDir(), "other.tar.gz")
	require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o644))

	r := runArgs(file)
	require.Equal(t, 2, r.code)
	require.Equal(t, "P1 parameters parameters.json: missing file\nrecord is malformed or incomplete: 1 failed check\n", r.stdout)
	r = runArgs("--json", file)
	require.Equal(t, 2, r.code)
	rep := decodeReport(t, r.stdout)
	require.Equal(t, "P1", rep.Failures[0].Check)
	require.Empty(t, rep.Questions)

	// An empty directory too.
	r = runArgs(t.TempDir())
	require.Equal(t, 2, r.code)
}

func TestUsage(t *testing.T) {
	valid := filepath.Join(corpus, "valid")
	for _, args := range [][]string{
		{},
		{valid, valid},
		{"--threads", "-1", valid},
		{"--threads", "x", valid},
		{"--unknown", valid},
	} {
		r := runArgs(args...)
		require.Equal(t, 2, r.code, "%v", args)
		require.Empty(t, r.stdout)
		require.NotEmpty(t, r.stderr)
	}
	r := runArgs("-h")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stderr, "usage: eoverify")
}

// TestControlCharacters: text from the record cannot break the summary's
// lines or reach the terminal raw.
func TestControlCharacters(t *testing.T) {
	require.Equal(t, `a\nb\x1b[2J`, oneLine("a\nb\x1b[2J"))
	require.Equal(t, "ünïcode ok", oneLine("ünïcode ok"))
}
