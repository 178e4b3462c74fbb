module github.com/scopecheck/scopecheck/benchmarks

go 1.26

require github.com/scopecheck/scopecheck v0.0.0

require github.com/hashicorp/golang-lru/v2 v2.0.7 // indirect

require (
	github.com/alecthomas/participle/v2 v2.1.4 // indirect
	github.com/gobwas/glob v0.2.3
)

replace github.com/scopecheck/scopecheck => ../
