package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressMin is the size of a file from which reading it shows a
// progress bar: smaller ones are read in a few seconds.
const progressMin = 64 << 20

// isTerminal reports whether w is a terminal; tests replace it.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressFor returns a function that shows how much of a file of size
// bytes has been read, on stderr, when stderr is a terminal and the file
// is a large regular one; otherwise nil. finish clears the bar.
func progressFor(stderr io.Writer, name string, info os.FileInfo) (update func(int64), finish func()) {
	if info == nil || !info.Mode().IsRegular() || info.Size() < progressMin || !isTerminal(stderr) {
		return nil, func() {}
	}
	bar := progressbar.NewOptions64(info.Size(),
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return func(n int64) { bar.Set64(n) }, func() { bar.Finish() }
}
