// Package doc embeds eo's specifications (the Markdown files of this
// directory) so that tools print the same text a reader finds here:
// eoverify --explain prints a check's section of verify.md.
package doc

import (
	"embed"
	"fmt"
	"regexp"
	"strings"
)

// Files holds every *.md file of doc/.
//
//go:embed *.md
var Files embed.FS

// checkHeading matches the heading of one check in verify.md §10.2:
// "#### P1 parameters.json parses".
var checkHeading = regexp.MustCompile(`^(#{2,6}) ([A-Z][0-9]+) (.*)$`)

// Checks returns the ids of the checks verify.md specifies, in its order.
func Checks() []string {
	var ids []string
	for _, l := range strings.Split(verify(), "\n") {
		if m := checkHeading.FindStringSubmatch(l); m != nil {
			ids = append(ids, m[2])
		}
	}
	return ids
}

// Check returns the section of verify.md that specifies check id (such as
// "M5", case-insensitive): its heading and its text up to the next heading
// of the same or a higher level, without trailing blank lines.
func Check(id string) (string, error) {
	lines := strings.Split(verify(), "\n")
	for i, l := range lines {
		m := checkHeading.FindStringSubmatch(l)
		if m == nil || !strings.EqualFold(m[2], id) {
			continue
		}
		level := len(m[1])
		end := len(lines)
		for j := i + 1; j < len(lines); j++ {
			if h := headingLevel(lines[j]); h > 0 && h <= level {
				end = j
				break
			}
		}
		return strings.TrimRight(strings.Join(lines[i:end], "\n"), "\n") + "\n", nil
	}
	return "", fmt.Errorf("no check %q in doc/verify.md (checks: %s)", id, strings.Join(Checks(), " "))
}

func headingLevel(l string) int {
	n := 0
	for n < len(l) && l[n] == '#' {
		n++
	}
	if n == 0 || n >= len(l) || l[n] != ' ' {
		return 0
	}
	return n
}

func verify() string {
	b, err := Files.ReadFile("verify.md")
	if err != nil {
		panic("doc: internal error: " + err.Error())
	}
	return string(b)
}
