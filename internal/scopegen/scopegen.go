// Package scopegen generates scopes and requests for property tests. Its
// patterns and paths are built from one small pool of literal pieces so
// that generated paths often match generated patterns, and its paths
// include the non-canonical forms that a matcher must deny.
package scopegen

import (
	"strings"

	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/scope"
)

// Pieces are the literals patterns and paths are made of. They include
// prefixes of one another, glued segments (tokenPolicies vs
// tokenPoliciesX), escapes, and dots.
var Pieces = []string{"a", "b", "ab", "config", "tokenPolicies", "X", ".", "-", "%41", "%C3%A9", ":"}

// Pattern draws a valid path pattern of up to maxElems elements.
func Pattern(maxElems int) *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		for {
			n := rapid.IntRange(1, maxElems).Draw(t, "elems")
			var b strings.Builder
			lastStar := false
			for i := 0; i < n; i++ {
				switch k := rapid.IntRange(0, 5).Draw(t, "kind"); {
				case k <= 1 && !lastStar:
					b.WriteString([]string{"*", "**"}[k])
					lastStar = true
				case k == 2:
					b.WriteByte('/')
					lastStar = false
				default:
					b.WriteString(rapid.SampledFrom(Pieces).Draw(t, "piece"))
					lastStar = false
				}
			}
			p := b.String()
			if _, err := scope.Parse("*:" + p); err == nil {
				return p
			}
		}
	})
}

// Set draws a valid scope of up to maxItems items, mostly access items of
// both classes, sometimes plain ones.
func Set(maxItems, maxElems int) *rapid.Generator[scope.Set] {
	return rapid.Custom(func(t *rapid.T) scope.Set {
		return scope.MustParse(String(maxItems, maxElems).Draw(t, "scope"))
	})
}

// String draws the text of a valid scope.
func String(maxItems, maxElems int) *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		n := rapid.IntRange(0, maxItems).Draw(t, "items")
		items := make([]string, n)
		for i := range items {
			switch rapid.IntRange(0, 9).Draw(t, "class") {
			case 0:
				items[i] = rapid.SampledFrom([]string{"openid", "email", "example.com"}).Draw(t, "plain")
			case 1, 2, 3, 4:
				items[i] = ".:" + Pattern(maxElems).Draw(t, "pattern")
			default:
				items[i] = "*:" + Pattern(maxElems).Draw(t, "pattern")
			}
		}
		return strings.Join(items, " ")
	})
}

// NonCanonical are fragments that make a path non-canonical.
var NonCanonical = []string{"//", "/./", "/../", "/.", "/..", "%2F", "%2e", "%2E%2E", "%zz", "%", "%4", `\`, ";", "?",
	"#", " ", "\t", "\x00", "\x7f", "\xc3\xa9", "%C0%AF", "%E2%80%A8", "%C2%85", "%C3", "%00", "%25", "%5C", "%3B"}

// Path draws a request path: usually "/" and pieces, sometimes with a
// non-canonical fragment, sometimes without the leading "/".
func Path(maxPieces int) *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		var b strings.Builder
		if rapid.IntRange(0, 19).Draw(t, "noslash") != 0 {
			b.WriteByte('/')
		}
		n := rapid.IntRange(0, maxPieces).Draw(t, "pieces")
		for i := 0; i < n; i++ {
			switch k := rapid.IntRange(0, 30).Draw(t, "kind"); {
			case k < 7:
				// "//" comes from NonCanonical, at its own rate.
				if !strings.HasSuffix(b.String(), "/") {
					b.WriteByte('/')
				}
			case k == 7:
				b.WriteString(rapid.SampledFrom(NonCanonical).Draw(t, "bad"))
			default:
				b.WriteString(rapid.SampledFrom(Pieces).Draw(t, "piece"))
			}
		}
		return b.String()
	})
}

// Method draws a method: the read ones, write ones, extension and
// lower-case tokens, CONNECT, TRACE, and non-tokens.
func Method() *rapid.Generator[string] {
	return rapid.SampledFrom([]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND",
		"get", "CONNECT", "TRACE", "", "G T", "GET\n", "GÉT"})
}

// PatternBytes is every byte a pattern can spell as a literal, beside "/"
// and escapes: visible ASCII but '"' and '\' (no scope holds them), ';',
// '?' and '#' (no canonical path does), '*' (a wildcard) and '%' (which
// begins an escape). '.' is here; a pattern may not make it a segment.
var PatternBytes = func() []byte {
	var out []byte
	for c := byte(0x21); c <= 0x7E; c++ {
		if !strings.ContainsRune("\"\\;?#*%/", rune(c)) {
			out = append(out, c)
		}
	}
	return out
}()

// Escapes are escapes a canonical path may hold, one and several bytes
// long, upper and lower case.
var Escapes = []string{"%41", "%7E", "%20", "%7e", "%C3%A9", "%c3%a9", "%E2%80%A7", "%F0%9F%98%80"}

// Literal draws a pattern of exactly n bytes (n >= 1) without wildcards
// that parses: the shape of the items that a matcher keeps in its table of
// exact paths. Its bytes come from every class a pattern may hold:
// PatternBytes, "/", and escapes.
func Literal(n int) *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		b := make([]byte, 0, n)
		for len(b) < n {
			left := n - len(b)
			switch k := rapid.IntRange(0, 9).Draw(t, "kind"); {
			case k == 0 && len(b) > 0 && b[len(b)-1] != '/':
				b = append(b, '/')
			case k == 1:
				if e := rapid.SampledFrom(Escapes).Draw(t, "escape"); len(e) <= left {
					b = append(b, e...)
				}
			default:
				b = append(b, rapid.SampledFrom(PatternBytes).Draw(t, "byte"))
			}
		}
		p := string(b)
		if _, err := scope.Parse("*:" + p); err != nil {
			// Only "." and ".." segments can be wrong: take their dots out.
			p = strings.ReplaceAll(p, ".", "-")
		}
		if _, err := scope.Parse("*:" + p); err != nil {
			panic("scopegen: literal " + p + " does not parse: " + err.Error())
		}
		return p
	})
}

// LiteralFrom spells a pattern of exactly n bytes (n >= 1) without
// wildcards that parses, from the bytes of src that a pattern may hold
// (PatternBytes and "/"), taken in turn and again from the start; bytes of
// PatternBytes stand in when src has none. It is Literal for fuzz targets,
// whose inputs are strings.
func LiteralFrom(src string, n int) string {
	var pool []byte
	for i := 0; i < len(src); i++ {
		if c := src[i]; c == '/' || strings.IndexByte(string(PatternBytes), c) >= 0 {
			pool = append(pool, c)
		}
	}
	if len(pool) == 0 {
		pool = PatternBytes
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = pool[i%len(pool)]
		// No leading "/" and no "//": a letter instead.
		if b[i] == '/' && (i == 0 || b[i-1] == '/') {
			b[i] = 'a'
		}
	}
	p := string(b)
	if _, err := scope.Parse("*:" + p); err != nil {
		// Only "." and ".." segments can be wrong: take their dots out.
		p = strings.ReplaceAll(p, ".", "-")
	}
	return p
}

// Tail draws what follows an item's literal prefix, of each shape a
// matcher tells apart: nothing, "**", "*", a wildcard and a literal suffix,
// and longer programs, among them programs of 62 to 65, 127 to 129 and 191
// to 193 positions (one literal byte or wildcard each), which fill one,
// two and three words of a state set exactly and by one more or less.
func Tail() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		lit := func() string {
			return rapid.SampledFrom([]string{"a", "b", "/x", "Policies", "/pushClaims", ".json", "%41", "~!$&'()+,:=@[]^`{|}<>"}).Draw(t, "lit")
		}
		switch rapid.IntRange(0, 7).Draw(t, "tail") {
		case 0:
			return ""
		case 1:
			return "**"
		case 2:
			return "*"
		case 3:
			return "**" + lit()
		case 4:
			return "*" + lit()
		case 5:
			// "**x*x*…": one wildcard and then two positions a step.
			n := rapid.SampledFrom([]int{62, 63, 64, 65, 127, 128, 129, 191, 192, 193}).Draw(t, "positions")
			var b strings.Builder
			b.WriteString("**")
			for pos := 1; pos < n; pos += 2 {
				if pos+1 == n {
					b.WriteString("y")
				} else {
					b.WriteString(rapid.SampledFrom([]string{"a*", "b*", "/**", "a**"}).Draw(t, "step"))
				}
			}
			return b.String()
		default:
			var b strings.Builder
			b.WriteString(rapid.SampledFrom([]string{"*", "**"}).Draw(t, "lead"))
			for i := rapid.IntRange(1, 3).Draw(t, "parts"); i > 0; i-- {
				b.WriteString(lit())
				b.WriteString(rapid.SampledFrom([]string{"*", "**"}).Draw(t, "wild"))
			}
			if rapid.Bool().Draw(t, "end") {
				b.WriteString(lit())
			}
			return b.String()
		}
	})
}

// EdgeSet draws a scope built to reach every fast path of the matcher:
// exact items of every length from 1 to 300 (no pattern is empty; the
// empty path is drawn by EdgePath), among them multiples of 64 and their
// neighbours; items that share a literal prefix, so that the trie splits
// and a node holds several candidates; every shape of tail; and many items
// behind one prefix, which a matcher may run as one program.
func EdgeSet() *rapid.Generator[scope.Set] {
	return rapid.Custom(func(t *rapid.T) scope.Set {
		var items []string
		var prefixes []string
		n := rapid.IntRange(1, 10).Draw(t, "items")
		for i := 0; i < n; i++ {
			class := rapid.SampledFrom([]string{".:", "*:"}).Draw(t, "class")
			var p string
			switch rapid.IntRange(0, 5).Draw(t, "shape") {
			case 0, 1:
				size := rapid.OneOf(rapid.IntRange(1, 300),
					rapid.SampledFrom([]int{1, 2, 63, 64, 65, 127, 128, 129, 192, 256})).Draw(t, "length")
				p = Literal(size).Draw(t, "literal")
			case 2, 3:
				prefix := ""
				if len(prefixes) > 0 && rapid.Bool().Draw(t, "share") {
					prefix = rapid.SampledFrom(prefixes).Draw(t, "shared")
					prefix = prefix[:rapid.IntRange(0, len(prefix)).Draw(t, "cut")]
				} else if rapid.IntRange(0, 3).Draw(t, "bare") != 0 {
					prefix = Literal(rapid.IntRange(1, 12).Draw(t, "prefixLength")).Draw(t, "prefix")
				}
				p = prefix + Tail().Draw(t, "tail")
			case 4:
				// A run of items behind one prefix, each with its own tail.
				prefix := ""
				if rapid.Bool().Draw(t, "rooted") {
					prefix = Literal(rapid.IntRange(1, 6).Draw(t, "prefixLength")).Draw(t, "prefix")
				}
				for k := rapid.IntRange(8, 24).Draw(t, "run"); k > 0; k-- {
					q := prefix + Tail().Draw(t, "tail")
					if _, err := scope.Parse("*:" + q); err == nil {
						items = append(items, rapid.SampledFrom([]string{".:", "*:"}).Draw(t, "class")+q)
					}
				}
				continue
			default:
				p = Pattern(6).Draw(t, "pattern")
			}
			if _, err := scope.Parse("*:" + p); err != nil {
				continue // a glued prefix and tail can make a dot segment or "//"
			}
			if cut := strings.IndexByte(p, '*'); cut != 0 {
				if cut < 0 {
					cut = len(p)
				}
				prefixes = append(prefixes, p[:cut])
			}
			items = append(items, class+p)
		}
		if rapid.IntRange(0, 4).Draw(t, "plain") == 0 {
			items = append(items, "openid")
		}
		return scope.MustParse(strings.Join(items, " "))
	})
}

// EdgePath draws a request path for set: the paths of length 0 and 1
// ("", "/", "a"), a path that some access item of set matches (its
// wildcards filled with bytes of every class), that path changed by one
// byte at its end or inside, or a path of Path.
func EdgePath(set scope.Set) *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		var patterns []string
		for _, it := range set.Items() {
			if it.Class != scope.Plain {
				patterns = append(patterns, it.Pattern)
			}
		}
		k := rapid.IntRange(0, 9).Draw(t, "source")
		switch {
		case k == 0:
			return rapid.SampledFrom([]string{"", "/", "a", "*", "%"}).Draw(t, "short")
		case k == 1 || len(patterns) == 0:
			return Path(8).Draw(t, "path")
		}
		rel := Instance(t, rapid.SampledFrom(patterns).Draw(t, "pattern"))
		switch rapid.IntRange(0, 5).Draw(t, "change") {
		case 0:
			if rel != "" {
				rel = rel[:len(rel)-1]
			}
		case 1:
			rel += rapid.SampledFrom([]string{"/", "a", "x/", "\"", "*", ".", "%41", "/..", ";"}).Draw(t, "more")
		case 2:
			if rel != "" {
				i := rapid.IntRange(0, len(rel)-1).Draw(t, "at")
				c := rapid.SampledFrom(append([]byte{'/', '"', '*', '%', 0x7F, ' '}, PatternBytes...)).Draw(t, "byte")
				rel = rel[:i] + string(c) + rel[i+1:]
			}
		}
		if rapid.IntRange(0, 19).Draw(t, "noslash") == 0 {
			return rel
		}
		return "/" + rel
	})
}

// Instance draws a string that pattern matches: its wildcards filled with
// bytes of every class a canonical path holds ('"' and '*', which no
// pattern can spell, among them), "/" too for "**".
func Instance(t *rapid.T, pattern string) string {
	var b strings.Builder
	fill := func(slash bool) {
		for i := rapid.IntRange(0, 4).Draw(t, "fill"); i > 0; i-- {
			switch k := rapid.IntRange(0, 9).Draw(t, "kind"); {
			case k == 0 && slash:
				b.WriteByte('/')
			case k == 1:
				b.WriteString(rapid.SampledFrom(Escapes).Draw(t, "escape"))
			case k == 2:
				b.WriteString(rapid.SampledFrom([]string{"\"", "*"}).Draw(t, "unnameable"))
			case k < 6:
				b.WriteString(rapid.SampledFrom(Pieces).Draw(t, "piece"))
			default:
				b.WriteByte(rapid.SampledFrom(PatternBytes).Draw(t, "byte"))
			}
		}
	}
	for _, e := range (scope.Item{Class: scope.ReadWrite, Pattern: pattern}).Elems() {
		switch e.Kind {
		case scope.Literal:
			b.WriteString(e.Lit)
		case scope.Star:
			fill(false)
		case scope.DoubleStar:
			fill(true)
		}
	}
	return b.String()
}
