package record

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const corpusDir = "../testdata/records"

// corpusFiles reads the records of testdata/records (the valid one first).
func corpusFiles(f *testing.F) []Files {
	f.Helper()
	valid, err := ReadDir(filepath.Join(corpusDir, "valid"))
	if err != nil {
		f.Fatal(err)
	}
	out := []Files{valid}
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && e.Name() != "valid" {
			r, err := ReadDir(filepath.Join(corpusDir, e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, r)
		}
	}
	return out
}

func noInternalError(t *testing.T, rep *Report) {
	t.Helper()
	for _, fl := range rep.Failures {
		if fl.Check == "X1" {
			t.Fatalf("Verify panicked: %s", fl.Message)
		}
	}
	if rep.Valid() != (rep.ExitCode() == ExitValid) {
		t.Fatalf("valid %v but exit code %d", rep.Valid(), rep.ExitCode())
	}
}

// FuzzVerify replaces (or, with the high bit of which, deletes) one file
// of the valid corpus record. Verify must never panic, and a record with
// one file changed or deleted must never be valid.
func FuzzVerify(f *testing.F) {
	recs := corpusFiles(f)
	valid := recs[0]
	names := valid.Names()
	index := map[string]uint16{}
	for i, n := range names {
		index[n] = uint16(i)
		f.Add(uint16(i), valid[n])
	}
	// Every file that a broken record of the corpus changes.
	for _, r := range recs[1:] {
		for n, b := range r {
			if i, ok := index[n]; ok && !bytes.Equal(b, valid[n]) {
				f.Add(i, b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, which uint16, content []byte) {
		name := names[int(which&0x7fff)%len(names)]
		rec := Files{}
		for n, b := range valid {
			rec[n] = b
		}
		if which&0x8000 != 0 {
			delete(rec, name)
		} else {
			rec[name] = content
		}
		rep := Verify(rec, Options{})
		noInternalError(t, rep)
		// Every file is listed or signed: deleting one (even a decryption
		// share, of which t valid ones would remain) or changing one must
		// be caught.
		if which&0x8000 != 0 && rep.Valid() {
			t.Fatalf("deleting %s went unnoticed", name)
		}
		if which&0x8000 == 0 && !bytes.Equal(content, valid[name]) && rep.Valid() {
			t.Fatalf("changing %s went unnoticed", name)
		}
		if which&0x8000 == 0 && bytes.Equal(content, valid[name]) && !rep.Valid() {
			t.Fatalf("the valid record fails: %+v", rep.Failures)
		}
	})
}

// FuzzVerifyTarGz reads a whole tar.gz and verifies what it holds: neither
// ReadTarGz nor Verify may panic.
func FuzzVerifyTarGz(f *testing.F) {
	for _, r := range corpusFiles(f) {
		b, _, err := TarGz(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := ReadTarGz(bytes.NewReader(data))
		if err != nil {
			return
		}
		noInternalError(t, Verify(rec, Options{}))
	})
}

// TestDeleteAnyFile: deleting any one file of the valid records — a share,
// a rejected share or mix, a signature — leaves no valid record
// (threats.md A14: blame cannot be dropped), except one signature over
// the parameters while t others remain (P6: an authority may stop before
// it signs).
func TestDeleteAnyFile(t *testing.T) {
	for _, name := range []string{"valid", "valid-blame", "keygen-complaint-refuted"} {
		f, err := ReadDir(filepath.Join(corpusDir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range f.Names() {
			g := Files{}
			for k, b := range f {
				if k != n {
					g[k] = b
				}
			}
			rep := Verify(g, Options{})
			noInternalError(t, rep)
			if strings.HasPrefix(n, "signatures/parameters-") && len(rep.Signers) >= rep.Threshold {
				if !rep.Valid() {
					t.Errorf("%s: without %s, %d signers remain, yet invalid: %+v", name, n, len(rep.Signers), rep.Failures)
				}
				continue
			}
			if rep.Valid() {
				t.Errorf("%s: deleting %s went unnoticed", name, n)
			}
		}
	}
}
