// Package testjwt makes RSA keys, their JWKS and signed JWTs for tests.
package testjwt

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// Signer is a key made for one test, and its JSON Web Key Set.
type Signer struct {
	Key  *rsa.PrivateKey
	JWKS []byte
}

// New makes a 2048-bit RSA key with key id "k1".
func New(t testing.TB) Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	jwks, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return Signer{key, jwks}
}

// Token signs claims with RS256 under key id "k1".
func (s Signer) Token(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = "k1"
	out, err := tok.SignedString(s.Key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
