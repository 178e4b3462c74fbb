//go:build !unix

package main

// nonBlock is no flag where FIFOs do not block an open.
const nonBlock = 0
