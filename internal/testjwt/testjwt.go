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

// Signer is a key made for one test, its key id, and a JSON Web Key Set
// that holds it alone.
type Signer struct {
	Key  *rsa.PrivateKey
	JWKS []byte
	KID  string
}

// New makes a 2048-bit RSA key with key id "k1".
func New(t testing.TB) Signer { return NewKID(t, "k1") }

// NewKID makes a 2048-bit RSA key with key id kid.
func NewKID(t testing.TB, kid string) Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := Signer{Key: key, KID: kid}
	s.JWKS = Set(t, s)
	return s
}

// JWK is the signer's public key as a JSON Web Key.
func (s Signer) JWK() map[string]string {
	b64 := base64.RawURLEncoding.EncodeToString
	return map[string]string{
		"kty": "RSA", "kid": s.KID, "alg": "RS256", "use": "sig",
		"n": b64(s.Key.N.Bytes()), "e": b64(big.NewInt(int64(s.Key.E)).Bytes()),
	}
}

// Set is a JSON Web Key Set that holds the signers' keys.
func Set(t testing.TB, signers ...Signer) []byte {
	t.Helper()
	keys := []map[string]string{}
	for _, s := range signers {
		keys = append(keys, s.JWK())
	}
	jwks, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return jwks
}

// Token signs claims with RS256 under the signer's key id.
func (s Signer) Token(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = s.KID
	out, err := tok.SignedString(s.Key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
