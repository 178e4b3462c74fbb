// Package extauthz answers Envoy's gRPC external authorization,
// envoy.service.auth.v3.Authorization/Check, with the decision of package
// gateway: each CheckRequest becomes the check request that Envoy's HTTP
// ext_authz would send with an empty path_prefix (the original method, the
// original path with its query as the target, every header), and is
// decided by the same http.Handler that decides HTTP check requests, a
// gateway.AuthRequest behind gateway.Envoy(""). So the gRPC front applies
// the same rules as every other: the whole target canonical, the mount
// bound to the token's tenant, every other source of the method or target
// read (Envoy joins repeated headers with ",", and each element counts),
// a token in the query and a protocol switch refused.
//
// The answer is a CheckResponse: status OK to allow; otherwise a
// DeniedHttpResponse with the handler's status and its WWW-Authenticate
// challenge (RFC 6750), with the gRPC code UNAUTHENTICATED for 401,
// PERMISSION_DENIED for 403, and UNAVAILABLE for 503 (an outage: the token
// could not be checked). An outage is answered as a denial, not as a gRPC
// error, so that Envoy sends the client 503 even where failure_mode_allow
// would let a failed check through.
package extauthz

import (
	"context"
	"net/http"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
)

// Server is an envoy.service.auth.v3.Authorization server.
type Server struct {
	authv3.UnimplementedAuthorizationServer
	h http.Handler
}

// New returns a Server that decides with h, which is meant to be
// gateway.AuthRequest(cache, tokens, gateway.Envoy(""), opts...), perhaps
// wrapped for logs or metrics. A request is allowed only when h answers
// it with a 2xx status; a handler that writes no status denies.
func New(h http.Handler) *Server { return &Server{h: h} }

// Register registers s on g as the Authorization service.
func (s *Server) Register(g *grpc.Server) { authv3.RegisterAuthorizationServer(g, s) }

// Check decides one request. It never returns an error: every answer,
// an outage's included, is a CheckResponse.
func (s *Server) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	var w answer
	s.h.ServeHTTP(&w, request(ctx, req))
	return w.response(), nil
}

// request is the check request that Envoy's HTTP ext_authz would send,
// with an empty path_prefix, for the request a CheckRequest describes: its
// method, its path (query included) as the raw target, its headers (from
// header_map when Envoy sends raw headers, else from headers) under their
// canonical names, pseudo-headers left out but for :authority, which is
// the Host. A CheckRequest without HTTP attributes gives a request with no
// method and no target, which AuthRequest denies.
func request(ctx context.Context, req *authv3.CheckRequest) *http.Request {
	hr := req.GetAttributes().GetRequest().GetHttp()
	r := (&http.Request{Method: hr.GetMethod(), RequestURI: hr.GetPath(), Host: hr.GetHost(),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}}).WithContext(ctx)
	add := func(name, value string) {
		if strings.HasPrefix(name, ":") {
			if name == ":authority" && r.Host == "" {
				r.Host = value
			}
			return
		}
		k := http.CanonicalHeaderKey(name)
		r.Header[k] = append(r.Header[k], value)
	}
	if hm := hr.GetHeaderMap(); hm != nil {
		for _, h := range hm.GetHeaders() {
			v := h.GetValue()
			if raw := h.GetRawValue(); raw != nil {
				v = string(raw)
			}
			add(h.GetKey(), v)
		}
	} else {
		for name, value := range hr.GetHeaders() {
			add(name, value)
		}
	}
	return r
}

// answer is the http.ResponseWriter the handler writes to: its status
// and headers; the body is dropped.
type answer struct {
	header http.Header
	status int
}

func (a *answer) Header() http.Header {
	if a.header == nil {
		a.header = http.Header{}
	}
	return a.header
}

func (a *answer) WriteHeader(status int) {
	if a.status == 0 {
		a.status = status
	}
}

func (a *answer) Write(b []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	return len(b), nil
}

// response turns what the handler answered into a CheckResponse.
func (a *answer) response() *authv3.CheckResponse {
	if a.status >= 200 && a.status < 300 {
		return &authv3.CheckResponse{Status: &status.Status{Code: int32(code.Code_OK)},
			HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{}}}
	}
	st, c := a.status, code.Code_PERMISSION_DENIED
	switch {
	case st == 0:
		st = http.StatusForbidden
	case st == http.StatusUnauthorized:
		c = code.Code_UNAUTHENTICATED
	case st >= 500:
		c = code.Code_UNAVAILABLE
	}
	denied := &authv3.DeniedHttpResponse{Status: &typev3.HttpStatus{Code: typev3.StatusCode(st)}}
	for name, values := range a.header {
		if name == "Content-Type" || name == "Content-Length" || name == "X-Content-Type-Options" {
			continue
		}
		for _, v := range values {
			denied.Headers = append(denied.Headers, &corev3.HeaderValueOption{
				Header:       &corev3.HeaderValue{Key: strings.ToLower(name), Value: v},
				AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
			})
		}
	}
	return &authv3.CheckResponse{Status: &status.Status{Code: int32(c), Message: http.StatusText(st)},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: denied}}
}
