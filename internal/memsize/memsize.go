// Package memsize estimates the memory that Go's allocator spends on
// objects, so that caches can budget bytes honestly: an object of n bytes
// takes the size class that holds it, not n.
package memsize

// classes are the allocator's size classes (internal/runtime/gc's
// SizeClassToSize, Go 1.26), from 8 bytes to 32 KiB.
var classes = [...]int{8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
	288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792,
	2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240,
	10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768}

// small is the size class of every size up to smallMax, by eighths of a
// byte count rounded up, as the runtime's own size_to_class8 table does:
// most objects a matcher allocates are small, and this spares them the
// search.
var small = func() (t [smallMax/8 + 1]uint16) {
	c := 0
	for i := 1; i < len(t); i++ {
		for classes[c] < i*8 {
			c++
		}
		t[i] = uint16(classes[c])
	}
	return t
}()

const smallMax = 1024

// page is the unit that objects larger than the largest class are
// rounded up to.
const page = 8192

// Alloc is the memory one allocation of n bytes occupies: 0 for n <= 0,
// the smallest size class that holds n, or n rounded up to whole pages
// beyond 32 KiB.
func Alloc(n int) int {
	if n <= 0 {
		return 0
	}
	if n <= smallMax {
		return int(small[(n+7)>>3])
	}
	if n > classes[len(classes)-1] {
		return (n + page - 1) / page * page
	}
	lo, hi := 0, len(classes)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if classes[mid] < n {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return classes[lo]
}

// mallocHeader is the word Go puts before an object that holds pointers
// and is too large (over 512 bytes) for its span to describe, up to the
// largest size class.
const mallocHeader = 8

// AllocPointers is Alloc for an object that holds pointers, which, from
// 513 bytes to 32 KiB, carries a header word.
func AllocPointers(n int) int {
	if n > 512 && n <= classes[len(classes)-1]-mallocHeader {
		n += mallocHeader
	}
	return Alloc(n)
}

// tiny is the block that Go's allocator packs objects without pointers
// under 16 bytes into. One live such object keeps its whole block.
const tiny = 16

// String is the memory a string of its own holds: its bytes, in their
// own allocation, and at least a whole tiny block for a short one. The
// header (two words) is counted where it is stored.
func String(s string) int { return NoPointers(len(s)) }

// NoPointers is Alloc for an object without pointers, which, under 16
// bytes, may keep a whole 16-byte block alive.
func NoPointers(n int) int {
	if n > 0 && n < tiny {
		return tiny
	}
	return Alloc(n)
}
