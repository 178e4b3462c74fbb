package scope

// scanValid is the fast path of Parse. It accepts exactly the scope strings
// that the grammar and the checks of parse.go accept, and returns the same
// items; anything else it declines, and Parse then runs the grammar, which
// alone says what is wrong and where. So the grammar stays the one
// definition of errors, and a scope that is valid (the only kind a gateway
// compiles on its cold path) is parsed without participle's reflection.
// FuzzScanner and TestScannerAgrees hold the two paths to the same answers
// on valid and invalid input alike.
func scanValid(s string) ([]Item, bool) {
	var items []Item
	for i := 0; i < len(s); {
		if s[i] == ' ' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] != ' ' {
			if !itemByte[s[j]] {
				return nil, false
			}
			j++
		}
		it, ok := scanItem(s[i:j])
		if !ok {
			return nil, false
		}
		items = append(items, it)
		i = j
	}
	return items, true
}

// itemByte marks the bytes an item may hold: visible ASCII but '"' and '\'.
var itemByte = func() (t [256]bool) {
	for c := 0x21; c <= 0x7E; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanItem classifies one item of item bytes and checks an access item's
// pattern.
func scanItem(t string) (Item, bool) {
	switch t[0] {
	case ':':
		return Item{}, false // missing-access
	case '.', '*':
		if len(t) < 2 || t[1] != ':' {
			return Item{}, false // missing-colon
		}
		if !scanPattern(t[2:]) {
			return Item{}, false
		}
		cls := Read
		if t[0] == '*' {
			cls = ReadWrite
		}
		return Item{Class: cls, Pattern: t[2:]}, true
	}
	return Item{Class: Plain, Name: t}, true
}

// scanPattern reports whether a pattern of item bytes has none of the
// pattern errors: empty-pattern, leading-slash, empty-segment, dot-segment,
// bad-char, bad-escape, star-run.
func scanPattern(p string) bool {
	if p == "" || p[0] == '/' {
		return false
	}
	segStart := 0
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '/':
			if !scanSegment(p[segStart:i]) {
				return false
			}
			segStart = i + 1
		case ';', '?', '#':
			return false
		case '*':
			if i+2 < len(p) && p[i+1] == '*' && p[i+2] == '*' {
				return false
			}
		case '%':
			b, ok := unescape(p, i)
			if !ok || (b < 0x80 && escapedForbidden[b]) {
				return false
			}
			// A run of escapes, judged as parse.go judges it.
			j, dec := i, make([]byte, 0, 8)
			for {
				v, ok := unescape(p, j)
				if !ok {
					break
				}
				if v < 0x80 && escapedForbidden[v] {
					return false
				}
				dec = append(dec, v)
				j += 3
			}
			openStart := i > 0 && p[i-1] == '*'
			openEnd := j < len(p) && p[j] == '*'
			if badEscape(dec, openStart, openEnd) >= 0 {
				return false
			}
			i = j - 1
		}
	}
	// A trailing "/" leaves an empty last segment, which is allowed.
	return segStart == len(p) || scanSegment(p[segStart:])
}

// scanSegment reports whether a segment that ends at "/" or at the end of
// the pattern is neither empty, ".", nor "..". An empty one is "//", since
// a pattern cannot begin with "/".
func scanSegment(seg string) bool {
	return seg != "" && seg != "." && seg != ".."
}
