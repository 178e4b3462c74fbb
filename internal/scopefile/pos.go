package scopefile

// Pos is a position in an input: a 1-based line, and the 1-based column
// counted two ways: in bytes, as go vet and the text output count, and in
// UTF-16 code units, as SARIF counts by default.
type Pos struct {
	Line, Column int
	// UTF16Column is the column in UTF-16 code units: a character of
	// U+10000 or above counts two, any other one.
	UTF16Column int
}

// block is the stride, in bytes, of the position index's checkpoints:
// finding a position scans at most about two blocks.
const block = 1024

// posIndex turns input offsets into positions with a checkpoint every
// block bytes, not an entry per line, so that an input of many short
// lines costs it no more memory than one long line: about 1% of the
// input.
type posIndex struct {
	data []byte
	// For the checkpoint at offset k*block: the number of the line that
	// holds it (from 0), the offset where that line starts, and the UTF-16
	// units of data[:k*block].
	line, start, units []int32
	// first is where line 1 starts: after a byte order mark, which no
	// editor counts as a column.
	first int
}

func newPosIndex(data []byte, first int) *posIndex {
	n := len(data)/block + 1
	p := &posIndex{data: data, first: first,
		line: make([]int32, n), start: make([]int32, n), units: make([]int32, n)}
	line, start, units := 0, first, 0
	for i, b := range data {
		if i%block == 0 {
			k := i / block
			p.line[k], p.start[k], p.units[k] = int32(line), int32(start), int32(units)
		}
		if b == '\n' {
			line, start = line+1, i+1
		}
		units += utf16Units(b)
	}
	if len(data)%block == 0 {
		k := len(data) / block
		p.line[k], p.start[k], p.units[k] = int32(line), int32(start), int32(units)
	}
	return p
}

// utf16Units is what byte b adds to a UTF-16 count of valid UTF-8: the
// first byte of a character counts one, or two for a four-byte one, and
// continuation bytes nothing. (A stray byte of invalid UTF-8 counts as the
// one replacement character it decodes to, or, as a continuation byte,
// nothing; text that is not UTF-8 has no columns to agree on.)
func utf16Units(b byte) int {
	switch {
	case b < 0x80:
		return 1
	case b < 0xC0:
		return 0
	case b >= 0xF0:
		return 2
	}
	return 1
}

// unitsTo counts the UTF-16 units of data[:off].
func (p *posIndex) unitsTo(off int) int {
	k := off / block
	u := int(p.units[k])
	for _, b := range p.data[k*block : off] {
		u += utf16Units(b)
	}
	return u
}

// pos is the position of input offset off, clamped to the input.
func (p *posIndex) pos(off int) Pos {
	off = min(max(off, p.first), len(p.data))
	k := off / block
	line, start := int(p.line[k]), int(p.start[k])
	for i := k * block; i < off; i++ {
		if p.data[i] == '\n' {
			line, start = line+1, i+1
		}
	}
	return Pos{Line: line + 1, Column: off - start + 1, UTF16Column: p.unitsTo(off) - p.unitsTo(start) + 1}
}

// seg maps a run of a scope's bytes to the input: byte text+i of the
// scope came from input offset src+i when the run is linear, and from src
// when it is not (the bytes an escape decodes to, a token's claim).
type seg struct {
	text, src int32
	linear    bool
}

// posMap maps each byte of a scope string to the input offset of its
// source, as a list of runs: one for a string as written, one more for
// each escape in it.
type posMap struct {
	segs []seg
	end  int32 // the input offset just after the scope's source
}

// add maps the next n bytes of the scope, from text offset t, to src.
func (m *posMap) add(t, src, n int, linear bool) {
	if n == 0 {
		return
	}
	if k := len(m.segs) - 1; linear && k >= 0 && m.segs[k].linear &&
		int(m.segs[k].src)+t-int(m.segs[k].text) == src {
		return // continues the run before
	}
	m.segs = append(m.segs, seg{int32(t), int32(src), linear})
}

// at is the input offset of the source of byte i of the scope, or the end
// for i at or past the last byte.
func (m *posMap) at(i, length int) int {
	if i >= length || len(m.segs) == 0 {
		return int(m.end)
	}
	lo, hi := 0, len(m.segs)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if int(m.segs[mid].text) <= i {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	s := m.segs[lo]
	if s.linear {
		return int(s.src) + i - int(s.text)
	}
	return int(s.src)
}

func linearMap(off, n int) posMap {
	m := posMap{end: int32(off + n)}
	m.add(0, off, n, true)
	return m
}

// fixedMap points every byte of a scope at one offset, as for a JWT claim:
// positions inside base64 mean nothing to a reader.
func fixedMap(off, n int) posMap {
	m := posMap{end: int32(off)}
	m.add(0, off, n, false)
	return m
}
