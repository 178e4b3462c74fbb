package gateway

import (
	"strconv"
	"unicode/utf8"
)

// MaxLogField bounds, in bytes, each string a client controls (a method,
// a path, a key id, an error text that quotes them) where it is logged,
// so that a request cannot make a log line longer than a few of these.
const MaxLogField = 512

// Clip returns s when it is at most MaxLogField bytes long, and
// otherwise its first MaxLogField bytes (cut back to the start of a UTF-8
// sequence) followed by "…(+N bytes)", N being the bytes cut. Log
// handlers escape what it keeps; Clip only bounds it.
func Clip(s string) string { return clip(s, MaxLogField) }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…(+" + strconv.Itoa(len(s)-cut) + " bytes)"
}
