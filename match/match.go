package match

import (
	"fmt"
	"strings"

	"github.com/scopecheck/scopecheck/scope"
)

// Matcher decides requests for one compiled scope. It is immutable after
// Compile and safe for concurrent use. A nil *Matcher denies everything.
type Matcher struct {
	set       scope.Set // immutable, so shared rather than copied
	root      node
	readExtra []string
	// exact indexes the items without wildcards by their whole pattern,
	// for Allow's fast path; it is empty when there are none. Only
	// literals that make a canonical path are there, so a hit needs no
	// path check. The trie holds these items too, for Decide.
	exact exactTable
	dfa   *dfa // the DFA states of the tails' and groups' programs
	// everyPath has bit 1 set if an item "**" grants every method,
	// bit 0 if one grants the read methods: on such a scope Allow's
	// answer is the canonical check's ("*:**", the super admin).
	everyPath uint8
	size      int // Size, computed by Compile
}

// Option changes how Compile builds a Matcher.
type Option func(*Matcher)

// WithReadMethods adds methods to the read class ("."), which grants GET
// and HEAD by default; for example WithReadMethods("OPTIONS"). Method
// tokens are case-sensitive. Entries that are not grantable methods (not
// tokens, or CONNECT or TRACE) grant nothing, because Allow denies such
// methods whatever the scope.
func WithReadMethods(methods ...string) Option {
	return func(m *Matcher) {
		for _, x := range methods {
			if scope.GrantableMethod(x) {
				m.readExtra = append(m.readExtra, x)
			}
		}
	}
}

// Compile builds the matcher of a scope. Plain items grant nothing and take
// no part in matching, but keep their index so that Decision.Index refers
// to set.Item.
func Compile(set scope.Set, opts ...Option) *Matcher {
	return compile(set, dfaMaxBytes, opts...)
}

// compile is Compile with a DFA of at most dfaBytes, which tests make
// small to run the NFA where the DFA runs out of room.
func compile(set scope.Set, dfaBytes int, opts ...Option) *Matcher {
	m := &Matcher{set: set}
	for _, o := range opts {
		o(m)
	}
	access, literals := 0, 0
	for i := 0; i < set.Len(); i++ {
		it := set.Item(i)
		if it.Class == scope.Plain {
			continue
		}
		access++
		if strings.IndexByte(it.Pattern, '*') < 0 {
			literals++
		}
		if it.Pattern == "**" {
			m.everyPath |= 1
			if it.Class == scope.ReadWrite {
				m.everyPath |= 2
			}
		}
	}
	var a arena // the slabs that hold the trie
	if literals > 0 {
		m.exact.init(literals)
		a.exact = &m.exact
	}
	a.buildTrie(&m.root, set, access)
	if len(a.progs) > 0 {
		m.dfa = newDFA(a.progs, dfaBytes)
	}
	if literals > 0 {
		m.exact.seal()
		// The path of an exact item is canonical, so the whole scope's
		// answer on it can be known now: a read-write item elsewhere
		// (*:config/**) grants the other methods on a path whose own
		// items are read-only. A hit then needs nothing more. Settling a
		// key costs at most writeCheckWords word operations per byte, so
		// that Compile stays linear in the scope's size; a key it cannot
		// settle so (many items wait where its path goes) is left for
		// the trie to decide on a write.
		for i := range m.exact.slots {
			if s := &m.exact.slots[i]; s.key != "" && s.write == writeNo {
				switch g, known := m.root.grantsWrite(s.key, writeCheckWords*(len(s.key)+1)); {
				case !known:
					s.write = writeUnknown
				case g:
					s.write = writeYes
				}
			}
		}
	}
	m.size = m.sizeOf(&a)
	return m
}

// writeCheckWords bounds, per byte of an exact item's path, the work
// Compile spends settling whether the scope grants writes on it.
const writeCheckWords = 64

// CompileString parses and compiles a scope string. On a parse error it
// returns a nil *Matcher, which denies everything, and the scope.ErrorList.
func CompileString(s string, opts ...Option) (*Matcher, error) {
	set, err := scope.Parse(s)
	if err != nil {
		return nil, err
	}
	return Compile(set, opts...), nil
}

// Allow reports whether the scope allows method on path. path is the
// request path as sent, relative to the customer root and still escaped,
// such as "/config/tokenPolicies/abc"; a path that is not canonical is
// denied. method is case-sensitive; one that is not a method token, and
// CONNECT and TRACE, are denied. Allow makes no allocation.
func (m *Matcher) Allow(method, path string) bool {
	if m == nil || len(path) == 0 || path[0] != '/' {
		return false
	}
	var write bool
	// The common tokens by name, which a switch on strings tells apart
	// by length and a compare; the rest are checked for being tokens.
	switch method {
	case "GET", "HEAD":
	case "POST", "PUT", "PATCH", "DELETE":
		write = len(m.readExtra) == 0 || !m.isRead(method)
	default:
		if !scope.GrantableMethod(method) {
			return false
		}
		write = !m.isRead(method)
	}
	return m.allow(write, path)
}

// AllowEveryMethod reports whether the scope allows every grantable method
// on path: whether a read-write item matches it and the path is canonical.
// A gateway asks it for a request whose method a source it cannot see may
// change, such as a form field "_method" in a POST body. It makes no
// allocation.
func (m *Matcher) AllowEveryMethod(path string) bool {
	if m == nil || len(path) == 0 || path[0] != '/' {
		return false
	}
	return m.allow(true, path)
}

// allow is Allow for a path that begins with "/", once the method is known
// to be grantable: write says whether it is outside the read class.
func (m *Matcher) allow(write bool, path string) bool {
	if m.everyPath != 0 && (!write || m.everyPath&2 != 0) {
		r, _ := scope.CheckPathFrom(path, 1, 1)
		return r == scope.Canonical
	}
	// The table's length mask, inline: most paths of scopes without exact
	// items, or of other lengths, need no call.
	if m.exact.lens&(1<<((len(path)-1)&63)) != 0 {
		if w, ok := m.exact.get(path[1:]); ok && (!write || w != writeUnknown) {
			return !write || w == writeYes
		}
	}
	// Matching first lets a path that no item matches be denied in one
	// pass. A match still has to be on a canonical path, but the bytes the
	// granting item's literal prefix took need no second look.
	at, took := m.root.allowAt(path[1:], write)
	if at == nil {
		return false
	}
	from, segStart := 1, 1
	if at.resume {
		from = 1 + took
		segStart = from - int(at.segTail)
	}
	r, _ := scope.CheckPathFrom(path, from, segStart)
	return r == scope.Canonical
}

// Reason is why a Decision came out as it did.
type Reason uint8

const (
	// NoMatch: no access item's pattern matches the path. The zero value.
	NoMatch Reason = iota
	// Granted: Item grants the method on the path.
	Granted
	// NotCanonical: the path breaks Rule at Offset and is denied whatever
	// the scope.
	NotCanonical
	// BadMethod: the method is not a token, or is CONNECT or TRACE, and is
	// denied whatever the scope.
	BadMethod
	// ReadOnly: Item, a read item, matches the path, but the method is not
	// in the read class, and no read-write item matches.
	ReadOnly
)

var reasonNames = [...]string{"no-match", "granted", "not-canonical", "bad-method", "read-only"}

// String is the reason's stable name, such as "read-only".
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// Decision is the outcome of Decide.
type Decision struct {
	Allowed bool
	Reason  Reason
	// Item and Index are the granting item (Granted) or the read item that
	// matched (ReadOnly), and its index in the compiled set; otherwise
	// zero. When several items qualify, it is the earliest.
	Item  scope.Item
	Index int
	// Rule and Offset say which canonical-path rule the path breaks and
	// where (NotCanonical); otherwise zero.
	Rule   scope.PathRule
	Offset int
}

// String says the decision in words.
func (d Decision) String() string {
	switch d.Reason {
	case Granted:
		return fmt.Sprintf("granted by %s", d.Item)
	case NotCanonical:
		return fmt.Sprintf("path is not canonical: %s (offset %d) [%s]", d.Rule.Describe(), d.Offset, d.Rule)
	case BadMethod:
		return "method is not a grantable method token (CONNECT, TRACE and non-tokens are always denied)"
	case ReadOnly:
		return fmt.Sprintf("method not granted: %s matches the path but grants only the read methods", d.Item)
	}
	return "no access item matches the path"
}

// Decide is Allow with the reason. It checks, in order: that the path is
// canonical, that the method is grantable, and then the items. It makes no
// allocation.
func (m *Matcher) Decide(method, path string) Decision {
	if r, off := scope.CheckPath(path); r != scope.Canonical {
		return Decision{Reason: NotCanonical, Rule: r, Offset: off}
	}
	if !scope.GrantableMethod(method) {
		return Decision{Reason: BadMethod}
	}
	if m == nil {
		return Decision{Reason: NoMatch}
	}
	g, ro := m.root.lookup(path[1:], !m.isRead(method))
	switch {
	case g >= 0:
		return Decision{Allowed: true, Reason: Granted, Item: m.set.Item(int(g)), Index: int(g)}
	case ro >= 0:
		return Decision{Reason: ReadOnly, Item: m.set.Item(int(ro)), Index: int(ro)}
	}
	return Decision{Reason: NoMatch}
}
