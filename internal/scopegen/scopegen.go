// Package scopegen generates scopes and requests for property tests. Its
// patterns and paths are built from one small pool of literal pieces so
// that generated paths often match generated patterns, and its paths
// include the non-canonical forms that a matcher must deny.
package scopegen

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
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
func Path(maxPieces int) *rapid.Generator[string] { return pathOf(Pieces, maxPieces) }

// pathOf draws a request path made of pieces, as Path describes.
func pathOf(pieces []string, maxPieces int) *rapid.Generator[string] {
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
				b.WriteString(rapid.SampledFrom(pieces).Draw(t, "piece"))
			}
		}
		return b.String()
	})
}

// Method draws a method: the read ones, write ones, extension and
// lower-case tokens ("connect" is one, and is CONNECT once upper-cased),
// CONNECT, TRACE, and non-tokens.
func Method() *rapid.Generator[string] {
	return rapid.SampledFrom([]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND",
		"get", "connect", "CONNECT", "TRACE", "", "G T", "GET\n", "GÉT"})
}

// MountSegments are first segments of a request target: the tenant of
// the generated tokens ("acme"), another tenant, spellings of the tenant
// that are not it byte for byte, and the tricks that no mount segment may
// pass: dot segments plain and escaped, ';' parameters, escaped '/', '?',
// '%', overlong and separator characters, '\', '#', empty.
var MountSegments = []string{"acme", "othercorp", "ACME", "%61cme", ".", "..", "%2e", "%2E%2e", "..;", "a;b=c",
	"a%2Fb", "%C0%AE", "acme%3F", "%E2%80%A8", "acme%25", `acme\`, "acme#", "", "acme%00", "ac%20me"}

// QueryParams are query parameters, most of them method overrides in the
// spellings frameworks decode to "_method" or "__METHOD_OVERRIDE__"
// (escaped, PHP's '.' and ' ' for '_' and its cut at NUL, upper case,
// invalid escapes kept, IIS's %uXXXX),
// some that are not ("_method[]", "x_method"), one whose value does not
// decode, and the bearer token parameter in some of its spellings.
var QueryParams = []string{"_method=DELETE", "_method=delete", "_method=GET", "_method=POST", "%5Fmethod=PUT", "%5fmethod=PATCH",
	".method=DELETE", "+_method=DELETE", "%20method=PUT", "[method=DELETE", "_METHOD=PATCH", "_Method=get", "_method=%zz",
	"_method", "_method=", "_method[]=DELETE", "x_method=DELETE", "x=1", "a=%41", "method=DELETE", "_method=CONNECT", "_method=trace",
	"__METHOD_OVERRIDE__=DELETE", "__method.override__=PUT", "_method%00x=PATCH", "x%00_method=PUT",
	"access_token=t", "Access.Token=t", "access%5Ftoken", "access_tokens=t", "access_token[]=t", "_method%00%zz=DELETE", "%u005Fmethod=PUT", "_method%zz=PUT"}

// Target draws a raw request target: usually "/", a mount segment (half
// the time the tenant "acme") and a path, sometimes with a query (joined with '&' or ';') that may carry
// "_method"; sometimes the absolute form (its authority cut short by '?'
// or '#' now and then), the asterisk form or an empty target.
func Target(maxPieces int) *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		var b strings.Builder
		switch rapid.IntRange(0, 19).Draw(t, "form") {
		case 0:
			b.WriteString(rapid.SampledFrom([]string{"http://api", "https://api:443", "HTTP://a@b", "http://api?x", "http://api#x", "http:"}).Draw(t, "absolute"))
		case 1:
			return rapid.SampledFrom([]string{"*", "", "api:443", "acme/config"}).Draw(t, "odd")
		}
		seg := "acme"
		if rapid.Bool().Draw(t, "other mount") {
			seg = rapid.SampledFrom(MountSegments).Draw(t, "mount")
		}
		b.WriteString("/" + seg)
		b.WriteString(Path(maxPieces).Draw(t, "path"))
		if n := rapid.IntRange(-2, 2).Draw(t, "params"); n > 0 {
			b.WriteByte('?')
			for i := 0; i < n; i++ {
				if i > 0 {
					b.WriteString(rapid.SampledFrom([]string{"&", ";"}).Draw(t, "sep"))
				}
				b.WriteString(rapid.SampledFrom(QueryParams).Draw(t, "param"))
			}
		}
		return b.String()
	})
}

// SourceHeaders are the names of the headers that carry a method, a method
// override or a target in some convention, in the spellings that reach an
// upstream as the same header (case, '_' for '-'), the three that ask to
// switch protocols, and two that carry none of these.
var SourceHeaders = []string{"X-Original-Method", "X-Forwarded-Method", "X-HTTP-Method-Override", "x-http-method-override",
	"X_HTTP_Method_Override", "X-HTTP-Method", "X-Method-Override", "X-Original-URI", "x_original_uri", "X-Original-URL",
	"X-Forwarded-Uri", "X-Rewrite-URL", "Destination", "X-Request-Id", "X-Forwarded-Host", "Upgrade", "HTTP2-Settings", "Connection"}

// switchValues are values of the fields that ask to switch protocols:
// allowed protocols or not, in lists, cases and versions, h2c's settings,
// and Connection options with and without "upgrade".
var switchValues = map[string][]string{
	"upgrade":        {"websocket", "WebSocket/13", "h2c", "websocket, h2c", "", "foo/1, websocket"},
	"http2-settings": {"AAMAAABkAARAAAAAAAIAAAAA", ""},
	"connection":     {"Upgrade", "keep-alive, Upgrade", "close", "Upgrade, HTTP2-Settings", "keep-alive"},
}

// Headers draws up to max headers, names from SourceHeaders, values
// methods or targets whichever the name carries (and sometimes the other),
// some repeated, some two values joined with a comma as a proxy joins the
// lines of a repeated header.
func Headers(max int) *rapid.Generator[map[string][]string] {
	value := func(t *rapid.T, name string) string {
		if vs, ok := switchValues[strings.ToLower(name)]; ok {
			return rapid.SampledFrom(vs).Draw(t, "switch")
		}
		if strings.Contains(strings.ToLower(name), "method") != (rapid.IntRange(0, 9).Draw(t, "swap") == 0) {
			return Method().Draw(t, "method")
		}
		return Target(4).Draw(t, "target")
	}
	return rapid.Custom(func(t *rapid.T) map[string][]string {
		h := map[string][]string{}
		for n := rapid.IntRange(0, max).Draw(t, "headers"); n > 0; n-- {
			name := rapid.SampledFrom(SourceHeaders).Draw(t, "name")
			v := value(t, name)
			if rapid.IntRange(0, 3).Draw(t, "joined") == 0 {
				v += rapid.SampledFrom([]string{",", ",", ",", ", ", " ,\t"}).Draw(t, "comma") + value(t, name)
			}
			h[name] = append(h[name], v)
		}
		return h
	})
}

// Damaged are items that do not parse, each with a fix the parser
// suggests (missing-colon, missing-access, leading-slash) or none.
var Damaged = []string{"*.**", ".config/**", "*config", ":webhooks/**", "*:/a/**", "**:a", "*:a//b", "*:", ".*:x"}

// LintText draws a scope string as a reviewer meets it: items of String,
// some repeated, some trailing slashes, sometimes a damaged item, with
// runs of spaces before, between and after them. It reaches every lint
// code that suggests a rewrite.
func LintText(maxItems, maxElems int) *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		n := rapid.IntRange(0, maxItems).Draw(t, "items")
		var items []string
		for i := 0; i < n; i++ {
			var it string
			switch k := rapid.IntRange(0, 19).Draw(t, "kind"); {
			case k == 0 && len(items) > 0:
				it = rapid.SampledFrom(items).Draw(t, "repeat")
			case k == 1 || k == 2:
				it = rapid.SampledFrom(Damaged).Draw(t, "damaged")
			case k == 3:
				it = rapid.SampledFrom([]string{".:", "*:"}).Draw(t, "class") + Pattern(maxElems).Draw(t, "pattern") + "/"
				if _, err := scope.Parse(it); err != nil {
					it = "*:" + Pattern(maxElems).Draw(t, "pattern")
				}
			default:
				it = String(1, maxElems).Draw(t, "item")
				if it == "" {
					it = "openid"
				}
			}
			items = append(items, it)
		}
		var b strings.Builder
		for i, it := range items {
			gap := rapid.IntRange(0, 19).Draw(t, "gap")
			switch {
			case gap == 0:
				b.WriteString("  ")
			case i > 0:
				b.WriteByte(' ')
			}
			b.WriteString(it)
		}
		if rapid.IntRange(0, 9).Draw(t, "tail") == 0 {
			b.WriteByte(' ')
		}
		return b.String()
	})
}

// Broad are items that grant every path, alone or together with others:
// "*:*" and "*:*/**" together are "*:**", and so are "*:**/**" and "*:*".
var Broad = []string{"*:**", ".:**", "*:*", "*:*/**", ".:*", ".:*/**", "*:**/**", "*:*/*/**", "*:*/*", "*:**/*", "*:**/", "*:*a", "*:a*", "*:config/**"}

// BroadText draws a scope string of LintText's kind in which items of
// Broad are frequent, so that scopes that grant everything only together
// are met often.
func BroadText(maxItems, maxElems int) *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		n := rapid.IntRange(0, maxItems).Draw(t, "items")
		items := make([]string, n)
		for i := range items {
			if rapid.Bool().Draw(t, "broad") {
				items[i] = rapid.SampledFrom(Broad).Draw(t, "item")
			} else {
				items[i] = strings.TrimSpace(LintText(1, maxElems).Draw(t, "item"))
			}
		}
		return strings.Join(items, " ")
	})
}

// Pasted draws a string as a reviewer may paste it: a scope of LintText,
// sometimes as it is, sometimes in shell quotes, as a form field or a URL
// query, URL-encoded, after "Bearer", or glued to a valid item by "&scope="
// (which makes the field part of that item); and sometimes a JWT, alone or
// in a Bearer header, whose scope claim is such a scope.
func Pasted(maxItems, maxElems int) *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		s := LintText(maxItems, maxElems).Draw(t, "scope")
		enc := base64.RawURLEncoding.EncodeToString
		claim, _ := json.Marshal(map[string]string{"scope": s})
		jwt := enc([]byte(`{"alg":"RS256"}`)) + "." + enc(claim) + ".c2ln"
		forms := []string{s, "'" + s + "'", `"` + s + `"`, "scope=" + s, "grant_type=client_credentials&scope=" + url.QueryEscape(s),
			"https://idp.example/authorize?client_id=x&scope=" + url.QueryEscape(s), url.PathEscape(s), "Bearer " + s, "bearer " + s,
			".:a&scope=" + s, "*:** *:a&scope=" + s, jwt, "Bearer " + jwt, "Authorization: Bearer " + jwt,
			"curl -H 'Authorization: Bearer " + jwt + "' https://api/config"}
		return rapid.SampledFrom(forms).Draw(t, "form")
	})
}

// LogPieces are the literals of LogPath: Pieces, values of an ID segment
// (so that a segment takes more values than a generaliser keeps
// literal), and the star runs a request path can hold as bytes, which a
// pattern cannot spell.
var LogPieces = append(append([]string(nil), Pieces...), "c1", "c2", "c3", "c4", "c5", "c6", "c7", "*", "**", "a*b")

// LogPath draws a request path as an access log holds it: as Path does,
// with LogPieces.
func LogPath(maxPieces int) *rapid.Generator[string] { return pathOf(LogPieces, maxPieces) }

// LogRequest is one request as a gateway logs it.
type LogRequest struct {
	Client, Method, Path string
	// Allowed is the gateway's decision as the log records it.
	Allowed bool
}

// LogRequests draws up to max requests of up to three clients (one of
// them unnamed), mostly allowed, with Method's methods and LogPath's
// paths.
func LogRequests(max, maxPieces int) *rapid.Generator[[]LogRequest] {
	return rapid.Custom(func(t *rapid.T) []LogRequest {
		n := rapid.IntRange(0, max).Draw(t, "requests")
		out := make([]LogRequest, n)
		for i := range out {
			out[i] = LogRequest{
				Client:  rapid.SampledFrom([]string{"c1", "c1", "svc-2", ""}).Draw(t, "client"),
				Method:  rapid.SampledFrom([]string{"GET", "GET", "HEAD", "POST", "PUT", "DELETE", "get", "CONNECT"}).Draw(t, "method"),
				Path:    LogPath(maxPieces).Draw(t, "path"),
				Allowed: rapid.IntRange(0, 5).Draw(t, "denied") != 0,
			}
		}
		return out
	})
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

// TailLiterals are the literals of Tail: short ones of every kind of
// byte, ones with "/" inside and at either end, and long ones of 31, 32 and 33 bytes (a
// matcher searches a path for literals of up to 32 bytes, and runs the
// rest as a program).
var TailLiterals = []string{"a", "b", "/x", "Policies", "/pushClaims", ".json", "%41", "~!$&'()+,:=@[]^`{|}<>", "ab/cd", "ab/",
	strings.Repeat("ab", 16)[:31], strings.Repeat("ab", 16), strings.Repeat("ab", 16) + "c"}

// Tail draws what follows an item's literal prefix, of each shape a
// matcher tells apart: nothing, "**", "*", chains of one kind of
// wildcard (their literals short, long, or with "/"), programs of both
// kinds ("*/pushClaims/**" among them), and long programs, among them programs of 62 to 65, 127 to 129
// and 191 to 193 positions (one literal byte or wildcard each), which
// fill one, two and three words of a state set exactly and by one more
// or less.
func Tail() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		lit := func() string { return rapid.SampledFrom(TailLiterals).Draw(t, "lit") }
		switch rapid.IntRange(0, 10).Draw(t, "tail") {
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
		case 6, 7:
			// A chain: one kind of wildcard between literals.
			w := rapid.SampledFrom([]string{"*", "**"}).Draw(t, "wildcard")
			var b strings.Builder
			for i := rapid.IntRange(1, 4).Draw(t, "links"); i > 0; i-- {
				b.WriteString(w)
				b.WriteString(lit())
			}
			// Open, by the same wildcard or the other (then it is a
			// program, whose "**" outlives the "*" before it).
			if rapid.Bool().Draw(t, "open") {
				b.WriteString(rapid.SampledFrom([]string{w, w, "*", "**"}).Draw(t, "last"))
			}
			return b.String()
		case 8:
			// A subtree of each child: "*" dies at the "/" after it,
			// and the last "**" takes whatever follows.
			return "*/" + lit() + "/**"
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

// TrieSet draws a scope whose items' literal prefixes make the tries a
// matcher walks at their widest and deepest: prefixes that share a base
// and then differ in up to five bytes, drawn from a pool of two bytes, of
// ten, of letters and "/", or of every byte a pattern can spell (a node
// with more children than a word has bytes), sometimes with a node that
// has every one of them; up to 130 items, more than a node orders by
// insertion, in their drawn order or sorted by pattern; equal prefixes
// in both classes; each with a short tail ("", "**", "*", "/**", "*x")
// or, now and then, any Tail.
func TrieSet() *rapid.Generator[scope.Set] {
	return rapid.Custom(func(t *rapid.T) scope.Set {
		base := ""
		if rapid.Bool().Draw(t, "based") {
			base = Literal(rapid.IntRange(1, 10).Draw(t, "baseLength")).Draw(t, "base")
		}
		pool := []byte(rapid.SampledFrom([]string{"01", "0123456789", "ab/", string(PatternBytes)}).Draw(t, "pool"))
		depth := rapid.IntRange(1, 5).Draw(t, "depth")
		tail := func() string {
			if rapid.IntRange(0, 19).Draw(t, "anyTail") == 0 {
				return Tail().Draw(t, "tail")
			}
			return rapid.SampledFrom([]string{"", "**", "*", "/**", "*x"}).Draw(t, "shortTail")
		}
		var patterns []string
		add := func(p string) {
			if _, err := scope.Parse("*:" + p); err == nil {
				patterns = append(patterns, p)
			}
		}
		for n := rapid.IntRange(1, 130).Draw(t, "items"); n > 0; n-- {
			b := []byte(base)
			for k := rapid.IntRange(0, depth).Draw(t, "length"); k > 0; k-- {
				b = append(b, rapid.SampledFrom(pool).Draw(t, "byte"))
			}
			add(string(b) + tail())
		}
		if rapid.IntRange(0, 3).Draw(t, "everyByte") == 0 {
			for _, c := range PatternBytes {
				add(base + string(c) + "/**")
			}
		}
		if rapid.Bool().Draw(t, "sorted") {
			slices.Sort(patterns)
		}
		items := make([]string, len(patterns))
		for i, p := range patterns {
			items[i] = rapid.SampledFrom([]string{".:", "*:"}).Draw(t, "class") + p
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

// RunLengths are the lengths of the runs Instance fills wildcards with:
// around the eight bytes that matchers read at a time, and around a
// cache line.
var RunLengths = []int{1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 128}

// Instance draws a string that pattern matches: its wildcards filled with
// bytes of every class a canonical path holds ('"' and '*', which no
// pattern can spell, among them), "/" too for "**"; or with a run of one
// byte, of a length of RunLengths, with another byte, "/" (for "**") or
// an escape at any place in it or none.
func Instance(t *rapid.T, pattern string) string {
	var b strings.Builder
	fill := func(slash bool) {
		if rapid.IntRange(0, 3).Draw(t, "run") == 0 {
			n := rapid.SampledFrom(RunLengths).Draw(t, "length")
			run := []byte(strings.Repeat(string(rapid.SampledFrom(PatternBytes).Draw(t, "byte")), n))
			other := []string{string(rapid.SampledFrom(PatternBytes).Draw(t, "other")), "%41"}
			if slash {
				other = append(other, "/")
			}
			at := rapid.IntRange(-1, n-1).Draw(t, "at")
			if at < 0 {
				b.Write(run)
				return
			}
			b.Write(run[:at])
			b.WriteString(rapid.SampledFrom(other).Draw(t, "in"))
			b.Write(run[at+1:])
			return
		}
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
