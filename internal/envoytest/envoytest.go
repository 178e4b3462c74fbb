// Package envoytest makes the CheckRequests that Envoy's ext_authz filter
// sends over gRPC, and reads a CheckResponse as Envoy does, for the tests
// of gateway/extauthz and of scopecheck serve.
package envoytest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/protobuf/proto"
)

// Check is the CheckRequest Envoy sends for a request: the method and the
// path with its query, the headers ("Name: value" lines) under lower-case
// names, repeated lines joined with a bare "," (Envoy's
// check_request_utils), the pseudo-headers among them, and Envoy's own.
func Check(method, path string, lines ...string) *authv3.CheckRequest {
	headers := map[string]string{
		":authority": "api.example.com", ":method": method, ":path": path, ":scheme": "https",
		"x-forwarded-proto": "https", "x-request-id": "3f1c2a9e-8d1b-4c55-9d0e-5b7a1f2e6c11",
	}
	for _, line := range lines {
		name, value, _ := strings.Cut(line, ":")
		name, value = strings.ToLower(name), strings.TrimSpace(value)
		if v, ok := headers[name]; ok {
			value = v + "," + value
		}
		headers[name] = value
	}
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Source: &authv3.AttributeContext_Peer{},
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
			Id: "10462342951244350432", Method: method, Path: path, Host: "api.example.com", Scheme: "https",
			Protocol: "HTTP/1.1", Headers: headers,
		}},
	}}
}

// Outcome is what Envoy makes of a CheckResponse: its gRPC code, and the
// denied response's HTTP status and WWW-Authenticate challenge.
type Outcome struct {
	Code      code.Code
	Status    int
	Challenge string
}

// OutcomeOf reads a CheckResponse. A response that neither allows nor
// carries a denied response is an error, as is err.
func OutcomeOf(resp *authv3.CheckResponse, err error) (Outcome, error) {
	if err != nil {
		return Outcome{}, err
	}
	o := Outcome{Code: code.Code(resp.GetStatus().GetCode())}
	if d := resp.GetDeniedResponse(); d != nil {
		o.Status = int(d.GetStatus().GetCode())
		for _, h := range d.GetHeaders() {
			if h.GetHeader().GetKey() == "www-authenticate" {
				o.Challenge = h.GetHeader().GetValue()
			}
		}
	} else if resp.GetOkResponse() == nil {
		return o, errors.New("a CheckResponse with neither ok_response nor denied_response")
	}
	return o, nil
}

// Raw is a CheckRequest as bytes on the wire, which Codec sends as they
// are: what Envoy may send and protobuf-go would refuse to encode, a
// string field that is not UTF-8 among them.
type Raw []byte

// Mangle encodes req, then replaces each old of pairs (old, new ...) in
// the encoding with the new of the same length, so that a test can put
// bytes into a string field that protobuf-go would not encode. It panics
// when an old is not found or the lengths differ.
func Mangle(req *authv3.CheckRequest, pairs ...string) Raw {
	b, err := proto.Marshal(req)
	if err != nil {
		panic(err)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		old, repl := pairs[i], pairs[i+1]
		if len(old) != len(repl) || !bytes.Contains(b, []byte(old)) {
			panic(fmt.Sprintf("envoytest.Mangle: %q is not in the request, or %q is not as long", old, repl))
		}
		b = bytes.ReplaceAll(b, []byte(old), []byte(repl))
	}
	return Raw(b)
}

// Codec is a client's gRPC codec (grpc.ForceCodec) that sends a Raw as it
// is and every other message as proto does.
type Codec struct{}

func (Codec) Marshal(v any) ([]byte, error) {
	if r, ok := v.(Raw); ok {
		return r, nil
	}
	return proto.Marshal(v.(proto.Message))
}

func (Codec) Unmarshal(data []byte, v any) error { return proto.Unmarshal(data, v.(proto.Message)) }

func (Codec) Name() string { return "proto" }
