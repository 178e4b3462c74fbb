package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// serveFlagSet is serve's flags, as runServe makes them.
func serveFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addServeFlags(fs)
	addRequestFlags(fs)
	return fs
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "serve.json")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every flag of serve but --config is a key of the configuration file,
// with the value the flag takes; a flag on the command line overrides it.
func TestServeConfigEveryKey(t *testing.T) {
	// key: the JSON value in the file, and the flag's value after.
	keys := map[string][2]string{
		"listen":                      {`"127.0.0.1:9000"`, "127.0.0.1:9000"},
		"grpc":                        {`"127.0.0.1:9001"`, "127.0.0.1:9001"},
		"metrics":                     {`"127.0.0.1:9002"`, "127.0.0.1:9002"},
		"jwks":                        {`"https://idp.example/jwks.json"`, "https://idp.example/jwks.json"},
		"issuer":                      {`"https://idp.example"`, "https://idp.example"},
		"audience":                    {`"config-api"`, "config-api"},
		"unsafe-skip-issuer-audience": {`true`, "true"},
		"jwks-refresh":                {`"2m"`, "2m0s"},
		"jwks-unknown-kid-interval":   {`"30s"`, "30s"},
		"jwks-timeout":                {`"3s"`, "3s"},
		"leeway":                      {`"5s"`, "5s"},
		"introspect":                  {`"https://idp.example/introspect"`, "https://idp.example/introspect"},
		"client-id":                   {`"gateway"`, "gateway"},
		"introspect-timeout":          {`"2s"`, "2s"},
		"token-cache-ttl":             {`"90s"`, "1m30s"},
		"inactive-cache-ttl":          {`"20s"`, "20s"},
		"cache-bytes":                 {`"32MiB"`, "33554432"},
		"token-cache-bytes":           {`1048576`, "1048576"},
		"read-header-timeout":         {`"2s"`, "2s"},
		"read-timeout":                {`"4s"`, "4s"},
		"write-timeout":               {`"6s"`, "6s"},
		"idle-timeout":                {`"2m"`, "2m0s"},
		"shutdown-delay":              {`"5s"`, "5s"},
		"shutdown-timeout":            {`"20s"`, "20s"},
		"log-level":                   {`"warn"`, "warn"},
		"log-allowed-sample":          {`100`, "100"},
		"max-connections":             {`512`, "512"},
		"grpc-max-calls":              {`32`, "32"},
		"grpc-max-message-bytes":      {`"256KiB"`, "262144"},
		"proxy":                       {`"envoy"`, "envoy"},
		"auth-path":                   {`"/check"`, "/check"},
		"tenant-claim":                {`"tenant"`, "tenant"},
		"tenant":                      {`"acme"`, "acme"},
		"unsafe-strip-segments":       {`2`, "2"},
		"strip-segments":              {`1`, "1"},
		"allow-upgrade":               {`"websocket"`, "websocket"},
		"max-scope-bytes":             {`"4KiB"`, "4096"},
	}
	fs := serveFlagSet()
	var lines []string
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" {
			return
		}
		kv, ok := keys[f.Name]
		if !ok {
			t.Errorf("flag --%s has no case in this test", f.Name)
			return
		}
		lines = append(lines, `  "`+f.Name+`": `+kv[0])
	})
	path := writeConfig(t, "{\n"+strings.Join(lines, ",\n")+"\n}\n")
	if err := applyConfig(fs, path); err != nil {
		t.Fatal(err)
	}
	got, want := map[string]string{}, map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "config" {
			got[f.Name], want[f.Name] = f.Value.String(), keys[f.Name][1]
		}
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flags after the file (-want +got):\n%s", diff)
	}

	// The command line wins.
	fs = serveFlagSet()
	if err := fs.Parse([]string{"--listen", "127.0.0.1:7000", "--log-allowed-sample", "3"}); err != nil {
		t.Fatal(err)
	}
	if err := applyConfig(fs, path); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"listen": "127.0.0.1:7000", "log-allowed-sample": "3", "proxy": "envoy"} {
		if got := fs.Lookup(name).Value.String(); got != want {
			t.Errorf("--%s = %q, want %q", name, got, want)
		}
	}
}

// A bad file is an error at the line and column where it goes wrong.
func TestServeConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"unknown key", "{\n  \"listen\": \"127.0.0.1:1\",\n  \"jwks_refresh\": \"5m\"\n}", `:3:3: unknown key "jwks_refresh": the keys are serve's flags`},
		{"config itself", `{"config": "other.json"}`, `:1:2: unknown key "config"`},
		{"a key twice", "{\"proxy\": \"nginx\",\n \"proxy\": \"caddy\"}", `:2:2: key "proxy" given twice`},
		{"not a duration", "{\n\t\"jwks-refresh\": \"5 minutes\"\n}", `:2:18: "jwks-refresh": parse error`},
		{"not a size", `{"cache-bytes": "12XB"}`, `:1:17: "cache-bytes": want a positive number of bytes`},
		{"an array", `{"allow-upgrade": ["websocket"]}`, `:1:19: "allow-upgrade": want a string`},
		{"a number for a boolean", `{"unsafe-skip-issuer-audience": 1}`, `:1:33: "unsafe-skip-issuer-audience": want true or false`},
		{"a string for a boolean", `{"unsafe-skip-issuer-audience": "T"}`, `:1:33: "unsafe-skip-issuer-audience": want true or false`},
		{"a boolean for a string", `{"issuer": true}`, `:1:12: "issuer": want a string`},
		{"a number for a string", `{"audience": 0}`, `:1:14: "audience": want a string`},
		{"a string for a number", `{"log-allowed-sample": "0x10"}`, `:1:24: "log-allowed-sample": want a number`},
		{"a number for a duration", `{"jwks-refresh": 300}`, `:1:18: "jwks-refresh": want a string`},
		{"a boolean for a size", `{"cache-bytes": false}`, `:1:17: "cache-bytes": want a number of bytes or a string`},
		{"a bad level", `{"log-level": "loud"}`, `:1:15: "log-level": want debug, info, warn or error`},
		{"not an object", `["listen"]`, `:1:1: want a JSON object of flags`},
		{"not closed", `{"listen": "x"`, `:1:15: the JSON object is not closed`},
		{"trailing", `{"listen": "x"} {}`, `:1:17: more after the JSON object`},
		{"a comma too many", "{\"listen\": \"x\",\n}", `:1:15: `},
		{"empty", ``, `:1:1: `},
	} {
		path := writeConfig(t, tc.text)
		err := applyConfig(serveFlagSet(), path)
		if err == nil || !strings.HasPrefix(err.Error(), path+tc.want) {
			t.Errorf("%s: %v, want %s%s…", tc.name, err, path, tc.want)
		}
	}
}
