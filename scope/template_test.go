package scope_test

import (
	"regexp"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

func TestReachesTemplate(t *testing.T) {
	tests := []struct {
		scope, method, template string
		want                    bool
		path                    string
	}{
		{"*:config/clients/**", "PUT", "/config/clients/{oidcClientId}", true, "/config/clients/a"},
		{".:config/clients/**", "PUT", "/config/clients/{oidcClientId}", false, ""},
		{".:config/clients/**", "GET", "/config/clients/{oidcClientId}", true, "/config/clients/a"},
		{".:config/clients/*", "GET", "/config/clients/{id}/secret", false, ""},
		{".:config/clients/*/secret", "GET", "/config/clients/{id}/secret", true, "/config/clients/a/secret"},
		{".:config/clients/c1", "GET", "/config/clients/{id}", true, "/config/clients/c1"},
		// A parameter is one non-empty segment: "/config/clients/" is not produced.
		{".:config/clients/", "GET", "/config/clients/{id}", false, ""},
		{"*:config/tokenPolicies**", "POST", "/config/tokenPolicies", true, "/config/tokenPolicies"},
		{"*:config/tokenPolicies/**", "POST", "/config/tokenPolicies", false, ""},
		// A parameter cannot be "." or "..": those paths are not canonical.
		{".:a/.*", "GET", "/a/{x}", true, "/a/.a"},
		{".:a/..*", "GET", "/a/{x}", true, "/a/..a"},
		{"*:**", "CONNECT", "/a", false, ""},
		{"openid", "GET", "/a", false, ""},
	}
	for _, tc := range tests {
		set, err := scope.Parse(tc.scope)
		if err != nil {
			t.Fatal(err)
		}
		path, ok, err := scope.ReachesTemplate(set, tc.method, tc.template)
		if err != nil || ok != tc.want || path != tc.path {
			t.Errorf("ReachesTemplate(%q, %s, %q) = %q, %v, %v; want %q, %v", tc.scope, tc.method, tc.template, path, ok, err, tc.path, tc.want)
		}
	}
	for _, bad := range []string{"config/x", "/a/{id", "/a/}"} {
		if _, _, err := scope.ReachesTemplate(scope.MustParse("*:**"), "GET", bad); err == nil {
			t.Errorf("template %q accepted", bad)
		}
	}
}

// templateRegexp is what a template produces: parameters are non-empty
// segments.
func templateRegexp(tmpl string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for len(tmpl) > 0 {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(regexp.QuoteMeta(tmpl))
			break
		}
		b.WriteString(regexp.QuoteMeta(tmpl[:i]))
		b.WriteString("[^/]+")
		tmpl = tmpl[i+strings.IndexByte(tmpl[i:], '}')+1:]
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// Every path ReachesTemplate returns is canonical, produced by the
// template and allowed by the matcher; and when it finds none, no short
// path the template produces is allowed.
func TestReachesTemplateProperty(t *testing.T) {
	templates := []string{"/config/{id}", "/config/{id}/tokenPolicies", "/a/{x}/b", "/{x}", "/config/tokenPolicies", "/a{x}"}
	rapid.Check(t, func(t *rapid.T) {
		set := scopegen.Set(3, 5).Draw(t, "set")
		tmpl := rapid.SampledFrom(templates).Draw(t, "template")
		method := rapid.SampledFrom([]string{"GET", "POST"}).Draw(t, "method")
		path, ok, err := scope.ReachesTemplate(set, method, tmpl)
		if err != nil {
			t.Fatal(err)
		}
		m := match.Compile(set)
		re := templateRegexp(tmpl)
		if ok {
			if !re.MatchString(path) || !m.Allow(method, path) {
				t.Fatalf("%q %s %s: path %q is not produced by the template or not allowed", set, method, tmpl, path)
			}
			return
		}
		for _, seg := range append([]string{"a", "tokenPolicies", "config", "%41", ".b", "b"}, scopegen.Pieces...) {
			p := strings.NewReplacer("{id}", seg, "{x}", seg).Replace(tmpl)
			if re.MatchString(p) && m.Allow(method, p) {
				t.Fatalf("%q %s %s: no path found, but %q is allowed", set, method, tmpl, p)
			}
		}
	})
}
