package scope

// checkPathFromBytewise is CheckPathFrom as it was before it read eight
// bytes at a time: one byte, one class, one decision. The block loop must
// give its answers, rule and offset, on every path.
func checkPathFromBytewise(p string, from, segStart int) (PathRule, int) {
	var esc escapeRun
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
		// Escapes are followed by the same escapeRun: what is held to
		// the old loop is the block scan around them.
		if r, at := esc.step(p, i); r != Canonical {
			return r, at
		}
		i += 3
	}
	if seg := p[segStart:]; seg == "." || seg == ".." {
		return PathDotSeg, segStart
	}
	return Canonical, 0
}

// CheckPathFromBytewise is checkPathFromBytewise for the external tests.
var CheckPathFromBytewise = checkPathFromBytewise
