package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/match"
)

// A request that asks to switch protocols is refused unless every
// protocol it names is allowed; h2c never is. Once switched, the
// connection is a tunnel that no decision sees into.
func TestUpgrade(t *testing.T) {
	type result struct {
		Status int
		Why    string
	}
	h2c := http.Header{"Upgrade": {"h2c"}, "Http2-Settings": {"AAMAAABkAARAAAAAAAIAAAAA"}, "Connection": {"Upgrade, HTTP2-Settings"}}
	websocket := http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Version": {"13"}}
	for _, tc := range []struct {
		name   string
		allow  []string
		target string
		header http.Header
		want   result
	}{
		{"h2c", nil, "/acme/config/x", h2c, result{403, "upgrade"}},
		{"h2c, websocket allowed", []string{"websocket"}, "/acme/config/x", h2c, result{403, "upgrade"}},
		{"websocket", nil, "/acme/config/x", websocket, result{403, "upgrade"}},
		{"websocket allowed", []string{"websocket"}, "/acme/config/x", websocket, result{200, "granted"}},
		{"websocket allowed, other case and a version", []string{"WebSocket"}, "/acme/config/x", http.Header{"Upgrade": {"websocket/13"}, "Connection": {"keep-alive, Upgrade"}}, result{200, "granted"}},
		{"websocket allowed, on a path the scope denies", []string{"websocket"}, "/acme/users/x", websocket, result{403, "no-match"}},
		{"websocket allowed, and h2c asked too", []string{"websocket"}, "/acme/config/x", http.Header{"Upgrade": {"websocket, h2c"}, "Connection": {"Upgrade"}}, result{403, "upgrade"}},
		{"websocket allowed, h2c's settings", []string{"websocket"}, "/acme/config/x", http.Header{"Upgrade": {"websocket"}, "Http2-Settings": {"x"}}, result{403, "upgrade"}},
		{"websocket allowed, a second Upgrade line", []string{"websocket"}, "/acme/config/x", http.Header{"Upgrade": {"websocket", "foo"}}, result{403, "upgrade"}},
		{"an empty Upgrade", []string{"websocket"}, "/acme/config/x", http.Header{"Upgrade": {""}}, result{403, "upgrade"}},
		{"HTTP2-Settings alone", nil, "/acme/config/x", http.Header{"Http2-Settings": {"AAMAAABkAARAAAAAAAIAAAAA"}}, result{403, "upgrade"}},
		{"HTTP2_Settings, as CGI reads it", nil, "/acme/config/x", http.Header{"Http2_settings": {"x"}}, result{403, "upgrade"}},
		{"Connection: upgrade alone", []string{"websocket"}, "/acme/config/x", http.Header{"Connection": {"keep-alive", "UPGRADE"}}, result{403, "upgrade"}},
		{"Connection lists HTTP2-Settings", nil, "/acme/config/x", http.Header{"Connection": {"HTTP2-Settings"}}, result{403, "upgrade"}},
		{"Connection: keep-alive", nil, "/acme/config/x", http.Header{"Connection": {"keep-alive"}}, result{200, "granted"}},
		{"Connection: close", nil, "/acme/config/x", http.Header{"Connection": {"close"}}, result{200, "granted"}},
		{"Upgrade-Insecure-Requests is no upgrade", nil, "/acme/config/x", http.Header{"Upgrade-Insecure-Requests": {"1"}}, result{200, "granted"}},
	} {
		var seen Decision
		opts := []Option{TenantSegment(acme), AllowUpgrade(tc.allow...), WithHook(func(_ *http.Request, d Decision) { seen = d })}
		cache, _ := match.NewCache(1 << 20)
		mw := Middleware(cache, func(*http.Request) (string, bool) { return ".:config/**", true }, opts...)(ok200)
		w := httptest.NewRecorder()
		mw.ServeHTTP(w, &http.Request{Method: "GET", RequestURI: tc.target, Header: tc.header.Clone()})
		if diff := cmp.Diff(tc.want, result{w.Code, seen.Why()}); diff != "" {
			t.Errorf("%s: Middleware (-want +got):\n%s", tc.name, diff)
		}
		// The same behind a proxy.
		h := tc.header.Clone()
		h.Set("Authorization", "Bearer t")
		h.Set("X-Original-Method", "GET")
		h.Set("X-Original-Uri", tc.target)
		w = httptest.NewRecorder()
		AuthRequest(cache, fixedTokens{".:config/**", "acme"}, Nginx(), opts).ServeHTTP(w, &http.Request{Method: "GET", RequestURI: "/auth", Header: h})
		if diff := cmp.Diff(tc.want, result{w.Code, seen.Why()}); diff != "" {
			t.Errorf("%s: AuthRequest (-want +got):\n%s", tc.name, diff)
		}
	}
}
