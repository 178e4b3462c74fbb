package scope

import (
	"fmt"
	"strings"
)

var (
	everything = MustParse("*:**")
	everyRead  = MustParse(".:**")
)

// Breadth says whether a scope grants everything, by what it allows, not
// by how it is written: SuperAdmin when it covers "*:**" (every method on
// every path), ReadAll when it covers ".:**" (every read) but not "*:**",
// and "" otherwise. "*:* *:*/**" is SuperAdmin as "*:**" is. When Covers
// cannot decide, it returns "" and Covers' error.
func Breadth(s Set) (Code, error) { return breadthBy(s, Covers) }

// breadthBy is Breadth with covers asking the containment questions.
func breadthBy(s Set, covers func(allowed, requested Set) (bool, Witness)) (Code, error) {
	all, w := covers(s, everything)
	if w.Err != nil {
		return "", w.Err
	}
	if all {
		return SuperAdmin, nil
	}
	reads, w := covers(s, everyRead)
	if w.Err != nil {
		return "", w.Err
	}
	if reads {
		return ReadAll, nil
	}
	return "", nil
}

// maxCoverSearch bounds the access items among which breadth looks for a
// smallest set that grants everything, to name it; more are named by the
// first of them.
const maxCoverSearch = 32

// breadth reports a scope whose valid access items, together, grant every
// request (super-admin) or every read (read-all): at an item that does so
// alone, or else at the first of a smallest set of items that do so
// together, named in the message.
func (l *linter) breadth(valid []int) {
	var idx []int
	var items []Item
	for _, i := range valid {
		if it := MustParse(l.text(i)).items[0]; it.Class != Plain {
			idx, items = append(idx, i), append(items, it)
		}
	}
	if len(items) == 0 {
		return
	}
	code, err := breadthBy(Set{items: items}, l.work.covers)
	if err != nil {
		l.add(TooLarge, l.spans[idx[0]].start, "", Edit{},
			"whether the access items together grant every request is undecided (%s), so the scope is not reported clean; write it with fewer wildcards", undecidedWhy(err))
		return
	}
	if code == "" {
		return
	}
	for k, it := range items {
		if alone, err := breadthBy(Set{items: []Item{it}}, l.work.covers); err == nil && alone == code {
			text := l.text(idx[k])
			if code == SuperAdmin {
				l.add(code, l.spans[idx[k]].start, text, Edit{}, "%s grants every method on every path (super admin); grant the paths and methods the client needs", brief(text))
			} else {
				l.add(code, l.spans[idx[k]].start, text, Edit{}, "%s reads everything; grant the paths the client reads", brief(text))
			}
			return
		}
	}
	// A smallest set of them: for super-admin, the read-write items alone
	// grant the other methods, so the set is among them.
	var cover []int
	for k, it := range items {
		if code == ReadAll || it.Class == ReadWrite {
			cover = append(cover, k)
		}
	}
	if len(cover) <= maxCoverSearch {
		for c := 0; c < len(cover); {
			try := append(append([]int(nil), cover[:c]...), cover[c+1:]...)
			var set []Item
			for _, k := range try {
				set = append(set, items[k])
			}
			if got, err := breadthBy(Set{items: set}, l.work.covers); err == nil && got == code {
				cover = try
			} else {
				c++
			}
		}
	}
	names := make([]string, 0, 4)
	for n, k := range cover {
		if n == 3 {
			names = append(names, fmt.Sprintf("and %d more", len(cover)-3))
			break
		}
		names = append(names, brief(l.text(idx[k])))
	}
	first := idx[cover[0]]
	if code == SuperAdmin {
		l.add(code, l.spans[first].start, l.text(first), Edit{}, "items %s together grant every method on every path, as *:** does (super admin); grant the paths and methods the client needs",
			strings.Join(names, " "))
	} else {
		l.add(code, l.spans[first].start, l.text(first), Edit{}, "items %s together read every path, as .:** does; grant the paths the client reads",
			strings.Join(names, " "))
	}
}
