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

	"github.com/eo-mixnet/eo/doc"
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
votes ni:///sha-256;IzebzeWFel87eVBad8CqxaKxPsa8c5zD0vnWOW1gH34
threshold 2 of 3 authorities
authority 1 authority-1.example sha256:f7286ac0dd0ec4625c059cae43a0360b9b1d9fc7b923d20130151c7764b76c14
authority 2 authority-2.example sha256:cf0c00c1bfbd7c325d775d7b3ecb433fbdb77a544aa083382b60fe5fdd02f655
authority 3 authority-3.example sha256:ef0b7bb93c12af3d57da762ada1c5e2735fd3afdfef3d63d2937b0d35d5c7f17
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
	require.Equal(t, 2, rep.Threshold)
	require.Len(t, rep.Authorities, 3)
	require.Equal(t, "authority-2.example", rep.Authorities[1].Name)
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, rep.Authorities[1].Fingerprint)
	require.Equal(t, []int{}, rep.Absent)
	require.Regexp(t, `^ni:///sha-256;[A-Za-z0-9_-]{43}$`, rep.VotesHash)
	require.Equal(t, []int{1, 3}, rep.Questions[1].Blamed)
	require.Nil(t, rep.Questions[1].Counts)
	require.Equal(t, []int{1, 2, 3}, rep.Questions[0].Shares)

	r = runArgs("--json", filepath.Join(corpus, "extra-file"))
	require.Equal(t, 2, r.code)
	rep = decodeReport(t, r.stdout)
	require.Equal(t, []record.Failure{{Check: "F1", Phase: "files", Location: "notes.txt",
		Message: "unexpected files in the record", Malformed: true}}, rep.Failures)
}

// TestExpectations: --votes-hash, --threshold and --authorities add the
// checks E1–E3; a record that is not what the owner expected is invalid.
func TestExpectations(t *testing.T) {
	valid := filepath.Join(corpus, "valid")
	r := runArgs("--json", valid)
	require.Equal(t, 0, r.code)
	rep := decodeReport(t, r.stdout)
	var lines []string
	for _, a := range rep.Authorities {
		lines = append(lines, a.Name+" "+a.Fingerprint)
	}
	slices.Reverse(lines) // any order
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	good := write("good", "# the owner's authorities\n"+strings.Join(lines, "\n")+"\n")
	fewer := write("fewer", strings.Join(lines[1:], "\n")+"\n")
	name0, _, _ := strings.Cut(lines[0], " ")
	other := write("other", name0+" sha256:"+strings.Repeat("0", 64)+"\n"+strings.Join(lines[1:], "\n")+"\n")
	malformedFile := write("malformed", "authority-1.example\n")

	r = runArgs("--votes-hash", rep.VotesHash, "--threshold", "2", "--authorities", good, valid)
	require.Equal(t, 0, r.code, r.stdout)
	require.True(t, strings.HasSuffix(r.stdout, "record is valid\n"))
	for _, tc := range []struct {
		args  []string
		check string
	}{
		{[]string{"--votes-hash", "ni:///sha-256;" + strings.Repeat("A", 43)}, "E1"},
		{[]string{"--threshold", "3"}, "E2"},
		{[]string{"--threshold", "1"}, "E2"},
		{[]string{"--authorities", fewer}, "E3"},
		{[]string{"--authorities", other}, "E3"},
	} {
		r := runArgs(append(tc.args, valid)...)
		require.Equal(t, 1, r.code, "%v: %s", tc.args, r.stdout)
		require.Contains(t, r.stdout, "\n"+tc.check+" expectations parameters.json: ", "%v", tc.args)
		require.True(t, strings.HasSuffix(r.stdout, "record is invalid: 1 failed check\n"), r.stdout)
		r = runArgs(append([]string{"--json"}, append(tc.args, valid)...)...)
		require.Equal(t, 1, r.code)
		jr := decodeReport(t, r.stdout)
		require.Len(t, jr.Failures, 1)
		require.Equal(t, tc.check, jr.Failures[0].Check)
		require.False(t, jr.Failures[0].Malformed)
	}
	// Misuse: exit 2, nothing on standard output.
	for _, args := range [][]string{
		{"--threshold", "0", valid},
		{"--threshold", "-2", valid},
		{"--votes-hash", "sha256:abc", valid},
		{"--authorities", filepath.Join(dir, "none"), valid},
		{"--authorities", malformedFile, valid},
	} {
		r := runArgs(args...)
		require.Equal(t, 2, r.code, "%v", args)
		require.Empty(t, r.stdout)
		require.True(t, strings.HasPrefix(r.stderr, "eoverify: "), r.stderr)
		require.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
	}
}

// TestBlameAndEvents: the record with rejected mixes and shares prints its
// blame; a refuted complaint in key generation is an event, not blame.
func TestBlameAndEvents(t *testing.T) {
	r := runArgs(filepath.Join(corpus, "valid-blame"))
	require.Equal(t, 0, r.code, r.stdout)
	require.Equal(t, 4, strings.Count(r.stdout, "\nblamed: authority 3 (authority-3.example), question "), r.stdout)
	require.NotContains(t, r.stdout, "event:")
	r = runArgs(filepath.Join(corpus, "keygen-complaint-refuted"))
	require.Equal(t, 0, r.code, r.stdout)
	require.NotContains(t, r.stdout, "blamed:")
	require.Contains(t, r.stdout, "\nevent: authority 3 (authority-3.example), question 0, keygen: authority 3: complaint refuted in dkg-complaints: ")
	r = runArgs("--json", filepath.Join(corpus, "keygen-complaint-refuted"))
	rep := decodeReport(t, r.stdout)
	require.Empty(t, rep.Blame)
	require.Len(t, rep.Events, 1)
	require.Equal(t, 3, rep.Events[0].Authority)
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

// --explain prints a check's section of doc/verify.md, the same text;
// an unknown check, or a record given with it, is a usage error.
func TestExplain(t *testing.T) {
	r := runArgs("--explain", "M5")
	require.Equal(t, 0, r.code, r.stderr)
	want, err := doc.Check("M5")
	require.NoError(t, err)
	require.Equal(t, want, r.stdout)
	spec, err := doc.Files.ReadFile("verify.md")
	require.NoError(t, err)
	require.Contains(t, string(spec), strings.TrimSuffix(r.stdout, "\n"))
	require.Contains(t, r.stdout, "malformed")
	require.Empty(t, r.stderr)

	r = runArgs("--explain", "p6")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "at least t authorities not listed\nas absent sign")

	r = runArgs("--explain", "Q9")
	require.Equal(t, 2, r.code)
	require.Empty(t, r.stdout)
	require.Regexp(t, `^eoverify: --explain: no check "Q9"`, r.stderr)

	r = runArgs("--explain", "M5", "record-dir")
	require.Equal(t, 2, r.code)
	require.Empty(t, r.stdout)
}
