// Package match decides requests against a scope on a gateway's hot path.
//
// Compile turns a scope.Set into a Matcher: a radix trie over the items'
// literal prefixes (the bytes before their first wildcard), where each item
// waits, with its access class, at the node where its prefix ends. Allow
// walks the request path down the trie once and tries the tail of each item
// it passes (tail.go). Most tails are decided without a program: "", "*"
// and "**" by a test, and chains of one kind of wildcard between literals
// ("**a**b", "*.json") by searching the path for each literal in turn
// with strings.Index, the leftmost match being the right one for such
// chains. The rest are bit-parallel NFAs (nfa.go), run by a DFA built as
// paths need its states (dfa.go), which skips the bytes that keep a state
// as it is (strings.IndexByte, or eight or sixteen bytes in words) and,
// past its budget of memory (tables of eight times its NFAs' size, at
// least 2 KiB and at most 32 KiB a matcher, allocated at Compile and
// counted in Size, whatever paths come), hands over to the NFA from the
// state it reached. A node where more than a few
// items wait (items that begin with a wildcard all wait at the root) runs
// all their tails as one program, in one pass over the path. Time is
// therefore linear in the path length for any scope, with no
// backtracking, and grows with the part of the scope the path reaches.
// Each node the walk passes where items wait makes one pass over the rest
// of the path for each of its tails (a test, or searches for a chain's
// literals), at most eight, or one pass of its group's program, which
// costs m/64 words a byte for tails m bytes long (the NFA's rate, once
// the DFA's budget is spent). A request therefore costs
// O(len(path) × (p + m/64)) word operations at most, for p passes and m
// bytes of tails at the nodes the path reaches, and nothing for items
// whose prefixes the path does not share. Those nodes' prefixes differ in
// length, so there are fewer than √(2·len(scope)) + 1 of them, p is at
// most eight times that, and m at most the scope's length: a gateway
// that bounds the length of the scopes it accepts bounds the work per
// byte of path.
//
// Before the walk, Allow looks the path up in a hash table of the items
// without wildcards, the usual way of granting one object by its ID. Such
// an item's path is canonical, and the scope's whole answer on it is
// settled at Compile, so a hit decides the request with one probe. Compile
// spends a bounded amount of work per byte of such a path to settle it;
// where that does not suffice (hundreds of items wait at the root), a hit
// still answers the read methods, and the others walk the trie. Compile is
// so linear in the scope's size.
//
// A path that is not canonical (scope.CheckPath) is denied whatever the
// scope, and so are methods that are not tokens, CONNECT and TRACE. Allow
// and Decide make no allocation and are safe for concurrent use.
package match
