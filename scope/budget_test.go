package scope_test

import (
	"fmt"
	"math/rand/v2"
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

// heavyLint is a scope of n items "*:**/W/*X*b/", W twelve picks of a, b,
// a*, b* and %41 and X one of a, ab and ba: every item is a trailing-slash
// finding whose proof is a costly question over the whole scope.
func heavyLint(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, 10))
	picks, mids := []string{"a", "b", "a*", "b*", "%41"}, []string{"a", "ab", "ba"}
	items := make([]string, n)
	for i := range items {
		var w strings.Builder
		for k := 0; k < 12; k++ {
			w.WriteString(picks[r.IntN(len(picks))])
		}
		items[i] = "*:**/" + w.String() + "/*" + mids[r.IntN(len(mids))] + "*b/"
	}
	return strings.Join(items, " ")
}

// TestLintWorkBounded holds every containment question of one Lint — the
// proofs of fixes and examples as much as breadth and redundant — to one
// total, 16 times DefaultBudget, in steps and in bytes held. A finding
// whose fix or example is undecided is reported without it and says so,
// and one undecided finding counts them.
func TestLintWorkBounded(t *testing.T) {
	var slashes, ids []string
	for i := 0; i < 300; i++ {
		slashes = append(slashes, fmt.Sprintf("*:**/a%d/", i))
		ids = append(ids, fmt.Sprintf(".:config/clients/%08x/", i))
	}
	tests := []struct {
		name  string
		scope string
		// unproven is whether some findings must be reported without
		// their fix or example.
		unproven bool
	}{
		{"random wildcard items", heavyLint(1, 300), true},
		{"trailing slashes after a leading wildcard", strings.Join(slashes, " "), true},
		{"object IDs with trailing slashes", strings.Join(ids, " "), false},
		{"a small scope", "*:config/tokenPolicies** *:webhooks/ openid", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			findings, spent, limit := scope.LintWork(tc.scope)
			want := scope.Budget{Steps: 16 * scope.DefaultBudget.Steps, Bytes: 16 * scope.DefaultBudget.Bytes}
			if limit != want {
				t.Errorf("limit %+v; want %+v, 16 times DefaultBudget", limit, want)
			}
			if spent.Steps > limit.Steps || spent.Bytes > limit.Bytes {
				t.Errorf("spent %+v, more than the limit %+v", spent, limit)
			}
			unproven, counted := 0, 0
			for _, f := range findings {
				switch {
				case f.Code == scope.Undecided && strings.Contains(f.Message, "without the fix or example"):
					if _, err := fmt.Sscanf(f.Message, "%d findings", &counted); err != nil {
						t.Errorf("undecided finding %q does not count", f.Message)
					}
				case f.Code == scope.Undecided:
				case strings.Contains(f.Message, "no fix is offered: proving it is undecided"):
					unproven++
					if f.Fix != nil {
						t.Errorf("%s at column %d offers a fix although its proof is undecided", f.Code, f.Column)
					}
				case strings.Contains(f.Message, "no example or fix is given: proving them is undecided"):
					unproven++
					if f.Fix != nil || len(f.Examples) > 0 {
						t.Errorf("%s at column %d offers a fix or example although their proof is undecided", f.Code, f.Column)
					}
				case f.Code == scope.TrailingSlash && f.Fix == nil:
					t.Errorf("trailing-slash at column %d has no fix and does not say why: %s", f.Column, f.Message)
				}
			}
			if tc.unproven != (unproven > 0) || unproven > 0 && counted < unproven {
				t.Errorf("%d findings say their proof is undecided, %d counted; want some: %v", unproven, counted, tc.unproven)
			}
		})
	}
}
