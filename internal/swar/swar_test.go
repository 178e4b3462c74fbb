package swar

import (
	"math/bits"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// Equal flags exactly the bytes that equal b, whatever their neighbours,
// and Load64 puts byte i lowest.
func TestEqual(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := string(rapid.SliceOfN(rapid.SampledFrom([]byte{0, 1, '/', '.', '%', 0x2e, 0x30, 0x7f, 0x80, 0xaf, 0xff}), 8, 8).Draw(t, "bytes"))
		b := rapid.SampledFrom([]byte{0, 1, '/', '.', '%', 0x7f, 0x80, 0xff}).Draw(t, "b")
		m := Equal(Load64(s, 0), b)
		for i := 0; i < 8; i++ {
			if got, want := m>>(8*i)&0xff, uint64(0); s[i] == b {
				if got != 0x80 {
					t.Fatalf("Equal(%q, %#x): byte %d is %#x, want 0x80", s, b, i, got)
				}
			} else if got != want {
				t.Fatalf("Equal(%q, %#x): byte %d is %#x, want 0", s, b, i, got)
			}
		}
		if m != 0 && s[bits.TrailingZeros64(m)>>3] != b {
			t.Fatalf("Equal(%q, %#x): the lowest flag is not the first match", s, b)
		}
	})
}

func TestLoad64(t *testing.T) {
	if got := Load64("xabcdefgh", 1); got != 0x6867666564636261 {
		t.Errorf("Load64 = %#x", got)
	}
}

// LastIndexByte is strings.LastIndexByte.
func TestLastIndexByte(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := string(rapid.SliceOfN(rapid.SampledFrom([]byte{'a', '/', 0x80, 0xaf, 0}), 0, 40).Draw(t, "s"))
		b := rapid.SampledFrom([]byte{'/', 0x80, 0}).Draw(t, "b")
		if got, want := LastIndexByte(s, b), strings.LastIndexByte(s, b); got != want {
			t.Fatalf("LastIndexByte(%q, %#x) = %d, want %d", s, b, got, want)
		}
	})
}

// Less flags exactly the bytes below b, whatever their neighbours, for
// every b it takes.
func TestLess(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := string(rapid.SliceOfN(rapid.SampledFrom([]byte{0, 1, 0x1f, 0x20, 0x21, '"', 0x7e, 0x7f, 0x80, 0x9f, 0xa0, 0xff}), 8, 8).Draw(t, "bytes"))
		b := rapid.SampledFrom([]byte{0, 1, 0x20, 0x21, 0x7f, 0x80}).Draw(t, "b")
		m := Less(Load64(s, 0), b)
		for i := 0; i < 8; i++ {
			want := uint64(0)
			if s[i] < b {
				want = 0x80
			}
			if got := m >> (8 * i) & 0xff; got != want {
				t.Fatalf("Less(%q, %#x): byte %d is %#x, want %#x", s, b, i, got, want)
			}
		}
	})
}
