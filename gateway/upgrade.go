package gateway

import (
	"strings"

	"github.com/scopecheck/scopecheck/scope"
)

// A request that asks to switch protocols (RFC 9110 §7.8) turns its
// connection into a tunnel once the upstream answers 101 Switching
// Protocols: every later byte reaches the upstream with no decision, and
// after an h2c upgrade those bytes are whole HTTP/2 requests. So a request
// that carries an Upgrade field, an HTTP2-Settings field (h2c's), or a
// Connection field that lists "upgrade" or "http2-settings" is refused
// (Refusal Upgrade), unless it carries an Upgrade field, every protocol of
// which the operator allowed (AllowUpgrade), and nothing of h2c's.

// AllowUpgrade lets a request that asks to switch to one of these
// protocols (such as "websocket"; compared without regard to case, a
// version such as "/13" ignored) be decided as any other: allowed when
// its scope allows it. Once the upstream switches, nothing that crosses
// the connection is decided again, so name only protocols that carry no
// further HTTP requests. h2c (HTTP/2 over cleartext) does, and cannot be
// allowed. Middleware and AuthRequest panic on "h2c" and on a name that is
// not an RFC 9110 token.
func AllowUpgrade(protocols ...string) Option {
	return func(c *config) { c.upgrades = append(c.upgrades, protocols...) }
}

// checkUpgrades panics on a protocol that AllowUpgrade cannot allow.
func checkUpgrades(protocols []string) {
	for _, p := range protocols {
		// A protocol name is a token, as a method is (GrantableMethod
		// checks exactly that, and no protocol is named CONNECT or TRACE).
		if !scope.GrantableMethod(p) || strings.EqualFold(p, "h2c") {
			panic("gateway: AllowUpgrade cannot allow " + strings.TrimSpace(p) + ": give protocol names other than h2c, such as websocket")
		}
	}
}

// protocolSwitch gathers a request's asks to switch protocols.
type protocolSwitch struct {
	upgrade    bool // an Upgrade field
	connection bool // a Connection field that lists "upgrade"
	refused    bool // a protocol not allowed, or a field of h2c's
}

// add reads one value of an Upgrade, HTTP2-Settings or Connection field
// (kind), each a comma-separated list (RFC 9110 §5.6.1).
func (p *protocolSwitch) add(kind sourceKind, v string, allowed []string) {
	switch kind {
	case settingsField:
		p.refused = true
		return
	case upgradeField:
		p.upgrade = true
	}
	for rest, more := v, true; more; {
		var e string
		e, rest, more = strings.Cut(rest, ",")
		e = strings.Trim(e, " \t")
		switch kind {
		case upgradeField:
			name, _, _ := strings.Cut(e, "/")
			if !allowedProtocol(name, allowed) {
				p.refused = true
			}
		case connectionField:
			if strings.EqualFold(e, "upgrade") {
				p.connection = true
			} else if strings.EqualFold(e, "http2-settings") {
				p.refused = true
			}
		}
	}
}

// refuse reports whether the request asks to switch to a protocol that is
// not allowed, or asks to switch without saying to what.
func (p protocolSwitch) refuse() bool { return p.refused || p.connection && !p.upgrade }

func allowedProtocol(name string, allowed []string) bool {
	for _, a := range allowed {
		if name != "" && strings.EqualFold(name, a) {
			return true
		}
	}
	return false
}
