// Package benchmarks measures scopecheck against what a gateway author
// would otherwise reach for, on the same scopes and requests. It is its own
// module so that the peers never become the library's dependencies.
//
// The bare peers match the path only: none checks that it is canonical,
// none validates the method token. They are given the relative path
// (leading "/" removed) and the method class. A gateway built on them
// that skips those checks allows path tricks ("..;/", "%2e%2e", overlong
// UTF-8) that its upstream routes elsewhere: a vulnerability, not a peer.
// The fair peers (Checked) add the checks that make the decision fail
// closed, as scopecheck does; scopecheck does the full decision.
package benchmarks

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/gobwas/glob"

	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// Decider is what every contender offers.
type Decider interface {
	Allow(method, path string) bool
}

func isRead(method string) bool { return method == "GET" || method == "HEAD" }

// Scopecheck is the project's matcher.
func Scopecheck(set scope.Set) Decider { return match.Compile(set) }

// Regexp is one anchored alternation per access class: read requests
// against every access item, other methods against the read-write ones.
type Regexp struct{ read, write *regexp.Regexp }

// NewRegexp translates each pattern: "**" to ".*", "*" to "[^/]*".
func NewRegexp(set scope.Set) *Regexp {
	var read, write []string
	for _, it := range set.Items() {
		if it.Class == scope.Plain {
			continue
		}
		re := patternRegexp(it.Pattern)
		read = append(read, re)
		if it.Class == scope.ReadWrite {
			write = append(write, re)
		}
	}
	compile := func(alts []string) *regexp.Regexp {
		if len(alts) == 0 {
			return nil
		}
		return regexp.MustCompile(`^(?:` + strings.Join(alts, "|") + `)$`)
	}
	return &Regexp{read: compile(read), write: compile(write)}
}

func patternRegexp(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); {
		switch {
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(`.*`)
			i += 2
		case p[i] == '*':
			b.WriteString(`[^/]*`)
			i++
		default:
			j := strings.IndexByte(p[i:], '*')
			if j < 0 {
				j = len(p) - i
			}
			b.WriteString(regexp.QuoteMeta(p[i : i+j]))
			i += j
		}
	}
	return b.String()
}

func (r *Regexp) Allow(method, p string) bool {
	re := r.write
	if isRead(method) {
		re = r.read
	}
	return re != nil && len(p) > 0 && re.MatchString(p[1:])
}

// Glob is one gobwas/glob per item, with "/" as the separator (its "*"
// and "**" mean what the scope language's do), tried in a loop.
type Glob struct {
	globs []glob.Glob
	write []bool
}

// NewGlob quotes each pattern's literals and keeps its wildcards.
func NewGlob(set scope.Set) (*Glob, error) {
	g := &Glob{}
	for _, it := range set.Items() {
		if it.Class == scope.Plain {
			continue
		}
		var b strings.Builder
		for _, e := range it.Elems() {
			switch e.Kind {
			case scope.Literal:
				b.WriteString(glob.QuoteMeta(e.Lit))
			case scope.Star:
				b.WriteString("*")
			case scope.DoubleStar:
				b.WriteString("**")
			}
		}
		c, err := glob.Compile(b.String(), '/')
		if err != nil {
			return nil, fmt.Errorf("glob cannot express %s: %w", it, err)
		}
		g.globs = append(g.globs, c)
		g.write = append(g.write, it.Class == scope.ReadWrite)
	}
	return g, nil
}

func (g *Glob) Allow(method, p string) bool {
	if len(p) == 0 {
		return false
	}
	read, rel := isRead(method), p[1:]
	for i, c := range g.globs {
		if (read || g.write[i]) && c.Match(rel) {
			return true
		}
	}
	return false
}

// Naive is a loop of string comparisons: equality for a pattern without
// wildcards, strings.HasPrefix for one whose only wildcard is a final
// "**", and path.Match for one whose wildcards are all "*" and that holds
// none of path.Match's other special bytes. Other patterns it cannot
// express, and NewNaive says which.
type Naive struct{ items []naiveItem }

type naiveItem struct {
	kind  int // 0 equal, 1 prefix, 2 path.Match
	text  string
	write bool
}

func NewNaive(set scope.Set) (*Naive, error) {
	n := &Naive{}
	for _, it := range set.Items() {
		if it.Class == scope.Plain {
			continue
		}
		p, w := it.Pattern, it.Class == scope.ReadWrite
		switch {
		case !strings.Contains(p, "*"):
			n.items = append(n.items, naiveItem{0, p, w})
		case strings.HasSuffix(p, "**") && !strings.Contains(p[:len(p)-2], "*"):
			n.items = append(n.items, naiveItem{1, p[:len(p)-2], w})
		case !strings.Contains(p, "**") && !strings.ContainsAny(p, `?[\`):
			n.items = append(n.items, naiveItem{2, p, w})
		default:
			return nil, fmt.Errorf("naive matching cannot express %s", it)
		}
	}
	return n, nil
}

func (n *Naive) Allow(method, p string) bool {
	if len(p) == 0 {
		return false
	}
	read, rel := isRead(method), p[1:]
	for _, it := range n.items {
		if !read && !it.write {
			continue
		}
		switch it.kind {
		case 0:
			if rel == it.text {
				return true
			}
		case 1:
			if strings.HasPrefix(rel, it.text) {
				return true
			}
		case 2:
			if ok, _ := path.Match(it.text, rel); ok {
				return true
			}
		}
	}
	return false
}

// Checked is a bare peer made fail-closed the cheapest correct way: it
// matches first, and only for a request the peer allows checks what
// scopecheck checks, that the method is a grantable token
// (scope.GrantableMethod) and the path canonical (scope.CheckPath, the
// check a gateway would otherwise have to write). A denial costs it no
// check at all.
type Checked struct{ Peer Decider }

func (c Checked) Allow(method, p string) bool {
	if !c.Peer.Allow(method, p) || !scope.GrantableMethod(method) {
		return false
	}
	r, _ := scope.CheckPath(p)
	return r == scope.Canonical
}
