// Package accesslog reads the access logs of gateways as a stream of
// requests: the decision log of "scopecheck serve", nginx's combined
// format, and JSON lines whose members a caller names. Input may be
// plain or gzip (recognised by its magic bytes). Lines are parsed on
// several goroutines and handed back in their order, and memory stays
// bounded whatever the input: at most a few blocks of input are held at
// once, and a line longer than Options.MaxLine is reported, not read.
package accesslog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Format is the shape of a log's lines.
type Format uint8

const (
	// Auto recognises the format by the first line that is not blank: a
	// JSON object with a "msg" member is serve's log, any other JSON
	// object a JSON log, anything else the combined format.
	Auto Format = iota
	// Serve is the decision log of "scopecheck serve": JSON lines from
	// log/slog; the lines whose msg is "decision" are requests, with
	// method, target, path (the path decided on, without the mount),
	// allowed, reason, client, sources and time. Other lines are skipped.
	Serve
	// Combined is nginx's (and Apache's) combined format, or the common
	// format, which lacks its last two fields:
	//	$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
	// The format holds no verified client: nginx fills $remote_user from
	// any Basic Authorization header a client sends, whether or not
	// anything checked it. It is read as the client only when
	// Options.RemoteUser says so.
	Combined
	// JSON is JSON lines, one object a request, with the members that
	// Fields names.
	JSON
)

var formatNames = [...]string{Auto: "auto", Serve: "serve", Combined: "combined", JSON: "json"}

// String is the format's name, as ParseFormat reads it.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "unknown"
}

// ParseFormat reads a format's name: auto, serve, combined or json.
func ParseFormat(s string) (Format, error) {
	for f, name := range formatNames {
		if s == name {
			return Format(f), nil
		}
	}
	return Auto, fmt.Errorf("unknown log format %q: give auto, serve, combined or json", s)
}

// Fields name the members of a JSON log line that hold the parts of a
// request. A name with dots descends into nested objects
// ("request.method"); an empty name is not read. Method and URI are
// required in each line; the others are optional.
type Fields struct {
	Method string // the method
	URI    string // the request target as received (path and query)
	Client string // the client: a token's client_id or sub, a user
	Time   string // the time: RFC 3339, nginx's $time_local, or Unix seconds as a number or a string of digits
	// Status is the HTTP status answered; Allowed, when the line has it,
	// is a boolean that says whether the gateway allowed the request, and
	// is believed over a Status that says nothing of the gateway's
	// decision (Unknown). A line where the two disagree (allowed true with
	// a denied status, false with an allowed one) is Malformed: which one
	// the gateway meant cannot be told.
	Status  string
	Allowed string
}

// DefaultFields are the member names a JSON log is read with unless the
// caller names others.
var DefaultFields = Fields{Method: "method", URI: "uri", Client: "client", Time: "time", Status: "status", Allowed: "allowed"}

// ParseFields reads a field mapping such as
// "method=request.method,uri=request.uri,time=ts": comma-separated
// KEY=NAME pairs, KEY one of method, uri, client, time, status, allowed.
// Only the keys named are read: a key not named (or "KEY=") is not, so
// that a member the mapping leaves out, such as an "allowed" that some
// other component wrote, never decides a line. method and uri must be
// named.
func ParseFields(spec string) (Fields, error) {
	var f Fields
	slots := map[string]*string{"method": &f.Method, "uri": &f.URI, "client": &f.Client, "time": &f.Time, "status": &f.Status, "allowed": &f.Allowed}
	seen := map[string]bool{}
	for _, pair := range strings.Split(spec, ",") {
		key, name, ok := strings.Cut(strings.TrimSpace(pair), "=")
		slot := slots[key]
		switch {
		case !ok || slot == nil:
			return f, fmt.Errorf("field mapping %q: %q is not KEY=NAME with KEY one of method, uri, client, time, status, allowed", spec, pair)
		case seen[key]:
			return f, fmt.Errorf("field mapping %q names %s twice", spec, key)
		case strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, ".."):
			return f, fmt.Errorf("field mapping %q: %q is not a member name (names with dots descend into objects)", spec, name)
		}
		seen[key] = true
		*slot = name
	}
	if f.Method == "" || f.URI == "" {
		return f, errors.New("field mapping: method and uri must name a member")
	}
	// Each member is read for one key, and a member that is read is not
	// also an object to look into.
	names := []string{f.Method, f.URI, f.Client, f.Time, f.Status, f.Allowed}
	for i, a := range names {
		for _, b := range names[i+1:] {
			if a != "" && b != "" && (a == b || strings.HasPrefix(a, b+".") || strings.HasPrefix(b, a+".")) {
				return f, fmt.Errorf("field mapping %q: %q and %q overlap; each key needs a member of its own", spec, a, b)
			}
		}
	}
	return f, nil
}

// Outcome is what the gateway did with a request, as the log says.
type Outcome uint8

const (
	// Allowed: the request passed the gateway (serve's allowed true; a
	// status in Options.AllowedStatus).
	Allowed Outcome = iota + 1
	// Denied: the gateway refused it (serve's allowed false; a status in
	// Options.DeniedStatus).
	Denied
	// Malformed: the line could not be read; Reason says why.
	Malformed
	// Unknown: the log does not say what the gateway decided: a status in
	// neither list, such as nginx's 413 (a body too large, answered
	// before the gateway was asked), 400, 499, or a 5xx that an outage of
	// the gateway or of the upstream gives alike.
	Unknown
)

// Record is one request of a log, or one line that could not be read.
//
// Its strings may share memory with the block of input it was read
// from, which is used again once the record has been handed on: a caller
// that keeps one past the callback keeps a copy (strings.Clone).
type Record struct {
	Line   int64 // the line number, from 1
	Method string
	// Target is the request target as the log holds it: path and query,
	// or an absolute URI.
	Target string
	// Path is, in serve's log, the path decided on (the mount removed);
	// "" in the other formats, whose Target the caller reads itself.
	Path string
	// HasPath says whether the line had a path member (serve's log): a
	// request refused before its mount was removed has an empty one.
	HasPath bool
	Client  string
	// Tenant is, in serve's log, the tenant serve bound the request to
	// (--tenant, --tenant-claim): a client is one in its tenant, and the
	// same client_id in another tenant is another client. "" when the
	// mount is bound to none.
	Tenant string
	// Sources are the other sources of the method or target that serve
	// logged beside its own request: it allowed the request only because
	// the scope allowed every method and target they mean together.
	Sources []Source
	// Time is in Unix nanoseconds; 0 when the line has none or it does not
	// parse.
	Time    int64
	Outcome Outcome
	// Reason is serve's reason, or the status ("403") in the other
	// formats, or for a Malformed line what is wrong with it.
	Reason string
}

// Source is another source of a request's method or target, as serve
// logs it: a header or query parameter (Name) and the request it means.
type Source struct {
	Name string
	// Method is the method it means; AnyMethod is set instead when it may
	// mean any (serve logs "(any)": a POST's body, which may carry
	// "_method").
	Method    string
	AnyMethod bool
	// Target is the whole path it means, mount included, query removed.
	Target string
}

// MaxSources bounds the sources read from one line: serve logs at most
// 2*gateway.MaxSources-1. A line with more is unreadable, so that a
// line's requests stay few.
const MaxSources = 16

// Options configure Read.
type Options struct {
	Format Format
	// Fields name the members of a JSON log (DefaultFields when zero).
	Fields Fields
	// AllowedStatus are the statuses that mean the request passed the
	// gateway (DefaultAllowedStatus when nil), and DeniedStatus those that
	// mean it refused it (DefaultDeniedStatus when nil), for the formats
	// that log a status rather than a decision. A status in neither is
	// Unknown; one in both is Denied.
	AllowedStatus []int
	DeniedStatus  []int
	// RemoteUser reads the combined format's $remote_user as the client,
	// which nothing verifies (see Combined); without it, the combined
	// format's requests name no client.
	RemoteUser bool
	// MaxBytes bounds the bytes of log read, after decompression
	// (DefaultMaxBytes when 0, none when negative): Read stops there and
	// returns an error that matches ErrTooLarge. A gzip stream of a megabyte may expand to
	// many gigabytes, whose reading takes time in proportion.
	MaxBytes int64
	// Workers is how many goroutines parse lines (GOMAXPROCS when 0).
	Workers int
	// MaxLine bounds a line in bytes (DefaultMaxLine when 0): a longer
	// one is a Malformed record, and its bytes are not kept.
	MaxLine int
	// Progress, when set, is called from the reading goroutine with the
	// number of bytes read from the input so far (compressed bytes, for
	// gzip), after each block.
	Progress func(read int64)
}

// DefaultDeniedStatus are the statuses of a gateway's refusals: 401
// (no usable token) and 403 (insufficient scope).
var DefaultDeniedStatus = []int{401, 403}

// DefaultAllowedStatus are the statuses that only an upstream behind the
// gateway answers, so that the request passed it: 2xx, and 304 (which a
// proxy makes only from an upstream's answer). Other statuses a proxy may
// answer by itself before it asks the gateway (nginx's 3xx of "return",
// 400, 413, 414, 431, 499) or after it failed (500, 502, 503, 504); such
// a request is Unknown.
var DefaultAllowedStatus = append(StatusRange(200, 299), 304)

// StatusRange lists the statuses from one to another, both included.
func StatusRange(from, to int) []int {
	var out []int
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// DefaultMaxBytes bounds the bytes of one Read, after decompression,
// unless Options.MaxBytes says otherwise: about 65 million lines of
// serve's log.
const DefaultMaxBytes = 16 << 30

// ErrTooLarge is what Read's error matches (errors.Is) when the log is
// longer than Options.MaxBytes.
var ErrTooLarge = errors.New("the log is longer than the bound of bytes read")

// DefaultMaxLine bounds a line unless Options.MaxLine says otherwise.
const DefaultMaxLine = 1 << 20

// Stats are the figures of one Read.
type Stats struct {
	Format Format // the format read (the one recognised, for Auto)
	Gzip   bool
	// Bytes is the bytes read, after decompression.
	Bytes int64
	Lines int64 // lines read, blank ones included
	// Records counts requests (Allowed or Denied); Malformed, lines that
	// could not be read; Skipped, lines that hold no request (blank
	// lines, serve's lines other than decisions).
	Records, Malformed, Skipped int64
}

func parseStatus(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 100 && n <= 999
}
