// Package leastscope proposes, for each client of a gateway, the least
// scope that allows every request the client was seen to make, and
// proves it: that it allows each of those requests, and that it lies
// within the scope the client was granted. It also says which parts of
// the granted scope no request used.
//
// An Observer takes the requests of access logs (package accesslog) one
// by one, in bounded memory: per client, the distinct paths seen, as a
// tree of path segments, with the methods and the granted items that
// allowed them. Suggest then shapes a scope from each tree:
//
//   - Without an API description, each path is written as it was seen,
//     and a segment that took more than GeneralizeAfter distinct values
//     becomes "*".
//   - With one (OpenAPI 3), each path that an operation's template
//     produces is written as the template, each parameter a "*"; and a
//     subtree where the client used several templates becomes "P/**" when
//     the API has no operation there that the client did not call
//     (proved with scope.ReachesTemplate).
//   - Each item is read ("."), when only GET and HEAD were seen, or
//     read-write ("*").
//
// With a granted scope (Options.Within), every item is proved to lie
// within it with scope.Covers; one that does not falls back to the
// narrower literal forms of the paths it stands for, and a literal form
// that does not either to the granted items that allowed those requests.
// A request on a path that no item allows alone (one holding "*", the
// root "/") is listed apart, never written as a pattern. The items are then minimised
// (scope.Minimize), and the whole suggestion is proved again: each
// distinct request seen is decided with the matcher
// (match.Compile(…).Decide), what was summarised past a bound is proved
// with scope.Covers, and the suggestion is proved to lie within the
// granted scope. A suggestion that fails a proof, or whose proof is
// undecided, is not made.
package leastscope

import (
	"github.com/scopecheck/scopecheck/scope"
)

// Operation is one operation of an API description.
type Operation struct {
	Method   string // upper case, as HTTP sends it
	Template string // the path template, "/config/clients/{oidcClientId}"
	ID       string // the operationId, if any
}

// Options configure an Observer.
type Options struct {
	// Within is the scope the clients were granted, when HasWithin is
	// set: suggestions are bounded by it, requests it denies are listed
	// apart, and the use of each of its items is reported.
	Within    scope.Set
	HasWithin bool
	// API is the operations of the API description, if one is given.
	API []Operation
	// GeneralizeAfter: without an API description (and for paths that no
	// template produces), a segment becomes "*" where it took more than
	// this many distinct values (DefaultGeneralizeAfter when 0; a negative
	// value never generalises).
	GeneralizeAfter int
	// StripSegments is how many leading segments of a logged target are
	// the mount (a /{customerId} segment) and are removed before the path
	// is read, for logs that hold the whole target (not serve's, which
	// logs the path decided on).
	StripSegments int
	// The bounds of memory; past them requests are summarised, not kept,
	// and the Report says where (DefaultMax… when 0).
	MaxClients int // distinct clients analysed
	MaxPaths   int // distinct path prefixes kept, over all clients
	MaxValues  int // distinct values kept of one segment (below one prefix)
	// MaxBytes bounds in bytes everything the Observer keeps: clients,
	// path prefixes, leaves and the text of the suggestion's items each
	// may become, requests listed apart, the places where a bound was
	// reached, the answers it remembers. Past it, a new client is only
	// counted, and a new path is kept as the pattern "prefix/**" of a
	// prefix kept already.
	MaxBytes int64
	// MaxSteps bounds the containment work of Suggest over all clients
	// (DefaultMaxSteps when 0), in scope.Budget's steps; once spent, every
	// question is undecided: a suggestion that needs one is not made,
	// and the Report says so.
	MaxSteps int64
}

// Defaults of Options.
const (
	DefaultGeneralizeAfter = 5
	DefaultMaxClients      = 10_000
	DefaultMaxPaths        = 100_000
	DefaultMaxValues       = 1_000
	DefaultMaxBytes        = 256 << 20
	DefaultMaxSteps        = 1 << 30
	// MaxPathLen bounds the path of a request that is analysed; a longer
	// one is listed apart. MaxMethodLen bounds a method kept as seen; a
	// longer one is decided as its class is.
	MaxPathLen   = 4096
	MaxMethodLen = 32
	// MaxApart is how many distinct requests listed apart are kept per
	// client, and MaxApartTotal over all clients (every one is counted).
	MaxApart      = 20
	MaxApartTotal = 10_000
	// MaxMalformed is how many unreadable lines are kept as examples.
	MaxMalformed = 5
)

// Report is what Suggest found.
type Report struct {
	Clients []Client
	// Malformed counts log lines that could not be read; Examples holds
	// the first few.
	Malformed         int64
	MalformedExamples []Line
	// Exceeded lists where a bound was reached (the first few places);
	// the requests past it were summarised, not dropped. Elsewhere counts
	// the requests summarised at places past those listed.
	Exceeded  []Exceeded
	Elsewhere uint64
	// Work is the containment work Suggest did, and Held the bytes the
	// Observer kept, each with its bound.
	Work Work
	Held int64
	// ClientsOverBound counts requests of clients past MaxClients, which
	// were counted and not analysed.
	ClientsOverBound uint64
	// Reachable, with an API and a granted scope, are the operations the
	// granted scope allows, by index into Options.API; OpItem the index
	// in the granted scope of the first item that allows each, when one
	// alone is proved to.
	Reachable []int
	OpItem    map[int]int
}

// Work is the containment work of a run, in scope.Budget's steps: what
// its questions were allowed in all (never less than they took), of
// Limit. Exhausted is set when the budget ran out, and says so.
type Work struct {
	Limit     int64  `json:"limit"`
	Charged   int64  `json:"charged"`
	Questions int64  `json:"questions"`
	Exhausted string `json:"exhausted,omitempty"`
}

// Line is a place in a log.
type Line struct {
	File   string
	Line   int64
	Reason string
}

// Exceeded says that a bound was reached.
type Exceeded struct {
	Bound  string `json:"bound"` // "clients", "paths", "values", "memory" or "steps"
	Limit  int    `json:"limit"`
	Client string `json:"client,omitempty"`
	Tenant string `json:"tenant,omitempty"`
	// Where is the path below which requests were summarised ("" for
	// the clients bound), and Requests how many were.
	Where    string `json:"where,omitempty"`
	Requests uint64 `json:"requests"`
	// For the bounds of paths and memory, which all clients share:
	// ClientPaths is how many path prefixes the client held when the
	// bound was first reached there, and Paths how many all clients did.
	ClientPaths int `json:"clientPaths,omitempty"`
	Paths       int `json:"paths,omitempty"`
}

// Client is what Suggest says about one client.
type Client struct {
	Name string // "" for requests that name no client
	// Tenant is the tenant the log bound the client's requests to, if any:
	// the same client in two tenants is two clients.
	Tenant string
	// Requests counts every request of the client; Allowed those the log
	// says were allowed and the granted scope allows (the ones the
	// suggestion is for); the rest were listed apart.
	Requests, Allowed, Apart uint64
	// Distinct counts the distinct requests (method class and path)
	// allowed; Summarised those kept past a bound as a pattern.
	Distinct, Summarised uint64
	// First and Last are the times of its first and last request, in
	// Unix nanoseconds (0 when the log has no times).
	First, Last int64

	// Suggestion is the least scope proved for the requests; it is set
	// only when every check passed. Items say where each of its items
	// comes from, in its order.
	Suggestion    scope.Set
	HasSuggestion bool
	Items         []Origin
	// Checks are the proofs made, in order.
	Checks []Check
	// Relation, with a granted scope: whether the suggestion equals it or
	// is narrower; when narrower, Witness is a request the granted scope
	// allows and the suggestion does not.
	Relation Relation
	Witness  scope.Witness

	// ApartList holds up to MaxApart distinct requests listed apart, the
	// first seen first.
	ApartList []Apart
	// Use, with a granted scope, is what each of its items allowed, by
	// the item's index in it.
	Use []ItemUse
	// Unused, with an API and a granted scope, are the operations the
	// granted scope allows (Report.Reachable) that the client never
	// called, by index into Options.API.
	Unused []int
}

// Origin says where an item of a suggestion comes from.
type Origin struct {
	Item string `json:"item"`
	Why  string `json:"why"`
}

// Check is one proof about a suggestion.
type Check struct {
	Name   string
	Passed bool
	Detail string
}

// Relation is how a suggestion compares with the granted scope.
type Relation uint8

const (
	// NotCompared: there is no granted scope, or no suggestion.
	NotCompared Relation = iota
	// Equal: the suggestion allows exactly what the granted scope does.
	Equal
	// Narrower: it allows part of it, and nothing more.
	Narrower
)

func (r Relation) String() string {
	switch r {
	case Equal:
		return "equal"
	case Narrower:
		return "narrower"
	}
	return ""
}

// Apart is a request that the suggestion is not for: the gateway denied
// it, or the granted scope does not allow it (the log and the scope
// disagree), or no scope can allow it.
type Apart struct {
	Method string
	Target string // the path decided on, or the target when there is none
	Why    string
	Count  uint64
	First  Line
}

// ItemUse is what one item of the granted scope allowed.
type ItemUse struct {
	Item string `json:"item"`
	// Reads and Writes count the requests it allows, by method class. A
	// group of requests summarised past a bound counts whole for each
	// item that allowed one of them.
	Reads  uint64 `json:"reads"`
	Writes uint64 `json:"writes"`
}
