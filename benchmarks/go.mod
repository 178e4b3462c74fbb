module github.com/scopecheck/scopecheck/benchmarks

go 1.26.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/scopecheck/scopecheck v0.0.0
)

require (
	github.com/MicahParks/jwkset v0.11.4 // indirect
	github.com/go-json-experiment/json v1.27.2 // indirect
	github.com/hashicorp/golang-lru/v2 v2.0.7 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/time v0.15.0 // indirect
)

require (
	github.com/alecthomas/participle/v2 v2.1.4 // indirect
	github.com/gobwas/glob v0.2.3
)

replace github.com/scopecheck/scopecheck => ../
