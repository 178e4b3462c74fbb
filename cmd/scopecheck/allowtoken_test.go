package main

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/internal/testjwt"
)

// allow --token-from decides with a bearer token's scope: verified as
// serve verifies it with --jwks (a file or a URL), read unverified and
// said so without.
func TestAllowTokenFrom(t *testing.T) {
	dir := t.TempDir()
	keys, other := testjwt.New(t), testjwt.NewKID(t, "k2")
	jwksFile := filepath.Join(dir, "jwks.json")
	os.WriteFile(jwksFile, keys.JWKS, 0o600)
	jwksServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(keys.JWKS) }))
	defer jwksServer.Close()
	exp := time.Now().Add(time.Hour).Unix()
	claims := func(extra jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": exp, "scope": ".:config/** *:webhooks/**", "client_id": "reviewer"}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		return p
	}
	good := keys.Token(t, claims(nil))
	goodFile := file("good", good+"\n")
	headerFile := file("header", "Authorization: Bearer "+good+"\n")
	forged := file("forged", other.Token(t, claims(jwt.MapClaims{"scope": "*:**"})))
	sameKID := file("same-kid", testjwt.New(t).Token(t, claims(jwt.MapClaims{"scope": "*:**"})))
	expired := file("expired", keys.Token(t, claims(jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix()})))
	otherAud := file("aud", keys.Token(t, claims(jwt.MapClaims{"aud": "billing"})))
	opaque := file("opaque", "Bearer 2YotnFZFEjr1zCsicMWpAA")
	mismatch := file("mismatch", keys.Token(t, claims(jwt.MapClaims{"scope": ".:a", "scp": []string{"*:**"}})))
	// A payload with "scope" twice, which no JSON encoder writes.
	twice := file("twice", "eyJhbGciOiJub25lIn0."+base64.RawURLEncoding.EncodeToString([]byte(`{"scope":".:a","scope":"*:**"}`))+".")
	verify := []string{"--jwks", jwksFile, "--issuer", e2eIssuer, "--audience", e2eAudience}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  cliResult
	}{
		{"verified, allowed", "", append([]string{"--token-from", goodFile, "GET", "/config/clients"}, verify...),
			cliResult{0, "allow GET /config/clients: granted by .:config/**\n", ""}},
		{"verified, denied", "", append([]string{"--token-from", headerFile, "PUT", "/config/clients"}, verify...),
			cliResult{1, "deny PUT /config/clients: method not granted: .:config/** matches the path but grants only the read methods\n", ""}},
		{"verified against a JWKS URL", "", []string{"--token-from", goodFile, "--jwks", jwksServer.URL, "--issuer", e2eIssuer, "--audience", e2eAudience, "DELETE", "/webhooks/s1"},
			cliResult{0, "allow DELETE /webhooks/s1: granted by *:webhooks/**\n", ""}},
		{"token from stdin, JSON", good, append([]string{"--token-from", "-", "--format", "json", "GET", "/config/x"}, verify...),
			cliResult{0, `{"method":"GET","path":"/config/x","allowed":true,"item":".:config/**","reason":"granted","message":"granted by .:config/**","signature":"verified"}` + "\n", ""}},
		{"unverified, said so", "", []string{"--token-from", goodFile, "GET", "/config/clients"},
			cliResult{0, "allow GET /config/clients: granted by .:config/**\n", "note: the token's signature was not checked (no --jwks): its scope is taken on trust\n"}},
		{"a forged token decides nothing", "", append([]string{"--token-from", forged, "GET", "/config/clients"}, verify...),
			cliResult{2, "", forged + ": the token does not verify, so it allows nothing (serve answers 401): token: JWT: token is unverifiable: error while executing keyfunc: unknown key id \"k2\" [invalid-token]\n"}},
		{"signed by another key under the same key id", "", append([]string{"--token-from", sameKID, "GET", "/config/clients"}, verify...),
			cliResult{2, "", sameKID + ": the token does not verify, so it allows nothing (serve answers 401): token: JWT: token signature is invalid: crypto/rsa: verification error [invalid-token]\n"}},
		{"expired", "", append([]string{"--token-from", expired, "GET", "/config/clients"}, verify...), cliResult{2, "", ""}},
		{"another audience", "", append([]string{"--token-from", otherAud, "GET", "/config/clients"}, verify...), cliResult{2, "", ""}},
		{"an opaque token, unverified", "", []string{"--token-from", opaque, "GET", "/config/clients"},
			cliResult{2, "", opaque + ": the token is not a JWT with a scope or scp claim: only its issuer can say what it grants (RFC 7662 introspection) [unknown-form]\n"}},
		// Without --jwks, what is wrong with a JWT is said as such: its
		// scope and scp claims disagree, or it names scope twice.
		{"scope and scp disagree, unverified", "", []string{"--token-from", mismatch, "GET", "/a"},
			cliResult{2, "", mismatch + ": the JWT's scope claim is \".:a\", but its scp claim is \"*:**\": gateways read one or the other [scope-mismatch]\n"}},
		{"scope twice, unverified", "", []string{"--token-from", twice, "GET", "/a"},
			cliResult{2, "", twice + ": in the JWT payload: duplicate key \"scope\": servers disagree on which one wins, so each is linted [duplicate-key]\n"}},
		{"no token", "", []string{"--token-from", file("empty", "\n"), "GET", "/"},
			cliResult{2, "", filepath.Join(dir, "empty") + ": no bearer token: want one token, alone or as \"Bearer TOKEN\" or an Authorization header [unknown-form]\n"}},
		{"a JWKS that cannot be read", "", []string{"--token-from", goodFile, "--jwks", filepath.Join(dir, "nope.json"), "--issuer", "i", "--audience", "a", "GET", "/"}, cliResult{2, "", ""}},
		{"issuer without --jwks", "", []string{"--token-from", goodFile, "--issuer", "i", "GET", "/"},
			cliResult{2, "", "scopecheck allow: --issuer and --audience are checked on a verified token: give --jwks too\n"}},
		{"--jwks without issuer and audience", "", []string{"--token-from", goodFile, "--jwks", jwksFile, "GET", "/"},
			cliResult{2, "", "scopecheck allow: give --issuer and --audience, as serve requires (RFC 9068); --unsafe-skip-issuer-audience verifies without them\n"}},
		{"unsafe skip", "", []string{"--token-from", goodFile, "--jwks", jwksFile, "--unsafe-skip-issuer-audience", "GET", "/config/x"},
			cliResult{0, "allow GET /config/x: granted by .:config/**\n", ""}},
		{"--jwks without a token", "", []string{"--scope", "*:**", "--jwks", jwksFile, "GET", "/"},
			cliResult{2, "", "scopecheck allow: --jwks, --issuer and --audience verify a token: they go with --token-from\n"}},
		{"token and requests both on stdin", "", []string{"--token-from", "-", "-"}, cliResult{2, "", "scopecheck allow: stdin cannot hold both the scope and the requests\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runCLI(tc.stdin, append([]string{"allow"}, tc.args...)...)
			if tc.want.Stderr == "" && tc.want.Code == exitUsage {
				if got.Code != exitUsage || got.Stdout != "" || got.Stderr == "" {
					t.Errorf("exit %d, stdout %q, stderr %q; want 2 and a message", got.Code, got.Stdout, got.Stderr)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if strings.Contains(got.Stdout+got.Stderr, good) {
				t.Error("the token was printed")
			}
		})
	}
}
