package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/match"
)

const serveSynopsis = `usage: scopecheck serve --listen ADDR --proxy NAME (--jwks FILE|URL | --introspect URL --client-id ID) --issuer ISS --audience AUD [flags]

An authorization service for a proxy's subrequests: nginx's auth_request,
ingress-nginx's auth-url, Traefik's forwardAuth, Caddy's forward_auth,
Envoy's HTTP ext_authz (--proxy). For each subrequest to --auth-path it
reads the original method and target from what that proxy always sets,
the bearer token from Authorization, and answers 200 when the token's scope
allows the request, 401 without a usable token, 403 otherwise, and 503 when
the token cannot be checked at all (no key set loaded, introspection
unreachable). The whole target must be canonical; under /{tenant}
(--tenant-claim, --tenant) its first segment must be the token's tenant;
and every other source of the method or target the request carries
(X-HTTP-Method-Override, _method, X-Original-URL ...) must mean an allowed
request too. A request that asks to switch protocols (Upgrade, h2c) is
refused unless --allow-upgrade names the protocol. It never allows on an
error.

Tokens are JWT access tokens verified against a JWKS file or URL
(signature with an asymmetric algorithm, exp required, nbf, iss and aud),
or opaque tokens checked by RFC 7662 introspection with the client's
credentials (the secret from SCOPECHECK_CLIENT_SECRET, so that it is not
in the process list). It refuses to start without --issuer and --audience
(RFC 9068) unless --unsafe-skip-issuer-audience is given. A JWKS file is
read again when it changes and on SIGHUP; a JWKS URL is fetched again every
--jwks-refresh, on SIGHUP, and for an unknown key id at most once per
--jwks-unknown-kid-interval.

GET /healthz answers 200 while the process runs; GET /readyz answers 200
once a key set has loaded or the introspection endpoint has answered, and
503 before that and while shutting down. Everything is logged as JSON
lines on stderr, the first of them the address it listens on (useful with
a port of 0); a decision line never holds a token (it names the client,
the token's client_id or else sub, once the token has verified), and
fields a client controls are cut to 512 bytes. SIGINT or SIGTERM shut the server down
gracefully, after --shutdown-delay with /readyz answering 503.

Sizes take a suffix KiB, MiB or GiB. Unless GOMEMLIMIT is set, Go's soft
memory limit is set to the two cache budgets plus 48 MiB, so that the
resident memory stays under the budgets plus 64 MiB whatever tokens and
scopes arrive.`

// memoryAllowance is what serve allows itself beyond its cache budgets
// (the runtime, buffers, requests in flight, garbage not yet collected)
// when it sets Go's soft memory limit. The binary's own pages and the
// limit's overshoot come on top: benchmarks' TestServeMemory measures the
// resident memory under a flood at less than the budgets plus 64 MiB.
const memoryAllowance = 48 << 20

func runServe(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("serve", serveSynopsis, stderr)
	listen := fs.String("listen", "127.0.0.1:8181", "address to listen on")
	jwks := fs.String("jwks", "", "JWKS to verify JWT access tokens: a file, or an http(s) URL")
	issuer := fs.String("issuer", "", "required iss of tokens")
	audience := fs.String("audience", "", "required aud of tokens")
	unsafeIssAud := fs.Bool("unsafe-skip-issuer-audience", false, "start without --issuer or --audience, accepting tokens of any issuer or for any audience that is not given (unsafe)")
	refresh := fs.Duration("jwks-refresh", gateway.DefaultRefreshInterval, "how often the JWKS is read again; a withdrawn key stops verifying then")
	unknownKID := fs.Duration("jwks-unknown-kid-interval", gateway.DefaultUnknownKIDInterval, "least time between JWKS fetches caused by tokens with an unknown key id")
	introspect := fs.String("introspect", "", "RFC 7662 introspection endpoint for opaque tokens")
	clientID := fs.String("client-id", "", "client id for introspection (secret in SCOPECHECK_CLIENT_SECRET)")
	reqFlags := addRequestFlags(fs)
	tokenTTL := fs.Duration("token-cache-ttl", gateway.DefaultTokenCacheTTL, "longest a verified token or an active introspection answer is kept (never past exp)")
	inactiveTTL := fs.Duration("inactive-cache-ttl", gateway.DefaultInactiveTTL, "how long an introspection answer that refuses a token is kept")
	cacheBytes := byteSize(64 << 20)
	fs.Var(&cacheBytes, "cache-bytes", "memory for compiled scopes")
	tokenBytes := byteSize(gateway.DefaultTokenCacheBytes)
	fs.Var(&tokenBytes, "token-cache-bytes", "memory for verified tokens or introspection answers")
	shutdownDelay := fs.Duration("shutdown-delay", 0, "on SIGTERM, how long /readyz answers 503 before the listener closes")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	usageErr := func(msg string) int {
		fmt.Fprintf(stderr, "scopecheck serve: %s\n", msg)
		return exitUsage
	}
	isURL := func(s string) bool {
		u, err := url.Parse(s)
		return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	}
	jwksURL := strings.HasPrefix(*jwks, "http://") || strings.HasPrefix(*jwks, "https://")
	switch {
	case len(pos) != 0:
		return usageErr(fmt.Sprintf("unexpected argument %q", pos[0]))
	case (*jwks == "") == (*introspect == ""):
		return usageErr("give one of --jwks and --introspect")
	case *introspect != "" && *clientID == "":
		return usageErr("--introspect needs --client-id (and SCOPECHECK_CLIENT_SECRET)")
	case *introspect != "" && !isURL(*introspect):
		return usageErr(fmt.Sprintf("--introspect %q is not an http or https URL", *introspect))
	case jwksURL && !isURL(*jwks):
		return usageErr(fmt.Sprintf("--jwks %q is not an http or https URL", *jwks))
	case *refresh <= 0 || *unknownKID <= 0 || *tokenTTL <= 0 || *inactiveTTL <= 0 || *shutdownDelay < 0:
		return usageErr("durations must be positive")
	}
	proxy, reqOpts, authOpts, err := reqFlags.setup(fs)
	if err != nil {
		return usageErr(err.Error())
	}
	if (*issuer == "" || *audience == "") && !*unsafeIssAud {
		return usageErr("give --issuer and --audience, so that tokens of another issuer or for another service are refused (RFC 9068); --unsafe-skip-issuer-audience starts without them")
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	slog.SetDefault(log) // what any library logs joins the one JSON stream
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(cacheBytes) + int64(tokenBytes) + memoryAllowance)
	}

	jopts := gateway.JWTOptions{Issuer: *issuer, Audience: *audience, RefreshInterval: *refresh,
		UnknownKIDInterval: *unknownKID, CacheBytes: int64(tokenBytes), CacheTTL: *tokenTTL, Logger: log}
	var tokens gateway.Tokens
	var reload func(context.Context) error
	if *jwks != "" && !jwksURL {
		// Read before listening, so that a bad file is a usage error.
		v, err := gateway.NewJWTFromFile(ctx, *jwks, jopts)
		if err != nil {
			return usageErr(err.Error())
		}
		tokens, reload = v, v.Reload
	}
	cache, err := match.NewCache(int64(cacheBytes))
	if err != nil {
		return usageErr(err.Error())
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return usageErr(err.Error())
	}
	log.Info("listening", "addr", ln.Addr().String())
	if *issuer == "" || *audience == "" {
		log.Warn("tokens are accepted whatever their issuer or audience (--unsafe-skip-issuer-audience)",
			"issuer", *issuer, "audience", *audience)
	}
	if *reqFlags.tenant != "" && *reqFlags.tenantClaim == "" {
		log.Warn("--tenant without --tenant-claim: a token of any tenant the issuer serves for this audience gets its scope on this tenant's API",
			"tenant", *reqFlags.tenant)
	}
	switch {
	case jwksURL:
		v, err := gateway.NewJWTFromURL(ctx, *jwks, jopts)
		if err != nil {
			return usageErr(err.Error())
		}
		tokens, reload = v, v.Reload
	case *introspect != "":
		in, err := gateway.NewIntrospection(*introspect, gateway.IntrospectionOptions{
			ClientID: *clientID, ClientSecret: os.Getenv("SCOPECHECK_CLIENT_SECRET"),
			Issuer: *issuer, Audience: *audience, CacheTTL: *tokenTTL, InactiveTTL: *inactiveTTL,
			CacheBytes: int64(tokenBytes)})
		if err != nil {
			return usageErr(err.Error())
		}
		tokens = in
		go probe(ctx, in, log)
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if reload == nil {
					log.Info("SIGHUP: nothing to reload")
				} else if err := reload(ctx); err != nil {
					log.Error("SIGHUP: reload failed", "error", gateway.Clip(err.Error()))
				}
			}
		}
	}()

	hook := func(r *http.Request, d gateway.Decision) {
		attrs := append(requestAttrs(d), "allowed", d.Allowed, "reason", d.Why())
		switch {
		case d.TokenErr != nil: // unavailable, invalid-token
			attrs = append(attrs, "error", gateway.Clip(d.TokenErr.Error()))
		case d.NoToken:
		default:
			c, tenant := clientOf(r)
			if c != "" {
				attrs = append(attrs, "client", gateway.Clip(c))
			}
			if tenant != "" {
				attrs = append(attrs, "tenant", gateway.Clip(tenant))
			}
			if d.Reason == match.Granted || d.Reason == match.ReadOnly {
				attrs = append(attrs, "item", gateway.Clip(d.Item.String()))
			}
			if d.ScopeErr != nil {
				attrs = append(attrs, "scope_error", gateway.Clip(d.ScopeErr.Error()))
			}
		}
		log.Info("decision", attrs...)
	}
	var stopping atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if stopping.Load() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		if rd, ok := tokens.(gateway.Readier); ok {
			if err := rd.Ready(); err != nil {
				http.Error(w, gateway.Clip(err.Error()), http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintln(w, "ready")
	})
	// Both verifiers return claims, so the log can name the client.
	auth := withClientNote(gateway.AuthRequest(cache, clientTokens{tokens.(gateway.ClaimTokens), *reqFlags.tenantClaim}, proxy,
		append(reqOpts, gateway.WithHook(hook)), authOpts...))
	srv := &http.Server{
		Handler:           http.TimeoutHandler(reqFlags.route(mux, auth), 10*time.Second, "authorization timed out"),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		log.Error("server stopped", "error", err.Error())
		return exitUsage
	case <-ctx.Done():
	}
	stopping.Store(true)
	if *shutdownDelay > 0 {
		log.Info("shutting down", "delay", shutdownDelay.String())
		time.Sleep(*shutdownDelay)
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

// probe asks the introspection endpoint about a token no server issued
// until it answers, so that /readyz turns 200 before the first request;
// it tries again after one second, two, four…, at most thirty.
func probe(ctx context.Context, in *gateway.Introspection, log *slog.Logger) {
	wait := time.Second
	for in.Ready() != nil {
		err := in.Probe(ctx)
		if err == nil {
			log.Info("introspection endpoint answered")
			return
		}
		log.Warn("introspection endpoint not answering", "error", gateway.Clip(err.Error()), "retry", wait.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// byteSize is a flag of a number of bytes, such as 1048576, 512KiB,
// 64MiB or 1GiB.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/mult {
		return errors.New("want a positive number of bytes, such as 67108864 or 64MiB")
	}
	*b = byteSize(n * mult)
	return nil
}
