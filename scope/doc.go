// Package scope is the validated model of OAuth configuration-token scope
// strings such as "*:config/tokenPolicies**" or ".:config/loginPolicies/x".
//
// A scope is a list of items separated by spaces. An access item is a class
// and a path pattern: "." grants GET and HEAD, "*" every method token but
// CONNECT and TRACE; in the pattern, "*" matches within one path segment,
// "**" across segments, and every other byte itself. Any other item, such
// as "openid", is a plain item that grants no request.
//
// Parse validates a string into a Set and reports every problem in it as an
// Error with a stable Code, offset, column and item. CheckPath is the one
// definition of a canonical request path. The full language, with the
// decisions this package makes where the specification is silent, is in
// docs/language.md.
package scope
