package token

import (
	"errors"
	"net/url"
)

// RedactURL is the URL s as messages show it: its userinfo (a user and a
// password) and its query and fragment (an API key, say) are each replaced
// by "xxxxx", so that no credential a URL carries is printed or logged.
// A string that does not parse as a URL with a scheme and a host is not
// shown at all: "(not a URL)".
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "(not a URL)"
	}
	if u.User != nil {
		u.User = url.User("xxxxx")
	}
	if u.RawQuery != "" || u.ForceQuery {
		u.RawQuery, u.ForceQuery = "xxxxx", false
	}
	if u.Fragment != "" {
		u.Fragment, u.RawFragment = "xxxxx", ""
	}
	return u.String()
}

// withoutURL is err without the URL that net/http's client names in the
// *url.Error it returns (which keeps the query, and the user): its
// operation and its cause only.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &opError{ue.Op, ue.Err}
	}
	return err
}

// opError is an error of an HTTP operation, without its URL.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }
