package oracle

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/scopecheck/scopecheck/scope"
)

// Mount is what a gateway removes from the front of a target before
// deciding: Segments leading segments, the first of which, when Bound,
// must equal each of Tenants (what each binding gives: a fixed tenant, the
// token's claim …).
type Mount struct {
	Segments int
	Bound    bool
	Tenants  []string
}

// Request is a request as a gateway sees it: the method and the raw target
// (query and all) from the one source the proxy in front always sets, and
// every header, names as sent. Own names the headers, if any, whose first
// value is that source (the proxy set them whole from its request line).
type Request struct {
	Method, Target string
	Header         map[string][]string
	Own            []string
	// Upgrades are the protocols the gateway lets a request switch to.
	Upgrades []string
}

// MaxSources is the gateway's bound on distinct methods, and on distinct
// targets, of one request.
const MaxSources = 8

// The headers that carry a method or a target, by their names in lower
// case with '-' for '_', and the query parameters that carry a method.
var (
	methodHeaders = []string{"x-original-method", "x-forwarded-method", "x-http-method-override", "x-http-method", "x-method-override"}
	targetHeaders = []string{"x-original-uri", "x-original-url", "x-forwarded-uri", "x-rewrite-url", "destination"}
	methodParams  = []string{"_method", "__method_override__"}
)

// AllowRequest applies the rule of the language reference's "At the
// gateway: the whole request" as the project reads it (docs/language.md):
// the request is allowed iff it has a method and a target, does not ask to
// switch protocols (SwitchesProtocol), carries no "access_token" query
// parameter (or "access_token[…]") in any target, carries at most
// MaxSources distinct methods and targets, and every pair of a method it
// may mean (each method a source gives, and its upper-case form) and a
// target it may mean is allowed: the target's path is canonical, its mount
// is removed (the tenant's segment equal to the tenant, byte for byte),
// and the scope allows the method on the rest. A header's value means
// itself and each of its comma-separated elements, but for the first value
// of an Own header. When the request may mean any method (a POST, whose
// body may carry "_method"; a "_method" value that does not decode), the
// scope must allow every method on every target it may mean.
func AllowRequest(set scope.Set, mount Mount, r Request, extraRead ...string) bool {
	if r.Method == "" || r.Target == "" {
		return false
	}
	if SwitchesProtocol(r.Header, r.Upgrades) {
		return false
	}
	methods := map[string]bool{r.Method: true, strings.ToUpper(r.Method): true}
	targets := map[string]bool{r.Target: true}
	anyMethod := false
	for name, values := range r.Header {
		key := strings.ReplaceAll(strings.ToLower(name), "_", "-")
		for i, v := range values {
			// A value may be several lines joined with commas.
			meanings := []string{v}
			if i > 0 || !contains(r.Own, name) {
				for _, e := range strings.Split(v, ",") {
					meanings = append(meanings, strings.Trim(e, " \t"))
				}
			}
			for _, v := range meanings {
				switch {
				case contains(methodHeaders, key):
					methods[v] = true
					methods[strings.ToUpper(v)] = true
				case contains(targetHeaders, key):
					targets[v] = true
				}
			}
		}
	}
	for t := range targets {
		_, query, found := strings.Cut(t, "?")
		if !found {
			continue
		}
		for _, param := range regexp.MustCompile(`[&;]`).Split(query, -1) {
			name, value, _ := strings.Cut(param, "=")
			n, _, _ := strings.Cut(strings.TrimLeft(lenientName(name), " "), "\x00")
			array := len(n) > len("access_token") && n[len("access_token")] == '['
			n = strings.NewReplacer(".", "_", " ", "_", "[", "_").Replace(strings.ToLower(n))
			if n == "access_token" || array && strings.HasPrefix(n, "access_token") {
				return false // a second bearer token, maybe as an array
			}
			if !contains(methodParams, n) {
				continue
			}
			v, err := url.QueryUnescape(value)
			if err != nil {
				anyMethod = true
				continue
			}
			methods[v] = true
			methods[strings.ToUpper(v)] = true
		}
	}
	if len(methods) > MaxSources || len(targets) > MaxSources {
		return false
	}
	if methods["POST"] {
		anyMethod = true
	}
	for t := range targets {
		rel, ok := Unmount(mount, TargetPath(t))
		if !ok {
			return false
		}
		for m := range methods {
			if !Decide(set, m, rel, extraRead...).Allowed {
				return false
			}
		}
		if anyMethod && !AllowsEveryMethod(set, rel) {
			return false
		}
	}
	return true
}

// SwitchesProtocol reports whether a request with these headers asks to
// switch protocols to one not in allowed: it has an HTTP2-Settings field
// (h2c), or a Connection field listing "http2-settings", or an Upgrade
// field one of whose protocols (the name before any "/", compared without
// case) is not in allowed, or a Connection field listing "upgrade" and no
// Upgrade field. Names compare as sources do (case, '_' for '-').
func SwitchesProtocol(h map[string][]string, allowed []string) bool {
	var upgrade, connection bool
	for name, values := range h {
		key := strings.ReplaceAll(strings.ToLower(name), "_", "-")
		for _, v := range values {
			for _, e := range strings.Split(v, ",") {
				e = strings.ToLower(strings.Trim(e, " \t"))
				switch key {
				case "http2-settings":
					return true
				case "connection":
					if e == "http2-settings" {
						return true
					}
					connection = connection || e == "upgrade"
				case "upgrade":
					upgrade = true
					name, _, _ := strings.Cut(e, "/")
					if name == "" || !slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, name) }) {
						return true
					}
				}
			}
		}
	}
	return connection && !upgrade
}

// lenientEscape is what the most lenient decoders of a query name decode:
// '+', %XX, and IIS's %uXXXX; any other '%' is kept.
var lenientEscape = regexp.MustCompile(`\+|%[0-9A-Fa-f]{2}|%[uU][0-9A-Fa-f]{4}`)

// lenientName decodes a query parameter's name as leniently as any
// framework does, so that it reads as every one of them may read it.
func lenientName(name string) string {
	return lenientEscape.ReplaceAllStringFunc(name, func(e string) string {
		switch {
		case e == "+":
			return " "
		case len(e) == 3:
			v, _ := strconv.ParseUint(e[1:], 16, 8)
			return string([]byte{byte(v)})
		}
		v, _ := strconv.ParseUint(e[2:], 16, 16)
		return string(rune(v))
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var absoluteForm = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://[^/#]*(.*)$`)

// TargetPath is the path of a raw request target: everything before the
// first '?'; in the absolute form, what follows the authority, which ends
// at the first '/' or '#' (a path that does not begin with '/' is none).
// Any other form is its own path (and is not canonical).
func TargetPath(t string) string {
	t, _, _ = strings.Cut(t, "?")
	if strings.HasPrefix(t, "/") {
		return t
	}
	if m := absoluteForm.FindStringSubmatch(t); m != nil {
		if strings.HasPrefix(m[1], "/") {
			return m[1]
		}
		return ""
	}
	return t
}

// plainTenant is what a tenant may hold: RFC 3986's unreserved characters.
var plainTenant = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

// Unmount checks that a path is canonical and removes the mount from it.
// It fails when the path is not canonical, has no segment after the
// mount's, or its tenant's segment is not each tenant, or a tenant is not
// plain (unreserved characters, not "." or "..").
func Unmount(mount Mount, p string) (string, bool) {
	if !Canonical(p) {
		return "", false
	}
	segs := strings.Split(p[1:], "/")
	if len(segs) <= mount.Segments {
		return "", false
	}
	if mount.Bound && len(mount.Tenants) == 0 {
		return "", false
	}
	for _, t := range mount.Tenants {
		if !plainTenant.MatchString(t) || t == "." || t == ".." || segs[0] != t {
			return "", false
		}
	}
	return "/" + strings.Join(segs[mount.Segments:], "/"), true
}
