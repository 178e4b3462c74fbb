package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/match"
)

func readDoc(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every code lint can report has a row in a table of the Lint section of
// docs/language.md, and a SARIF rule with help text.
func TestDocsNameEveryCode(t *testing.T) {
	doc := readDoc(t, "../../docs/language.md")
	start := strings.Index(doc, "\n## Lint\n")
	end := strings.Index(doc[start+1:], "\n## ")
	if start < 0 || end < 0 {
		t.Fatal("docs/language.md has no Lint section")
	}
	section := doc[start : start+1+end]
	for _, c := range allCodes() {
		if !strings.Contains(section, "\n| `"+string(c)+"` |") {
			t.Errorf("code %s has no row in the Lint section's tables of docs/language.md", c)
		}
		if describe(c) == "" {
			t.Errorf("code %s has no help text", c)
		}
	}
}

// The README's figure for a cold parse and compile is the one of the run
// that benchmarks/README.md tabulates.
func TestDocsFigures(t *testing.T) {
	bench := readDoc(t, "../../benchmarks/README.md")
	row := regexp.MustCompile(`\| Compile/3 \| \*\*scopecheck\*\* \| ([0-9,]+) \| [^|]+ \| [0-9]+ \| ([0-9]+) \|`).FindStringSubmatch(bench)
	if row == nil {
		t.Fatal("benchmarks/README.md has no Compile/3 row for scopecheck")
	}
	ns, _ := strconv.Atoi(strings.ReplaceAll(row[1], ",", ""))
	want := fmt.Sprintf("takes about %.1f µs and %s allocations", float64(ns)/1000, row[2])
	readme := strings.Join(strings.Fields(readDoc(t, "../../README.md")), " ")
	if !strings.Contains(readme, want) {
		t.Errorf("README.md does not say %q, the Compile/3 figures of benchmarks/README.md", want)
	}
}

// Every relative link of the project's Markdown names a file that exists
// and, with a fragment, a heading in it.
func TestDocsLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, doc := range []string{"../../README.md", "../../docs/language.md", "../../benchmarks/README.md"} {
		for _, m := range link.FindAllStringSubmatch(readDoc(t, doc), -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			file, frag, _ := strings.Cut(target, "#")
			path := doc
			if file != "" {
				path = filepath.Join(filepath.Dir(doc), file)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s, which does not exist", doc, target)
				continue
			}
			if frag != "" && !hasHeading(t, path, frag) {
				t.Errorf("%s links to %s, which has no such heading", doc, target)
			}
		}
	}
}

// hasHeading reports whether a Markdown file has a heading whose GitHub
// anchor is frag: lower case, spaces as '-', punctuation dropped.
func hasHeading(t *testing.T, path, frag string) bool {
	for _, line := range strings.Split(readDoc(t, path), "\n") {
		title, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " ")
		if !ok || !strings.HasPrefix(line, "#") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case r == ' ':
				b.WriteByte('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				b.WriteRune(r)
			}
		}
		if b.String() == frag {
			return true
		}
	}
	return false
}

// The README's table of 403 reasons names every reason a request can be
// refused for, whatever the token: the request side's refusals and the
// scope's reasons; and its log table names every field of a decision line.
func TestDocsNameEveryReason(t *testing.T) {
	readme := readDoc(t, "../../README.md")
	var names []string
	for r := gateway.Refusal(1); r.String() != "unknown"; r++ {
		names = append(names, r.String())
	}
	for r := match.Reason(0); r.String() != "unknown"; r++ {
		if r != match.Granted {
			names = append(names, r.String())
		}
	}
	for _, name := range names {
		if !strings.Contains(readme, "\n| `"+name+"` |") {
			t.Errorf("README.md's table of 403 reasons has no row for %s", name)
		}
	}
	for _, field := range []string{"method", "target", "path", "allowed", "reason", "sources", "source", "source_method", "source_target", "item", "error", "scope_error"} {
		if !regexp.MustCompile("\n\\| [^|\n]*`" + field + "`[^|\n]*\\|").MatchString(readme) {
			t.Errorf("README.md's table of log fields has no row for %s", field)
		}
	}
}
