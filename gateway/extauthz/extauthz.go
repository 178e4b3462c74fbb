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
//
// A CheckRequest that protobuf-go refuses to decode gets a CheckResponse
// all the same, on a server made with ServerCodec: one that is not
// protobuf, or has a string field that is not UTF-8 (Envoy sends header
// values, the path and the body as they came), is denied with 403 and
// PERMISSION_DENIED and reported to the hook (WithHook) as a
// gateway.Decision with Refusal gateway.Undecodable. Envoy's
// encode_raw_headers sends header values as bytes, which decode whatever
// they hold. One over the server's receive limit (grpc.MaxRecvMsgSize) is
// refused by gRPC before any code of this package runs, with
// RESOURCE_EXHAUSTED; it is reported to the hook as gateway.TooLarge.
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
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	protocodec "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/scopecheck/scopecheck/gateway"
)

// Server is an envoy.service.auth.v3.Authorization server.
type Server struct {
	authv3.UnimplementedAuthorizationServer
	h    http.Handler
	hook func(*http.Request, gateway.Decision)
}

// Option configures a Server.
type Option func(*Server)

// WithHook has hook observe the CheckRequests that never reach the
// handler because they do not decode (their Refusal is
// gateway.Undecodable or gateway.TooLarge, and their request has the
// call's context and nothing else), as gateway.WithHook observes those
// the handler decides: give both the same hook, and every CheckRequest
// is seen once.
func WithHook(hook func(*http.Request, gateway.Decision)) Option {
	return func(s *Server) { s.hook = hook }
}

// New returns a Server that decides with h, which is meant to be
// gateway.AuthRequest(cache, tokens, gateway.Envoy(""), opts...), perhaps
// wrapped for logs or metrics. A request is allowed only when h answers
// it with a 2xx status; a handler that writes no status denies.
func New(h http.Handler, opts ...Option) *Server {
	s := &Server{h: h}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Register registers s on g as the Authorization service. Its Check
// decodes the CheckRequest itself, so that one gRPC cannot decode is
// answered with a denial rather than a gRPC error: g must have been made
// with ServerCodec among its options for this to cover a message that is
// not protobuf or not UTF-8; without it such a message, like one over the
// receive limit whatever the codec, is still reported to the hook but
// answered with a gRPC error (INTERNAL, RESOURCE_EXHAUSTED), which gRPC
// has sent before Check could answer.
func (s *Server) Register(g *grpc.Server) { g.RegisterService(&serviceDesc, s) }

// ServerCodec is the option of a grpc.Server on which Register puts a
// Server: a codec that decodes messages as gRPC's proto codec does, but
// hands Check a CheckRequest that protobuf-go refuses (not protobuf, a
// string field not UTF-8) as one to deny, where the proto codec fails the
// call. It changes nothing for other services and other messages.
func ServerCodec() grpc.ServerOption {
	return grpc.ForceServerCodecV2(codec{encoding.GetCodecV2(protocodec.Name)})
}

// codec is ServerCodec's: proto's, but for a checkMessage.
type codec struct{ encoding.CodecV2 }

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(*checkMessage)
	if !ok {
		return c.CodecV2.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	if err := proto.Unmarshal(buf.ReadOnlyData(), m.CheckRequest); err != nil {
		m.err = err
	}
	return nil
}

// checkMessage is what Check's handler decodes: the CheckRequest, and,
// when it came through ServerCodec, the error that decoding it gave.
type checkMessage struct {
	*authv3.CheckRequest // a proto.Message, for any other codec
	err                  error
}

// serviceDesc is authv3's Authorization service with a Check handler of
// its own: the generated one returns the decoding's error.
var serviceDesc = grpc.ServiceDesc{
	ServiceName: authv3.Authorization_ServiceDesc.ServiceName,
	HandlerType: authv3.Authorization_ServiceDesc.HandlerType,
	Methods:     []grpc.MethodDesc{{MethodName: "Check", Handler: checkHandler}},
	Metadata:    authv3.Authorization_ServiceDesc.Metadata,
}

// checkHandler decodes a CheckRequest and decides it with s.Check, through
// the server's interceptor as the generated handler does. A message that
// ServerCodec could not decode is denied. One that gRPC refused before any
// codec (over the receive limit: ResourceExhausted) or that another codec
// could not decode (Internal) has been answered by gRPC with that error
// already; it is reported to the hook all the same. Any other error (the
// call cancelled, the client gone) is the call's end, with no request.
func checkHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	s := srv.(*Server)
	in := &checkMessage{CheckRequest: new(authv3.CheckRequest)}
	if err := dec(in); err != nil {
		switch grpcstatus.Code(err) {
		case codes.ResourceExhausted:
			s.refuse(ctx, gateway.TooLarge)
		case codes.Internal:
			s.refuse(ctx, gateway.Undecodable)
		}
		return nil, err
	}
	if in.err != nil {
		return s.refuse(ctx, gateway.Undecodable), nil
	}
	if interceptor == nil {
		return s.Check(ctx, in.CheckRequest)
	}
	info := &grpc.UnaryServerInfo{Server: s, FullMethod: authv3.Authorization_Check_FullMethodName}
	return interceptor(ctx, in.CheckRequest, info, func(ctx context.Context, req any) (any, error) {
		return s.Check(ctx, req.(*authv3.CheckRequest))
	})
}

// refuse denies a CheckRequest that could not be read, and reports it to
// the hook.
func (s *Server) refuse(ctx context.Context, why gateway.Refusal) *authv3.CheckResponse {
	if s.hook != nil {
		s.hook((&http.Request{Header: http.Header{}}).WithContext(ctx), gateway.Decision{Refusal: why})
	}
	return (&answer{status: http.StatusForbidden}).response()
}

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
