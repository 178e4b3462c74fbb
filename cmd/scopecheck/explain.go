package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/scopecheck/scopecheck/internal/scopefile"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

const explainSynopsis = `usage: scopecheck explain [--api FILE] SCOPE|INPUT

Says what a scope grants. SCOPE is a scope string; INPUT, a file or - for
stdin, holds scopes in any form that lint reads (an argument that names an
existing file is read as one).

Without --api: for each item, the methods it grants, its path language in
words, and example paths it matches and near misses it does not, each
decided by the matcher itself.

With --api FILE, an OpenAPI 3 description (JSON or YAML): the operations
(method, path template, operationId) that the scope grants, each with a
path that proves it, and those it does not. A template is granted when some
concrete canonical path it produces is allowed; a path parameter such as
{oidcClientId} stands for one non-empty path segment, of any canonical
bytes, and never for "" or for more than one segment. Templates are matched
without the server URL, relative to the customer root.

Exit status: 0, or 2 on a usage error, an unreadable or malformed input or
API description, or a scope that does not parse.`

func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("explain", explainSynopsis, stderr)
	api := fs.String("api", "", "an OpenAPI 3 description of the API (JSON or YAML)")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "scopecheck explain: want one SCOPE or INPUT, got %d\n", len(pos))
		return exitUsage
	}
	type named struct {
		where string
		text  string
	}
	var scopes []named
	if _, err := os.Stat(pos[0]); err == nil || pos[0] == "-" {
		name, data, err := readInput(pos[0], stdin)
		if err != nil {
			fmt.Fprintf(stderr, "scopecheck explain: %v\n", err)
			return exitUsage
		}
		found, err := scopefile.Read(data)
		if err == nil {
			err = found.Err()
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s:%v\n", name, err)
			return exitUsage
		}
		for _, s := range found.Scopes {
			where := fmt.Sprintf("%s (%s)", name, s.Where)
			if s.Unverified {
				where += ", JWT signature not verified"
			}
			scopes = append(scopes, named{where, s.Text})
		}
	} else {
		scopes = append(scopes, named{"", pos[0]})
	}
	var ops []operation
	if *api != "" {
		var err error
		if ops, err = loadOperations(*api); err != nil {
			fmt.Fprintf(stderr, "scopecheck explain: %s: %v\n", *api, err)
			return exitUsage
		}
	}
	for i, s := range scopes {
		set, err := scope.Parse(s.text)
		if err != nil {
			if s.where != "" {
				fmt.Fprintf(stderr, "%s:\n", s.where)
			}
			printParseErrors(stderr, err)
			return exitUsage
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if s.where != "" {
			fmt.Fprintf(stdout, "# %s: %s\n", s.where, set)
		}
		if ops != nil {
			if err := explainAPI(stdout, set, ops); err != nil {
				fmt.Fprintf(stderr, "scopecheck explain: %v\n", err)
				return exitUsage
			}
			continue
		}
		explainItems(stdout, set)
	}
	return exitYes
}

// explainItems writes what each item grants.
func explainItems(w io.Writer, set scope.Set) {
	if set.Len() == 0 {
		fmt.Fprintln(w, "(empty scope: grants nothing)")
	}
	for i := 0; i < set.Len(); i++ {
		it := set.Item(i)
		fmt.Fprintln(w, it)
		if it.Class == scope.Plain {
			fmt.Fprintln(w, "  a plain scope name: grants no request")
			continue
		}
		methods := "GET and HEAD"
		if it.Class == scope.ReadWrite {
			methods = "every method but CONNECT and TRACE"
		}
		fmt.Fprintf(w, "  methods: %s\n", methods)
		fmt.Fprintf(w, "  paths:   %s\n", describePattern(it))
		hits, misses := examples(it)
		fmt.Fprintf(w, "  matches: %s\n", strings.Join(hits, ", "))
		if len(misses) > 0 {
			fmt.Fprintf(w, "  misses:  %s\n", strings.Join(misses, ", "))
		}
	}
}

// describePattern puts a pattern's language in words.
func describePattern(it scope.Item) string {
	var parts []string
	for _, e := range it.Elems() {
		switch e.Kind {
		case scope.Literal:
			parts = append(parts, fmt.Sprintf("%q", e.Lit))
		case scope.Star:
			parts = append(parts, "any text within one segment (no /)")
		case scope.DoubleStar:
			parts = append(parts, "any text, / included")
		}
	}
	return "/ then " + strings.Join(parts, ", then ")
}

// examples returns up to three canonical paths the item matches and three
// near misses it does not, each decided by the matcher.
func examples(it scope.Item) (hits, misses []string) {
	m := match.Compile(scope.MustParse(it.String()))
	elems := it.Elems()
	fill := func(star, dstar string) string {
		var b strings.Builder
		for _, e := range elems {
			switch e.Kind {
			case scope.Literal:
				b.WriteString(e.Lit)
			case scope.Star:
				b.WriteString(star)
			case scope.DoubleStar:
				b.WriteString(dstar)
			}
		}
		return "/" + b.String()
	}
	lit := "/" + it.Pattern[:strings.IndexAny(it.Pattern+"*", "*")]
	cands := []string{fill("", ""), fill("x", "x"), fill("x", "x/y"), fill("x", "x/y") + "/z", fill("x", "x") + "X",
		lit + "X", lit + "/x", strings.TrimSuffix(lit, "/"), lit[:max(len(lit)-1, 1)], lit + "/x/y", strings.ToUpper(lit)}
	seen := map[string]bool{}
	for _, p := range cands {
		if seen[p] {
			continue
		}
		seen[p] = true
		if r, _ := scope.CheckPath(p); r != scope.Canonical {
			continue
		}
		if m.Allow("GET", p) {
			if len(hits) < 3 {
				hits = append(hits, p)
			}
		} else if len(misses) < 3 {
			misses = append(misses, p)
		}
	}
	return hits, misses
}

// operation is one operation of an API description.
type operation struct {
	method, template, id string
}

var methodOrder = map[string]int{"GET": 0, "HEAD": 1, "POST": 2, "PUT": 3, "PATCH": 4, "DELETE": 5, "OPTIONS": 6}

func loadOperations(file string) ([]operation, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(file)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("not a valid OpenAPI 3 description: %w", err)
	}
	var ops []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, operation{strings.ToUpper(method), path, op.OperationID})
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].template != ops[j].template {
			return ops[i].template < ops[j].template
		}
		return methodOrder[ops[i].method] < methodOrder[ops[j].method]
	})
	return ops, nil
}

// explainAPI writes the operations the scope grants, each with a path that
// proves it, and those it does not.
func explainAPI(w io.Writer, set scope.Set, ops []operation) error {
	var granted, denied []string
	for _, op := range ops {
		path, ok, err := scope.ReachesTemplate(set, op.method, op.template)
		if err != nil {
			return fmt.Errorf("%s %s: %w", op.method, op.template, err)
		}
		line := fmt.Sprintf("  %-7s %-58s %s", op.method, op.template, op.id)
		if ok {
			granted = append(granted, fmt.Sprintf("%s  (e.g. %s)", line, path))
		} else {
			denied = append(denied, line)
		}
	}
	fmt.Fprintf(w, "granted: %d of %d operations\n", len(granted), len(ops))
	for _, l := range granted {
		fmt.Fprintln(w, strings.TrimRight(l, " "))
	}
	fmt.Fprintf(w, "not granted: %d\n", len(denied))
	for _, l := range denied {
		fmt.Fprintln(w, strings.TrimRight(l, " "))
	}
	return nil
}
