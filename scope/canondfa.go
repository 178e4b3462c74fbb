package scope

// canonState is a state of the deterministic automaton that accepts exactly
// the canonical request paths, read without their leading "/". It is
// CheckPath taken one byte at a time, so that containment can intersect
// pattern languages with the set of canonical paths; a property test holds
// the two to the same answers.
//
// The state is a small comparable value: where the current segment stands
// (for "//", "." and ".."), where an escape stands, and what a UTF-8
// sequence spelled as escapes still needs.
type canonState struct {
	dead bool
	seg  uint8 // segEmpty, segDot, segDotDot, segOther
	esc  uint8 // 0: none; 1: after '%'; 2: after '%' and one hex digit
	hi   uint8 // the first hex digit's value, when esc == 2
	need uint8 // continuation bytes a UTF-8 sequence still needs
	// lo and hiB bound the next continuation byte (tighter after E0, ED,
	// F0, F4 to exclude overlong forms, surrogates and values past U+10FFFF).
	lo, hiB uint8
	// forbid tracks the sequences of forbidden characters: after C2 the
	// next byte must not be 80-9F (C1 controls); after E2 80 it must not be
	// A8 or A9 (U+2028, U+2029).
	forbid uint8
}

const (
	segEmpty = iota
	segDot
	segDotDot
	segOther
)

const (
	forbidNone = iota
	forbidC2
	forbidE2
	forbidE280
)

var canonStart = canonState{seg: segEmpty}

// accepts reports whether a path that ends here is canonical: no escape or
// UTF-8 sequence is open, and the last segment is not "." or "..". An
// empty last segment is the root or one trailing "/".
func (s canonState) accepts() bool {
	return !s.dead && s.esc == 0 && s.need == 0 && s.seg != segDot && s.seg != segDotDot
}

var deadState = canonState{dead: true}

// step reads one byte of the path.
func (s canonState) step(c byte) canonState {
	if s.dead {
		return s
	}
	switch s.esc {
	case 1:
		v, ok := unhex(c)
		if !ok {
			return deadState
		}
		s.esc, s.hi = 2, v
		return s
	case 2:
		v, ok := unhex(c)
		if !ok {
			return deadState
		}
		b := s.hi<<4 | v
		s.esc, s.hi = 0, 0
		return s.decoded(b)
	}
	// Within a UTF-8 sequence spelled as escapes only another escape may
	// come next.
	if (s.need > 0 && c != '%') || pathClass[c] == pcBad || pathClass[c] == pcChar {
		return deadState
	}
	switch c {
	case '/':
		if s.seg != segOther {
			return deadState
		}
		s.seg = segEmpty
	case '%':
		s.esc, s.seg = 1, segOther
	case '.':
		if s.seg < segOther {
			s.seg++
		}
	default:
		s.seg = segOther
	}
	return s
}

// decoded takes one byte that an escape encodes.
func (s canonState) decoded(b byte) canonState {
	if b < 0x80 {
		if s.need > 0 || escapedForbidden[b] {
			return deadState
		}
		return s
	}
	if s.need == 0 {
		n := utf8Len(b)
		if n == 0 {
			return deadState
		}
		s.need, s.lo, s.hiB, s.forbid = uint8(n-1), 0x80, 0xBF, forbidNone
		switch b {
		case 0xE0:
			s.lo = 0xA0
		case 0xED:
			s.hiB = 0x9F
		case 0xF0:
			s.lo = 0x90
		case 0xF4:
			s.hiB = 0x8F
		case 0xC2:
			s.forbid = forbidC2
		case 0xE2:
			s.forbid = forbidE2
		}
		return s
	}
	if b < s.lo || b > s.hiB {
		return deadState
	}
	next := uint8(forbidNone)
	switch s.forbid {
	case forbidC2:
		if b <= 0x9F {
			return deadState
		}
	case forbidE2:
		if b == 0x80 {
			next = forbidE280
		}
	case forbidE280:
		if b == 0xA8 || b == 0xA9 {
			return deadState
		}
	}
	s.forbid = next
	s.need--
	s.lo, s.hiB = 0x80, 0xBF
	return s
}

// canonKeyBits is how many bits key uses.
const canonKeyBits = 15

// key packs the state into canonKeyBits bits, for search keys. States
// that differ only in fields that no longer matter (the bounds of a UTF-8
// continuation when none is expected, the first hex digit outside an
// escape) get the same key, so that they are one search state. The dead
// state has no key: no search keeps it.
func (s canonState) key() uint64 {
	bounds := uint64(0)
	if s.need > 0 {
		switch {
		case s.lo == 0xA0:
			bounds = 1
		case s.hiB == 0x9F:
			bounds = 2
		case s.lo == 0x90:
			bounds = 3
		case s.hiB == 0x8F:
			bounds = 4
		default:
			bounds = 5
		}
	}
	hi := uint64(0)
	if s.esc == 2 {
		hi = uint64(s.hi)
	}
	return uint64(s.seg) | uint64(s.esc)<<2 | hi<<4 | uint64(s.need)<<8 | bounds<<10 | uint64(s.forbid)<<13
}
