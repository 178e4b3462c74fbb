package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/match"
)

const serveSynopsis = `usage: scopecheck serve --listen ADDR (--jwks FILE|URL [--issuer ISS] [--audience AUD] | --introspect URL --client-id ID) [flags]

An authorization service for nginx's auth_request (and Envoy's HTTP
ext_authz). For each subrequest it reads the original method and URI from
X-Original-Method and X-Original-URI (see --method-header, --uri-header),
the bearer token from Authorization, and answers 200 when the token's scope
allows the request, 401 without a usable token, 403 otherwise. It never
allows on an error.

Tokens are JWT access tokens verified against a JWKS file or URL
(signature with an asymmetric algorithm, exp required, nbf, and iss and
aud when given), or opaque tokens checked by RFC 7662 introspection with
the client's credentials (the secret from SCOPECHECK_CLIENT_SECRET, so that
it is not in the process list), cached until the token's exp.

GET /healthz answers 200. Each decision is logged as JSON on stderr, never
the token. SIGINT or SIGTERM shut the server down gracefully. With a port
of 0, the address it listens on is logged as the first line.`

func runServe(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("serve", serveSynopsis, stderr)
	listen := fs.String("listen", "127.0.0.1:8181", "address to listen on")
	jwks := fs.String("jwks", "", "JWKS to verify JWT access tokens: a file, or an http(s) URL")
	issuer := fs.String("issuer", "", "required iss of JWTs")
	audience := fs.String("audience", "", "required aud of JWTs")
	introspect := fs.String("introspect", "", "RFC 7662 introspection endpoint for opaque tokens")
	clientID := fs.String("client-id", "", "client id for introspection (secret in SCOPECHECK_CLIENT_SECRET)")
	strip := fs.Int("strip-segments", 0, "path segments to remove before deciding, such as 1 for /{customerId}")
	methodHeader := fs.String("method-header", "X-Original-Method", "header with the original method")
	uriHeader := fs.String("uri-header", "X-Original-URI", "header with the original URI")
	size := fs.Int("cache", 10000, "introspection answers to keep")
	cacheBytes := fs.Int64("cache-bytes", 64<<20, "bytes of compiled scopes to keep")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	switch {
	case len(pos) != 0:
		fmt.Fprintf(stderr, "scopecheck serve: unexpected argument %q\n", pos[0])
		return exitUsage
	case (*jwks == "") == (*introspect == ""):
		fmt.Fprintln(stderr, "scopecheck serve: give one of --jwks and --introspect")
		return exitUsage
	case *introspect != "" && *clientID == "":
		fmt.Fprintln(stderr, "scopecheck serve: --introspect needs --client-id (and SCOPECHECK_CLIENT_SECRET)")
		return exitUsage
	case *strip < 0 || *size <= 0 || *cacheBytes <= 0:
		fmt.Fprintln(stderr, "scopecheck serve: --strip-segments must be at least 0, --cache and --cache-bytes positive")
		return exitUsage
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var tokens gateway.Tokens
	opts := gateway.JWTOptions{Issuer: *issuer, Audience: *audience}
	switch {
	case strings.HasPrefix(*jwks, "http://") || strings.HasPrefix(*jwks, "https://"):
		v, err := gateway.NewJWTFromURL(ctx, *jwks, opts)
		if err != nil {
			fmt.Fprintf(stderr, "scopecheck serve: %v\n", err)
			return exitUsage
		}
		tokens = v
	case *jwks != "":
		data, err := os.ReadFile(*jwks)
		if err == nil {
			tokens, err = gateway.NewJWT(data, opts)
		}
		if err != nil {
			fmt.Fprintf(stderr, "scopecheck serve: %v\n", err)
			return exitUsage
		}
	default:
		tokens = gateway.NewIntrospection(*introspect, *clientID, os.Getenv("SCOPECHECK_CLIENT_SECRET"), *size)
	}
	cache, err := match.NewCache(*cacheBytes)
	if err != nil {
		fmt.Fprintf(stderr, "scopecheck serve: %v\n", err)
		return exitUsage
	}
	hook := func(r *http.Request, d gateway.Decision) {
		attrs := []any{"method", d.Method, "path", d.Path, "allowed", d.Allowed}
		switch {
		case d.NoToken && d.TokenErr != nil:
			attrs = append(attrs, "reason", "invalid-token", "error", d.TokenErr.Error())
		case d.NoToken:
			attrs = append(attrs, "reason", "no-token")
		default:
			attrs = append(attrs, "reason", d.Reason.String())
			if d.Reason == match.Granted || d.Reason == match.ReadOnly {
				attrs = append(attrs, "item", d.Item.String())
			}
			if d.ScopeErr != nil {
				attrs = append(attrs, "scope_error", d.ScopeErr.Error())
			}
		}
		log.Info("decision", attrs...)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.Handle("/", gateway.AuthRequest(cache, tokens, []gateway.Option{gateway.StripSegments(*strip), gateway.WithHook(hook)},
		gateway.OriginalHeaders(*methodHeader, *uriHeader)))
	srv := &http.Server{
		Handler:           http.TimeoutHandler(mux, 10*time.Second, "authorization timed out"),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "scopecheck serve: %v\n", err)
		return exitUsage
	}
	log.Info("listening", "addr", ln.Addr().String())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		log.Error("server stopped", "error", err.Error())
		return exitUsage
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("shutdown", "error", err.Error())
		return exitUsage
	}
	log.Info("stopped")
	return exitYes
}
