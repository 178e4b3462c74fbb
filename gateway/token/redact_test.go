package token

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/gateway"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "https://idp.example/jwks.json", "https://idp.example/jwks.json"},
		{"user and password", "http://user:s3cretpw@127.0.0.1:1/jwks.json", "http://xxxxx@127.0.0.1:1/jwks.json"},
		{"user alone", "http://token@idp.example/jwks", "http://xxxxx@idp.example/jwks"},
		{"query", "https://idp.example/jwks?api_key=k3y", "https://idp.example/jwks?xxxxx"},
		{"fragment", "https://idp.example/jwks#k3y", "https://idp.example/jwks#xxxxx"},
		{"all", "https://u:p@idp.example:8443/a/b?k=v#f", "https://xxxxx@idp.example:8443/a/b?xxxxx#xxxxx"},
		{"not a URL", "http://u:p@[::1/x", "(not a URL)"},
		{"no host", "/etc/jwks.json", "(not a URL)"},
	} {
		if diff := cmp.Diff(tc.want, RedactURL(tc.in)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// A URL's credentials never reach an error or a log line: the errors of a
// key set that does not load, of an introspection that fails, and of a URL
// refused at the start.
func TestURLCredentialsNotPrinted(t *testing.T) {
	const url = "http://user:s3cretpw@127.0.0.1:1/x.json?api_key=k3y"
	var log lockedBuilder
	logger := slog.New(slog.NewTextHandler(&log, nil))
	j, err := NewJWTFromURL(context.Background(), url, JWTOptions{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for deadline := time.Now().Add(5 * time.Second); j.keys.failed.Load() == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	_, jwtErr := j.Scope(context.Background(), "a.b.c")
	in, err := NewIntrospection(url, IntrospectionOptions{ClientID: "gw", Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	_, inErr := in.Scope(context.Background(), "tok")
	_, badJWKS := NewJWTFromURL(context.Background(), "ftp://user:s3cretpw@h/?api_key=k3y", JWTOptions{})
	_, badEndpoint := NewIntrospection("ftp://user:s3cretpw@h/?api_key=k3y", IntrospectionOptions{})
	for _, tc := range []struct {
		name string
		text string
	}{
		{"the key set's error", errText(j.keys.ready())},
		{"a token's error while no set loaded", errText(jwtErr)},
		{"introspection's error", errText(inErr)},
		{"a JWKS URL refused", errText(badJWKS)},
		{"an endpoint refused", errText(badEndpoint)},
		{"the log", log.String()},
	} {
		if tc.text == "" {
			t.Errorf("%s: nothing to look at", tc.name)
		}
		for _, secret := range []string{"s3cretpw", "k3y", "user:"} {
			if strings.Contains(tc.text, secret) {
				t.Errorf("%s holds %q: %s", tc.name, secret, tc.text)
			}
		}
	}
	if !errors.Is(inErr, gateway.ErrUnavailable) {
		t.Errorf("introspection's error is not an outage: %v", inErr)
	}
}

// lockedBuilder is a strings.Builder that goroutines write to.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
