package scope

import "strings"

// String is the canonical text of s: its items, exact duplicates dropped,
// in their original order, joined by one SP. Parsing it gives a Set with the
// same items, and formatting that Set gives the same text.
func (s Set) String() string {
	var b strings.Builder
	for i, it := range s.items {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(it.String())
	}
	return b.String()
}
