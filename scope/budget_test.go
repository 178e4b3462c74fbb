package scope_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/scope"
)

// A redundancy question beyond the budget is an undecided finding, and the
// item is kept: no redundant finding is made on a guess.
func TestLintUndecided(t *testing.T) {
	saved := scope.DefaultBudget
	defer func() { scope.DefaultBudget = saved }()
	scope.DefaultBudget = scope.Budget{Steps: 5}
	got := lintSummary(scope.Lint("*:a/* *:a/*/** *:a/**"))
	want := []lintSum{
		{scope.Undecided, scope.SeverityWarning, 1, "*:a/*", ""},
		{scope.Undecided, scope.SeverityWarning, 7, "*:a/*/**", ""},
		{scope.Undecided, scope.SeverityWarning, 16, "*:a/**", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Lint with a budget of 5 steps (-want +got):\n%s", diff)
	}
	const msg = "whether item *:a/** is covered by the others is undecided: the question needs more than 5 steps of work (scope.Budget); the item is kept"
	if fs := scope.Lint("*:a/* *:a/*/** *:a/**"); len(fs) != 3 || fs[2].Message != msg {
		t.Errorf("Lint = %+v; want the budget named", fs)
	}
	scope.DefaultBudget = saved
	got = lintSummary(scope.Lint("*:a/* *:a/*/** *:a/**"))
	want = []lintSum{{scope.Redundant, scope.SeverityWarning, 16, "*:a/**", "*:a/* *:a/*/**"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Lint with the default budget (-want +got):\n%s", diff)
	}
}

// Once lint's questions have spent 16 times the budget's steps, the items
// left are kept and reported in one finding, at the first of them.
func TestLintPassBudget(t *testing.T) {
	saved := scope.DefaultBudget
	defer func() { scope.DefaultBudget = saved }()
	scope.DefaultBudget = scope.Budget{Steps: 200}
	var items []string
	for i := 0; i < 40; i++ {
		items = append(items, fmt.Sprintf("*:a/*%d/**", i))
	}
	var pass []scope.Finding
	for _, f := range scope.Lint(strings.Join(items, " ")) {
		if f.Code != scope.Undecided {
			t.Errorf("unexpected finding %+v", f)
		}
		if strings.Contains(f.Message, "in all") {
			pass = append(pass, f)
		}
	}
	if len(pass) != 1 || !strings.HasPrefix(pass[0].Message, "whether item "+pass[0].Item+" and ") {
		t.Errorf("findings of the spent pass: %+v; want one, at the first item left", pass)
	}
}
