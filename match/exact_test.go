package match

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/scopecheck/scopecheck/scope"
)

// collidingKeys are n keys of one length that differ only in their first
// bytes, so that the two-word hash gives them all the same slot.
func collidingKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%05d/", i) + strings.Repeat("x", 40)
	}
	return keys
}

func TestExactTable(t *testing.T) {
	tests := []struct {
		name     string
		keys     []string
		wantFull bool
	}{
		{"object IDs", []string{"config/clients/1ab23456-7c8d", "config/clients/1ab23456-7c8e", "config/loginPolicies/1ab23c45", "a", "ab", "config"}, false},
		{"a short colliding run", collidingKeys(maxExactRun), false},
		{"a long colliding run hashes whole keys", collidingKeys(200), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tab exactTable
			tab.init(len(tc.keys))
			for i, k := range tc.keys {
				tab.add(k, i%2 == 1)
			}
			tab.seal()
			if tab.full != tc.wantFull {
				t.Errorf("full = %v, want %v", tab.full, tc.wantFull)
			}
			if n := tab.longestRun(); n > maxExactRun && !tab.full {
				t.Errorf("a run of %d occupied slots with the two-word hash", n)
			}
			for i, k := range tc.keys {
				w, ok := tab.get(k)
				if want := i%2 == 1; !ok || (w == writeYes) != want {
					t.Errorf("get(%q) = %v, %v, want %v, true", k, w, ok, want)
				}
				for _, miss := range []string{k + "x", k[:len(k)-1], "y" + k[1:]} {
					if _, ok := tab.get(miss); ok && !slices.Contains(tc.keys, miss) {
						t.Errorf("get(%q) found a key never added", miss)
					}
				}
			}
		})
	}
}

// Exact items, duplicated across classes and colliding in the two-word
// hash, decide as the trie does.
func TestExactItemsAllow(t *testing.T) {
	keys := collidingKeys(50)
	items := []string{".:" + keys[0], "*:" + keys[0], ".:" + keys[1]}
	for _, k := range keys[2:] {
		items = append(items, "*:"+k)
	}
	m, err := CompileString(strings.Join(items, " "))
	if err != nil {
		t.Fatal(err)
	}
	if !m.exact.full {
		t.Fatal("50 colliding keys should make the table hash whole keys")
	}
	tests := []struct {
		method, path string
		want         bool
	}{
		{"PUT", "/" + keys[0], true},  // read and read-write items of one pattern
		{"PUT", "/" + keys[1], false}, // read only
		{"GET", "/" + keys[1], true},
		{"DELETE", "/" + keys[49], true},
		{"GET", "/" + fmt.Sprintf("%05d/", 50) + strings.Repeat("x", 40), false},
		{"GET", "/" + keys[2] + "/", false},
	}
	for _, tc := range tests {
		if got := m.Allow(tc.method, tc.path); got != tc.want {
			t.Errorf("Allow(%s %s) = %v, want %v", tc.method, tc.path, got, tc.want)
		}
		checkAgainstOracle(t, m.set, m, tc.method, tc.path)
	}
}

// Regression: an exact item whose pattern is 64·k bytes long set the
// length filter's bit for length 0, and the empty key (the path "/")
// then matched a free slot, so Allow granted GET / while Decide denied it.
func TestExactTableNeverMatchesAFreeSlot(t *testing.T) {
	for _, n := range []int{1, 63, 64, 65, 128, 192, 256} {
		key := strings.Repeat("a", n)
		var tab exactTable
		tab.init(1)
		tab.add(key, false)
		tab.seal()
		if _, ok := tab.get(""); ok {
			t.Errorf("length %d: get(\"\") found a key", n)
		}
		set := scope.MustParse(".:" + key)
		m := Compile(set)
		for _, method := range []string{"GET", "HEAD", "PUT"} {
			if m.Allow(method, "/") {
				t.Errorf("scope .:%s (%d bytes): Allow(%s, /) = true", key, n, method)
			}
			checkAgainstOracle(t, set, m, method, "/")
			checkAgainstOracle(t, set, m, method, "/"+key)
		}
	}
}

// When settling an exact item's writes at Compile would cost more than its
// bound (here, hundreds of read-write items that begin with "**" wait at
// the root), the table leaves it unknown and a write is decided by the
// trie: still exact, and Compile stays linear.
func TestExactWriteUnknown(t *testing.T) {
	items := []string{".:config/a", ".:config/b"}
	for i := 0; i < 700; i++ {
		items = append(items, fmt.Sprintf("*:**/pushClaims/%x", i))
	}
	for _, tc := range []struct {
		extra string
		want  bool
	}{{"", false}, {" *:**/a", true}} {
		set := scope.MustParse(strings.Join(items, " ") + tc.extra)
		m := Compile(set)
		if w, ok := m.exact.get("config/a"); !ok || w != writeUnknown {
			t.Fatalf("exact slot of config/a = %v, %v; want unknown", w, ok)
		}
		if got := m.Allow("PUT", "/config/a"); got != tc.want {
			t.Errorf("%q: Allow(PUT, /config/a) = %v, want %v", tc.extra, got, tc.want)
		}
		for _, p := range []string{"/config/a", "/config/b", "/x/pushClaims/1f", "/x/pushClaims/1g"} {
			for _, method := range []string{"GET", "PUT"} {
				checkAgainstOracle(t, set, m, method, p)
			}
		}
	}
}
