package fuzz

import "strings"

// scopeSeeds are the examples and damaged forms of the language reference.
var scopeSeeds = []string{
	"*:**", "*:config/**", ".:config/**", "*:config/tokenPolicies**",
	".:config/tokenPolicies** .:config/loginPolicies**",
	".:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1",
	"*:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1",
	"*:config/tokenPolicies/a123bcde-4f56-7890-gh12-i34j567k8l90 *:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1 *:config/clients/1ab23456-7c8d-90ef-g123-45hij6789012",
	"*:webhooks/**", "openid profile email", "example.com",
	":webhooks/**", "*.**", "*config/**",
	"*:config/*", "*:webhooks/", "*:a/* *:a/*/**", "*:**a**a**a**a**b", "*:*a*a*a*a*b",
	"", "  *:a   .:b  ", "*:", "*:/x", "*:a//b", "*:a/./b", "*:a/../b", "*:a;b", "*:a%zz", "*:a%2F", "*:a***",
	"*:%C3%A9/*", "*:a*%A9", "x:config/**", "*:a\tb", "*:é",
	// Each engine of the matcher's tails: chains of "**" and of "*" (a
	// literal that takes the "/"), and programs whose DFA skips to one
	// byte, to one of several, over a run of one byte, by classes, and
	// to the end.
	"*:x/**ab**c", "*:x/*ab*c .:x/*b/*c", "*:x/**b*c", "*:x/*b**c", "*:x/**a*a**a*a**b", "*:x/*b*c**d", "*:x/*/a/**",
}

// pathSeeds are ordinary and attack paths.
var pathSeeds = []string{
	"/config/tokenPolicies", "/config/tokenPolicies/abc", "/config/tokenPoliciesX", "/config/", "/config",
	"/webhooks/", "/", "/config/loginPolicies/..;/tokenPolicies", "/config/%2F", "/config/%2e%2e/x",
	"//config", "/config/\x00", `/config\x`, "/config/%C0%AF", "/config/%E2%80%A8", "config/x",
	"http://host/config/x", "/a/" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "/%41",
	"/x/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "/x/aaaaaaab/aaaaaaaaac", "/x/aaaaaaa%41aaaaaaaabaaacaaad",
	"/x/q/a/aaaaaaaaaaaaaaaaa",
}

// requestSeeds are scopes with requests made for them. The first is a
// program that a DFA of the default size cannot hold: matching its path
// needs a state for each of the literal's 1,520 bytes, and the matcher's
// DFA has room for about a hundred, so the NFA goes on from where the
// DFA stops (match's TestDFAFallbackMidPath shows that it does).
var requestSeeds = [][3]string{
	{"*:x/**b*c" + longLiteral, "GET", "/x/abc" + longLiteral},
	{"*:x/**b*c" + longLiteral, "PUT", "/x/abc" + longLiteral[:len(longLiteral)-1]},
	{"*:x/**b*c" + longLiteral + " .:x/*b**c", "GET", "/x/abbbbbbc" + longLiteral + "c"},
}

var longLiteral = strings.Repeat("abcdefgh", 190)

var methodSeeds = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PROPFIND", "get", "CONNECT", "TRACE", ""}

// readSeeds are inputs in every form scopefile reads, the damaged and
// pasted ones among them.
var readSeeds = []string{
	`{"name": "ops", "allowedScopes": ["*:webhooks/**", ".:config/\u002a"]}`,
	`[{"allowedScopes": ["*:a"]}, 7, {"allowedScopes": [".:b", {"x": 1}]}]`,
	`{"allowedScopes":["*:**"],"allowedScopes[0]":"openid"}`,
	`{"allowedScopes": ["*:a"], "allowedScopes": ["*:**"]}`,
	`{"access_token": "z", "expires_in": "3599", "token_type": "Bearer", "scope": "*:config/**"}`,
	`{"access_token": "z", "expires_in": 3600}`,
	`{"active": true, "scope": ".:x", "a~/b": [1, true, null]}`,
	"{\n  \"allowedScopes\": [*:webhooks/]\n}\n",
	`{"allowedScopes": ["\ud83d"]}`,
	"# a list\n*:config/**\n  .:x  # the x API\r\n'*:a'\nscope=%2A%3Aa&x=1\n%2A%3Aconfig%2F%2A%2A\n",
	"Authorization: Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzY29wZSI6Iio6YSJ9.c2ln\nBearer z7S4\n",
	"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzY3AiOlsiKjphIiwiLjpiIl19.c2ln",
	"a.b.c\n",
	"*:** *:a&scope=openid\nbearer *:**\nopenid%20*:config/**\n",
	"https://idp.example.com/authorize?client_id=x&scope=*%3A**\n",
	"curl -H 'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6Iio6KioifQ.sig' https://api/config\n",
	`{"access_token":"eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6Iio6KioifQ.sig","token_type":"Bearer","scope":"openid"}`,
	`{"allowedScopes":["openid"],"allowed\u017fcopes":["*:**"],"ALLOWEDSCOPES":["*:a"],"scope\u0000":1}`,
	"eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6Iio6KioiLCJzY29wZSI6Im9wZW5pZCIsInNjcCI6WyJhIl19.sig",
	"\xEF\xBB\xBF{\"allowedScopes\": \"*:**\"}",
}

// gatewayTargetSeeds are request targets: allowed ones, first-segment and
// path tricks, other tenants, overrides in the query, odd forms.
var gatewayTargetSeeds = []string{
	"/acme/config/x", "/acme/config/x?_method=DELETE", "/acme/webhooks/s1?a=1;%5Fmethod=put", "/othercorp/config/x",
	"/%61cme/config/x", `/acme\config\clients#/webhooks/x`, "/..;/config/x", "/a;b=c/config", "/a%2Fb/config",
	"/%C0%AE/config", "/acme%3F/config", "/%E2%80%A8/x", "/acme%25/x", "/acme", "/acme/", "http://h/acme/config/x",
	"http://h?/acme/config/x", "*", "", "/acme/config/x?__METHOD_OVERRIDE__=PATCH", "/acme/x?.method=GET&_method%00=POST",
	"/acme/webhooks/x?access_token=t", "/acme/config/x?a=1;Access.Token=t", "/acme/config/x?_method%00%zz=DELETE", "/acme/config/x?%u005Fmethod=PUT",
}

// gatewayHeaderSeeds are header blocks with sources of the method and the
// target in several conventions and spellings.
var gatewayHeaderSeeds = []string{
	"", "X-HTTP-Method-Override: DELETE", "x_original_url: /acme/config/y", "X-Forwarded-Uri: /othercorp/x\nX-Forwarded-Method: PUT",
	"X-Original-URI: /acme/config/x\nX-Original-URI: /acme/config/y", "Destination: http://h/acme/x", "X-Method-Override: post",
	"X-Original-URL: /acme/webhooks/x,/acme/config/clients/c1", "X-Forwarded-Uri: /acme/webhooks/x, /othercorp/config/x",
	"X-HTTP-Method-Override: GET,DELETE", "Destination: /acme/webhooks/b,/acme/config/clients/c1",
	"Upgrade: h2c\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\nConnection: Upgrade, HTTP2-Settings",
	"Upgrade: websocket\nConnection: Upgrade", "Connection: keep-alive, Upgrade", "Upgrade: WebSocket/13, h2c",
	"X-HTTP-Method: a\nX-HTTP-Method: b\nX-HTTP-Method: c\nX-HTTP-Method: d\nX-HTTP-Method: e\nX-HTTP-Method: f\nX-HTTP-Method: g\nX-HTTP-Method: h",
}
