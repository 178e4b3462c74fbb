package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/internal/scopefile"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

const tokenSynopsis = `usage: scopecheck token (--token-url URL | --base URL --customer ID) --client-id ID [--secret-file FILE]
                        [--auth basic|form] [--scope SCOPE] [--policy INPUT] [--print-token]
                        [--format text|json] [--check METHOD PATH]

Obtains a configuration token with the OAuth 2.0 client_credentials grant
(RFC 6749 §4.4), as the platform documents it: POST /{customerId}/login/token
(--base https://idp.example.com --customer acme, or the whole --token-url)
with grant_type=client_credentials and, when --scope is given, the scope
asked for (its canonical text). The client authenticates with HTTP Basic
(--auth basic, the default) or with client_id and client_secret form
fields (--auth form); never both. The secret is read from the environment
variable SCOPECHECK_CLIENT_SECRET (--secret-env names another) or from a
file (--secret-file; one trailing line end is removed), never from a flag,
so that it is not in the process list or a shell's history. The endpoint
must be https, except on a loopback address; redirects are not followed.

It prints what was granted: the token type, the expiry (expires_in as a
number, or as a string such as "3599", which some servers send), and the
scope; never the token itself unless --print-token. Then it says whether
the granted scope equals, narrows or widens the one asked for, proved with
scope.Covers both ways, with a request that shows each difference; an
answer without scope grants the scope asked for (RFC 6749 §5.1). With
--policy INPUT (a token policy, or any input lint reads, holding one
policy or scope: a file of several is refused, never united), whether
the granted scope lies inside what the policy allows. With --check METHOD
PATH, whether the granted scope allows that request.

An answer that names a member twice (JSON's scope, expires_in or
access_token, also in a spelling some parsers take for it; any field of a
form-encoded answer) is refused as duplicate-key: readers disagree on
which copy wins.

An OAuth error answer (invalid_client, invalid_scope, unauthorized_client,
invalid_request, invalid_grant, unsupported_grant_type) is reported with
its code and description.

Exit status: 0 when the token was granted within what was asked (equal or
narrower), inside the policy, and the checked request is allowed; 1 when
the granted scope is wider than asked, outside the policy, or the request
is denied; 2 on a usage error, an OAuth error, an endpoint that cannot be
reached or answers what is not a token (or names a member twice), a scope
that does not parse, or a question too large to decide.`

// maxSecretFile bounds a secret file: a secret is short, and reading a
// large file by mistake should fail rather than send it.
const maxSecretFile = 64 << 10

// tokenOutput is the JSON output of token.
type tokenOutput struct {
	TokenType string `json:"tokenType"`
	// ExpiresIn is expires_in as the server sent it: a number, a string,
	// or absent.
	ExpiresIn any    `json:"expiresIn,omitempty"`
	Expiry    string `json:"expiry,omitempty"`
	Scope     string `json:"scope"`
	// ScopeSent says whether the answer held a scope; without one, the
	// granted scope is the one asked for.
	ScopeSent   bool         `json:"scopeSent"`
	Requested   *string      `json:"requested,omitempty"`
	Relation    string       `json:"relation,omitempty"`
	Wider       *witnessJSON `json:"widerBy,omitempty"`
	Narrower    *witnessJSON `json:"narrowerBy,omitempty"`
	Policy      *policyJSON  `json:"policy,omitempty"`
	Check       *allowRecord `json:"check,omitempty"`
	AccessToken string       `json:"accessToken,omitempty"`
	Notes       []string     `json:"notes,omitempty"`
}

type policyJSON struct {
	File    string       `json:"file"`
	Inside  bool         `json:"inside"`
	Witness *witnessJSON `json:"witness,omitempty"`
}

func runToken(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("token", tokenSynopsis, stderr)
	tokenURL := fs.String("token-url", "", "the token endpoint, https://HOST/{customerId}/login/token")
	base := fs.String("base", "", "the identity platform's base URL; with --customer, the token endpoint is BASE/{customer}/login/token")
	customer := fs.String("customer", "", "the customer id, the first segment of the token endpoint's path")
	clientID := fs.String("client-id", "", "the client id")
	secretEnv := fs.String("secret-env", "SCOPECHECK_CLIENT_SECRET", "the environment variable that holds the client secret")
	secretFile := fs.String("secret-file", "", "read the client secret from this file instead")
	auth := fs.String("auth", "basic", "client authentication: basic (HTTP Basic) or form (client_id and client_secret fields)")
	scopeText := fs.String("scope", "", "the scope to ask for; without it, the client's default scope is granted")
	policy := fs.String("policy", "", "a token policy (or any input lint reads): say whether the granted scope lies inside it")
	printToken := fs.Bool("print-token", false, "print the access token too")
	check := fs.Bool("check", false, "decide the request METHOD PATH, given as arguments, with the granted scope")
	format := fs.String("format", "text", "output format: text or json")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the token endpoint")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	asJSON := *format == "json"
	fail := func(code, msgFormat string, args ...any) int {
		report(stdout, stderr, asJSON, diagnostic{Code: code, Message: "scopecheck token: " + fmt.Sprintf(msgFormat, args...)})
		return exitUsage
	}
	usage := func(msgFormat string, args ...any) int { return fail(usageCode, msgFormat, args...) }
	switch {
	case *format != "text" && *format != "json":
		return usage("--format must be text or json, not %q", *format)
	case (*tokenURL == "") == (*base == "" && *customer == ""):
		return usage("give --token-url, or --base and --customer")
	case *tokenURL == "" && (*base == "" || *customer == ""):
		return usage("--base and --customer go together")
	case *clientID == "":
		return usage("give --client-id")
	case *auth != "basic" && *auth != "form":
		return usage("--auth must be basic or form, not %q", *auth)
	case *check && len(pos) != 2:
		return usage("--check needs METHOD PATH, got %d argument(s)", len(pos))
	case !*check && len(pos) != 0:
		return usage("unexpected argument %q (to decide a request with the granted scope, add --check)", pos[0])
	case *timeout <= 0:
		return usage("--timeout must be positive")
	}
	endpoint := *tokenURL
	if endpoint == "" {
		if r, _ := scope.CheckPath("/" + *customer); r != scope.Canonical || strings.Contains(*customer, "/") {
			return usage("--customer %q is not one canonical path segment", *customer)
		}
		endpoint = strings.TrimSuffix(*base, "/") + "/" + *customer + "/login/token"
	}
	if err := checkEndpoint(endpoint); err != nil {
		return usage("%v", err)
	}
	secret, err := readSecret(*secretEnv, *secretFile, isSet(fs, "secret-file"))
	if err != nil {
		return usage("%v", err)
	}
	// Whatever is printed from here on may quote what the endpoint sent,
	// and an endpoint may echo the request: the secret is redacted in
	// every form the request carried it.
	redact := newRedactor(*clientID, secret)
	stdout, stderr = redact.writer(stdout), redact.writer(stderr)
	var requested *scope.Set
	if isSet(fs, "scope") {
		set, problems := argSource("--scope", *scopeText).union()
		if problems != nil {
			report(stdout, stderr, asJSON, problems...)
			return exitUsage
		}
		requested = &set
	}
	var policySet scope.Set
	if *policy != "" {
		set, problems := readSource(*policy, stdin).bound()
		if problems != nil {
			report(stdout, stderr, asJSON, problems...)
			return exitUsage
		}
		policySet = set
	}

	cfg := clientcredentials.Config{ClientID: *clientID, ClientSecret: secret, TokenURL: endpoint, AuthStyle: oauth2.AuthStyleInHeader}
	if *auth == "form" {
		cfg.AuthStyle = oauth2.AuthStyleInParams
	}
	if requested != nil && requested.Len() > 0 {
		cfg.Scopes = []string{requested.String()}
	}
	answer := &answerRecorder{rt: http.DefaultTransport}
	client := &http.Client{Transport: answer, Timeout: *timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), oauth2.HTTPClient, client), *timeout)
	defer cancel()
	tok, err := cfg.Token(ctx)
	if err != nil {
		return fail("token-error", "%s", oauthError(err, redact.text))
	}

	if dup := answer.duplicate(); dup != "" {
		return fail(string(scopefile.DuplicateKey), "%s", dup)
	}
	extra := tok.Extra
	var formExpires *int64
	if form, ok := answer.form(); ok {
		// x/oauth2 reads a form-encoded answer's missing member as "",
		// and an expires_in that is no number as none: read it as sent.
		extra = func(key string) any {
			if _, sent := form[key]; !sent {
				return nil
			}
			return form.Get(key)
		}
		if e := extra("expires_in"); e != nil {
			n, err := strconv.ParseInt(strings.TrimSpace(e.(string)), 10, 64)
			if err != nil {
				return fail("token-error", "the answer's expires_in %q is not a number of seconds: not a token", gateway.Clip(e.(string)))
			}
			formExpires = &n
		}
	}
	received := time.Now()
	// token_type as sent: tok.Type() says "Bearer" for an answer without
	// one, which RFC 6749 §5.1 requires.
	tokenType, _ := extra("token_type").(string)
	out := tokenOutput{TokenType: tokenType, ExpiresIn: extra("expires_in")}
	if formExpires != nil {
		out.ExpiresIn = *formExpires // a form holds only strings: the number it spells
	}
	if tokenType == "" {
		out.Notes = append(out.Notes, "the answer has no token_type, which RFC 6749 §5.1 requires: how to send the token is not said")
	}
	// The expiry from expires_in as sent: x/oauth2's clamps a lifetime
	// past 2^31 seconds, and has none for 0 or less.
	secs, err := lifetime(out.ExpiresIn)
	switch {
	case err != nil:
		return fail("token-error", "%v: not a token", err)
	case out.ExpiresIn == nil:
	case secs <= 0:
		return fail("token-error", "the answer's expires_in is %d: the token had expired when it was issued, not a usable token", secs)
	case secs > maxLifetime:
		out.Notes = append(out.Notes, fmt.Sprintf("expires_in %d seconds is more than 250 years: the token does not expire in practice", secs))
	default:
		out.Expiry = received.Add(time.Duration(secs) * time.Second).UTC().Format(time.RFC3339)
	}
	if _, isNumber := out.ExpiresIn.(float64); isNumber {
		out.ExpiresIn = secs // JSON's number, written whole
	}
	if *printToken {
		out.AccessToken = tok.AccessToken
	}
	var granted scope.Set
	switch s := extra("scope").(type) {
	case string:
		set, problems := argSource("scope (granted)", s).union()
		if problems != nil {
			report(stdout, stderr, asJSON, problems...)
			return exitUsage
		}
		granted, out.ScopeSent, out.Scope = set, true, set.String()
	case nil:
		if requested == nil {
			return fail("no-scope", "the answer has no scope and none was asked for: the client's default scope was granted, which only the server knows")
		}
		granted, out.Scope = *requested, requested.String()
		out.Notes = append(out.Notes, "the answer has no scope: the granted scope is the one asked for (RFC 6749 §5.1)")
	default:
		return fail(string(scopefile.WrongType), "the answer's scope is not a string")
	}
	status := exitYes
	if requested != nil {
		r := requested.String()
		out.Requested = &r
		narrowOK, wNarrow := scope.Covers(*requested, granted) // granted within requested
		wideOK, wWide := scope.Covers(granted, *requested)     // requested within granted
		if wNarrow.Err != nil || wWide.Err != nil {
			return fail("undecided", "comparing the granted scope with the one asked for: %v", errors.Join(wNarrow.Err, wWide.Err))
		}
		switch {
		case narrowOK && wideOK:
			out.Relation = "equal"
		case narrowOK:
			out.Relation, out.Narrower = "narrower", &witnessJSON{wWide.Method, wWide.Path, wWide.Plain}
		case wideOK:
			out.Relation, out.Wider = "wider", &witnessJSON{wNarrow.Method, wNarrow.Path, wNarrow.Plain}
			status = exitNo
		default:
			out.Relation = "wider and narrower"
			out.Wider, out.Narrower = &witnessJSON{wNarrow.Method, wNarrow.Path, wNarrow.Plain}, &witnessJSON{wWide.Method, wWide.Path, wWide.Plain}
			status = exitNo
		}
	}
	if *policy != "" {
		inside, w := scope.Covers(policySet, granted)
		if w.Err != nil {
			return fail("undecided", "comparing the granted scope with the policy: %v", w.Err)
		}
		out.Policy = &policyJSON{File: *policy, Inside: inside}
		if !inside {
			out.Policy.Witness = &witnessJSON{w.Method, w.Path, w.Plain}
			status = exitNo
		}
	}
	var checkOut strings.Builder
	if *check {
		d := decider{m: match.Compile(granted), json: asJSON, out: &checkOut}
		d.decide(0, pos[0], pos[1])
		if d.denied {
			status = exitNo
		}
		if asJSON {
			var rec allowRecord
			json.Unmarshal([]byte(checkOut.String()), &rec) // written by decide: cannot fail
			out.Check = &rec
		}
	}
	if asJSON {
		b, _ := json.MarshalIndent(out, "", "  ") // strings, numbers, bools: cannot fail
		fmt.Fprintf(stdout, "%s\n", b)
		return status
	}
	writeTokenText(stdout, out)
	fmt.Fprint(stdout, checkOut.String())
	return status
}

// maxLifetime is the longest lifetime given an expiry date: 250 years, far
// within time.Duration's 292.
const maxLifetime = 250 * 365 * 24 * 3600

// lifetime reads expires_in, a JSON number or a string of digits (or the
// number a form-encoded one spells): a whole number of seconds, or an
// error. nil is 0.
func lifetime(v any) (int64, error) {
	switch e := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return e, nil
	case float64:
		if e != math.Trunc(e) || math.Abs(e) > 1<<53 {
			return 0, fmt.Errorf("the answer's expires_in %v is not a whole number of seconds", e)
		}
		return int64(e), nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(e), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("the answer's expires_in %q is not a number of seconds", gateway.Clip(e))
		}
		return n, nil
	}
	return 0, fmt.Errorf("the answer's expires_in is not a number")
}

// answerRecorder keeps the body and content type of the token endpoint's
// answer, which x/oauth2 reads too: a form-encoded answer's members are
// then read as sent (see answerRecorder.form). The body is kept up to
// x/oauth2's own bound of 1 MiB.
type answerRecorder struct {
	rt          http.RoundTripper
	body        []byte
	contentType string
}

func (a *answerRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.rt.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	a.body, a.contentType = body, resp.Header.Get("Content-Type")
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// form returns the members of a form-encoded answer (x/oauth2 reads
// application/x-www-form-urlencoded and text/plain so), and whether it is
// one.
func (a *answerRecorder) form() (url.Values, bool) {
	mt, _, _ := mime.ParseMediaType(a.contentType)
	if mt != "application/x-www-form-urlencoded" && mt != "text/plain" {
		return nil, false
	}
	vals, err := url.ParseQuery(string(a.body))
	return vals, err == nil
}

// duplicate says which member the answer names twice, "" when none: in
// JSON, any member lint reads (scopefile.Read's duplicate-key, which also
// catches a spelling some parsers take for the member); in a form, any
// field. Readers disagree on which copy wins (x/oauth2 takes JSON's last
// and a form's first), so what was granted, or until when, cannot be
// told: the answer is refused, never resolved.
func (a *answerRecorder) duplicate() string {
	if form, ok := a.form(); ok {
		var names []string
		for k, v := range form {
			if len(v) > 1 {
				names = append(names, k)
			}
		}
		if len(names) == 0 {
			return ""
		}
		sort.Strings(names)
		return fmt.Sprintf("the form-encoded answer holds %s %d times: readers disagree on which copy wins, so what was granted cannot be told: not a token",
			strconv.Quote(gateway.Clip(names[0])), len(form[names[0]]))
	}
	in, err := scopefile.Read(a.body)
	if err != nil {
		return "" // x/oauth2 read it; scopefile knows no such form
	}
	for _, f := range in.Findings {
		if f.Code == scopefile.DuplicateKey {
			msg, _, _ := strings.Cut(f.Message, ": servers disagree")
			return fmt.Sprintf("the answer, at %d:%d: %s: readers disagree on which copy wins, so what was granted cannot be told: not a token", f.Pos.Line, f.Pos.Column, msg)
		}
	}
	return ""
}

// checkEndpoint accepts an https URL, or an http one on a loopback
// address (a local test server): a client secret is not sent in the
// clear over a network.
func checkEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("the token endpoint %q is not an http(s) URL without user information", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if host := u.Hostname(); host == "localhost" || net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback() {
			return nil
		}
		return fmt.Errorf("the token endpoint %q is not https: the client secret would cross the network in the clear", s)
	}
	return fmt.Errorf("the token endpoint %q is not an http(s) URL", s)
}

// readSecret reads the client secret from a file, or from the
// environment variable env.
func readSecret(env, file string, fromFile bool) (string, error) {
	if fromFile {
		f, err := os.Open(file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
		if err != nil {
			return "", err
		}
		if len(data) > maxSecretFile {
			return "", fmt.Errorf("--secret-file %s is larger than %d KiB: not a secret", file, maxSecretFile>>10)
		}
		s := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
		if s == "" {
			return "", fmt.Errorf("--secret-file %s is empty", file)
		}
		return s, nil
	}
	s := os.Getenv(env)
	if s == "" {
		return "", fmt.Errorf("no client secret: set %s, or give --secret-file (never the secret itself as a flag)", env)
	}
	return s, nil
}

// oauthError says what went wrong in obtaining a token: an OAuth error
// answer by its code and description, any other answer by its status,
// and a failure to reach the endpoint as such. What the endpoint sent is
// redacted, then clipped (so that no part of a secret is left), then
// quoted.
func oauthError(err error, redact func(string) string) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := ""
		if re.Response != nil {
			status = fmt.Sprintf(" (HTTP %d)", re.Response.StatusCode)
		}
		if re.ErrorCode != "" {
			msg := fmt.Sprintf("the token endpoint answered %s%s", printable(redact(re.ErrorCode)), status)
			if re.ErrorDescription != "" {
				msg += ": " + strconv.Quote(gateway.Clip(redact(re.ErrorDescription)))
			}
			return msg + " [" + oauthHint(re.ErrorCode) + "]"
		}
		return fmt.Sprintf("the token endpoint answered%s, not a token: %q", status, gateway.Clip(redact(string(re.Body))))
	}
	return gateway.Clip(redact(err.Error()))
}

// redactor removes a client secret from text, in every form a token
// request carries it or a reply may echo it: as is, URL-encoded (the form
// body's, with upper- or lower-case escapes, and a path's), inside the
// Basic credentials' base64 (x/oauth2 URL-encodes id and secret first, RFC
// 6749 §2.3.1; the plain pair too), and each of those as JSON or Go
// quoting escapes it.
type redactor struct{ forms []string }

// redacted is what stands for a secret in output.
const redacted = "[REDACTED]"

func newRedactor(id, secret string) *redactor {
	if secret == "" {
		return &redactor{}
	}
	lower := regexp.MustCompile(`%[0-9A-F]{2}`)
	qe := url.QueryEscape(secret)
	base := []string{secret, qe, url.PathEscape(secret), lower.ReplaceAllStringFunc(qe, strings.ToLower)}
	for _, pair := range []string{url.QueryEscape(id) + ":" + qe, id + ":" + secret} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			base = append(base, enc.EncodeToString([]byte(pair)))
		}
	}
	seen := map[string]bool{}
	var forms []string
	for _, f := range base {
		j, _ := json.Marshal(f)
		for _, g := range []string{f, string(j[1 : len(j)-1]), strconv.Quote(f)[1 : len(strconv.Quote(f))-1]} {
			if g != "" && !seen[g] {
				seen[g] = true
				forms = append(forms, g)
			}
		}
	}
	// The longest first, so that a form holding another goes whole.
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	return &redactor{forms: forms}
}

// text returns s without the secret.
func (r *redactor) text(s string) string {
	for _, f := range r.forms {
		s = strings.ReplaceAll(s, f, redacted)
	}
	return s
}

// writer redacts each write to w; the commands write a line or a
// document at a time, so no secret is split between two writes.
func (r *redactor) writer(w io.Writer) io.Writer { return redactingWriter{r, w} }

type redactingWriter struct {
	r *redactor
	w io.Writer
}

func (rw redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.text(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// oauthHint says what an OAuth error code of RFC 6749 §5.2 means for the
// caller.
func oauthHint(code string) string {
	switch code {
	case "invalid_client":
		return "the client id or secret is wrong, or the client may not authenticate this way (--auth)"
	case "invalid_scope":
		return "the scope asked for is not one the client's token policy allows"
	case "unauthorized_client":
		return "the client may not use the client_credentials grant"
	case "invalid_request":
		return "the request is malformed, or names the client twice"
	case "unsupported_grant_type":
		return "the endpoint does not offer the client_credentials grant"
	case "invalid_grant":
		return "the grant was refused"
	}
	return "an error code outside RFC 6749 §5.2"
}

// writeTokenText writes what was granted, in words.
func writeTokenText(w io.Writer, out tokenOutput) {
	if out.TokenType == "" {
		fmt.Fprintln(w, "token type: not said (no token_type)")
	} else {
		fmt.Fprintf(w, "token type: %s\n", printable(out.TokenType))
	}
	switch v := out.ExpiresIn.(type) {
	case nil:
		fmt.Fprintln(w, "expires: not said (no expires_in)")
	case string:
		if out.Expiry == "" {
			fmt.Fprintf(w, "expires: never in practice (expires_in sent as the string %q)\n", v)
		} else {
			fmt.Fprintf(w, "expires: %s (expires_in sent as the string %q)\n", out.Expiry, v)
		}
	default:
		if out.Expiry == "" {
			fmt.Fprintf(w, "expires: never in practice (expires_in %v)\n", v)
		} else {
			fmt.Fprintf(w, "expires: %s (expires_in %v)\n", out.Expiry, v)
		}
	}
	fmt.Fprintf(w, "scope: %s\n", out.Scope) // canonical text: visible ASCII and SP
	for _, n := range out.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if out.Requested != nil {
		fmt.Fprintf(w, "requested: %s\n", *out.Requested)
		switch out.Relation {
		case "equal":
			fmt.Fprintln(w, "granted: equal to the scope asked for (scope.Covers both ways)")
		case "narrower":
			fmt.Fprintf(w, "granted: narrower than asked: %s was asked for and not granted\n", witnessText(out.Narrower))
		case "wider":
			fmt.Fprintf(w, "granted: WIDER than asked: %s was granted and not asked for\n", witnessText(out.Wider))
		default:
			fmt.Fprintf(w, "granted: WIDER than asked (%s was granted and not asked for) and narrower (%s was asked for and not granted)\n",
				witnessText(out.Wider), witnessText(out.Narrower))
		}
	}
	if p := out.Policy; p != nil {
		if p.Inside {
			fmt.Fprintf(w, "policy %s: the granted scope lies inside it\n", p.File)
		} else {
			fmt.Fprintf(w, "policy %s: the granted scope is OUTSIDE it: %s is granted and the policy does not allow it\n", p.File, witnessText(p.Witness))
		}
	}
	if out.AccessToken != "" {
		fmt.Fprintf(w, "access token: %s\n", out.AccessToken)
	}
}

// witnessText is a witness in words: "METHOD PATH" or "plain item X".
func witnessText(w *witnessJSON) string {
	if w.Plain != "" {
		return "the plain item " + w.Plain
	}
	return w.Method + " " + w.Path
}
