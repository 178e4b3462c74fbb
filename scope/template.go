package scope

import (
	"fmt"
	"strings"
)

// ReachesTemplate reports whether set allows method on some canonical path
// that an OpenAPI path template produces, and returns a shortest such
// path. A parameter ("{oidcClientId}") stands for one non-empty path
// segment of canonical bytes, any of them: the template
// "/config/clients/{id}" produces "/config/clients/x", never
// "/config/clients/" or "/config/clients/a/b". The rest of the template
// matches itself byte for byte. The answer is exact (the template and the
// scope are intersected as automata, with the automaton of canonical
// paths); past MaxStates it is an ErrTooComplex error, never a guess.
func ReachesTemplate(set Set, method, template string) (string, bool, error) {
	if !strings.HasPrefix(template, "/") {
		return "", false, fmt.Errorf("scope: path template %q does not begin with /", template)
	}
	var items []Item
	for _, it := range set.items {
		if it.Class == ReadWrite || (it.Class == Read && (method == "GET" || method == "HEAD")) {
			items = append(items, it)
		}
	}
	if !GrantableMethod(method) || len(items) == 0 {
		return "", false, nil
	}
	n := newNFA(items)
	// The template's positions follow the items'.
	tmplStart := len(n.kind)
	rest := template[1:]
	for len(rest) > 0 {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			open = len(rest)
		}
		for i := 0; i < open; i++ {
			if rest[i] == '}' {
				return "", false, fmt.Errorf("scope: path template %q has an unmatched }", template)
			}
			n.addPos(posLit, rest[i])
		}
		if open == len(rest) {
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return "", false, fmt.Errorf("scope: path template %q has an unclosed {", template)
		}
		n.addPos(posSegByte, 0)
		n.addPos(posStar, 0)
		rest = rest[open+end+1:]
	}
	n.addPos(posAccept, 0)
	n.starts = append(n.starts, tmplStart)
	tmplItem := len(n.starts) - 1
	all := make([]int, len(items))
	for i := range all {
		all[i] = i
	}
	alphabet := alphabetOf(append(items, Item{Class: ReadWrite, Pattern: template}))
	// A path the template produces and some item allows: the template's
	// positions lead, and a state lives while both sides do.
	path, err := n.search(alphabet, n.start([]int{tmplItem}), n.start(all),
		func(t, items posSet) (posSet, bool) { return t, len(items) > 0 },
		func(t, items posSet) bool { return n.accepts(t) && n.accepts(items) })
	if err != nil || path == nil {
		return "", false, err
	}
	return "/" + *path, true, nil
}

// addPos appends a position that shares no suffix with another; template
// positions are few and need no merging.
func (a *nfa) addPos(kind uint8, lit byte) {
	a.rep = append(a.rep, len(a.kind))
	a.kind, a.lit = append(a.kind, kind), append(a.lit, lit)
}
