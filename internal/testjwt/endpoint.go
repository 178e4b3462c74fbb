package testjwt

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Endpoint is an identity provider's JWKS URL for a test, whose answer
// the test changes as it goes (an outage, a key withdrawn).
type Endpoint struct {
	URL    string
	mu     sync.Mutex
	status int
	body   []byte
}

// NewEndpoint serves status and body at its URL until Set changes them,
// and closes when the test ends.
func NewEndpoint(t testing.TB, status int, body []byte) *Endpoint {
	e := &Endpoint{status: status, body: body}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		w.WriteHeader(e.status)
		w.Write(e.body)
	}))
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

// Set makes the endpoint answer status and body from now on.
func (e *Endpoint) Set(status int, body []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status, e.body = status, body
}
