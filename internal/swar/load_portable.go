//go:build !(amd64 || arm64)

package swar

// Load64 returns the eight bytes of s from i, little-endian: byte i is
// the lowest. It panics, as indexing does, unless i+8 <= len(s).
func Load64(s string, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}
