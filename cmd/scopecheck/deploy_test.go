package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// headRevision is the revision of the checkout's HEAD.
func headRevision(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// stamped reports whether go build stamps this checkout's revision: it
// does in a clone, whose .git is a directory, and not in a linked work
// tree (git worktree), whose .git is a file that go's VCS lookup passes.
func stamped(t *testing.T) bool {
	t.Helper()
	fi, err := os.Stat("../../.git")
	if err == nil && fi.IsDir() {
		return true
	}
	t.Logf("../../.git is not a directory (a git worktree?): go stamps no revision here, so the version is not checked")
	return false
}

// versionPattern is what "scopecheck version" prints for a binary built
// in a checkout with VCS stamping: the module's pseudo-version (or
// (devel)), then the revision, its time and, for a work tree with
// changes, "modified".
var versionPattern = regexp.MustCompile(`^scopecheck (v0\.0\.0-\d{14}-[0-9a-f]{12}(\+dirty)?|\(devel\)) \(revision ([0-9a-f]{40}), \d{4}-\d\d-\d\dT[\d:]+Z(, modified)?\) go1\.\d+`)

// checkVersion runs "bin version" and checks that it names the checkout's
// HEAD.
func checkVersion(t *testing.T, bin string) {
	t.Helper()
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(out))
	m := versionPattern.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("scopecheck version says %q, want the module version and the revision", line)
	}
	if head := headRevision(t); m[3] != head {
		t.Errorf("scopecheck version names revision %s, HEAD is %s", m[3], head)
	}
}

// A binary built in the checkout with VCS stamping (the default of go
// build; this project's CI machine may set GOFLAGS=-buildvcs=false, so it
// is asked for here) reports the module version and HEAD's revision.
func TestVersionStamped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	if !stamped(t) {
		t.Skip("go stamps no revision in this checkout")
	}
	bin := filepath.Join(t.TempDir(), "scopecheck")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=true: %v\n%s", err, out)
	}
	checkVersion(t, bin)
}

// dockerfileStage returns the instructions of the named stage of a
// Dockerfile, each joined onto one line, and the instructions after it.
func dockerfileStages(t *testing.T, path string) (build, final []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages [][]string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if more, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(more + " ")
			continue
		}
		cur.WriteString(line)
		ins := cur.String()
		cur.Reset()
		if strings.HasPrefix(ins, "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("%s: %q before FROM", path, ins)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], ins)
	}
	if len(stages) != 2 {
		t.Fatalf("%s has %d stages, want a build stage and the image", path, len(stages))
	}
	return stages[0], stages[1]
}

// TestDockerfileBuild runs the build stage of deploy/Dockerfile outside a
// container: its RUN steps, as written, in the checkout (which is what its
// COPY steps put in /src), with the output directory under a temporary
// one, and the environment of the golang image (no GOFLAGS, no go env
// file). The binary
// the image copies must come out of them, static, and report HEAD.
func TestDockerfileBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	build, final := dockerfileStages(t, "../../deploy/Dockerfile")
	if !strings.HasPrefix(build[0], "FROM golang:1.26") || !strings.HasSuffix(build[0], " AS build") {
		t.Errorf("the build stage is %q, want golang:1.26 AS build", build[0])
	}
	var copied string
	for _, ins := range final {
		if src, ok := strings.CutPrefix(ins, "COPY --from=build "); ok {
			copied, _, _ = strings.Cut(src, " ")
		}
	}
	if copied == "" {
		t.Fatal("the image copies nothing from the build stage")
	}
	out := t.TempDir()
	// GOENV=off: no go env file of this machine's (which may set
	// GOFLAGS=-buildvcs=false), as in the golang image.
	env := []string{"GOENV=off", "GOFLAGS=", "HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"), "GOPATH=" + os.Getenv("GOPATH"),
		"GOMODCACHE=" + os.Getenv("GOMODCACHE"), "GOCACHE=" + os.Getenv("GOCACHE"), "GOPROXY=" + os.Getenv("GOPROXY")}
	env = append(env, goEnv(t, "GOPATH", "GOMODCACHE", "GOCACHE", "GOPROXY")...)
	ran := 0
	for _, ins := range build {
		cmd, ok := strings.CutPrefix(ins, "RUN ")
		if !ok {
			continue
		}
		cmd = strings.ReplaceAll(cmd, " /out/", " "+out+"/")
		c := exec.Command("sh", "-c", cmd)
		c.Dir = "../.."
		c.Env = env
		if b, err := c.CombinedOutput(); err != nil {
			t.Fatalf("RUN %s: %v\n%s", cmd, err, b)
		}
		ran++
	}
	if ran < 2 {
		t.Fatalf("the build stage has %d RUN steps, want the download and the build", ran)
	}
	bin := strings.Replace(copied, "/out/", out+"/", 1)
	if fi, err := os.Stat(bin); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("the build stage made no executable %s: %v", copied, err)
	}
	if b, err := exec.Command("file", bin).Output(); err == nil && !strings.Contains(string(b), "statically linked") {
		t.Errorf("%s is not static: %s", copied, b)
	}
	if stamped(t) {
		checkVersion(t, bin)
	}
	if b, err := exec.Command(bin, "help", "serve").CombinedOutput(); err != nil || !strings.Contains(string(b), "--config FILE") {
		t.Errorf("the image's binary does not serve: %v\n%s", err, b)
	}
}

// goEnv is the values go itself uses for these variables, so that the
// steps use this machine's module cache and proxy.
func goEnv(t *testing.T, names ...string) []string {
	out, err := exec.Command("go", append([]string{"env"}, names...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for i, v := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		env = append(env, names[i]+"="+v)
	}
	return env
}

// TestSystemdUnit checks deploy/scopecheck.service with systemd-analyze:
// verify (directives, sections, an executable ExecStart: the built
// command stands in for /usr/local/bin/scopecheck) and the offline
// security review, whose exposure must stay "OK" (at most 2.0). The
// settings file it names is deploy/serve.json's example, which must be
// one serve reads.
func TestSystemdUnit(t *testing.T) {
	analyze := needProgram(t, "systemd-analyze", "/usr/bin/systemd-analyze")
	unit, err := os.ReadFile("../../deploy/scopecheck.service")
	if err != nil {
		t.Fatal(err)
	}
	const execStart = "ExecStart=/usr/local/bin/scopecheck serve --config /etc/scopecheck/serve.json"
	if !strings.Contains(string(unit), "\n"+execStart+"\n") {
		t.Fatalf("the unit does not start %q", execStart)
	}
	dir := t.TempDir()
	bin := buildScopecheck(t, dir)
	path := filepath.Join(dir, "scopecheck.service")
	os.WriteFile(path, []byte(strings.Replace(string(unit), execStart, strings.Replace(execStart, "/usr/local/bin/scopecheck", bin, 1), 1)), 0o644)
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=yes", "--threshold=20", path).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0: %v\n%s", err, out)
	}
	if err := applyConfig(serveFlagSet(), "../../deploy/serve.json"); err != nil {
		t.Errorf("deploy/serve.json: %v", err)
	}
}

// The unit's dynamic user can read its configuration: systemd creates
// ConfigurationDirectory owned by root and does not hand it to a
// DynamicUser (systemd.exec(5)), so the directory must let others in and
// serve.json be readable by all (it holds no secret), while the client
// secret is an EnvironmentFile, which the service manager reads as root
// before it drops to the dynamic user, and stays 0600.
func TestSystemdUnitReadsItsConfiguration(t *testing.T) {
	unit, err := os.ReadFile("../../deploy/scopecheck.service")
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]string{}
	for _, line := range strings.Split(string(unit), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			set[k] = v
		}
	}
	mode, err := strconv.ParseUint(set["ConfigurationDirectoryMode"], 8, 32)
	if err != nil {
		t.Fatalf("ConfigurationDirectoryMode %q: %v", set["ConfigurationDirectoryMode"], err)
	}
	for _, tc := range []struct {
		name string
		got  any
		want any
	}{
		{"a dynamic user", set["DynamicUser"], "yes"},
		{"its configuration under /etc/scopecheck", set["ConfigurationDirectory"], "scopecheck"},
		{"which others may enter and list", mode & 0o005, uint64(0o005)},
		{"which no one but root may write", mode & 0o022, uint64(0)},
		{"the secret read by the service manager", set["EnvironmentFile"], "-/etc/scopecheck/secret.env"},
		{"the install steps make serve.json readable by all", strings.Contains(string(unit), "install -m 0644 serve.json /etc/scopecheck/serve.json"), true},
		{"and the secret by root alone", strings.Contains(string(unit), "install -m 0600 secret.env /etc/scopecheck/secret.env"), true},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
