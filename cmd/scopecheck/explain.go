package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/scopecheck/scopecheck/internal/scopefile"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

const explainSynopsis = `usage: scopecheck explain [--api FILE] [--format text|json] [--scope SCOPE] [INPUT...]

Says what a scope grants. --scope gives a scope string; each INPUT, a file
or - for stdin, holds scopes in any form that lint reads.

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

--format json prints {"scopes": [...]}, and errors as {"errors": [...]}
on stdout. Findings about an input that do not stop it (a pasted form, an
answer without scope) go to stderr in text mode, and to "notes" in JSON.

Exit status: 0, or 2 on a usage error, an unreadable or malformed input or
API description, or a scope that does not parse.`

// explained is what explain says of one scope.
type explained struct {
	File       string          `json:"file"`
	Where      string          `json:"where,omitempty"`
	Unverified bool            `json:"unverified,omitempty"`
	Scope      string          `json:"scope"`
	Items      []explainedItem `json:"items,omitempty"`
	Granted    []explainedOp   `json:"granted,omitempty"`
	NotGranted []explainedOp   `json:"notGranted,omitempty"`
	Operations int             `json:"operations,omitempty"`
}

type explainedItem struct {
	Item    string   `json:"item"`
	Plain   bool     `json:"plain,omitempty"`
	Methods string   `json:"methods,omitempty"`
	Paths   string   `json:"paths,omitempty"`
	Matches []string `json:"matches,omitempty"`
	Misses  []string `json:"misses,omitempty"`
}

type explainedOp struct {
	Method      string `json:"method"`
	Template    string `json:"template"`
	OperationID string `json:"operationId,omitempty"`
	Example     string `json:"example,omitempty"`
}

func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("explain", explainSynopsis, stderr)
	api := fs.String("api", "", "an OpenAPI 3 description of the API (JSON or YAML)")
	format := fs.String("format", "text", "output format: text or json")
	scopeText := fs.String("scope", "", "a scope string")
	inputs, code, flagErr, ok := parseFormatFlags(fs, args)
	u := usageReport{command: "explain", format: format, stdout: stdout, stderr: stderr}
	if !ok {
		return u.flagError(args, code, flagErr)
	}
	usage, asJSON := u.errorf, *format == "json"
	switch {
	case *format != "text" && *format != "json":
		return usage("--format must be text or json, not %q", *format)
	case !isSet(fs, "scope") && len(inputs) == 0:
		return usage("give --scope or at least one INPUT")
	}
	srcs, err := readSources(*scopeText, isSet(fs, "scope"), inputs, stdin)
	if err != nil {
		return usage("%v", err)
	}
	var problems, notes []diagnostic
	for _, src := range srcs {
		problems = append(problems, src.problems(false)...)
		notes = append(notes, src.notes()...)
	}
	var ops []operation
	if *api != "" {
		if ops, err = loadOperations(*api); err != nil {
			problems = append(problems, diagnostic{File: *api, Code: string(scopefile.Unreadable), Message: err.Error()})
		}
	}
	if problems != nil {
		report(stdout, stderr, asJSON, problems...)
		return exitUsage
	}
	var out []explained
	for _, src := range srcs {
		for _, sc := range src.in.Scopes {
			set := scope.MustParse(sc.Text) // problems has checked it parses
			e := explained{File: src.name, Where: sc.Where, Unverified: sc.Unverified, Scope: set.String()}
			if ops == nil {
				e.Items = explainItems(set)
			} else {
				e.Operations = len(ops)
				if e.Granted, e.NotGranted, err = explainAPI(set, ops); err != nil {
					report(stdout, stderr, asJSON, diagnostic{Code: "undecided", Message: "scopecheck explain: " + err.Error()})
					return exitUsage
				}
			}
			out = append(out, e)
		}
	}
	if asJSON {
		if out == nil {
			out = []explained{}
		}
		b, _ := json.MarshalIndent(struct { // strings, ints and bools: cannot fail
			Scopes []explained  `json:"scopes"`
			Notes  []diagnostic `json:"notes,omitempty"`
		}{out, notes}, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return exitYes
	}
	report(stdout, stderr, false, notes...)
	// A lone --scope needs no heading; anything read from an input says
	// where it was found.
	headings := len(out) != 1 || srcs[0].name != "--scope"
	for i, e := range out {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if headings {
			where := e.File
			if e.Where != "" && e.Where != "argument" {
				where = fmt.Sprintf("%s (%s)", e.File, e.Where)
			}
			if e.Unverified {
				where += ", JWT signature not verified"
			}
			fmt.Fprintf(stdout, "# %s: %s\n", where, e.Scope)
		}
		if ops != nil {
			writeAPI(stdout, e)
		} else {
			writeItems(stdout, e.Items)
		}
	}
	return exitYes
}

// explainItems says what each item grants.
func explainItems(set scope.Set) []explainedItem {
	var out []explainedItem
	for i := 0; i < set.Len(); i++ {
		it := set.Item(i)
		if it.Class == scope.Plain {
			out = append(out, explainedItem{Item: it.String(), Plain: true})
			continue
		}
		methods := "GET and HEAD"
		if it.Class == scope.ReadWrite {
			methods = "every method but CONNECT and TRACE"
		}
		hits, misses := examples(it)
		out = append(out, explainedItem{Item: it.String(), Methods: methods, Paths: describePattern(it), Matches: hits, Misses: misses})
	}
	return out
}

// writeItems writes what each item grants.
func writeItems(w io.Writer, items []explainedItem) {
	if len(items) == 0 {
		fmt.Fprintln(w, "(empty scope: grants nothing)")
	}
	for _, it := range items {
		fmt.Fprintln(w, it.Item)
		if it.Plain {
			fmt.Fprintln(w, "  a plain scope name: grants no request")
			continue
		}
		fmt.Fprintf(w, "  methods: %s\n", it.Methods)
		fmt.Fprintf(w, "  paths:   %s\n", it.Paths)
		fmt.Fprintf(w, "  matches: %s\n", strings.Join(it.Matches, ", "))
		if len(it.Misses) > 0 {
			fmt.Fprintf(w, "  misses:  %s\n", strings.Join(it.Misses, ", "))
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

// explainAPI returns the operations the scope grants, each with a path
// that proves it, and those it does not.
func explainAPI(set scope.Set, ops []operation) (granted, denied []explainedOp, err error) {
	for _, op := range ops {
		path, ok, err := scope.ReachesTemplate(set, op.method, op.template)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: %w", op.method, op.template, err)
		}
		e := explainedOp{Method: op.method, Template: op.template, OperationID: op.id}
		if ok {
			e.Example = path
			granted = append(granted, e)
		} else {
			denied = append(denied, e)
		}
	}
	return granted, denied, nil
}

// writeAPI writes the operations a scope grants, then those it does not.
func writeAPI(w io.Writer, e explained) {
	line := func(op explainedOp) string {
		return strings.TrimRight(fmt.Sprintf("  %-7s %-58s %s", op.Method, op.Template, op.OperationID), " ")
	}
	fmt.Fprintf(w, "granted: %d of %d operations\n", len(e.Granted), e.Operations)
	for _, op := range e.Granted {
		fmt.Fprintf(w, "%s  (e.g. %s)\n", line(op), op.Example)
	}
	fmt.Fprintf(w, "not granted: %d\n", len(e.NotGranted))
	for _, op := range e.NotGranted {
		fmt.Fprintln(w, line(op))
	}
}
