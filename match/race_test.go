//go:build race

package match

// raceEnabled says the race detector is on: it changes what the runtime
// allocates for a compiled matcher by a few percent, which tests that
// hold Size to the measured heap allow for.
const raceEnabled = true
