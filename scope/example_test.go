package scope_test

import (
	"fmt"

	"github.com/scopecheck/scopecheck/scope"
)

func ExampleParse() {
	set, err := scope.Parse("  *:config/**  openid *:config/** ")
	fmt.Println(set, err)
	for _, it := range set.Items() {
		fmt.Printf("%s %q %q\n", it.Class, it.Pattern, it.Name)
	}
	// Output:
	// *:config/** openid <nil>
	// * "config/**" ""
	// plain "" "openid"
}

func ExampleParse_errors() {
	_, err := scope.Parse(":webhooks/** *:config//x")
	for _, e := range err.(scope.ErrorList) {
		fmt.Println(e.Code, e.Column, e.Item, e.Suggestion)
	}
	// Output:
	// missing-access 1 :webhooks/** .:webhooks/**
	// empty-segment 23 *:config//x
}

func ExampleCheckPath() {
	for _, p := range []string{"/config/x", "/config/%2e%2e/x", "config/x"} {
		rule, off := scope.CheckPath(p)
		fmt.Println(p, rule, off)
	}
	// Output:
	// /config/x canonical 0
	// /config/%2e%2e/x escaped-byte 8
	// config/x no-leading-slash 0
}

func ExampleCovers() {
	policy := scope.MustParse("*:config/tokenPolicies/** .:config/**")
	for _, requested := range []string{".:config/clients", "*:config/tokenPolicies/abc", "*:config/tokenPolicies**", "openid"} {
		if ok, w := scope.Covers(policy, scope.MustParse(requested)); ok {
			fmt.Println(requested, "covered")
		} else {
			fmt.Println(requested, "not covered:", w)
		}
	}
	// Output:
	// .:config/clients covered
	// *:config/tokenPolicies/abc covered
	// *:config/tokenPolicies** not covered: POST /config/tokenPolicies
	// openid not covered: plain item openid
}

func ExampleMinimize() {
	min, err := scope.Minimize(scope.MustParse("*:a/b .:a/** *:a/** *:a/* *:a/*/**"))
	fmt.Println(min, err)
	// Output: *:a/** <nil>
}

func ExampleEqual() {
	fmt.Println(scope.Equal(scope.MustParse("*:a/**"), scope.MustParse("*:a/* *:a/*/**")))
	fmt.Println(scope.Equal(scope.MustParse("*:a**"), scope.MustParse("*:a *:a/**")))
	// Output:
	// true <nil>
	// false <nil>
}

func ExampleLint() {
	for _, f := range scope.Lint(".:config/tokenPolicies**  *:config/clients/{id} *:**") {
		fmt.Printf("col %d: %s: %s [%s]\n", f.Column, f.Severity, f.Message, f.Code)
		if f.Suggestion != "" {
			fmt.Printf("  suggestion (%s): %s\n", f.Relation, f.Suggestion)
		}
	}
	// Output:
	// col 1: warning: item .:config/tokenPolicies** is covered by *:** and adds nothing; remove it [redundant]
	//   suggestion (equal): *:config/clients/{id} *:**
	// col 23: warning: .:config/tokenPolicies** also matches /config/tokenPoliciesa: the wildcard is glued to "tokenPolicies" and extends that segment; to match "tokenPolicies" only as a whole segment, write .:config/tokenPolicies .:config/tokenPolicies/** [prefix-bleed]
	//   suggestion (equal): .:config/tokenPolicies .:config/tokenPolicies/**  *:config/clients/{id} *:**
	// col 25: info: 2 spaces between items; write one [whitespace]
	//   suggestion (equal): .:config/tokenPolicies** *:config/clients/{id} *:**
	// col 27: warning: item *:config/clients/{id} is covered by *:** and adds nothing; remove it [redundant]
	//   suggestion (equal): .:config/tokenPolicies** *:**
	// col 44: error: segment "{id}" of *:config/clients/{id} is an unsubstituted template; put the real identifier there [placeholder]
	// col 49: warning: *:** grants every method on every path (super admin); grant the paths and methods the client needs [super-admin]
}
