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

// Every state a search stores is charged steps of its own (looking it up,
// and trying the bytes that lead from it), whatever its position sets
// hold: a search whose sets stay empty, such as Minimize's questions about
// patterns of hundreds of "*" that no other item overlaps, once did tens
// of times more work per step than the budget's calibration, so that a
// budget meant for milliseconds took seconds.
func TestBudgetChargesEveryState(t *testing.T) {
	stars := func(n, seed int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteByte("ab"[(i*7+seed*13+i*i)%3%2])
			b.WriteByte('*')
		}
		return b.String()
	}
	var lone, shared []string
	for i := 0; i < 12; i++ {
		lone = append(lone, fmt.Sprintf(".:x%d/%s", i, stars(100+50*(i%3), i)))
		shared = append(shared, fmt.Sprintf(".:t/%s", stars(60+20*(i%3), i)))
	}
	shared = append(shared, ".:*/*a*b*")
	var params []string
	for i := 0; i < 40; i++ {
		params = append(params, fmt.Sprintf("*:a/*%d/**", i))
	}
	for _, tc := range []struct {
		name  string
		scope string
	}{
		{"stars-no-overlap", strings.Join(lone, " ")},
		{"stars-under-a-wildcard", strings.Join(shared, " ")},
		{"parameters", strings.Join(params, " ")},
		{"policy", policy20(0).String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// short lists the budgets under which a stored state cost less
			// than it was looked up for (8 steps).
			type work struct{ Budget, Steps, States int64 }
			var short []work
			for _, steps := range []int64{1024, 65536} {
				states, spent := scope.MinimizeWork(scope.MustParse(tc.scope), scope.Budget{Steps: steps})
				if spent < 8*int64(states) {
					short = append(short, work{steps, spent, int64(states)})
				}
			}
			if diff := cmp.Diff([]work(nil), short); diff != "" {
				t.Errorf("steps charged for the states stored (-want +got):\n%s", diff)
			}
		})
	}
}
