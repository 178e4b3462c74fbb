package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/gateway/token"
	"github.com/scopecheck/scopecheck/internal/scopefile"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

const allowSynopsis = `usage: scopecheck allow --scope SCOPE [--format text|json] METHOD PATH
       scopecheck allow --scope SCOPE [--format text|json] -
       scopecheck allow --scope-from INPUT ...
       scopecheck allow --token-from FILE|- [--jwks FILE|URL --issuer ISS --audience AUD] ...

Decides requests against a scope. --scope gives the scope string itself,
as written; --scope-from reads it from an input (a file, or - for stdin)
in any form lint reads (a token policy, a token or introspection answer,
a JWT, text); when it holds several scopes, the request is decided
against their union. A scope or input that lint would report with an
error, that looks pasted (shell quotes, a form field, URL-encoding, a
Bearer header) and holds no access item as written, or that is an answer
without scope is refused: a request is never decided on a guess.

--token-from reads a bearer token (a JWT, alone or as "Bearer …" or an
Authorization header) from a file or stdin and decides with its scope.
With --jwks (a file, or an http(s) URL fetched now) the token is verified
exactly as serve verifies it — the signature with an asymmetric algorithm,
exp, nbf, and --issuer and --audience, which are required unless
--unsafe-skip-issuer-audience — and a token that does not verify decides
nothing (exit 2). Without --jwks the scope claim is read unverified, and
a note on stderr says the signature was not checked; a JWT whose scope
and scp claims disagree (scope-mismatch), or that names a claim twice
(duplicate-key), decides nothing, and is refused with that reason.

PATH is the request path as sent, still escaped, relative to the customer
root (/config/tokenPolicies/abc); a path that is not canonical is denied,
and the column (from 1) where it goes wrong is named. With "-", requests
are read from stdin, one "METHOD PATH" per line; blank lines are skipped,
and a line of another shape is reported with its number and counts as
denied.

Methods are upper-cased before deciding (get becomes GET), since people
type them so; the library itself is case-sensitive, as HTTP is. Use
--exact-method to decide the method exactly as given. --read-methods adds
methods to the read class ("."), upper-cased alike: comma-separated method
tokens, blanks around them ignored. Only safe methods (OPTIONS, PROPFIND,
REPORT, SEARCH; GET and HEAD are there already) are accepted, unless
--unsafe-read-methods says that a read item is meant to grant others.

Prints one line per request: "allow" or "deny", the method and path, and
the granting item or the reason for the denial; --format json prints one
JSON object per request, and errors as {"errors": [...]} on stdout.
Exit status: 0 when every request is allowed, 1 when any is denied, 2
when the usage is wrong or the scope cannot be read or does not parse
(then nothing is decided).`

// maxLine bounds one stdin line, so that input without newlines cannot
// grow memory without limit.
const maxLine = 1 << 20

// safeMethods are the methods --read-methods accepts without
// --unsafe-read-methods: RFC 9110's safe methods (§9.2.1) and those the
// IANA method registry marks safe, less TRACE, which no scope grants.
var safeMethods = map[string]bool{"GET": true, "HEAD": true, "OPTIONS": true, "PROPFIND": true, "REPORT": true, "SEARCH": true}

// parseReadMethods reads --read-methods: comma-separated method tokens,
// upper-cased as requests are unless exact. Every entry must be a method
// a scope can grant, and a safe one unless unsafe is set.
func parseReadMethods(spec string, exact, unsafe bool) ([]string, error) {
	var out []string
	for _, m := range strings.Split(spec, ",") {
		m = strings.Trim(m, " \t")
		if !exact {
			m = upperASCII(m)
		}
		switch {
		case m == "":
			return nil, fmt.Errorf("--read-methods %q has an empty entry", spec)
		case !scope.GrantableMethod(m):
			return nil, fmt.Errorf("--read-methods: %q is not a method a scope can grant (a method token other than CONNECT and TRACE)", m)
		case !safeMethods[m] && !unsafe:
			return nil, fmt.Errorf("--read-methods: %s is not a safe method, so a read item (.) would grant it; add --unsafe-read-methods if that is meant", m)
		}
		out = append(out, m)
	}
	return out, nil
}

func runAllow(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("allow", allowSynopsis, stderr)
	scopeText := fs.String("scope", "", "the scope string ('' is the empty scope)")
	scopeFile := fs.String("scope-from", "", "read the scope from this input instead (a file, or - for stdin)")
	format := fs.String("format", "text", "output format: text or json")
	exact := fs.Bool("exact-method", false, "decide methods exactly as given, without upper-casing")
	readMethods := fs.String("read-methods", "", "comma-separated safe methods to add to the read class (.), such as OPTIONS")
	unsafe := fs.Bool("unsafe-read-methods", false, "let --read-methods add methods that are not safe, such as POST, so that read items grant them")
	tokenFile := fs.String("token-from", "", "decide with the scope of the bearer token in this file (or - for stdin)")
	jwks := fs.String("jwks", "", "with --token-from: verify the token against this JWKS (a file, or an http(s) URL), as serve does")
	issuer := fs.String("issuer", "", "with --jwks: the iss the token must carry")
	audience := fs.String("audience", "", "with --jwks: the aud the token must hold")
	unsafeIssAud := fs.Bool("unsafe-skip-issuer-audience", false, "with --jwks: verify without --issuer or --audience (unsafe)")
	pos, code, flagErr, ok := parseFormatFlags(fs, args)
	u := usageReport{command: "allow", format: format, stdout: stdout, stderr: stderr}
	if !ok {
		return u.flagError(args, code, flagErr)
	}
	usage, asJSON := u.errorf, *format == "json"
	switch {
	case *format != "text" && *format != "json":
		return usage("--format must be text or json, not %q", *format)
	case btoi(isSet(fs, "scope"))+btoi(isSet(fs, "scope-from"))+btoi(isSet(fs, "token-from")) != 1:
		return usage("give one of --scope, --scope-from and --token-from")
	case (*scopeFile == "-" || *tokenFile == "-") && len(pos) == 1 && pos[0] == "-":
		return usage("stdin cannot hold both the scope and the requests")
	case *tokenFile == "" && (*jwks != "" || *issuer != "" || *audience != "" || *unsafeIssAud):
		return usage("--jwks, --issuer and --audience verify a token: they go with --token-from")
	case *jwks == "" && (*issuer != "" || *audience != "" || *unsafeIssAud):
		return usage("--issuer and --audience are checked on a verified token: give --jwks too")
	case *jwks != "" && (*issuer == "" || *audience == "") && !*unsafeIssAud:
		return usage("give --issuer and --audience, as serve requires (RFC 9068); --unsafe-skip-issuer-audience verifies without them")
	case len(pos) != 2 && !(len(pos) == 1 && pos[0] == "-"):
		return usage("want METHOD PATH or -, got %d argument(s)", len(pos))
	case *unsafe && !isSet(fs, "read-methods"):
		return usage("--unsafe-read-methods needs --read-methods")
	}
	var opts []match.Option
	if isSet(fs, "read-methods") {
		methods, err := parseReadMethods(*readMethods, *exact, *unsafe)
		if err != nil {
			return usage("%v", err)
		}
		opts = append(opts, match.WithReadMethods(methods...))
	}
	src := argSource("--scope", *scopeText)
	signature := ""
	switch {
	case *scopeFile != "":
		src = readSource(*scopeFile, stdin)
	case *tokenFile != "":
		text, verified, problems := tokenScope(*tokenFile, stdin, *jwks, token.JWTOptions{Issuer: *issuer, Audience: *audience})
		if problems != nil {
			report(stdout, stderr, asJSON, problems...)
			return exitUsage
		}
		src, signature = argSource("--token-from", text), "verified"
		if !verified {
			signature = "not-checked"
			fmt.Fprintln(stderr, "note: the token's signature was not checked (no --jwks): its scope is taken on trust")
		}
	}
	set, problems := src.union()
	if problems != nil {
		report(stdout, stderr, asJSON, problems...)
		return exitUsage
	}
	d := decider{m: match.Compile(set, opts...), exact: *exact, json: asJSON, out: stdout, signature: signature}
	if len(pos) == 2 {
		d.decide(0, pos[0], pos[1])
		return d.status()
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 0, 64*1024), maxLine)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		switch len(fields) {
		case 0:
			continue
		case 2:
			d.decide(line, fields[0], fields[1])
		default:
			d.malformed(line, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		report(stdout, stderr, asJSON, diagnostic{Code: "unreadable", Message: fmt.Sprintf("scopecheck allow: stdin line %d: %v", line+1, err)})
		return exitUsage
	}
	return d.status()
}

// decider decides requests and writes the answers.
type decider struct {
	m      *match.Matcher
	exact  bool
	json   bool
	out    io.Writer
	denied bool
	// signature is, when the scope came from a token, "verified" or
	// "not-checked", for JSON answers.
	signature string
}

// allowRecord is one answer in --format json.
type allowRecord struct {
	Line    int    `json:"line,omitempty"`
	Method  string `json:"method"`
	Path    string `json:"path"`
	Allowed bool   `json:"allowed"`
	Item    string `json:"item,omitempty"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Rule    string `json:"rule,omitempty"`
	// Offset and Column say where a path that is not canonical breaks
	// its rule: the byte offset from 0, and the column from 1.
	Offset *int `json:"offset,omitempty"`
	Column int  `json:"column,omitempty"`
	// PathQuoted is set when Path is not valid UTF-8 and so cannot be a
	// JSON string as it is: Path then holds the Go-quoted form.
	PathQuoted bool `json:"path_quoted,omitempty"`
	// Signature says, when the scope came from a token, whether its
	// signature was verified or not checked.
	Signature string `json:"signature,omitempty"`
}

func (d *decider) decide(line int, method, path string) {
	if !d.exact {
		method = upperASCII(method)
	}
	dec := d.m.Decide(method, path)
	d.denied = d.denied || !dec.Allowed
	if d.json {
		r := allowRecord{Line: line, Method: method, Path: path, Allowed: dec.Allowed, Reason: dec.Reason.String(), Message: say(dec), Signature: d.signature}
		if dec.Reason == match.Granted || dec.Reason == match.ReadOnly {
			r.Item = dec.Item.String()
		}
		if dec.Reason == match.NotCanonical {
			r.Rule, r.Offset, r.Column = dec.Rule.String(), &dec.Offset, dec.Offset+1
		}
		if !utf8.ValidString(path) {
			r.Path, r.PathQuoted = fmt.Sprintf("%q", path), true
		}
		d.writeJSON(r)
		return
	}
	verdict := "deny"
	if dec.Allowed {
		verdict = "allow"
	}
	fmt.Fprintf(d.out, "%s %s %s: %s\n", verdict, printable(method), printable(path), say(dec))
}

// say puts a decision in words, naming where a path that is not
// canonical goes wrong by its column, counted from 1 as every other
// position the command prints.
func say(dec match.Decision) string {
	if dec.Reason == match.NotCanonical {
		return fmt.Sprintf("path is not canonical: %s (column %d) [%s]", dec.Rule.Describe(), dec.Offset+1, dec.Rule)
	}
	return dec.String()
}

func (d *decider) malformed(line int, text string) {
	d.denied = true
	msg := fmt.Sprintf("line %d is not \"METHOD PATH\": %q", line, text)
	if d.json {
		d.writeJSON(allowRecord{Line: line, Reason: "malformed-line", Message: msg})
		return
	}
	fmt.Fprintf(d.out, "deny %s\n", msg)
}

func (d *decider) writeJSON(v any) {
	b, _ := json.Marshal(v) // only strings, bools and ints: cannot fail
	fmt.Fprintf(d.out, "%s\n", b)
}

func (d *decider) status() int {
	if d.denied {
		return exitNo
	}
	return exitYes
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// maxToken bounds a token read by --token-from.
const maxToken = 64 << 10

// tokenScope reads the bearer token in file (or stdin) and returns its
// scope: verified as serve verifies it when jwks is set (a file, or an
// http(s) URL fetched now), else read unverified. A token that does not
// verify, is not a JWT, or carries no scope is a problem, never a scope.
func tokenScope(file string, stdin io.Reader, jwks string, opts token.JWTOptions) (string, bool, []diagnostic) {
	shown, data, err := readInput(file, stdin)
	if err == nil && len(data) > maxToken {
		err = fmt.Errorf("%s is larger than %d KiB: not a token", shown, maxToken>>10)
	}
	if err != nil {
		return "", false, []diagnostic{{File: shown, Code: "unreadable", Message: err.Error()}}
	}
	problem := func(code, format string, args ...any) (string, bool, []diagnostic) {
		return "", false, []diagnostic{{File: shown, Code: code, Message: fmt.Sprintf(format, args...)}}
	}
	tok := bearerToken(string(data))
	if tok == "" {
		return problem("unknown-form", "no bearer token: want one token, alone or as \"Bearer TOKEN\" or an Authorization header")
	}
	if jwks == "" {
		in, err := scopefile.Read([]byte(tok))
		if err != nil || len(in.Scopes) != 1 || in.Scopes[0].Form != scopefile.JWT {
			// What is wrong with the token, when the reader says (a scope
			// and an scp claim that disagree, a claim given twice), is
			// said with its own code; the note that the signature was not
			// checked is no reason.
			for _, f := range in.Findings {
				if f.Code != scopefile.UnverifiedJWT && f.Severity == scope.SeverityError {
					return problem(string(f.Code), "%s", f.Message)
				}
			}
			return problem("unknown-form", "the token is not a JWT with a scope or scp claim: only its issuer can say what it grants (RFC 7662 introspection)")
		}
		return in.Scopes[0].Text, false, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()                                               // stops the verifier's refreshing
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) // failures are reported below
	var v *token.JWT
	if strings.HasPrefix(jwks, "http://") || strings.HasPrefix(jwks, "https://") {
		if v, err = token.NewJWTFromURL(ctx, jwks, opts); err == nil {
			err = v.Reload(ctx) // fetch now rather than wait for the background fetch
		}
	} else {
		v, err = token.NewJWTFromFile(ctx, jwks, opts)
	}
	if v != nil {
		defer v.Close()
	}
	if err != nil {
		return "", false, []diagnostic{{File: jwks, Code: "unreadable", Message: "the JWKS cannot be used: " + gateway.Clip(err.Error())}}
	}
	s, _, err := v.Claims(ctx, tok)
	if err != nil {
		return problem("invalid-token", "the token does not verify, so it allows nothing (serve answers 401): %s", gateway.Clip(err.Error()))
	}
	return s, true, nil
}

// bearerToken is the one token in text: a token alone, after "Bearer",
// or in an "Authorization: Bearer" header; "" when there is not exactly
// one.
func bearerToken(text string) string {
	f := strings.Fields(text)
	if len(f) > 0 && strings.EqualFold(f[0], "authorization:") {
		f = f[1:]
	}
	if len(f) == 2 && strings.EqualFold(f[0], "bearer") {
		f = f[1:]
	}
	if len(f) != 1 {
		return ""
	}
	return f[0]
}
