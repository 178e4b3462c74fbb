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

// Less returns x with bit 7 of each byte set where that byte is less than
// b, and every other bit clear, for b at most 0x80. It is exact, as Equal
// is: no byte is flagged by a carry from its neighbour.
func Less(x uint64, b byte) uint64 {
	// Bit 7 of t is set where the byte's low seven bits are at least b
	// (they add at most 0x7f+0x80, so nothing carries out of a byte);
	// the byte is less than b where that bit and its own bit 7 are clear.
	t := (x & lo7) + ones*uint64(0x80-b)
	return ^(t | x) &^ lo7
}
