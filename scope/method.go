package scope

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

// GrantableMethod reports whether some scope can grant method m (spec §3):
// m must be an RFC 9110 method token, and not CONNECT or TRACE, which act
// on no resource path. Tokens are case-sensitive: "connect" is an
// extension method, and "get" is not GET. An empty m is not grantable.
func GrantableMethod(m string) bool {
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
