package doc

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

// The documents checked: every doc/*.md and the README, by path from the
// repository root.
func documents(t *testing.T) map[string]string {
	t.Helper()
	docs := map[string]string{}
	names, err := filepath.Glob("*.md")
	require.NoError(t, err)
	for _, n := range names {
		b, err := os.ReadFile(n)
		require.NoError(t, err)
		docs["doc/"+n] = string(b)
	}
	b, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	docs["README.md"] = string(b)
	return docs
}

// exists reports whether path (from the repository root) is a file or
// directory of the repository.
func exists(path string) bool {
	_, err := os.Stat(filepath.Join("..", filepath.FromSlash(path)))
	return err == nil
}

var (
	headingRE = regexp.MustCompile(`(?m)^(#{1,6}) +(.+?) *$`)
	numberRE  = regexp.MustCompile(`^(\d+(?:\.\d+)*[a-z]?)\.? `)
	linkRE    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdNameRE  = regexp.MustCompile(`[\w./-]*[\w-]\.md\b`)
	// A file name, then one or more § references separated by commas,
	// dashes or "and".
	fileRefsRE = regexp.MustCompile(`([\w./-]*[\w-]\.md)\)?((?:\s*(?:,|–|and)?\s*§\d+(?:\.\d+)*[a-z]?)+)`)
	sectionRE  = regexp.MustCompile(`§(\d+(?:\.\d+)*[a-z]?)`)
	rfcRE      = regexp.MustCompile(`RFC\s+\d+\s*$`)
	fenceRE    = regexp.MustCompile("(?s)```.*?```")
)

// slug is GitHub's anchor for a heading: lower case, markup and
// punctuation dropped (letters, digits, '-', '_' and spaces kept), spaces
// to '-'.
func slug(heading string) string {
	heading = strings.ReplaceAll(heading, `\`, "")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchorsAndSections returns a document's heading anchors (with GitHub's
// -1, -2 … for repeats) and its section numbers ("3", "3.4a").
func anchorsAndSections(text string) (anchors, sections map[string]bool) {
	anchors, sections = map[string]bool{}, map[string]bool{}
	seen := map[string]int{}
	for _, m := range headingRE.FindAllStringSubmatch(fenceRE.ReplaceAllString(text, ""), -1) {
		s := slug(m[2])
		if n := seen[s]; n > 0 {
			anchors[s+"-"+strconv.Itoa(n)] = true
		} else {
			anchors[s] = true
		}
		seen[s]++
		if n := numberRE.FindStringSubmatch(m[2] + " "); n != nil {
			sections[n[1]] = true
		}
	}
	return anchors, sections
}

// problems lists every reference of the documents to a file, an anchor or
// a section that does not exist.
func problems(docs map[string]string) []string {
	anchors, sections := map[string]map[string]bool{}, map[string]map[string]bool{}
	for name, text := range docs {
		anchors[name], sections[name] = anchorsAndSections(text)
	}
	var out []string
	bad := func(doc, format string) { out = append(out, doc+": "+format) }
	// resolve finds a document name (from the repository root) for a
	// relative path used in doc.
	resolve := func(doc, path string) (string, bool) {
		for _, c := range []string{filepath.ToSlash(filepath.Join(filepath.Dir(doc), path)), path, "doc/" + path} {
			if exists(c) {
				return c, true
			}
		}
		return "", false
	}
	for doc, text := range docs {
		text = fenceRE.ReplaceAllString(text, "")
		// Links.
		for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			name := doc
			if path != "" {
				var ok bool
				if name, ok = resolve(doc, path); !ok {
					bad(doc, "link to "+target+": no such file")
					continue
				}
			}
			if anchor != "" {
				if a, ok := anchors[name]; !ok || !a[anchor] {
					bad(doc, "link to "+target+": no such heading")
				}
			}
		}
		// File names in the text.
		for _, n := range mdNameRE.FindAllString(text, -1) {
			if _, ok := resolve(doc, n); !ok {
				bad(doc, "names "+n+", which does not exist")
			}
		}
		// § references after a file name, then the others (this
		// document's), except an RFC's.
		covered := make([]bool, len(text))
		for _, m := range fileRefsRE.FindAllStringSubmatchIndex(text, -1) {
			file := text[m[2]:m[3]]
			name, ok := resolve(doc, file)
			for i := m[4]; i < m[5]; i++ {
				covered[i] = true
			}
			if !ok {
				continue // reported above
			}
			for _, s := range sectionRE.FindAllStringSubmatch(text[m[4]:m[5]], -1) {
				if secs, ok := sections[name]; !ok || !secs[s[1]] {
					bad(doc, file+" §"+s[1]+": no such section")
				}
			}
		}
		for _, m := range sectionRE.FindAllStringSubmatchIndex(text, -1) {
			if covered[m[0]] || rfcRE.MatchString(text[max(0, m[0]-20):m[0]]) {
				continue
			}
			if s := text[m[2]:m[3]]; !sections[doc][s] {
				bad(doc, "§"+s+": no such section")
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestReferences: no document refers to a file, an anchor or a section
// that does not exist.
func TestReferences(t *testing.T) {
	require.Empty(t, problems(documents(t)))
}

// The checker finds what it is for.
func TestReferencesCheckerFinds(t *testing.T) {
	docs := documents(t)
	docs["doc/x.md"] = "# Title\n\n## 1. One\n\nSee [there](record.md#no-such-heading), [gone](gone.md), threats.md, " +
		"transcript.md §9, design §3, §1, RFC 9496 §4.3.2, (RFC 4648\n§5), [ok](#1-one), [ok](record.md#1-conventions).\n"
	got := problems(docs)
	var mine []string
	for _, p := range got {
		if strings.HasPrefix(p, "doc/x.md: ") {
			mine = append(mine, strings.TrimPrefix(p, "doc/x.md: "))
		}
	}
	require.ElementsMatch(t, []string{
		"link to record.md#no-such-heading: no such heading",
		"link to gone.md: no such file",
		"names gone.md, which does not exist",
		"names threats.md, which does not exist",
		"transcript.md §9: no such section",
		"§3: no such section",
	}, mine)
}

func TestExplain(t *testing.T) {
	ids := Checks()
	for _, id := range []string{"P1", "P6", "P7", "E1", "B4", "K2", "M1", "M5", "M6", "D3", "T1", "C1", "F1", "X1"} {
		require.Contains(t, ids, id)
	}
	s, err := Check("m5")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(s, "#### M5 the proof of shuffle\n"), s)
	require.Contains(t, s, "undecodable element of u, B or B′")
	require.NotContains(t, s, "#### M6")
	s, err = Check("X1")
	require.NoError(t, err)
	require.NotContains(t, s, "## 11")
	_, err = Check("Z9")
	require.Error(t, err)
	_, err = Check("")
	require.Error(t, err)
}
