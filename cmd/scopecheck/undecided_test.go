package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/scope"
)

// A question beyond its budget is answered "undecided", in text and in
// JSON, with exit status 2, never by a guess.
func TestCoversUndecided(t *testing.T) {
	args := []string{"covers", "--allowed", "*:a/* *:a/*/**", "--requested", "*:a/**", "--max-steps", "5"}
	tests := []struct {
		name string
		args []string
		want cliResult
	}{
		{"text", args, cliResult{2, "undecided: scope: undecided: the question needs more than 5 steps of work (scope.Budget); raise --max-steps or --max-bytes to try harder\n", ""}},
		{"json", append([]string{"covers", "--format", "json"}, args[1:]...),
			cliResult{2, `{"covered":null,"undecided":"scope: undecided: the question needs more than 5 steps of work (scope.Budget)"}` + "\n", ""}},
		{"within the budget", args[:len(args)-2], cliResult{0, "covered\n", ""}},
		{"bad budget", append(args[:len(args)-1:len(args)-1], "0"), cliResult{2, "", "scopecheck covers: --max-steps and --max-bytes must be positive\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runCLI("", tc.args...)); diff != "" {
				t.Errorf("scopecheck %q (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

// fmt --minimize whose questions are undecided prints what it has (which
// still allows exactly what the scope does), says why, and fails.
func TestFmtUndecided(t *testing.T) {
	saved := scope.DefaultBudget
	defer func() { scope.DefaultBudget = saved }()
	scope.DefaultBudget = scope.Budget{Steps: 5}
	want := cliResult{2, "*:a/* *:a/*/** *:a/**\n", "--scope: scope: item *:a/** kept undecided: scope: undecided: the question needs more than 5 steps of work (scope.Budget) (and 2 more items) [undecided]\n"}
	if diff := cmp.Diff(want, runCLI("", "fmt", "--minimize", "--scope", "*:a/* *:a/*/** *:a/**")); diff != "" {
		t.Errorf("scopecheck fmt --minimize (-want +got):\n%s", diff)
	}
}
