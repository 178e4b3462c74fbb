package gateway

import (
	"os/exec"
	"strings"
	"testing"
)

// A program that decides with Middleware and authenticates its own way
// links no JWT, JWKS, gRPC or metrics library: those live in the packages
// that need them (gateway/token, gateway/extauthz, the command).
func TestDependenciesStayLight(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, heavy := range []string{"github.com/golang-jwt/", "github.com/MicahParks/jwkset", "google.golang.org/grpc", "google.golang.org/protobuf",
		"github.com/envoyproxy/", "github.com/prometheus/", "golang.org/x/time/rate"} {
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, heavy) {
				t.Errorf("package gateway depends on %s", dep)
			}
		}
	}
}
