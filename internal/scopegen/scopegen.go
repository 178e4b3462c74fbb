// Package scopegen generates scopes and requests for property tests. Its
// patterns and paths are built from one small pool of literal pieces so
// that generated paths often match generated patterns, and its paths
// include the non-canonical forms that a matcher must deny.
package scopegen

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
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
