package match

// tchar marks the bytes of an RFC 9110 method token.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// grantable reports whether some scope can grant method m: m must be a
// method token, and not CONNECT or TRACE, which act on no resource path.
// Tokens are case-sensitive: "connect" is an extension method.
func grantable(m string) bool {
	if m == "" || m == "CONNECT" || m == "TRACE" {
		return false
	}
	for i := 0; i < len(m); i++ {
		if !tchar[m[i]] {
			return false
		}
	}
	return true
}

// isRead reports whether a grantable method is in the read class.
func (m *Matcher) isRead(method string) bool {
	if method == "GET" || method == "HEAD" {
		return true
	}
	for _, r := range m.readExtra {
		if method == r {
			return true
		}
	}
	return false
}
