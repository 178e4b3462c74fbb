// Package swar reads strings eight bytes at a time, in one machine word:
// SIMD within a register, for the loops of the hot path that Go's
// standard library has no vector form of.
package swar

import "math/bits"

const (
	lo7  = 0x7f7f7f7f7f7f7f7f
	ones = 0x0101010101010101
)

// Equal returns x with bit 7 of each byte set where that byte equals b,
// and every other bit clear. It is exact: no byte is flagged by a borrow
// from its neighbour, so the lowest set bit is the first such byte.
func Equal(x uint64, b byte) uint64 {
	y := x ^ (ones * uint64(b)) // a zero byte where x has b
	t := (y & lo7) + lo7        // bit 7 set where the low seven bits are not all zero
	return ^(t | y | lo7)       // bit 7 set where the byte is zero
}

// LastIndexByte is strings.LastIndexByte, eight bytes at a time; the
// standard library's is a byte loop.
func LastIndexByte(s string, b byte) int {
	i := len(s)
	for i >= 8 {
		if m := Equal(Load64(s, i-8), b); m != 0 {
			return i - 8 + (63-bits.LeadingZeros64(m))>>3
		}
		i -= 8
	}
	for i--; i >= 0; i-- {
		if s[i] == b {
			return i
		}
	}
	return -1
}
