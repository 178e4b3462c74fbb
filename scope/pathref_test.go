package scope

import "unicode/utf8"

// checkPathFromBytewise is CheckPathFrom as it was before it read eight
// bytes at a time: one byte, one class, one decision. The block loop must
// give its answers, rule and offset, on every path.
func checkPathFromBytewise(p string, from, segStart int) (PathRule, int) {
	var seq [4]byte
	seqLen, seqNeed, seqAt := 0, 0, 0
	i := from
	for i < len(p) {
		for i < len(p) && pathClass[p[i]] == pcPlain {
			i++
		}
		if i == len(p) {
			break
		}
		switch pathClass[p[i]] {
		case pcBad:
			return PathByte, i
		case pcChar:
			return PathChar, i
		case pcSlash:
			if r := checkSegment(p[segStart:i]); r != Canonical {
				return r, segStart
			}
			segStart = i + 1
			i++
			continue
		}
		b, ok := unescape(p, i)
		if !ok {
			return PathBadEscape, i
		}
		if b < 0x80 {
			if seqNeed > 0 {
				return PathBadUTF8, seqAt
			}
			if escapedForbidden[b] {
				return PathEscapedByte, i
			}
		} else {
			if seqNeed == 0 {
				if seqNeed = utf8Len(b); seqNeed == 0 {
					return PathBadUTF8, i
				}
				seqLen, seqAt = 0, i
			}
			seq[seqLen] = b
			seqLen++
			if seqLen == seqNeed {
				r, n := utf8.DecodeRune(seq[:seqLen])
				if r == utf8.RuneError && n < seqLen {
					return PathBadUTF8, seqAt
				}
				if forbiddenRune(r) {
					return PathControlRune, seqAt
				}
				seqNeed = 0
			}
		}
		i += 3
		if seqNeed > 0 && (i >= len(p) || p[i] != '%') {
			return PathBadUTF8, seqAt
		}
	}
	if seg := p[segStart:]; seg == "." || seg == ".." {
		return PathDotSeg, segStart
	}
	return Canonical, 0
}

// CheckPathFromBytewise is checkPathFromBytewise for the external tests.
var CheckPathFromBytewise = checkPathFromBytewise
