package grammar_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/scopecheck/scopecheck/grammar"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// The grammar is built only when a scope needs it: a program that
// compiles valid scopes never builds it, at start-up or later, and the
// first damaged scope does. Other tests of this package build it, so the
// check runs in a fresh copy of the test binary.
func TestValidScopesLeaveGrammarUnbuilt(t *testing.T) {
	if os.Getenv("GRAMMAR_LAZY_CHILD") == "1" {
		lazyChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestValidScopesLeaveGrammarUnbuilt$", "-test.v")
	cmd.Env = append(os.Environ(), "GRAMMAR_LAZY_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "grammar built by the damaged scope") {
		t.Fatalf("child process: %v\n%s", err, out)
	}
}

func lazyChild(t *testing.T) {
	if grammar.Built() {
		t.Fatal("the grammar was built at start-up")
	}
	valid := []string{"", "  ", "*:**", ".:config/tokenPolicies** .:config/loginPolicies**", "openid profile email",
		"*:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1 x:y", "*:a/*/b%C3%A9 .:**.json *:a**b*c"}
	for _, s := range valid {
		if _, err := match.CompileString(s); err != nil {
			t.Fatalf("CompileString(%q): %v", s, err)
		}
		if _, err := scope.Parse(s); err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if grammar.Built() {
			t.Fatalf("the grammar was built for the valid scope %q", s)
		}
	}
	if _, err := match.CompileString("*config/**"); err == nil {
		t.Fatal("a damaged scope compiled")
	}
	if !grammar.Built() {
		t.Fatal("a damaged scope was reported without the grammar")
	}
	t.Log("grammar built by the damaged scope")
}
