package match

import "sync/atomic"

// hitKind names a way of matching that the engines choose by the shape of
// a tail and, in the DFA, by the path, or a way Compile builds the trie:
// the property tests count them to show that their generators reach each
// one.
type hitKind int

const (
	hitAnyChain   hitKind = iota // a "**" chain, matched greedily
	hitSegChain                  // a "*" chain, matched greedily
	hitDFA                       // a program run by its DFA
	hitDFAState                  // a DFA state built
	hitSkipAll                   // a DFA state that every byte keeps, skipped to the path's end
	hitSkipByte                  // a DFA state skipped to one byte with strings.IndexByte
	hitSkipBytes                 // a DFA state skipped to one of two or three bytes, a word at a time
	hitSkipRun                   // a DFA state skipped over a run of one byte, a word at a time
	hitSkipMask                  // a DFA state skipped eight classes at a time
	hitDFAFull                   // a DFA out of room, the NFA going on from its state
	hitNFA1                      // the NFA of one word
	hitNFAWide                   // the NFA of several words
	hitKeysInsert                // a node's keys ordered by insertion on a byte
	hitKeysSort                  // a node's keys sorted whole
	hitWideNode                  // a node with more children than a word has bytes
	numHits
)

var hitNames = [numHits]string{"any-chain", "seg-chain", "dfa", "dfa-state", "skip-all", "skip-byte", "skip-bytes", "skip-run", "skip-mask", "dfa-full", "nfa-1", "nfa-wide",
	"keys-insert", "keys-sort", "wide-node"}

// hitCounts is a count for each hitKind.
type hitCounts [numHits]atomic.Int64

// hits is nil except while a test counts: a load and a branch, where an
// engine is chosen, is all that counting costs the other times.
var hits atomic.Pointer[hitCounts]

func hit(k hitKind) {
	if h := hits.Load(); h != nil {
		h[k].Add(1)
	}
}
