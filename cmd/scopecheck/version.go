package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

const versionSynopsis = `usage: scopecheck version

Prints the module version scopecheck was built as, and, when the build
recorded them, the version control revision, its time, and whether the
work tree had changes ("modified"), then the Go version. A binary built by
"go install ...@v1.2.3" names v1.2.3; one built in a clone names the
pseudo-version go derives from the revision (v0.0.0-TIME-REVISION, with
+dirty for changes) and the revision; one built with -buildvcs=false, or
in a linked git worktree, where go records none, names (devel).`

func runVersion(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("version", versionSynopsis, stderr)
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "scopecheck version: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	info, ok := debug.ReadBuildInfo()
	fmt.Fprintln(stdout, versionLine(info, ok))
	return exitYes
}

// versionLine is "scopecheck VERSION (revision R, TIME, modified) GO",
// with what the build recorded.
func versionLine(info *debug.BuildInfo, ok bool) string {
	if !ok {
		return "scopecheck: the binary has no build information"
	}
	version := info.Main.Version
	if version == "" {
		version = "(unknown)"
	}
	var vcs []string
	for _, key := range []string{"vcs.revision", "vcs.time", "vcs.modified"} {
		for _, s := range info.Settings {
			switch {
			case s.Key != key:
			case key == "vcs.revision":
				vcs = append(vcs, "revision "+s.Value)
			case key == "vcs.modified" && s.Value == "true":
				vcs = append(vcs, "modified")
			case key == "vcs.time":
				vcs = append(vcs, s.Value)
			}
		}
	}
	line := "scopecheck " + version
	if len(vcs) > 0 {
		line += " (" + strings.Join(vcs, ", ") + ")"
	}
	return line + " " + info.GoVersion
}
