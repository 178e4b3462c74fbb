//go:build amd64 || arm64

package swar

import "unsafe"

// Load64 returns the eight bytes of s from i, little-endian: byte i is
// the lowest. It panics, as indexing does, unless i+8 <= len(s).
//
// On these little-endian machines, which load unaligned words, it is
// one load, and cheap enough for the inliner to put in the loops that
// call it (the portable form is one load too, but the inliner counts its
// eight byte loads, and so will not inline the functions that use it).
func Load64(s string, i int) uint64 {
	_ = s[i : i+8]
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i))
}
