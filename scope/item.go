package scope

// Class is an item's access class.
type Class uint8

const (
	// Plain is not an access class: the item is an opaque OAuth scope name
	// such as "openid" that grants no method on any path.
	Plain Class = iota
	// Read is ".": GET and HEAD.
	Read
	// ReadWrite is "*": every method token except CONNECT and TRACE.
	ReadWrite
)

func (c Class) String() string {
	switch c {
	case Read:
		return "."
	case ReadWrite:
		return "*"
	}
	return "plain"
}

// Item is one valid item of a scope.
type Item struct {
	Class Class
	// Pattern is the path pattern of an access item, the text after ":".
	// It is empty for a plain item.
	Pattern string
	// Name is the text of a plain item. It is empty for an access item.
	Name string
}

// String is the item as it is written in a scope string.
func (it Item) String() string {
	if it.Class == Plain {
		return it.Name
	}
	return it.Class.String() + ":" + it.Pattern
}

// Set is a validated scope: its items in their original order, exact
// duplicates dropped. The zero Set is the empty scope, which grants
// nothing. A Set is built only by Parse (and functions that derive one Set
// from others), so every Set holds valid items only.
type Set struct {
	items []Item
}

// Items returns a copy of the set's items, in order.
func (s Set) Items() []Item { return append([]Item(nil), s.items...) }

// Len is the number of items.
func (s Set) Len() int { return len(s.items) }

// Item returns the i'th item; it panics if i is out of range, as indexing does.
func (s Set) Item(i int) Item { return s.items[i] }

// add appends it unless an equal item is already there.
func (s *Set) add(it Item) {
	for _, have := range s.items {
		if have == it {
			return
		}
	}
	s.items = append(s.items, it)
}
