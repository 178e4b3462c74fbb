package gateway

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A request that asks to switch protocols is refused unless every
// protocol it names is allowed; h2c never is. Once switched, the
// connection is a tunnel that no decision sees into.
func TestUpgrade(t *testing.T) {
	h2c := http.Header{"Upgrade": {"h2c"}, "Http2-Settings": {"AAMAAABkAARAAAAAAAIAAAAA"}, "Connection": {"Upgrade, HTTP2-Settings"}}
	websocket := http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Version": {"13"}}
	for _, tc := range []struct {
		name   string
		allow  []string
		target string
		header http.Header
		want   decided
	}{
		{"h2c", nil, "/acme/config/x", h2c, decided{403, "upgrade"}},
		{"h2c, websocket allowed", []string{"websocket"}, "/acme/config/x", h2c, decided{403, "upgrade"}},
		{"websocket", nil, "/acme/config/x", websocket, decided{403, "upgrade"}},
		{"websocket allowed", []string{"websocket"}, "/acme/config/x", websocket, decided{200, "granted"}},
		{"websocket allowed, other case and a version", []string{"WebSocket"}, "/acme/config/x", http.Header{"Upgrade": {"websocket/13"}, "Connection": {"keep-alive, Upgrade"}}, decided{200, "granted"}},
		{"websocket allowed, on a path the scope denies", []string{"websocket"}, "/acme/users/x", websocket, decided{403, "no-match"}},
		{"websocket allowed, and h2c asked too", []string{"websocket"}, "/acme/config/x", http.Header{"Upgrade": {"websocket, h2c"}, "Connection": {"Upgrade"}}, decided{403, "upgrade"}},
		{"websocket allowed, h2c's settings", []string{"websocket"}, "/acme/config/x", http.Header{"Upgrade": {"websocket"}, "Http2-Settings": {"x"}}, decided{403, "upgrade"}},
		{"websocket allowed, a second Upgrade line", []string{"websocket"}, "/acme/config/x", http.Header{"Upgrade": {"websocket", "foo"}}, decided{403, "upgrade"}},
		{"an empty Upgrade", []string{"websocket"}, "/acme/config/x", http.Header{"Upgrade": {""}}, decided{403, "upgrade"}},
		{"HTTP2-Settings alone", nil, "/acme/config/x", http.Header{"Http2-Settings": {"AAMAAABkAARAAAAAAAIAAAAA"}}, decided{403, "upgrade"}},
		{"HTTP2_Settings, as CGI reads it", nil, "/acme/config/x", http.Header{"Http2_settings": {"x"}}, decided{403, "upgrade"}},
		{"Connection: upgrade alone", []string{"websocket"}, "/acme/config/x", http.Header{"Connection": {"keep-alive", "UPGRADE"}}, decided{403, "upgrade"}},
		{"Connection lists HTTP2-Settings", nil, "/acme/config/x", http.Header{"Connection": {"HTTP2-Settings"}}, decided{403, "upgrade"}},
		{"Connection: keep-alive", nil, "/acme/config/x", http.Header{"Connection": {"keep-alive"}}, decided{200, "granted"}},
		{"Connection: close", nil, "/acme/config/x", http.Header{"Connection": {"close"}}, decided{200, "granted"}},
		{"Upgrade-Insecure-Requests is no upgrade", nil, "/acme/config/x", http.Header{"Upgrade-Insecure-Requests": {"1"}}, decided{200, "granted"}},
	} {
		tenant := "acme"
		mw, ar := decideBoth(".:config/**", "GET", tc.target, tc.header, []Option{AllowUpgrade(tc.allow...)}, &tenant)
		if diff := cmp.Diff([2]decided{tc.want, tc.want}, [2]decided{mw, ar}); diff != "" {
			t.Errorf("%s: [Middleware, AuthRequest] (-want +got):\n%s", tc.name, diff)
		}
	}
}
