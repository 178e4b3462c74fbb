//go:build unix

package main

import "syscall"

// nonBlock opens a FIFO without waiting for a writer, so that its type can
// be looked at and it can be refused.
const nonBlock = syscall.O_NONBLOCK
