package benchmarks

import (
	"fmt"
	"strings"
)

// Request is one request of a workload.
type Request struct{ Method, Path string }

// Workload is a scope and the requests decided against it, in turn.
type Workload struct {
	Name  string
	Scope string
	Reqs  []Request
}

// Examples are the language reference's examples, each with a request it
// allows.
var Examples = []Workload{
	{"super-admin", "*:**", []Request{{"DELETE", "/config/tokenPolicies/a1"}}},
	{"config-rw", "*:config/**", []Request{{"PUT", "/config/tokenPolicies/a1"}}},
	{"config-read", ".:config/**", []Request{{"GET", "/config/clients"}}},
	{"token-policies", "*:config/tokenPolicies**", []Request{{"POST", "/config/tokenPolicies"}}},
	{"two-reads", ".:config/tokenPolicies** .:config/loginPolicies**", []Request{{"GET", "/config/loginPolicies/x"}}},
	{"one-login-policy", ".:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1",
		[]Request{{"GET", "/config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1"}}},
	{"three-objects", "*:config/tokenPolicies/a123bcde-4f56-7890-gh12-i34j567k8l90 *:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1 *:config/clients/1ab23456-7c8d-90ef-g123-45hij6789012",
		[]Request{{"PUT", "/config/clients/1ab23456-7c8d-90ef-g123-45hij6789012"}}},
	{"webhooks", "*:webhooks/**", []Request{{"POST", "/webhooks/subscriptions"}}},
}

func uuid(i int) string {
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", 0x1ab23c45+i*7919, i*31%65536, i*17%4096, i*13%4096, 0x45ab6789012+i)
}

// Policy20 is a realistic policy of 20 items over the configuration API,
// with requests of the kinds a gateway sees: reads and writes of the
// objects it names, of other objects, and of other APIs.
var Policy20 = func() Workload {
	kinds := []string{"clients", "loginPolicies", "tokenPolicies", "webhooks/subscriptions"}
	var items []string
	var reqs []Request
	for i := 0; i < 16; i++ {
		class := []string{".", "*"}[i%2]
		items = append(items, fmt.Sprintf("%s:config/%s/%s", class, kinds[i%4], uuid(i)))
	}
	items = append(items, ".:config/tokenPolicies**", ".:config/loginPolicies/*/pushClaims", "*:webhooks/**", ".:config/clients")
	for i := 0; i < 16; i++ {
		reqs = append(reqs, Request{[]string{"GET", "PUT"}[i%2], fmt.Sprintf("/config/%s/%s", kinds[i%4], uuid(i))})
	}
	reqs = append(reqs,
		Request{"GET", "/config/tokenPolicies"}, Request{"GET", "/config/loginPolicies/" + uuid(3) + "/pushClaims"},
		Request{"POST", "/webhooks/subscriptions"}, Request{"GET", "/config/clients"},
		Request{"PUT", "/config/clients/" + uuid(0)}, Request{"DELETE", "/config/tokenPolicies/" + uuid(2)},
		Request{"GET", "/config/clients/" + uuid(99)}, Request{"POST", "/config/loginPolicies"})
	return Workload{"policy20", strings.Join(items, " "), reqs}
}()

// Denied is Policy20 with requests that no item allows.
var Denied = Workload{"denied", Policy20.Scope, []Request{
	{"GET", "/config/clients/" + uuid(99)}, {"PUT", "/config/tokenPolicies/" + uuid(2)},
	{"DELETE", "/users/" + uuid(1)}, {"POST", "/config/loginPolicies"},
}}

// NonCanonical is Policy20 with path tricks; scopecheck denies them all.
// The peers do not check paths, so their answers here are not compared.
var NonCanonical = Workload{"noncanonical", Policy20.Scope, []Request{
	{"GET", "/config/clients/" + uuid(0) + "/..;/x"}, {"GET", "/webhooks/%2e%2e/config/clients"},
	{"POST", "/webhooks//subscriptions"}, {"GET", "/config/tokenPolicies/%C0%AF"},
}}

// Items is a scope of n items with distinct literal prefixes, and one
// request, the same for every n: with hit, for the first item (which a
// loop over the items finds at once); else for no item (which a loop has
// to try every item to deny).
func Items(n int, hit bool) Workload {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf("*:svc%05d/resources/**", i)
	}
	if hit {
		return Workload{fmt.Sprintf("items-%d", n), strings.Join(items, " "), []Request{{"PUT", "/svc00000/resources/r1/attributes"}}}
	}
	return Workload{fmt.Sprintf("items-miss-%d", n), strings.Join(items, " "), []Request{{"PUT", "/svc99999/resources/r1/attributes"}}}
}

// ThreeObjects is the language reference's three-object example, for the
// cold path.
var ThreeObjects = Examples[6]

// Adversarial is a wildcard-heavy scope against a path of n bytes that it
// matches only at its last byte, so that every contender must read all of
// it: the worst case for backtracking matchers, and a test that time is
// linear in the path's length.
func Adversarial(name, scopeText string, n int) Workload {
	p := "/" + strings.Repeat("a", n-2) + "b"
	return Workload{fmt.Sprintf("%s-%d", name, n), scopeText, []Request{{"GET", p}}}
}

// AdversarialScopes are the patterns of the adversarial workloads.
var AdversarialScopes = []struct{ Name, Scope string }{
	{"dstar-chain", "*:**a**a**a**a**b"},
	{"star-chain", "*:*a*a*a*a*b"},
	{"overlapping-dstars", "*:**a**a**c *:a**a**a**d *:**aa**e *:**a*a**f *:**a**b"},
	{"mixed-chain", "*:**a*a**a*a**b"},
}
