package match

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
