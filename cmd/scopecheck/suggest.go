package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/internal/accesslog"
	"github.com/scopecheck/scopecheck/internal/leastscope"
	"github.com/scopecheck/scopecheck/internal/scopefile"
	"github.com/scopecheck/scopecheck/scope"
)

const suggestSynopsis = `usage: scopecheck suggest [--within SCOPE | --within-from INPUT] [--api FILE] [--format text|json|sarif] [flags] LOG...

Proposes, for each client in access logs, the least scope that allows
every request the client was seen to make, proves it, and says which
parts of the granted scope no request used.

Each LOG is a file, or - for stdin, plain or gzip (recognised by its first
bytes), in one of these formats (--log; auto recognises each by its first
line):
  serve     scopecheck serve's decision log: the path decided on, allowed,
            and the client (the token's client_id, or sub)
  combined  nginx's combined (or common) format; it names no verified
            client ($remote_user is whatever Basic header a client sent):
            its requests are analysed as one, unless
            --trust-remote-user groups them by $remote_user
  json      JSON lines, whose members --fields names (--fields alone
            means --log json):
            method=NAME,uri=NAME,client=NAME,time=NAME,status=NAME,allowed=NAME
            (dots reach into objects: Caddy's access log is
            method=request.method,uri=request.uri,time=ts,client=user_id,status=status);
            only the members named are read (method and uri must be);
            without --fields, each KEY is read from the member KEY. A
            line where allowed and status disagree (true with 403) is
            unreadable
In the combined and json formats a request passed the gateway only when
its status is one of --allowed-status (200-299,304: statuses only an
upstream answers); one of --denied-status (401,403) was refused; any
other (413, 503 ...) says nothing of the gateway's decision, and the
request is listed apart. These formats hold only the request line, read
as serve reads it: the upper-case method, and each method override of
the query (_method, __METHOD_OVERRIDE__, in every spelling serve reads)
are requests the suggestion must allow too; a POST, or an override that
does not decode, may mean any method. A method or target a header gave
(X-HTTP-Method-Override, X-Original-URL ...) is not in such a log: the
first check says how many requests were seen only by their line, and
serve's own log, which names every source, is the one to read.
For logs that hold the whole target, --strip-segments N removes its first
N segments (the /{customerId} mount) after checking that the whole target
is canonical.

The suggestion is written in the API's shapes. With --api FILE (OpenAPI
3), a path that an operation's template produces is written as the
template with each parameter "*" when that grants no operation the client
did not call (beyond those its paths as seen grant), and a subtree where
the client used several templates becomes "P/**" when every operation it
grants was called; an item grants an operation on the paths its template
produces, and on them with "/" added ("*" matches the empty segment).
Otherwise paths are written as seen, with "*" where a segment took more
than --generalize-after values (held to the same rule with --api). An
item is read (.) when only GET and HEAD were seen, else read-write (*).

With the granted scope (--within SCOPE, or --within-from INPUT in any form
lint reads, such as a token policy; an input of several policies is
refused, never united), every item is proved to lie within it with
scope.Covers; one that does not falls back to the literal forms of the
paths it stands for, and those to the granted items that allowed them.
The suggestion is minimised, then proved: every distinct request is
decided again by the matcher, and every item proved within the granted
scope. A suggestion that fails a proof is never printed. Requests the
gateway denied, or that the granted scope does not allow (the log and the
scope disagree), are listed apart; so are requests on a path no item
allows alone, one holding "*" (a pattern reads it as a wildcard) or the
root "/": they are never written as a pattern. The granted scope's plain items
(openid) are kept: no log shows their use.

Findings, like lint's: unused-item (a granted item no request used),
unused-write (a read-write item used only to read), unused-operation (with
--api: an operation the granted scope allows that was never called in the
log's time span), least-scope (the suggestion), scope-disagrees,
listed-apart, unreadable-line, bound-exceeded, no-suggestion. Text output
prints each client's suggestion as a scope string, as an allowedScopes
fragment of a token policy, and as a diff against the granted scope;
--format json prints all of it; --format sarif prints the findings as
SARIF 2.1.0.

Memory is bounded in bytes by --max-memory (256MiB), which counts all
that is kept: clients, path prefixes, the text of the items each path
may become, requests listed apart, places where a bound was reached,
answers remembered; and in counts by --max-clients, --max-paths
(distinct path prefixes over all clients) and --max-values (distinct
values of one segment). Past a bound a new client is only counted and a
request is kept as a pattern (and proved with scope.Covers), and a
bound-exceeded finding says where. The bounds of paths and memory are
shared by all clients, first come first served: one client's many paths
can use them up, and a later client's suggestion may then be as wide as
its grant (still proved within it); --client NAME analyses one client
alone, with the whole of each bound. All the containment work of the run
(scope.Covers, ReachesTemplate, Minimize) is bounded by --max-steps
(scope.Budget's steps, about 4 ns each, and 32 for each byte of a
question's patterns); once spent, every later question is undecided,
said by a bound-exceeded finding, and a suggestion whose proof needs one
is not made. The output grows with the suggestions once: each item is
listed once, and its other forms are printed whole only when short. A
path longer than 4096 bytes is listed apart, and a line longer than
1 MiB is not read. The logs together are read up to --max-input bytes
(16GiB) after decompression (a small gzip member can expand to
gigabytes); a longer input is a too-large problem, and no suggestion is
made from part of it. A progress bar is shown on stderr for a file of 64 MiB or more when
stderr is a terminal.

Exit status: 2 on a usage error, a log or scope that cannot be read, or a
suggestion that could not be proved; else 1 when a finding reaches
--fail-on (default error); else 0.`

// The codes of suggest's findings, beside lint's; SARIF lists them too.
const (
	codeUnusedItem      scope.Code = "unused-item"
	codeUnusedWrite     scope.Code = "unused-write"
	codeUnusedOperation scope.Code = "unused-operation"
	codeLeastScope      scope.Code = "least-scope"
	codeScopeDisagrees  scope.Code = "scope-disagrees"
	codeListedApart     scope.Code = "listed-apart"
	codeUnreadableLine  scope.Code = "unreadable-line"
	codeNoRequests      scope.Code = "no-requests"
	codeSkippedLines    scope.Code = "skipped-lines"
	codeBoundExceeded   scope.Code = "bound-exceeded"
	codeNoSuggestion    scope.Code = "no-suggestion"
)

// suggestCodes describes each of suggest's codes: its severity and what
// it means.
var suggestCodes = map[scope.Code]scopefile.CodeInfo{
	codeUnusedItem:      {Severity: scope.SeverityWarning, Help: "An item of the granted scope allowed none of the client's requests in the logs read; the client may not need it."},
	codeUnusedWrite:     {Severity: scope.SeverityWarning, Help: "A read-write item (*) of the granted scope allowed only read requests (GET, HEAD) of the client; a read item (.) would do for what was seen."},
	codeUnusedOperation: {Severity: scope.SeverityInfo, Help: "An operation of the API description that the granted scope allows, which the client never called in the time the logs span."},
	codeLeastScope:      {Severity: scope.SeverityInfo, Help: "The least scope proved to allow every request of the client that was seen, and to lie within the granted scope; narrower than it when the message says so."},
	codeScopeDisagrees:  {Severity: scope.SeverityWarning, Help: "The log says the gateway allowed requests that the granted scope does not allow, or denied some that it allows: the scope given is not the one the gateway decided with."},
	codeListedApart:     {Severity: scope.SeverityInfo, Help: "Requests the least scope is not for: the gateway denied them, or no scope can allow them (a path that is not canonical, a method no scope grants), or no item allows them alone (a path holding \"*\", which a pattern reads as a wildcard, or the root \"/\")."},
	codeUnreadableLine:  {Severity: scope.SeverityWarning, Help: "Lines of a log that could not be read (not of its format, too long); their requests are not in the analysis."},
	codeNoRequests:      {Severity: scope.SeverityError, Help: "A log from which no request was read: empty, or not of the format it was read as (give --log, and --fields for JSON lines); nothing of it is in the analysis."},
	codeSkippedLines:    {Severity: scope.SeverityWarning, Help: "A log whose lines that hold no request (blank lines, serve's lines other than decisions) outnumber its requests: it may not be of the format it was read as."},
	codeBoundExceeded:   {Severity: scope.SeverityWarning, Help: "A bound was reached: of memory (bytes kept, clients, paths, values of a segment), where requests past it were summarised as a pattern or, past the bound of clients, only counted (the bounds of paths and memory are shared by all clients, first come first served: --client NAME analyses one alone); or of containment work (--max-steps), after which every question was undecided and the items it was asked of fell back to narrower ones."},
	codeNoSuggestion:    {Severity: scope.SeverityError, Help: "No suggestion could be proved for a client (a containment question too large to decide, or the run's containment work spent); none is printed."},
}

// place is where an item of the granted scope, or a line of a log, is:
// its line, and its column in bytes and in UTF-16 code units (SARIF's),
// each from 1.
type place struct {
	file                string
	line, column, utf16 int
}

// granted is the granted scope as read, with where each item is written.
type granted struct {
	set   scope.Set
	at    map[string]place // by item text; the first place of each
	start place
}

func runSuggest(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("suggest", suggestSynopsis, stderr)
	withinText := fs.String("within", "", "the scope the clients were granted")
	withinFile := fs.String("within-from", "", "read the granted scope from this input (a file in any form lint reads, or - for stdin)")
	api := fs.String("api", "", "an OpenAPI 3 description of the API (JSON or YAML)")
	logFormat := fs.String("log", "auto", "log format: auto, serve, combined or json")
	fields := fs.String("fields", "", "for --log json: KEY=NAME pairs, KEY one of method, uri, client, time, status, allowed")
	allowedStatus := fs.String("allowed-status", "200-299,304", "statuses that mean a request passed the gateway (combined and json logs)")
	deniedStatus := fs.String("denied-status", "401,403", "statuses that mean the gateway denied a request (combined and json logs)")
	remoteUser := fs.Bool("trust-remote-user", false, "group a combined log's requests by $remote_user, which nginx fills from any Basic Authorization header, verified or not")
	strip := fs.Int("strip-segments", 0, "segments of a logged target that are the mount, removed before the path is read (not for serve's log)")
	only := fs.String("client", "", "analyse only this client's requests")
	generalize := fs.Int("generalize-after", leastscope.DefaultGeneralizeAfter, "without --api, write * for a segment that took more than this many distinct values (-1: never)")
	maxClients := fs.Int("max-clients", leastscope.DefaultMaxClients, "bound: distinct clients analysed")
	maxPaths := fs.Int("max-paths", leastscope.DefaultMaxPaths, "bound: distinct path prefixes kept, over all clients")
	maxValues := fs.Int("max-values", leastscope.DefaultMaxValues, "bound: distinct values kept of one segment")
	maxMemory := byteSize(leastscope.DefaultMaxBytes)
	fs.Var(&maxMemory, "max-memory", "bound: bytes of everything kept about clients, paths and suggestions")
	maxSteps := fs.Int64("max-steps", leastscope.DefaultMaxSteps, "bound: steps of containment work (scope.Budget's) over the whole run")
	maxInput := byteSize(accesslog.DefaultMaxBytes)
	fs.Var(&maxInput, "max-input", "bound: bytes of log read in all, after decompression")
	format := fs.String("format", "text", "output format: text, json or sarif")
	failOn := fs.String("fail-on", "error", "lowest severity that makes the exit status 1: error, warning or info")
	logs, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	threshold, okSev := severities[*failOn]
	usage := usageReport{command: "suggest", format: format, sarif: true, stdout: stdout, stderr: stderr}.errorf
	switch {
	case *format != "text" && *format != "json" && *format != "sarif":
		bad := *format
		*format = "text"
		return usage("--format must be text, json or sarif, not %q", bad)
	case !okSev:
		return usage("--fail-on must be error, warning or info, not %q", *failOn)
	case len(logs) == 0:
		return usage("give at least one LOG (a file, or - for stdin)")
	case isSet(fs, "within") && isSet(fs, "within-from"):
		return usage("give at most one of --within and --within-from")
	case *strip < 0 || *maxClients <= 0 || *maxPaths <= 0 || *maxValues <= 0 || *maxSteps <= 0 || *generalize < -1 || *generalize == 0:
		return usage("--strip-segments must be at least 0, --generalize-after at least 1 (or -1: never), and the bounds positive")
	}
	stdinUses := 0
	for _, l := range append(append([]string(nil), logs...), *withinFile) {
		if l == "-" {
			stdinUses++
		}
	}
	if stdinUses > 1 {
		return usage("stdin (-) can be read only once")
	}
	logOpts := accesslog.Options{}
	var err error
	if logOpts.Format, err = accesslog.ParseFormat(*logFormat); err != nil {
		return usage("%v", err)
	}
	if *fields != "" {
		if logOpts.Format != accesslog.JSON && logOpts.Format != accesslog.Auto {
			return usage("--fields is for --log json")
		}
		// A field mapping is for JSON lines: a log/slog line of another
		// gateway would otherwise be recognised as serve's.
		logOpts.Format = accesslog.JSON
		if logOpts.Fields, err = accesslog.ParseFields(*fields); err != nil {
			return usage("%v", err)
		}
	}
	if logOpts.AllowedStatus, err = parseStatuses("--allowed-status", *allowedStatus); err != nil {
		return usage("%v", err)
	}
	if logOpts.DeniedStatus, err = parseStatuses("--denied-status", *deniedStatus); err != nil {
		return usage("%v", err)
	}
	for _, a := range logOpts.AllowedStatus {
		if slices.Contains(logOpts.DeniedStatus, a) {
			return usage("status %d is in both --allowed-status and --denied-status", a)
		}
	}
	logOpts.RemoteUser = *remoteUser
	if *strip > 0 && logOpts.Format == accesslog.Serve {
		return usage("--strip-segments is not for serve's log, which holds the path decided on")
	}

	opts := leastscope.Options{StripSegments: *strip, GeneralizeAfter: *generalize,
		MaxClients: *maxClients, MaxPaths: *maxPaths, MaxValues: *maxValues, MaxBytes: int64(maxMemory), MaxSteps: *maxSteps}
	var g *granted
	if isSet(fs, "within") || *withinFile != "" {
		var problems []diagnostic
		if g, problems = readGranted(*withinText, isSet(fs, "within"), *withinFile, stdin); problems != nil {
			return failInputs(stdout, stderr, *format, problems)
		}
		opts.Within, opts.HasWithin = g.set, true
	}
	var ops []operation
	if *api != "" {
		if ops, err = loadOperations(*api); err != nil {
			return failInputs(stdout, stderr, *format, []diagnostic{{File: *api, Line: 1, Column: 1, Code: string(scopefile.Unreadable), Message: err.Error()}})
		}
		for _, op := range ops {
			opts.API = append(opts.API, leastscope.Operation{Method: op.method, Template: op.template, ID: op.id})
		}
	}

	if os.Getenv("GOMEMLIMIT") == "" {
		// What the observer keeps is bounded by --max-memory; the soft
		// limit keeps the garbage collector from letting the heap grow to
		// twice that. The reader's blocks, the runtime and the work of one
		// question come on top (suggestMemoryAllowance).
		debug.SetMemoryLimit(int64(maxMemory) + suggestMemoryAllowance)
	}
	obs := leastscope.NewObserver(opts)
	var read []logRead
	left := int64(maxInput)
	for _, name := range logs {
		// --max-input bounds the logs together: each may read what the
		// ones before it left.
		logOpts.MaxBytes = left
		lr, problem := readLog(name, stdin, stderr, logOpts, int64(maxInput), *only, obs)
		if problem != nil {
			return failInputs(stdout, stderr, *format, []diagnostic{*problem})
		}
		read = append(read, lr)
		if left -= lr.Bytes; left <= 0 {
			left = -1 // none: the next log fails on its first byte
		}
	}
	rep := obs.Suggest()
	out := suggestOutput{Logs: read, Bounds: boundsJSON{MaxMemory: int64(maxMemory), Held: rep.Held,
		MaxSteps: rep.Work.Limit, Charged: rep.Work.Charged, Questions: rep.Work.Questions, Exhausted: rep.Work.Exhausted}}
	for _, c := range rep.Clients {
		out.Clients = append(out.Clients, clientOutput(c, g))
	}
	findings := suggestFindings(rep, g, opts.API, read)
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	switch *format {
	case "json":
		out.Findings = findings
		if out.Findings == nil {
			out.Findings = []lintFinding{}
		}
		if out.Clients == nil {
			out.Clients = []clientJSON{}
		}
		out.Malformed, out.Exceeded = rep.Malformed, rep.Exceeded
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(out) // strings, numbers and bools: cannot fail
	case "sarif":
		if err := writeSARIF(w, findings, nil); err != nil {
			fmt.Fprintf(stderr, "scopecheck suggest: %v\n", err)
			return exitUsage
		}
	default:
		writeSuggestText(w, out, findings, g != nil)
	}
	status := exitYes
	for _, f := range findings {
		switch {
		case f.Code == string(codeNoSuggestion):
			return exitUsage
		case f.rank >= threshold:
			status = exitNo
		}
	}
	return status
}

// suggestMemoryAllowance is what suggest allows itself beyond --max-memory
// when it sets Go's soft memory limit: the log reader's blocks (a few
// MiB a core), one containment question's (scope.DefaultBudget's bytes,
// about twice that allocated), the runtime.
const suggestMemoryAllowance = 64 << 20

// failInputs reports inputs that stop the command, in the output format.
func failInputs(stdout, stderr io.Writer, format string, ds []diagnostic) int {
	if format == "sarif" {
		var fs []lintFinding
		for _, d := range ds {
			utf16 := d.utf16
			if utf16 == 0 {
				utf16 = d.Column
			}
			fs = append(fs, lintFinding{File: d.File, Line: max(d.Line, 1), Column: max(d.Column, 1), utf16: max(utf16, 1), Code: d.Code,
				Severity: "error", Message: d.Message, rank: scope.SeverityError, incomplete: true})
		}
		writeSARIF(stdout, fs, nil)
		report(stdout, stderr, false, ds...)
		return exitUsage
	}
	report(stdout, stderr, format == "json", ds...)
	return exitUsage
}

// parseStatuses reads a comma-separated list of HTTP statuses and ranges
// of them ("200-299,304") given with flag.
func parseStatuses(flag, s string) ([]int, error) {
	status := func(f string) (int, bool) {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		return n, err == nil && n >= 100 && n <= 999
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(f, "-")
		a, okA := status(from)
		b, okB := a, true
		if isRange {
			b, okB = status(to)
		}
		if !okA || !okB || b < a {
			return nil, fmt.Errorf("%s %q: %q is not an HTTP status or a range of them (200-299)", flag, s, f)
		}
		out = append(out, accesslog.StatusRange(a, b)...)
	}
	return out, nil
}

// readGranted reads the granted scope by the one input rule: --within's
// string, or an input of any form lint reads, whose scopes are united (a
// token policy allows what any of its allowedScopes does) when they are
// of one policy or token (see source.bound). It notes
// where each item is written, for findings about it.
func readGranted(text string, haveText bool, file string, stdin io.Reader) (*granted, []diagnostic) {
	var names []string
	if !haveText {
		names = []string{file}
	}
	srcs, err := readSources(text, haveText, names, stdin)
	if err != nil {
		return nil, []diagnostic{{Code: usageCode, Message: err.Error()}}
	}
	src := srcs[0]
	if haveText {
		src.name = "--within"
	}
	if ds := src.problems(true); len(ds) > 0 {
		return nil, ds
	}
	if d := src.several(); d != nil {
		return nil, []diagnostic{*d}
	}
	g := &granted{at: map[string]place{}, start: place{src.name, 1, 1, 1}}
	var texts []string
	for i, sc := range src.in.Scopes {
		texts = append(texts, sc.Text)
		if i == 0 {
			p := sc.At(0)
			g.start = place{src.name, p.Line, p.Column, p.UTF16Column}
		}
		for off := 0; off < len(sc.Text); {
			if sc.Text[off] == ' ' {
				off++
				continue
			}
			end := off + strings.IndexByte(sc.Text[off:]+" ", ' ')
			if _, seen := g.at[sc.Text[off:end]]; !seen {
				p := sc.At(off)
				g.at[sc.Text[off:end]] = place{src.name, p.Line, p.Column, p.UTF16Column}
			}
			off = end
		}
	}
	g.set = scope.MustParse(strings.Join(texts, " ")) // problems has checked each parses
	return g, nil
}

// logRead is what was read of one log.
type logRead struct {
	File      string `json:"file"`
	Format    string `json:"format"`
	Gzip      bool   `json:"gzip,omitempty"`
	Lines     int64  `json:"lines"`
	Records   int64  `json:"requests"`
	Malformed int64  `json:"unreadableLines,omitempty"`
	Skipped   int64  `json:"skippedLines,omitempty"`
	// Bytes is the bytes read, after decompression.
	Bytes int64 `json:"bytes"`
	// ClientsFrom says where the log's clients come from: "" when it
	// names none that anything verified (the combined format).
	ClientsFrom string `json:"clientsFrom"`
}

// readLog reads one log into the observer, keeping only the client only
// when it is set. A log that cannot be opened or read to its end is a
// problem: no suggestion is made from part of the requests.
// readLog reads one log into obs; maxInput is --max-input, the bound of
// all the logs together, which opts.MaxBytes holds what is left of.
func readLog(name string, stdin io.Reader, stderr io.Writer, opts accesslog.Options, maxInput int64, only string, obs *leastscope.Observer) (logRead, *diagnostic) {
	shown := "<stdin>"
	r := stdin
	var info os.FileInfo
	if name != "-" {
		shown = name
		f, err := os.Open(name)
		if err != nil {
			msg := err.Error()
			if errors.Is(err, fs.ErrNotExist) {
				msg += "; a LOG is a file, or - for stdin"
			}
			return logRead{}, &diagnostic{File: shown, Line: 1, Column: 1, Code: string(scopefile.Unreadable), Message: msg}
		}
		defer f.Close()
		r = f
		info, _ = f.Stat()
	}
	update, finish := progressFor(stderr, shown, info)
	opts.Progress = update
	st, err := accesslog.Read(r, opts, func(recs []accesslog.Record) {
		for _, rec := range recs {
			if only != "" && rec.Outcome != accesslog.Malformed && rec.Client != only {
				continue
			}
			obs.Add(shown, rec)
		}
	})
	finish()
	if errors.Is(err, accesslog.ErrTooLarge) {
		return logRead{}, &diagnostic{File: shown, Line: int(st.Lines) + 1, Column: 1, Code: string(scope.TooLarge),
			Message: fmt.Sprintf("the logs are longer than the %s that --max-input lets suggest read in all (after decompression), so no suggestion is made from part of them", sizeText(maxInput))}
	}
	if err != nil {
		return logRead{}, &diagnostic{File: shown, Line: int(st.Lines) + 1, Column: 1, Code: string(scopefile.Unreadable),
			Message: fmt.Sprintf("cannot be read to its end, so no suggestion is made from it: %v", err)}
	}
	lr := logRead{File: shown, Format: st.Format.String(), Gzip: st.Gzip, Lines: st.Lines, Records: st.Records,
		Malformed: st.Malformed, Skipped: st.Skipped, Bytes: st.Bytes}
	switch {
	case st.Format == accesslog.Serve:
		lr.ClientsFrom = "client (the verified token's client_id or sub)"
	case st.Format == accesslog.Combined && opts.RemoteUser:
		lr.ClientsFrom = "$remote_user (not verified: --trust-remote-user)"
	case st.Format == accesslog.JSON:
		f := opts.Fields
		if f == (accesslog.Fields{}) {
			f = accesslog.DefaultFields
		}
		if f.Client != "" {
			lr.ClientsFrom = f.Client
		}
	}
	return lr, nil
}

// suggestOutput is the JSON output of suggest. Each client's suggestion
// is written once, as a scope string; what else is said of its items
// names them by their index in it, so that the output grows with the
// suggestion, not with a multiple of it.
type suggestOutput struct {
	Logs      []logRead             `json:"logs"`
	Clients   []clientJSON          `json:"clients"`
	Findings  []lintFinding         `json:"findings,omitempty"`
	Malformed int64                 `json:"unreadableLines,omitempty"`
	Exceeded  []leastscope.Exceeded `json:"boundsExceeded,omitempty"`
	Bounds    boundsJSON            `json:"bounds"`
}

// boundsJSON says what the run kept and did, each beside its bound.
type boundsJSON struct {
	MaxMemory int64  `json:"maxMemory"`
	Held      int64  `json:"held"`
	MaxSteps  int64  `json:"maxSteps"`
	Charged   int64  `json:"stepsCharged"`
	Questions int64  `json:"questions"`
	Exhausted string `json:"stepsExhausted,omitempty"`
}

type clientJSON struct {
	Client     string `json:"client"`
	Tenant     string `json:"tenant,omitempty"`
	Requests   uint64 `json:"requests"`
	Allowed    uint64 `json:"allowed"`
	Apart      uint64 `json:"listedApart"`
	Distinct   uint64 `json:"distinct"`
	Summarised uint64 `json:"summarised,omitempty"`
	First      string `json:"first,omitempty"`
	Last       string `json:"last,omitempty"`
	// Suggestion is set only when every check passed: the scope, whose
	// items (split at spaces) are a token policy's allowedScopes.
	Suggestion *string `json:"suggestion"`
	// Why says where each of its items comes from, by index.
	Why      []whyJSON    `json:"why,omitempty"`
	Diff     *diffJSON    `json:"diff,omitempty"`
	Relation string       `json:"relation,omitempty"`
	NoLonger *witnessJSON `json:"noLongerAllowed,omitempty"`
	Checks   []checkJSON  `json:"checks"`
	// items are the suggestion's items with their origins, for the text
	// output, which lists them.
	items     []leastscope.Origin
	ApartList []apartJSON          `json:"listedApartRequests,omitempty"`
	Use       []leastscope.ItemUse `json:"use,omitempty"`
	Unused    []unusedOp           `json:"unusedOperations,omitempty"`
}

// whyJSON is one origin and the indexes of the items it made.
type whyJSON struct {
	Reason string `json:"reason"`
	Items  []int  `json:"items"`
}

// diffJSON compares a suggestion with the granted scope: the granted
// items it keeps and those it drops, and the indexes of its items that
// are new.
type diffJSON struct {
	Kept    []string `json:"kept"`
	Removed []string `json:"removed"`
	Added   []int    `json:"added"`
	// granted is the granted scope's items in order, each kept or not,
	// for the text output.
	granted []grantedLine
}

type grantedLine struct {
	item string
	kept bool
}

type witnessJSON struct {
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	Plain  string `json:"plain,omitempty"`
}

type checkJSON struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"`
}

type apartJSON struct {
	Method string `json:"method"`
	Target string `json:"target"`
	Why    string `json:"why"`
	Count  uint64 `json:"count"`
	File   string `json:"file"`
	Line   int64  `json:"line"`
}

type unusedOp struct {
	Method      string `json:"method"`
	Template    string `json:"template"`
	OperationID string `json:"operationId,omitempty"`
}

func clientOutput(c leastscope.Client, g *granted) clientJSON {
	out := clientJSON{Client: c.Name, Tenant: c.Tenant, Requests: c.Requests, Allowed: c.Allowed, Apart: c.Apart, Distinct: c.Distinct,
		Summarised: c.Summarised, First: timeText(c.First), Last: timeText(c.Last), Use: c.Use}
	for _, ch := range c.Checks {
		out.Checks = append(out.Checks, checkJSON{ch.Name, ch.Passed, ch.Detail})
	}
	for _, a := range c.ApartList {
		out.ApartList = append(out.ApartList, apartJSON{a.Method, a.Target, a.Why, a.Count, a.First.File, a.First.Line})
	}
	if !c.HasSuggestion {
		return out
	}
	s := c.Suggestion.String()
	out.Suggestion, out.items = &s, c.Items
	byReason := map[string]int{}
	for i, it := range c.Items {
		k, ok := byReason[it.Why]
		if !ok {
			k = len(out.Why)
			byReason[it.Why] = k
			out.Why = append(out.Why, whyJSON{Reason: it.Why})
		}
		out.Why[k].Items = append(out.Why[k].Items, i)
	}
	if g != nil {
		out.Diff = diffItems(g.set, c.Suggestion)
		out.Relation = c.Relation.String()
		if c.Relation == leastscope.Narrower {
			out.NoLonger = &witnessJSON{c.Witness.Method, c.Witness.Path, c.Witness.Plain}
		}
	}
	return out
}

// diffItems compares a suggestion with the granted scope.
func diffItems(from, to scope.Set) *diffJSON {
	have := func(s scope.Set) map[scope.Item]bool {
		m := make(map[scope.Item]bool, s.Len())
		for _, it := range s.Items() {
			m[it] = true
		}
		return m
	}
	inTo, inFrom := have(to), have(from)
	d := &diffJSON{Kept: []string{}, Removed: []string{}, Added: []int{}}
	for _, it := range from.Items() {
		if inTo[it] {
			d.Kept = append(d.Kept, it.String())
		} else {
			d.Removed = append(d.Removed, it.String())
		}
		d.granted = append(d.granted, grantedLine{it.String(), inTo[it]})
	}
	for i, it := range to.Items() {
		if !inFrom[it] {
			d.Added = append(d.Added, i)
		}
	}
	return d
}

func timeText(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339)
}

// clientName is how a client is named in messages.
func clientName(name string) string {
	if name == "" {
		return "(no client)"
	}
	return printable(name)
}

// suggestFindings turns a report into findings, as lint's: about the
// granted scope's items at their places, about the logs at their lines.
func suggestFindings(rep *leastscope.Report, g *granted, api []leastscope.Operation, logs []logRead) []lintFinding {
	var out []lintFinding
	add := func(code scope.Code, at place, item, msg string) {
		sev := suggestCodes[code].Severity
		out = append(out, lintFinding{File: at.file, Line: at.line, Column: at.column, utf16: at.utf16, Item: item, Code: string(code),
			Severity: sev.String(), Message: msg, rank: sev, order: len(out)})
	}
	logStart := place{"<stdin>", 1, 1, 1}
	if len(logs) > 0 {
		logStart.file = logs[0].File
	}
	logAt := func(l leastscope.Line) place { return place{l.File, int(max(l.Line, 1)), 1, 1} }
	// The item of the granted scope that grants each operation, for
	// placing unused-operation findings.
	opItem := map[int]string{}
	for op, k := range rep.OpItem {
		opItem[op] = g.set.Item(k).String()
	}
	for _, c := range rep.Clients {
		who := "client " + clientName(c.Name)
		if c.Tenant != "" {
			who += " (tenant " + printable(c.Tenant) + ")"
		}
		span := ""
		if c.First != 0 {
			span = fmt.Sprintf(" between %s and %s", timeText(c.First), timeText(c.Last))
		}
		if c.Name == "" && c.Allowed == 0 {
			// Requests that name no client and were all refused (no
			// token, one that does not verify): nobody's access to judge.
			addApart(add, c, who, logStart, logAt)
			continue
		}
		switch {
		case !c.HasSuggestion:
			var failed []string
			for _, ch := range c.Checks {
				if !ch.Passed {
					failed = append(failed, ch.Name+": "+ch.Detail)
				}
			}
			at := logStart
			if g != nil {
				at = g.start
			}
			add(codeNoSuggestion, at, "", fmt.Sprintf("%s: no suggestion could be proved (%s)", who, strings.Join(failed, "; ")))
		case g == nil:
			add(codeLeastScope, logStart, "", fmt.Sprintf("%s: the least scope for the %d requests seen%s is %s", who, c.Allowed, span, scopeShown(c.Suggestion)))
		case c.Relation == leastscope.Narrower:
			add(codeLeastScope, g.start, "", fmt.Sprintf("%s: the least scope for the %d requests seen%s is %s, narrower than the granted scope, which also allows %s",
				who, c.Allowed, span, scopeShown(c.Suggestion), c.Witness))
		default:
			add(codeLeastScope, g.start, "", fmt.Sprintf("%s: the granted scope is already the least for the %d requests seen%s", who, c.Allowed, span))
		}
		for _, u := range c.Use {
			it := scope.MustParse(u.Item).Item(0)
			switch {
			case it.Class == scope.Plain:
			case u.Reads+u.Writes == 0:
				add(codeUnusedItem, g.at[u.Item], u.Item, fmt.Sprintf("%s: %s allowed none of its %d requests%s", who, u.Item, c.Requests, span))
			case it.Class == scope.ReadWrite && u.Writes == 0:
				add(codeUnusedWrite, g.at[u.Item], u.Item, fmt.Sprintf("%s: %s allowed %d reads and no other method%s; .:%s would do for them", who, u.Item, u.Reads, span, it.Pattern))
			}
		}
		// The operations never called, one finding for those each
		// granted item grants (the first item that grants each).
		var items []string
		byItem := map[string][]string{}
		for _, op := range c.Unused {
			item := opItem[op]
			if _, ok := byItem[item]; !ok {
				items = append(items, item)
			}
			o := api[op]
			text := o.Method + " " + o.Template
			if o.ID != "" {
				text += " (" + o.ID + ")"
			}
			byItem[item] = append(byItem[item], text)
		}
		for _, item := range items {
			at, grants := g.start, "the granted scope"
			if item != "" {
				at, grants = g.at[item], item
			}
			ops := byItem[item]
			add(codeUnusedOperation, at, item, fmt.Sprintf("%s never called %d of the operations %s allows%s: %s", who, len(ops), grants, span, strings.Join(ops, ", ")))
		}
		addApart(add, c, who, logStart, logAt)
	}
	for _, l := range logs {
		at := place{l.File, 1, 1, 1}
		switch {
		case l.Records == 0:
			add(codeNoRequests, at, "", fmt.Sprintf("no request was read from its %d lines (read as %s): if it is not of that format, give --log, and --fields for JSON lines", l.Lines, l.Format))
		case l.Skipped > l.Records:
			add(codeSkippedLines, at, "", fmt.Sprintf("%d of its %d lines hold no request of the %s format, more than the %d that do: if it is not of that format, give --log, and --fields for JSON lines", l.Skipped, l.Lines, l.Format, l.Records))
		}
	}
	if rep.Malformed > 0 {
		ex := rep.MalformedExamples[0]
		add(codeUnreadableLine, logAt(ex), "", fmt.Sprintf("%d lines could not be read, and their requests are not in the analysis; the first: %s", rep.Malformed, ex.Reason))
	}
	for _, e := range rep.Exceeded {
		var msg string
		switch {
		case e.Bound == "clients":
			msg = fmt.Sprintf("more than %d clients: %d requests of more were counted, not analysed (--max-clients)", e.Limit, e.Requests)
		case e.Where == "" && e.Bound == "memory":
			msg = fmt.Sprintf("%d bytes kept, the bound (--max-memory): %d requests of more clients were counted, not analysed", e.Limit, e.Requests)
		default:
			who := "client " + clientName(e.Client)
			if e.Tenant != "" {
				who += " (tenant " + printable(e.Tenant) + ")"
			}
			unit := map[string]string{"paths": "paths (--max-paths)", "values": "values of a segment (--max-values)", "memory": "bytes kept (--max-memory)"}[e.Bound]
			msg = fmt.Sprintf("%s: the bound of %d %s was reached below %s: %d requests were kept as a pattern", who, e.Limit, unit, boundPlace(e.Where), e.Requests)
			if e.Bound != "values" && e.ClientPaths < e.Paths {
				// Shared by all clients: others may have used it up.
				msg += fmt.Sprintf("; the bound is shared by all clients, and this one held %d of the %d path prefixes kept then", e.ClientPaths, e.Paths)
				if e.Client != "" {
					msg += fmt.Sprintf(": --client %s analyses it alone, with the whole bound", printable(gateway.Clip(e.Client)))
				}
			}
		}
		add(codeBoundExceeded, logStart, "", msg)
	}
	if rep.Elsewhere > 0 {
		add(codeBoundExceeded, logStart, "", fmt.Sprintf("%d more requests were kept as a pattern past a bound, at places beyond the %d named", rep.Elsewhere, len(rep.Exceeded)))
	}
	if rep.Work.Exhausted != "" {
		add(codeBoundExceeded, logStart, "", fmt.Sprintf("the containment work of %d steps (--max-steps) was spent, after %d questions: every later question was undecided, so the items it was asked of fell back to the paths as seen or the granted items, and a suggestion whose proof needed one was not made",
			rep.Work.Limit, rep.Work.Questions))
	}
	return out
}

// maxShownScope bounds a scope that a message or a form of the
// suggestion prints beside its list of items; a longer one is named by
// its size, so that the output grows with the suggestion only once.
const maxShownScope = 1024

// scopeShown is a suggestion for a message: quoted, or, when long, its
// size.
func scopeShown(s scope.Set) string {
	if text := s.String(); len(text) <= maxShownScope {
		return strconv.Quote(text)
	}
	return fmt.Sprintf("%d items (%d bytes; the client's suggestion lists them)", s.Len(), len(s.String()))
}

// boundPlace writes the place where a bound was reached, a path prefix
// without its leading "/", as a path: whole, clipped (gateway.Clip), and
// quoted when it holds a byte that is not visible ASCII, as the clip's
// own mark does.
func boundPlace(where string) string { return printable("/" + gateway.Clip(where)) }

// addApart adds the findings of a client's requests listed apart: each
// distinct one kept, and how many more there were.
func addApart(add func(scope.Code, place, string, string), c leastscope.Client, who string, logStart place, logAt func(leastscope.Line) place) {
	kept := uint64(0)
	for _, a := range c.ApartList {
		kept += a.Count
		code := codeListedApart
		if strings.Contains(a.Why, "disagree") || strings.Contains(a.Why, "though the granted scope allows it") {
			code = codeScopeDisagrees
		}
		times := ""
		if a.Count > 1 {
			times = fmt.Sprintf(" (%d times)", a.Count)
		}
		add(code, logAt(a.First), "", fmt.Sprintf("%s: %s %s%s listed apart: %s", who, printable(a.Method), printable(a.Target), times, a.Why))
	}
	if kept < c.Apart {
		add(codeListedApart, logStart, "", fmt.Sprintf("%s: %d more requests listed apart, beyond the %d distinct ones kept", who, c.Apart-kept, len(c.ApartList)))
	}
}

// writeSuggestText writes each client's suggestion, checks and what was
// listed apart, then the findings, as lint writes them.
func writeSuggestText(w io.Writer, out suggestOutput, findings []lintFinding, haveGranted bool) {
	for _, l := range out.Logs {
		gz := ""
		if l.Gzip {
			gz = ", gzip"
		}
		fmt.Fprintf(w, "# %s: %s log%s, %d lines, %d requests", l.File, l.Format, gz, l.Lines, l.Records)
		if l.Malformed > 0 {
			fmt.Fprintf(w, ", %d unreadable lines", l.Malformed)
		}
		if l.ClientsFrom == "" {
			fmt.Fprint(w, "; no verified client named, so its requests are analysed as one (--trust-remote-user groups a combined log by $remote_user)")
		} else if l.Format != "serve" {
			fmt.Fprintf(w, "; clients from %s", l.ClientsFrom)
		}
		fmt.Fprintln(w)
	}
	b := out.Bounds
	fmt.Fprintf(w, "# bounds: %s kept of %s (--max-memory); %d steps of containment work charged for %d questions, of %d (--max-steps)",
		sizeText(b.Held), sizeText(b.MaxMemory), b.Charged, b.Questions, b.MaxSteps)
	if b.Exhausted != "" {
		fmt.Fprint(w, ": SPENT")
	}
	fmt.Fprintln(w)
	for _, c := range out.Clients {
		fmt.Fprintf(w, "\nclient %s: %d requests", clientName(c.Client), c.Requests)
		if c.Tenant != "" {
			fmt.Fprintf(w, " in tenant %s", printable(c.Tenant))
		}
		if c.First != "" {
			fmt.Fprintf(w, " from %s to %s", c.First, c.Last)
		}
		fmt.Fprintf(w, "; %d allowed (%d distinct", c.Allowed, c.Distinct)
		if c.Summarised > 0 {
			fmt.Fprintf(w, ", %d kept as patterns past a bound", c.Summarised)
		}
		fmt.Fprintf(w, "), %d listed apart\n", c.Apart)
		if c.Client == "" && c.Allowed == 0 {
			fmt.Fprintln(w, "  requests that name no client, none of them allowed: nobody's access to judge")
			continue
		}
		if c.Suggestion != nil {
			// Each item once, in the list; the other forms in full only
			// when short (maxShownScope).
			if len(*c.Suggestion) <= maxShownScope {
				fmt.Fprintf(w, "  least scope: %s\n", *c.Suggestion) // a scope's canonical text is visible ASCII and SP
			} else {
				fmt.Fprintf(w, "  least scope: the %d items below (%d bytes)\n", len(c.items), len(*c.Suggestion))
			}
			width := 0
			for _, it := range c.items {
				width = max(width, min(len(it.Item), 64))
			}
			for _, it := range c.items {
				fmt.Fprintf(w, "    %-*s  %s\n", width, it.Item, it.Why)
			}
			if len(*c.Suggestion) <= maxShownScope {
				quoted, _ := json.Marshal(strings.Fields(*c.Suggestion))
				fmt.Fprintf(w, "  token policy: \"allowedScopes\": %s\n", quoted)
			} else {
				fmt.Fprintln(w, "  token policy: \"allowedScopes\": the items above, each a string")
			}
			if haveGranted {
				fmt.Fprintln(w, "  against the granted scope:")
				for _, l := range c.Diff.granted {
					op := "-"
					if l.kept {
						op = " "
					}
					fmt.Fprintf(w, "    %s %s\n", op, l.item)
				}
				added := 0
				for _, i := range c.Diff.Added {
					added += len(c.items[i].Item) + 1
				}
				if added <= maxShownScope {
					for _, i := range c.Diff.Added {
						fmt.Fprintf(w, "    + %s\n", c.items[i].Item)
					}
				} else {
					fmt.Fprintf(w, "    + the %d other items above\n", len(c.Diff.Added))
				}
			}
		} else {
			fmt.Fprintln(w, "  no suggestion")
		}
		fmt.Fprintln(w, "  checks:")
		for _, ch := range c.Checks {
			verdict := "pass"
			if !ch.Passed {
				verdict = "FAIL"
			}
			fmt.Fprintf(w, "    %s  %s: %s\n", verdict, ch.Name, ch.Detail)
		}
		if !haveGranted {
			fmt.Fprintln(w, "    (no granted scope was given: nothing but the requests seen bounds the suggestion; give --within)")
		}
	}
	if len(findings) > 0 {
		fmt.Fprintln(w)
	}
	for _, f := range findings {
		fmt.Fprintf(w, "%s:%d:%d: %s: %s [%s]\n", f.File, f.Line, f.Column, f.Severity, f.Message, f.Code)
	}
}

// sizeText is a number of bytes in KiB, MiB or GiB, as the size flags
// take them.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
