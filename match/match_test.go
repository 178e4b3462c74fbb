package match

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/internal/oracle"
	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/scope"
)

type request struct {
	method, path string
	want         bool
}

// The examples of the language reference, with what each is said to grant.
var exampleTests = []struct {
	name  string
	scope string
	reqs  []request
}{
	{"super admin", "*:**", []request{
		{"GET", "/config/tokenPolicies", true}, {"DELETE", "/webhooks/x/y", true}, {"GET", "/", true},
		{"PROPFIND", "/a", true}, {"get", "/a", true},
		{"CONNECT", "/a", false}, {"TRACE", "/a", false}, {"", "/a", false},
	}},
	{"config read-write", "*:config/**", []request{
		{"GET", "/config/tokenPolicies", true}, {"POST", "/config/clients", true}, {"PUT", "/config/a/b/c", true},
		{"GET", "/config", false}, {"GET", "/webhooks/x", false}, {"GET", "/configX/a", false},
	}},
	{"config read", ".:config/**", []request{
		{"GET", "/config/tokenPolicies", true}, {"HEAD", "/config/x", true},
		{"POST", "/config/tokenPolicies", false}, {"PUT", "/config/x", false}, {"OPTIONS", "/config/x", false},
		{"get", "/config/x", false},
	}},
	{"token policies", "*:config/tokenPolicies**", []request{
		{"GET", "/config/tokenPolicies", true}, {"POST", "/config/tokenPolicies", true},
		{"PUT", "/config/tokenPolicies/a123", true}, {"GET", "/config/loginPolicies", false},
	}},
	{"two read items", ".:config/tokenPolicies** .:config/loginPolicies**", []request{
		{"GET", "/config/tokenPolicies/x", true}, {"GET", "/config/loginPolicies", true},
		{"PUT", "/config/loginPolicies/x", false}, {"GET", "/config/clients", false},
	}},
	{"one login policy read", ".:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1", []request{
		{"GET", "/config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1", true},
		{"PUT", "/config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1", false},
		{"GET", "/config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk2", false},
		{"GET", "/config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1/pushClaims", false},
		{"GET", "/config/loginPolicies", false},
	}},
	{"one login policy read-write", "*:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1", []request{
		{"GET", "/config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1", true},
		{"PUT", "/config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1", true},
		{"PUT", "/config/loginPolicies/other", false},
	}},
	{"three objects", "*:config/tokenPolicies/a123bcde-4f56-7890-gh12-i34j567k8l90 *:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1 *:config/clients/1ab23456-7c8d-90ef-g123-45hij6789012", []request{
		{"PUT", "/config/tokenPolicies/a123bcde-4f56-7890-gh12-i34j567k8l90", true},
		{"GET", "/config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1", true},
		{"DELETE", "/config/clients/1ab23456-7c8d-90ef-g123-45hij6789012", true},
		{"GET", "/config/clients/1ab23c45-6789-0123-d4ef-5g678h90ijk1", false},
		{"GET", "/config/tokenPolicies", false},
	}},
	{"webhooks", "*:webhooks/**", []request{
		{"POST", "/webhooks/subscriptions", true}, {"DELETE", "/webhooks/subscriptions/x", true},
		{"GET", "/config/clients", false}, {"GET", "/webhooks", false},
	}},
	{"oidc scopes", "openid profile email", []request{{"GET", "/", false}, {"GET", "/openid", false}}},
	{"opaque tenant", "example.com", []request{{"GET", "/example.com", false}}},
	// The consequences the reference lists.
	{"glued wildcard bleeds", "*:config/tokenPolicies**", []request{
		{"GET", "/config/tokenPolicies", true}, {"GET", "/config/tokenPolicies/x", true}, {"GET", "/config/tokenPoliciesX", true},
	}},
	{"double star after slash", "*:config/**", []request{
		{"GET", "/config/", true}, {"GET", "/config/a/b", true}, {"GET", "/config", false},
	}},
	{"single star", "*:config/*", []request{
		{"GET", "/config/x", true}, {"GET", "/config/", true}, {"GET", "/config/x/y", false}, {"GET", "/config", false},
	}},
	{"trailing slash", "*:webhooks/", []request{
		{"GET", "/webhooks/", true}, {"GET", "/webhooks", false}, {"GET", "/webhooks/x", false},
	}},
	{"all paths", "*:**", []request{{"GET", "/a/b/c/d", true}, {"GET", "/a/", true}, {"GET", "/%41", true}}},
	{"escapes match as written", "*:a/%41", []request{
		{"GET", "/a/%41", true}, {"GET", "/a/A", false}, {"GET", "/a/%61", false},
	}},
	{"literal A does not match escape", "*:a/A", []request{{"GET", "/a/%41", false}, {"GET", "/a/A", true}}},
	{"case-sensitive paths", "*:Config/**", []request{{"GET", "/config/x", false}, {"GET", "/Config/x", true}}},
	{"empty scope", "", []request{{"GET", "/", false}}},
	{"middle star", "*:config/*/secret", []request{
		{"POST", "/config/c1/secret", true}, {"POST", "/config/c1/c2/secret", false}, {"POST", "/config//secret", false},
	}},
	{"star suffix", ".:files/*.json", []request{
		{"GET", "/files/a.json", true}, {"GET", "/files/.json", true}, {"GET", "/files/a/b.json", false},
	}},
}

func TestExamples(t *testing.T) {
	for _, tc := range exampleTests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := CompileString(tc.scope)
			if err != nil {
				t.Fatalf("CompileString(%q): %v", tc.scope, err)
			}
			for _, r := range tc.reqs {
				if got := m.Allow(r.method, r.path); got != r.want {
					t.Errorf("Allow(%q, %q) = %v, want %v", r.method, r.path, got, r.want)
				}
				if got := m.Decide(r.method, r.path); got.Allowed != r.want {
					t.Errorf("Decide(%q, %q) = %v, want allowed %v", r.method, r.path, got, r.want)
				}
			}
		})
	}
}

// Attack paths: each is denied under "*:**", with the rule it breaks.
var attackTests = []struct {
	path string
	rule scope.PathRule
	off  int
}{
	{"config/x", scope.NoLeadingSlash, 0},
	{"http://host/config/x", scope.NoLeadingSlash, 0},
	{"", scope.NoLeadingSlash, 0},
	{"/config/loginPolicies/..;/tokenPolicies", scope.PathChar, 24},
	{"/config/loginPolicies/../tokenPolicies", scope.PathDotSeg, 22},
	{"/config/./x", scope.PathDotSeg, 8},
	{"/config/..", scope.PathDotSeg, 8},
	{"/config/.", scope.PathDotSeg, 8},
	{"/..", scope.PathDotSeg, 1},
	{"/config//x", scope.PathEmptySeg, 8},
	{"//config", scope.PathEmptySeg, 1},
	{"/config//", scope.PathEmptySeg, 8},
	{"/config/a%2Fb", scope.PathEscapedByte, 9},
	{"/config/a%2fb", scope.PathEscapedByte, 9},
	{"/config/%2e%2e/x", scope.PathEscapedByte, 8},
	{"/config/%2E", scope.PathEscapedByte, 8},
	{"/config/%5C", scope.PathEscapedByte, 8},
	{"/config/%5c", scope.PathEscapedByte, 8},
	{"/config/%25", scope.PathEscapedByte, 8},
	{"/config/%3B", scope.PathEscapedByte, 8},
	{"/config/%3f", scope.PathEscapedByte, 8},
	{"/config/%23", scope.PathEscapedByte, 8},
	{"/config/%00", scope.PathEscapedByte, 8},
	{"/config/%1F", scope.PathEscapedByte, 8},
	{"/config/%7F", scope.PathEscapedByte, 8},
	{"/config/%zz", scope.PathBadEscape, 8},
	{"/config/%4", scope.PathBadEscape, 8},
	{"/config/%", scope.PathBadEscape, 8},
	{"/config/\x00", scope.PathByte, 8},
	{"/config/a b", scope.PathByte, 9},
	{"/config/\t", scope.PathByte, 8},
	{"/config/\x7f", scope.PathByte, 8},
	{"/config/\xc3\xa9", scope.PathByte, 8},
	{`/config\x`, scope.PathChar, 7},
	{"/config/x?y", scope.PathChar, 9},
	{"/config/x#y", scope.PathChar, 9},
	{"/config/x;y", scope.PathChar, 9},
	{"/config/%C0%AF", scope.PathBadUTF8, 8},
	{"/config/%C3", scope.PathBadUTF8, 8},
	{"/config/%C3x", scope.PathBadUTF8, 8},
	{"/config/%C3/", scope.PathBadUTF8, 8},
	{"/config/%C3%41", scope.PathBadUTF8, 8},
	{"/config/%A9", scope.PathBadUTF8, 8},
	{"/config/%ED%A0%80", scope.PathBadUTF8, 8},
	{"/config/%F4%90%80%80", scope.PathBadUTF8, 8},
	{"/config/%C2%85", scope.PathControlRune, 8},
	{"/config/%E2%80%A8", scope.PathControlRune, 8},
	{"/config/%e2%80%a9", scope.PathControlRune, 8},
}

func TestAttackPaths(t *testing.T) {
	m, err := CompileString("*:**")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range attackTests {
		t.Run(tc.path, func(t *testing.T) {
			if m.Allow("GET", tc.path) {
				t.Errorf("Allow(GET, %q) = true, want false", tc.path)
			}
			want := Decision{Reason: NotCanonical, Rule: tc.rule, Offset: tc.off}
			if diff := cmp.Diff(want, m.Decide("GET", tc.path)); diff != "" {
				t.Errorf("Decide(GET, %q) (-want +got):\n%s", tc.path, diff)
			}
			if oracle.Canonical(tc.path) {
				t.Errorf("oracle says %q is canonical", tc.path)
			}
		})
	}
}

// Canonical paths that look odd but break no rule.
func TestCanonicalOddities(t *testing.T) {
	m, err := CompileString("*:**")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/a/", "/.well-known/x", "/a/...", "/a/.b", "/%41", "/%C3%A9", "/%EF%BF%BD", "/%F0%9F%98%80",
		"/a%20b", "/~user", "/a:b", "/a@b", "/%e2%80%a7"} {
		if !m.Allow("GET", p) {
			t.Errorf("Allow(GET, %q) = false, want true (%v)", p, m.Decide("GET", p))
		}
		if !oracle.Canonical(p) {
			t.Errorf("oracle says %q is not canonical", p)
		}
	}
}

func TestDecideReasons(t *testing.T) {
	m, err := CompileString("openid .:config/** *:config/clients/** .:config/clients/x")
	if err != nil {
		t.Fatal(err)
	}
	item := func(i int) scope.Item { return m.set.Item(i) }
	tests := []struct {
		method, path string
		want         Decision
	}{
		{"GET", "/config/a", Decision{Allowed: true, Reason: Granted, Item: item(1), Index: 1}},
		{"GET", "/config/clients/x", Decision{Allowed: true, Reason: Granted, Item: item(1), Index: 1}},
		{"PUT", "/config/clients/x", Decision{Allowed: true, Reason: Granted, Item: item(2), Index: 2}},
		{"PUT", "/config/a", Decision{Reason: ReadOnly, Item: item(1), Index: 1}},
		{"GET", "/webhooks", Decision{Reason: NoMatch}},
		{"CONNECT", "/config/a", Decision{Reason: BadMethod}},
		{"TRACE", "/config/a", Decision{Reason: BadMethod}},
		{"G ET", "/config/a", Decision{Reason: BadMethod}},
		{"", "/config/a", Decision{Reason: BadMethod}},
		{"GET", "/config/../a", Decision{Reason: NotCanonical, Rule: scope.PathDotSeg, Offset: 8}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, m.Decide(tc.method, tc.path)); diff != "" {
			t.Errorf("Decide(%q, %q) (-want +got):\n%s", tc.method, tc.path, diff)
		}
	}
}

func TestReadMethodsOption(t *testing.T) {
	set := scope.MustParse(".:config/**")
	plain, wide := Compile(set), Compile(set, WithReadMethods("OPTIONS", "CONNECT", "bad method"))
	tests := []struct {
		m          *Matcher
		method     string
		want       bool
		wantReason Reason
	}{
		{plain, "OPTIONS", false, ReadOnly},
		{wide, "OPTIONS", true, Granted},
		{wide, "GET", true, Granted},
		{wide, "CONNECT", false, BadMethod},
		{wide, "options", false, ReadOnly},
		{wide, "POST", false, ReadOnly},
	}
	for _, tc := range tests {
		d := tc.m.Decide(tc.method, "/config/x")
		if got := tc.m.Allow(tc.method, "/config/x"); got != tc.want || d.Allowed != tc.want || d.Reason != tc.wantReason {
			t.Errorf("%s: Allow = %v, Decide = %v; want %v, %v", tc.method, got, d, tc.want, tc.wantReason)
		}
	}
}

// AllowEveryMethod needs a read-write item: a read item never grants every
// method, however wide the read class.
func TestAllowEveryMethod(t *testing.T) {
	m := Compile(scope.MustParse(".:config/** *:webhooks/** *:config/clients/c1"), WithReadMethods("POST"))
	tests := []struct {
		path string
		want bool
	}{
		{"/config/x", false},
		{"/webhooks/s1", true},
		{"/config/clients/c1", true},
		{"/webhooks/../config/x", false},
		{"webhooks/s1", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := m.AllowEveryMethod(tc.path); got != tc.want {
			t.Errorf("AllowEveryMethod(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
	if !m.Allow("POST", "/config/x") {
		t.Error("POST, a read method here, is not allowed by the read item")
	}
	var nilM *Matcher
	if nilM.AllowEveryMethod("/x") {
		t.Error("a nil matcher allowed every method")
	}
}

func TestNilMatcherDenies(t *testing.T) {
	m, err := CompileString("*config/**")
	if err == nil || m != nil {
		t.Fatalf("CompileString of a damaged scope = %v, %v; want nil, error", m, err)
	}
	if m.Allow("GET", "/config/x") {
		t.Error("nil matcher allowed a request")
	}
	if d := m.Decide("GET", "/config/x"); d.Allowed || d.Reason != NoMatch {
		t.Errorf("nil matcher decided %v", d)
	}
}

func TestAllowAllocs(t *testing.T) {
	long := strings.Repeat("a", 4096)
	m, err := CompileString(".:config/tokenPolicies** *:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1 *:**a**a**a**a**b *:x/" +
		strings.Repeat("a*", 300) + "b")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []request{
		{"GET", "/config/tokenPolicies/abc", true},
		{"PUT", "/config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1", true},
		{"POST", "/config/tokenPolicies/abc", false},
		{"GET", "/" + long, false},
		{"GET", "/x/" + long + "b", true},
		{"GET", "/config/../x", false},
	} {
		if got := m.Allow(r.method, r.path); got != r.want {
			t.Errorf("Allow(%s, %.40q) = %v, want %v", r.method, r.path, got, r.want)
		}
		if n := testing.AllocsPerRun(100, func() { m.Allow(r.method, r.path) }); n != 0 {
			t.Errorf("Allow(%s, %.40q) makes %v allocations, want 0", r.method, r.path, n)
		}
		if n := testing.AllocsPerRun(100, func() { m.AllowEveryMethod(r.path) }); n != 0 {
			t.Errorf("AllowEveryMethod(%.40q) makes %v allocations, want 0", r.path, n)
		}
		if n := testing.AllocsPerRun(100, func() { m.Decide(r.method, r.path) }); n != 0 {
			t.Errorf("Decide(%s, %.40q) makes %v allocations, want 0", r.method, r.path, n)
		}
	}
	// Items that begin with a wildcard, run as one program too wide for
	// the stack.
	s, path := leadingWildcards(300)
	g := scope.MustParse(s)
	if gm := Compile(g); gm.root.group == nil || gm.root.group.prog.words <= stackWords {
		t.Fatal("the leading-wildcard scope does not make a pooled group")
	} else {
		for _, method := range []string{"GET", "PUT"} {
			if n := testing.AllocsPerRun(100, func() { gm.Allow(method, path) }); n != 0 {
				t.Errorf("grouped Allow(%s) makes %v allocations, want 0", method, n)
			}
			if n := testing.AllocsPerRun(100, func() { gm.Decide(method, path) }); n != 0 {
				t.Errorf("grouped Decide(%s) makes %v allocations, want 0", method, n)
			}
		}
	}
}

// TestAgreesWithOracle is the backbone: on generated scopes and requests,
// Allow and Decide say what the definition says.
func TestAgreesWithOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		set := scopegen.Set(6, 6).Draw(t, "set")
		m := Compile(set)
		for i := 0; i < 20; i++ {
			method := scopegen.Method().Draw(t, "method")
			path := scopegen.Path(8).Draw(t, "path")
			checkAgainstOracle(t, set, m, method, path)
		}
	})
}

func checkAgainstOracle(t interface{ Fatalf(string, ...any) }, set scope.Set, m *Matcher, method, path string, extraRead ...string) {
	v := oracle.Decide(set, method, path, extraRead...)
	if got := m.Allow(method, path); got != v.Allowed {
		t.Fatalf("scope %q: Allow(%q, %q) = %v, oracle says %+v", set, method, path, got, v)
	}
	if got, want := m.AllowEveryMethod(path), oracle.AllowsEveryMethod(set, path); got != want {
		t.Fatalf("scope %q: AllowEveryMethod(%q) = %v, oracle says %v", set, path, got, want)
	}
	d := m.Decide(method, path)
	want := Decision{Allowed: v.Allowed, Reason: NoMatch}
	switch {
	case !v.Canonical:
		want.Reason = NotCanonical
		want.Rule, want.Offset = d.Rule, d.Offset // the oracle does not name rules
	case !v.Grantable:
		want.Reason = BadMethod
	case v.Allowed:
		want.Reason, want.Index, want.Item = Granted, v.Grant, set.Item(v.Grant)
	case v.ReadOnly >= 0:
		want.Reason, want.Index, want.Item = ReadOnly, v.ReadOnly, set.Item(v.ReadOnly)
	}
	if want.Reason == NotCanonical && d.Rule == scope.Canonical {
		t.Fatalf("Decide(%q, %q) gave no rule for a non-canonical path", method, path)
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Fatalf("scope %q: Decide(%q, %q) (-oracle +got):\n%s", set, method, path, diff)
	}
}

func TestAgreesWithOracleWideRead(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		set := scopegen.Set(4, 5).Draw(t, "set")
		m := Compile(set, WithReadMethods("OPTIONS", "PROPFIND"))
		method := scopegen.Method().Draw(t, "method")
		path := scopegen.Path(6).Draw(t, "path")
		checkAgainstOracle(t, set, m, method, path, "OPTIONS", "PROPFIND")
	})
}

// Long patterns use state sets of several words, on the stack and from the pool.
func TestWidePrograms(t *testing.T) {
	for _, n := range []int{40, 100, 700} {
		pat := "a/" + strings.Repeat("*x", n) + "/**y"
		set := scope.MustParse("*:" + pat)
		m := Compile(set)
		for _, p := range []string{
			"/a/" + strings.Repeat("x", n) + "/y",
			"/a/" + strings.Repeat("zx", n) + "/q/y",
			"/a/" + strings.Repeat("x", n-1) + "/y",
			"/a/" + strings.Repeat("x", n) + "y",
		} {
			checkAgainstOracle(t, set, m, "GET", p)
		}
	}
}

// One Matcher serves many goroutines; run under -race, this shows that
// Allow and Decide share no mutable state but the DFA's, which paths
// build as they go (the pooled wide-state buffers included), and that
// they agree while it fills and once it is full.
func TestConcurrentUse(t *testing.T) {
	set := scope.MustParse("*:config/** .:x/" + strings.Repeat("a*", 700) + "b .:y/**b*c*" + strings.Repeat("/*z", 70))
	for _, m := range []*Matcher{Compile(set), compile(set, dfaMinStates*maxStateBytes(set))} {
		long := "/x/" + strings.Repeat("a", 1400) + "b"
		var dfaPaths []string
		for i := 1; i < 40; i++ {
			dfaPaths = append(dfaPaths, "/y/"+strings.Repeat("a", i)+"b"+strings.Repeat("c", i)+strings.Repeat("/z", 70))
		}
		done := make(chan bool)
		for g := 0; g < 8; g++ {
			go func() {
				ok := true
				for i := 0; i < 200; i++ {
					p := dfaPaths[(i+g)%len(dfaPaths)]
					ok = ok && m.Allow("PUT", "/config/a") && m.Allow("GET", long) && !m.Allow("PUT", long) &&
						m.Decide("GET", long).Reason == Granted && m.Allow("GET", p) && !m.Allow("GET", p+"/") &&
						m.Decide("PUT", p).Reason == ReadOnly
				}
				done <- ok
			}()
		}
		for g := 0; g < 8; g++ {
			if !<-done {
				t.Error("a concurrent decision was wrong")
			}
		}
	}
}

// The cold path a gateway pays per new token: parse and compile of the
// language reference's three-object example.
func TestCompileAllocs(t *testing.T) {
	const s = "*:config/tokenPolicies/a123bcde-4f56-7890-gh12-i34j567k8l90 *:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1 *:config/clients/1ab23456-7c8d-90ef-g123-45hij6789012"
	// Seven: the items, the matcher, the trie's three slabs and its
	// indices, the exact table. The target is at most 12.
	if n := testing.AllocsPerRun(100, func() { CompileString(s) }); n > 8 {
		t.Errorf("CompileString of the three-object example makes %v allocations, want at most 8", n)
	}
}

// Paths that reach a grant through a literal prefix that ends in the middle
// of a segment or of an escaped sequence still get every canonical rule.
func TestResumeAfterPrefix(t *testing.T) {
	tests := []struct {
		scope, path string
		want        bool
	}{
		{"*:a/.*", "/a/.", false},
		{"*:a/.*", "/a/.x", true},
		{"*:a/..*", "/a/..", false},
		{"*:a/..*", "/a/...", true},
		{"*:a/%C3*", "/a/%C3%A9", true},
		{"*:a/%C3*", "/a/%C3x", false},
		{"*:a/%C3*", "/a/%C3", false},
		{"*:a/**", "/a//b", false},
		{"*:a/**", "/a/", true},
		{"*:a**", "/a/../b", false},
		{"*:x", "/x", true},
		{"*:x/", "/x/", true},
		{"*:a/b/**", "/a/b/%2e%2e/c", false},
	}
	for _, tc := range tests {
		m, err := CompileString(tc.scope)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Allow("GET", tc.path); got != tc.want {
			t.Errorf("%q: Allow(GET, %q) = %v, want %v", tc.scope, tc.path, got, tc.want)
		}
		checkAgainstOracle(t, scope.MustParse(tc.scope), m, "GET", tc.path)
	}
}

// Exact items answer Allow from their table, for the whole scope: a
// read-write item elsewhere grants writes on a read-only item's path.
func TestExactFastPath(t *testing.T) {
	tests := []struct {
		scope, method, path string
		want                bool
	}{
		{".:config/x *:config/**", "PUT", "/config/x", true},
		{"*:config/** .:config/x", "PATCH", "/config/x", true},
		{".:config/x *:config/x*", "DELETE", "/config/x", true},
		{".:config/x *:config/y*", "PUT", "/config/x", false},
		{".:config/x .:config/**", "PUT", "/config/x", false},
		{".:config/x", "HEAD", "/config/x", true},
		{".:config/x", "get", "/config/x", false},
		{"*:config/x", "get", "/config/x", true},
		{".:config/x", "PUT", "/config/x", false},
		{".:config/x", "GET", "/config/x", true},
		{"*:config/x", "DELETE", "/config/x", true},
		{".:config/x *:config/x", "PUT", "/config/x", true},
		{".:config/x", "GET", "/config/x/", false},
		{".:config/x", "CONNECT", "/config/x", false},
		{".:config/x", "GET", "config/x", false},
		{"*:config/%41", "PUT", "/config/A", false},
	}
	for _, tc := range tests {
		m, err := CompileString(tc.scope)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Allow(tc.method, tc.path); got != tc.want {
			t.Errorf("%q: Allow(%s, %q) = %v, want %v", tc.scope, tc.method, tc.path, got, tc.want)
		}
		checkAgainstOracle(t, scope.MustParse(tc.scope), m, tc.method, tc.path)
	}
}

// TestEdgesAgreeWithOracle holds Allow and Decide to the oracle on scopes
// built to reach every fast path (exact items of every length, shared
// prefixes, every tail shape, programs that fill words exactly) and on
// paths built from their items, the empty path and "/" among them.
//
// The generators must reach every engine: the greedy chains, the DFA and
// each of its ways of skipping, and the NFA where a DFA runs out of room;
// the test counts them and fails if one was never run.
func TestEdgesAgreeWithOracle(t *testing.T) {
	counts := countHits(func() {
		rapid.Check(t, func(t *rapid.T) {
			set := scopegen.EdgeSet().Draw(t, "set")
			// The matcher as Compile makes it, and one whose DFA has
			// room for a few states only, so that the NFA goes on from
			// where the DFA stops on most long paths.
			m, small := Compile(set), compile(set, dfaMinStates*maxStateBytes(set))
			for i := 0; i < 20; i++ {
				method := scopegen.Method().Draw(t, "method")
				path := scopegen.EdgePath(set).Draw(t, "path")
				checkAgainstOracle(t, set, m, method, path)
				checkAgainstOracle(t, set, small, method, path)
			}
		})
	})
	t.Log(formatHits(counts))
	requireHits(t, counts, hitAnyChain, hitSegChain, hitDFA, hitDFAState, hitSkipAll, hitSkipByte, hitSkipBytes,
		hitSkipRun, hitSkipMask, hitDFAFull, hitNFA1, hitNFAWide)
}

// Tries at their widest and deepest: nodes with more children than a
// word has bytes (every byte a pattern can spell), runs of nodes whose
// edges are one byte, many items at one node, prefixes in and out of
// order, so that Compile orders a node's keys by insertion and by sorting;
// on paths built from the items, one byte changed or cut short, against
// the oracle. The test fails if a way of building was never taken.
func TestTriesAgreeWithOracle(t *testing.T) {
	counts := countHits(func() {
		rapid.Check(t, func(t *rapid.T) {
			set := scopegen.TrieSet().Draw(t, "set")
			m := Compile(set)
			checkTrie(t, &m.root)
			for i := 0; i < 30; i++ {
				method := scopegen.Method().Draw(t, "method")
				path := scopegen.EdgePath(set).Draw(t, "path")
				checkAgainstOracle(t, set, m, method, path)
			}
		})
	})
	t.Log(formatHits(counts))
	requireHits(t, counts, hitKeysInsert, hitKeysSort, hitWideNode)
}

// checkTrie checks the invariants of the trie under n that the walks
// rely on: each child's edge begins with its index byte, no two children
// share one, only the root's edge is empty, a node's candidates are in
// item order, and a node that is not the root either holds candidates or
// has two children or more.
func checkTrie(t interface{ Fatalf(string, ...any) }, root *node) {
	root.walk(func(x *node) {
		if len(x.indices) != len(x.children) {
			t.Fatalf("node %q: %d indices for %d children", x.prefix, len(x.indices), len(x.children))
		}
		if x != root && x.prefix == "" {
			t.Fatalf("a node below the root has an empty edge")
		}
		if x != root && len(x.cands) == 0 && len(x.children) < 2 {
			t.Fatalf("node %q holds no candidates and has %d children", x.prefix, len(x.children))
		}
		seen := map[byte]bool{}
		for k := range x.children {
			if c := x.indices[k]; x.children[k].prefix[0] != c || seen[c] {
				t.Fatalf("node %q: child %d is %q at index %q", x.prefix, k, x.children[k].prefix, c)
			}
			seen[x.indices[k]] = true
		}
		for k := 1; k < len(x.cands); k++ {
			if x.cands[k-1].item >= x.cands[k].item {
				t.Fatalf("node %q: candidates out of item order", x.prefix)
			}
		}
	})
}

// maxStateBytes is the memory of one DFA state of the widest program of
// set's matcher.
func maxStateBytes(set scope.Set) int {
	n := 0
	m := Compile(set)
	m.root.walk(func(x *node) {
		if x.group != nil {
			n = max(n, x.group.prog.stateBytes())
		}
		for k := range x.cands {
			if p := x.cands[k].tail.prog; p != nil {
				n = max(n, p.stateBytes())
			}
		}
	})
	return n
}

// Every length of an exact item from 1 to 300, alone and beside items
// that share the table and the trie with it, against the paths of length
// 0 and 1, the item's own path and its neighbours.
func TestExactItemsEveryLength(t *testing.T) {
	for n := 1; n <= 300; n++ {
		// Every pattern byte in turn, with a "/" every few bytes.
		key := scopegen.LiteralFrom("abc/!$&'()+,:=@[]^`{|}<>~-_.x/0189ABYZ/", n)
		for _, s := range []string{".:" + key, "*:" + key, ".:" + key + " *:" + key + "*", ".:" + key + " *:**" + key[n-1:] + " .:c"} {
			set := scope.MustParse(s)
			m := Compile(set)
			for _, p := range []string{"", "/", "a", "/" + key, "/" + key + "/", "/" + key[:n-1], "/" + key[1:], key} {
				for _, method := range []string{"GET", "PUT"} {
					checkAgainstOracle(t, set, m, method, p)
				}
			}
		}
	}
}

// A node with more than groupMin candidates runs them as one program;
// Decide still names the earliest granting item, and for a write that
// only read items match, the earliest of those.
func TestGroupedCandidates(t *testing.T) {
	var items []string
	for i := 0; i < 3*groupMin; i++ {
		class := []string{".", "*"}[i%2]
		items = append(items, fmt.Sprintf("%s:**x%d**", class, i%5))
	}
	items = append(items, "*:**", ".:a/*/b", ".:**.json")
	set := scope.MustParse(strings.Join(items, " "))
	m := Compile(set)
	if m.root.group == nil {
		t.Fatal("the root's candidates are not grouped")
	}
	for _, p := range []string{"/", "/x3", "/a/x4/b", "/x1/x2", "/q.json", "/x0.json", "/a/b", "/" + strings.Repeat("x9/", 40) + "x2"} {
		for _, method := range []string{"GET", "PUT", "HEAD"} {
			checkAgainstOracle(t, set, m, method, p)
		}
	}
	if d := m.Decide("PUT", "/x2"); d.Index != 7 {
		t.Errorf("Decide(PUT, /x2) = %v; want item 7, the first read-write **x2**", d)
	}
}
