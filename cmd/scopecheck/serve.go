package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/gateway/token"
	"github.com/scopecheck/scopecheck/match"
)

const serveSynopsis = `usage: scopecheck serve --proxy NAME (--jwks FILE|URL | --introspect URL --client-id ID) --issuer ISS --audience AUD [flags]
       scopecheck serve --grpc ADDR (--jwks ... | --introspect ...) [flags]
       scopecheck serve --config FILE [flags]

An authorization service for a proxy's subrequests: nginx's auth_request,
ingress-nginx's auth-url, Traefik's forwardAuth, Caddy's forward_auth,
Envoy's HTTP ext_authz (--proxy), and, with --grpc, Envoy's and Istio's
gRPC ext_authz (envoy.service.auth.v3.Authorization/Check). For each
subrequest to --auth-path (or Check call) it reads the original method
and target from what that proxy always sets, the bearer token from
Authorization, and answers 200 when the token's scope allows the request,
401 without a usable token, 403 otherwise, and 503 when the token cannot
be checked at all (no key set loaded, introspection unreachable); over
gRPC, OK or a denied response with that status and challenge. The whole
target must be canonical; under /{tenant} (--tenant-claim, --tenant) its
first segment must be the token's tenant; and every other source of the
method or target the request carries (X-HTTP-Method-Override, _method,
X-Original-URL ...) must mean an allowed request too. A request that asks
to switch protocols (Upgrade, h2c) is refused unless --allow-upgrade
names the protocol. It never allows on an error.

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
503 before that and while shutting down; the gRPC listener serves
grpc.health.v1 alike. --metrics ADDR serves Prometheus metrics on a
listener of its own. Everything is logged as JSON lines on stderr, the
first of them the address it listens on (useful with a port of 0); a
decision line never holds a token (it names the client,
the token's client_id or else sub, once the token has verified), and fields a client controls are cut
to 512 bytes. Denials are logged at level warn, allowed decisions at info,
one in --log-allowed-sample. SIGINT or SIGTERM shut the server down
gracefully, after --shutdown-delay with readiness answering 503; a
decision still under way after --shutdown-timeout is cut, logged as
"decision cut by shutdown", and serve then exits with 2.

--config FILE reads the same settings from a JSON object whose keys are
the flags' names ({"proxy": "nginx", "jwks-refresh": "5m"}), each value of
its flag's type: true or false, a number, a size as a number or a string,
else a string (durations too); flags given on the command line override
it. Sizes take a suffix KiB, MiB or GiB.
Unless GOMEMLIMIT is set, Go's soft memory limit is set to the two cache
budgets plus 40 MiB, so that the resident memory stays under the budgets
plus 64 MiB whatever tokens and scopes arrive; unless GOGC is set, the
collector lets the heap grow to at least 16 MiB between cycles (GOGC is
set after each cycle: up to 400 while the live heap is small, 100 once it
is past 8 MiB), trading some memory below that limit for CPU.

Requests in flight are bounded within that allowance. Each listener
accepts at most --max-connections connections (128; more wait to be
accepted, counted and logged, and an open connection with no request in
flight is closed in their favour), an HTTP one holding at most 92 KiB. The gRPC listener takes
at most --grpc-max-calls calls in flight (64, across its connections;
more are refused with RESOURCE_EXHAUSTED, which Envoy answers with
status_on_error), each reading at most --grpc-max-message-bytes (128 KiB;
a larger CheckRequest is refused unread) plus a 64 KiB window, each cut
at --write-timeout from its headers; a connection also holds 64 KiB, and
is closed after --idle-timeout without calls and after 30 minutes. With
the defaults that is 11.5 MiB (HTTP) and 20 MiB (gRPC), and 1.5 MiB for
the 16 connections the metrics listener takes; higher limits
raise the soft memory limit by what they let in beyond. A call's place
is free when it ends, but an introspection request it started runs on
until --introspect-timeout (other callers may share it): at most 16 run
at once, holding 12.5 MiB with the gRPC listener's defaults (8.5 MiB
without it), which is added to the soft memory limit with --introspect;
a JWKS URL is loaded once at a time (at most 1 MiB). Keep the gRPC
listener reachable by Envoy alone.`

// The defaults of the limits of the listeners: what they let requests in
// flight hold (inflightBytes) is within memoryAllowance.
const (
	defaultMaxConns         = 128
	defaultGRPCCalls        = 64
	defaultGRPCMessageBytes = 128 << 10
	// grpcMaxAge closes a gRPC connection after this long (once its calls
	// are answered), so that none is held for ever.
	grpcMaxAge = 30 * time.Minute
	// metricsMaxConns caps the metrics listener, which a scraper or two
	// use: its connections hold at most 1.5 MiB, within memoryAllowance
	// beside the other listeners' defaults.
	metricsMaxConns = 16
	// metricsPerHost is the most of those one address may hold, so that
	// one client cannot fill them, nor the kernel's queue behind them,
	// with connections that send nothing until the header timeout.
	metricsPerHost = 4
)

// httpConnBytes is what one HTTP connection holds at most: its headers
// (MaxHeaderBytes and the 4 KiB net/http allows beyond), its buffers and
// its goroutine.
const httpConnBytes = 64<<10 + 4<<10 + 24<<10

// inflightBytes is the most that requests in flight hold on the HTTP
// listener (conns connections) and, with grpc, on the gRPC listener.
func inflightBytes(conns int, grpc bool, l grpcLimits) int64 {
	n := int64(conns) * httpConnBytes
	if grpc {
		n += l.bytes(conns)
	}
	return n
}

// introspectBytes is the most that introspection requests hold that
// outlive the calls that started them (their callers gave up; the
// request is shared and runs until --introspect-timeout): at most
// token.DefaultIntrospectMaxRequests of them, each its token (at most a
// CheckRequest, with grpc, or an HTTP request's headers), the token
// form-encoded (at most three times as long), the answer (256 KiB) and the
// client's buffers.
func introspectBytes(grpc bool, l grpcLimits) int64 {
	tok := int64(64 << 10)
	if grpc {
		tok = max(tok, int64(l.messageBytes))
	}
	return token.DefaultIntrospectMaxRequests * (4*tok + 256<<10 + 32<<10)
}

// memoryAllowance is what serve allows itself beyond its cache budgets
// (the runtime, buffers, requests in flight, garbage not yet collected)
// when it sets Go's soft memory limit. The binary's own pages and the
// limit's overshoot come on top: benchmarks' TestServeMemory measures the
// resident memory under a flood at less than the budgets plus 64 MiB.
const memoryAllowance = 40 << 20

// serveFlags are serve's flags other than the request side's.
type serveFlags struct {
	listen, grpc, metrics                        *string
	jwks, issuer, audience                       *string
	unsafeIssAud                                 *bool
	refresh, unknownKID, jwksTimeout, leeway     *time.Duration
	introspect, clientID                         *string
	introspectTimeout, tokenTTL, inactiveTTL     *time.Duration
	cacheBytes, tokenBytes                       byteSize
	readHeaderTimeout, readTimeout, writeTimeout *time.Duration
	idleTimeout, shutdownDelay, shutdownTimeout  *time.Duration
	logLevel                                     slog.LevelVar
	logAllowedSample                             *int
	config                                       *string
	maxConns, grpcCalls                          *int
	grpcMessageBytes                             byteSize
}

func addServeFlags(fs *flag.FlagSet) *serveFlags {
	f := &serveFlags{
		listen:            fs.String("listen", "127.0.0.1:8181", "address of the HTTP listener: decisions (--auth-path), /healthz and /readyz"),
		grpc:              fs.String("grpc", "", "address of a gRPC listener for Envoy's ext_authz (envoy.service.auth.v3.Authorization) and grpc.health.v1; none by default"),
		metrics:           fs.String("metrics", "", "address of a listener that serves Prometheus metrics at /metrics; none by default"),
		jwks:              fs.String("jwks", "", "JWKS to verify JWT access tokens: a file, or an http(s) URL"),
		issuer:            fs.String("issuer", "", "required iss of tokens"),
		audience:          fs.String("audience", "", "required aud of tokens"),
		unsafeIssAud:      fs.Bool("unsafe-skip-issuer-audience", false, "start without --issuer or --audience, accepting tokens of any issuer or for any audience that is not given (unsafe)"),
		refresh:           fs.Duration("jwks-refresh", token.DefaultRefreshInterval, "how often the JWKS is read again; a withdrawn key stops verifying then"),
		unknownKID:        fs.Duration("jwks-unknown-kid-interval", token.DefaultUnknownKIDInterval, "least time between JWKS fetches caused by tokens with an unknown key id"),
		jwksTimeout:       fs.Duration("jwks-timeout", token.DefaultFetchTimeout, "longest a fetch of a JWKS URL may take"),
		leeway:            fs.Duration("leeway", token.DefaultLeeway, "clock skew allowed on a JWT's exp and nbf and an introspection answer's nbf"),
		introspect:        fs.String("introspect", "", "RFC 7662 introspection endpoint for opaque tokens"),
		clientID:          fs.String("client-id", "", "client id for introspection (secret in SCOPECHECK_CLIENT_SECRET)"),
		introspectTimeout: fs.Duration("introspect-timeout", token.DefaultIntrospectTimeout, "longest an introspection request may take; past it the token cannot be checked (503)"),
		tokenTTL:          fs.Duration("token-cache-ttl", token.DefaultTokenCacheTTL, "longest a verified token or an active introspection answer is kept (never past exp)"),
		inactiveTTL:       fs.Duration("inactive-cache-ttl", token.DefaultInactiveTTL, "how long an introspection answer that refuses a token is kept"),
		cacheBytes:        byteSize(64 << 20),
		tokenBytes:        byteSize(token.DefaultTokenCacheBytes),
		readHeaderTimeout: fs.Duration("read-header-timeout", 5*time.Second, "longest the HTTP listener waits for a request's headers, and the gRPC listener for a connection's preface"),
		readTimeout:       fs.Duration("read-timeout", 5*time.Second, "longest the HTTP listener reads one request, headers and any body (serve reads none: net/http discards up to 256 KiB of it); when not given, --read-header-timeout, and never shorter"),
		writeTimeout:      fs.Duration("write-timeout", 15*time.Second, "longest from a request's headers to the end of its answer"),
		idleTimeout:       fs.Duration("idle-timeout", 60*time.Second, "longest a kept-alive connection waits for its next request"),
		shutdownDelay:     fs.Duration("shutdown-delay", 0, "on SIGTERM, how long readiness answers 503 before the listeners close"),
		shutdownTimeout:   fs.Duration("shutdown-timeout", 10*time.Second, "after the delay, longest to wait for requests in flight before closing their connections"),
		logAllowedSample:  fs.Int("log-allowed-sample", 1, "log one allowed decision in N (1: every one, 0: none); denials are always logged"),
		maxConns:          fs.Int("max-connections", defaultMaxConns, "most connections open at once on the HTTP listener, and on the gRPC one; more wait to be accepted"),
		grpcCalls:         fs.Int("grpc-max-calls", defaultGRPCCalls, "most gRPC calls in flight, across connections and on one; more are refused with RESOURCE_EXHAUSTED"),
		grpcMessageBytes:  byteSize(defaultGRPCMessageBytes),
		config:            fs.String("config", "", "read these settings from a JSON file of flags; flags on the command line override it"),
	}
	fs.Var(&f.cacheBytes, "cache-bytes", "memory for compiled scopes")
	fs.Var(&f.tokenBytes, "token-cache-bytes", "memory for verified tokens or introspection answers")
	fs.Var(&f.grpcMessageBytes, "grpc-max-message-bytes", "receive limit of one CheckRequest; a larger one is refused with RESOURCE_EXHAUSTED")
	fs.Var(logLevel{&f.logLevel}, "log-level", "least level logged: debug, info, warn or error (denials are warn, allowed decisions info)")
	return f
}

// logLevel is the flag of a slog level, by its name.
type logLevel struct{ v *slog.LevelVar }

func (l logLevel) String() string {
	if l.v == nil { // the zero value the flag package compares with
		return ""
	}
	return strings.ToLower(l.v.Level().String())
}

func (l logLevel) Set(s string) error {
	switch s {
	case "debug", "info", "warn", "error":
		return l.v.UnmarshalText([]byte(s))
	}
	return errors.New("want debug, info, warn or error")
}

func runServe(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("serve", serveSynopsis, stderr)
	f := addServeFlags(fs)
	reqFlags := addRequestFlags(fs)
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	usageErr := func(msg string) int {
		fmt.Fprintf(stderr, "scopecheck serve: %s\n", msg)
		return exitUsage
	}
	if *f.config != "" {
		if err := applyConfig(fs, *f.config); err != nil {
			return usageErr(err.Error())
		}
	}
	// A whole request's bound follows its headers' unless given: serve
	// reads no body, and net/http gives the headers --read-header-timeout
	// however short --read-timeout is.
	readTimeoutSet := false
	fs.Visit(func(fl *flag.Flag) { readTimeoutSet = readTimeoutSet || fl.Name == "read-timeout" })
	if !readTimeoutSet {
		*f.readTimeout = *f.readHeaderTimeout
	}
	isURL := func(s string) bool {
		u, err := url.Parse(s)
		return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	}
	jwksURL := strings.HasPrefix(*f.jwks, "http://") || strings.HasPrefix(*f.jwks, "https://")
	positive := []*time.Duration{f.refresh, f.unknownKID, f.jwksTimeout, f.introspectTimeout, f.tokenTTL, f.inactiveTTL,
		f.readHeaderTimeout, f.readTimeout, f.writeTimeout, f.idleTimeout, f.shutdownTimeout}
	switch {
	case len(pos) != 0:
		return usageErr(fmt.Sprintf("unexpected argument %q", pos[0]))
	case (*f.jwks == "") == (*f.introspect == ""):
		return usageErr("give one of --jwks and --introspect")
	case *f.introspect != "" && *f.clientID == "":
		return usageErr("--introspect needs --client-id (and SCOPECHECK_CLIENT_SECRET)")
	case *f.introspect != "" && !isURL(*f.introspect):
		return usageErr("--introspect is not an http or https URL with a host: " + token.RedactURL(*f.introspect))
	case jwksURL && !isURL(*f.jwks):
		return usageErr("--jwks is not an http or https URL with a host: " + token.RedactURL(*f.jwks))
	case slices.ContainsFunc(positive, func(d *time.Duration) bool { return *d <= 0 }) || *f.shutdownDelay < 0 || *f.leeway < 0:
		return usageErr("durations must be positive (--shutdown-delay and --leeway may be 0)")
	case *f.readTimeout < *f.readHeaderTimeout:
		return usageErr(fmt.Sprintf("--read-timeout %v is shorter than --read-header-timeout %v, which net/http gives a request's headers all the same", *f.readTimeout, *f.readHeaderTimeout))
	case *f.logAllowedSample < 0:
		return usageErr("--log-allowed-sample must be at least 0")
	case *f.maxConns < 1 || *f.grpcCalls < 1:
		return usageErr("--max-connections and --grpc-max-calls must be at least 1")
	case f.grpcMessageBytes > 64<<20:
		return usageErr("--grpc-max-message-bytes must be at most 64MiB")
	}
	limits := grpcLimits{calls: *f.grpcCalls, messageBytes: int(f.grpcMessageBytes), callTimeout: *f.writeTimeout,
		idle: *f.idleTimeout, maxAge: grpcMaxAge, handshake: *f.readHeaderTimeout}
	proxy, reqOpts, err := reqFlags.setup(fs, *f.grpc != "")
	if err != nil {
		return usageErr(err.Error())
	}
	if (*f.issuer == "" || *f.audience == "") && !*f.unsafeIssAud {
		return usageErr("give --issuer and --audience, so that tokens of another issuer or for another service are refused (RFC 9068); --unsafe-skip-issuer-audience starts without them")
	}
	logs := newLogBuffer(stderr)
	defer logs.Close()
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: &f.logLevel}))
	slog.SetDefault(log) // what any library logs joins the one JSON stream
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if os.Getenv("GOMEMLIMIT") == "" {
		// The allowance holds the requests in flight that the default
		// limits let in; higher limits add what they let in beyond.
		extra := max(0, inflightBytes(*f.maxConns, *f.grpc != "", limits)-inflightBytes(defaultMaxConns, true, defaultGRPCLimits))
		if *f.introspect != "" {
			extra += introspectBytes(*f.grpc != "", limits)
		}
		debug.SetMemoryLimit(int64(f.cacheBytes) + int64(f.tokenBytes) + memoryAllowance + extra)
	}
	if os.Getenv("GOGC") == "" {
		keepMinHeap(serveMinHeap)
	}
	var m *serveMetrics
	if *f.metrics != "" {
		m = newServeMetrics()
	}

	jopts := token.JWTOptions{Issuer: *f.issuer, Audience: *f.audience, RefreshInterval: *f.refresh,
		UnknownKIDInterval: *f.unknownKID, CacheBytes: int64(f.tokenBytes), CacheTTL: *f.tokenTTL, Logger: log,
		Leeway: *f.leeway, FetchTimeout: *f.jwksTimeout}
	var tokens gateway.Tokens
	var reload func(context.Context) error
	if *f.jwks != "" && !jwksURL {
		// Read before listening, so that a bad file is a usage error.
		v, err := token.NewJWTFromFile(ctx, *f.jwks, jopts)
		if err != nil {
			return usageErr(err.Error())
		}
		defer v.Close()
		tokens, reload = v, v.Reload
	}
	cache, err := match.NewCache(int64(f.cacheBytes))
	if err != nil {
		return usageErr(err.Error())
	}
	ln, err := net.Listen("tcp", *f.listen)
	if err != nil {
		return usageErr(err.Error())
	}
	var grpcLn, metricsLn net.Listener
	if *f.grpc != "" {
		if grpcLn, err = net.Listen("tcp", *f.grpc); err != nil {
			ln.Close()
			return usageErr(err.Error())
		}
	}
	if *f.metrics != "" {
		if metricsLn, err = net.Listen("tcp", *f.metrics); err != nil {
			ln.Close()
			return usageErr(err.Error())
		}
	}
	// The data listeners share no cap with the metrics listener, so that
	// the metrics still answer when they are at theirs; it has a small
	// one of its own.
	httpCap := m.capped(ln, *f.maxConns, "http", log)
	ln = httpCap
	var grpcCap *capListener
	if grpcLn != nil {
		grpcCap = m.capped(grpcLn, *f.maxConns, "grpc", log)
		grpcLn = grpcCap
	}
	attrs := []any{"addr", ln.Addr().String()}
	if grpcLn != nil {
		attrs = append(attrs, "grpc", grpcLn.Addr().String())
	}
	if metricsLn != nil {
		attrs = append(attrs, "metrics", metricsLn.Addr().String())
	}
	// The first line names the listeners whatever --log-level says, at
	// once.
	slog.New(slog.NewJSONHandler(logs, nil)).Info("listening", attrs...)
	if *f.issuer == "" || *f.audience == "" {
		log.Warn("tokens are accepted whatever their issuer or audience (--unsafe-skip-issuer-audience)",
			"issuer", *f.issuer, "audience", *f.audience)
	}
	if n := *reqFlags.unsafeStrip; n > 0 {
		log.Warn("--unsafe-strip-segments: leading segments are removed and bound to no token, so a token of one tenant gets its scope on every other's API",
			"segments", n)
	}
	if *reqFlags.tenant != "" && *reqFlags.tenantClaim == "" {
		log.Warn("--tenant without --tenant-claim: a token of any tenant the issuer serves for this audience gets its scope on this tenant's API",
			"tenant", *reqFlags.tenant)
	}
	logs.Flush() // the start's lines at once; later ones within logFlushEvery
	switch {
	case jwksURL:
		v, err := token.NewJWTFromURL(ctx, *f.jwks, jopts)
		if err != nil {
			return usageErr(err.Error())
		}
		defer v.Close()
		tokens, reload = v, v.Reload
		m.watchJWT(v)
	case *f.introspect != "":
		in, err := token.NewIntrospection(*f.introspect, token.IntrospectionOptions{
			ClientID: *f.clientID, ClientSecret: os.Getenv("SCOPECHECK_CLIENT_SECRET"),
			Issuer: *f.issuer, Audience: *f.audience, CacheTTL: *f.tokenTTL, InactiveTTL: *f.inactiveTTL,
			CacheBytes: int64(f.tokenBytes), Leeway: *f.leeway, Timeout: *f.introspectTimeout,
			Probe: true, Logger: log, OnRequest: m.introspected()})
		if err != nil {
			return usageErr(err.Error())
		}
		defer in.Close()
		tokens = in
		m.watchIntrospection(in)
	default:
		m.watchJWT(tokens.(*token.JWT))
	}
	m.watchScopes(cache)
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

	decisions := &decisionLog{out: logs, level: &f.logLevel, sample: decisionSample(*f.logAllowedSample), m: m, tenantClaim: *reqFlags.tenantClaim}
	hook := decisions.hook
	opts := append(reqOpts, gateway.WithHook(hook))

	// Ready: the token check can decide, and no shutdown has begun.
	var stopping atomic.Bool
	ready := func() error {
		if stopping.Load() {
			return errors.New("shutting down")
		}
		if rd, ok := tokens.(gateway.Readier); ok {
			return rd.Ready()
		}
		return nil
	}
	fl := newFlights()
	fr := &httpFront{other: healthMux(ready)}
	if reqFlags.answersHTTP() {
		fr.auth = authHandler("http", fl, m, gateway.AuthRequest(cache, tokens, proxy, opts...))
		fr.path, fr.prefix = *reqFlags.authPath, *reqFlags.proxy == "envoy"
	}
	// Both HTTP listeners, the decision one and the metrics one, have the
	// same timeouts and bound on headers, so that a connection to either
	// is held no longer, nor holds more.
	httpServer := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: *f.readHeaderTimeout,
			ReadTimeout:       *f.readTimeout,
			WriteTimeout:      *f.writeTimeout,
			IdleTimeout:       *f.idleTimeout,
			ConnState:         httpConnState,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
	}
	srv := httpServer(fr)
	done := make(chan error, 3)
	go func() { done <- srv.Serve(ln) }()
	var g *grpcFront
	if grpcLn != nil {
		g = newGRPCFront(authHandler("grpc", fl, m, gateway.AuthRequest(cache, tokens, gateway.Envoy(""), opts...)), hook, ready, limits, m.grpcRefused(log), grpcConnStats{grpcCap})
		go func() { done <- g.serve(ctx, grpcLn) }()
	}
	var msrv *http.Server
	if metricsLn != nil {
		msrv = httpServer(m.handler())
		capped := m.capped(metricsLn, metricsMaxConns, "metrics", log)
		capped.perHost = metricsPerHost
		go func() { done <- msrv.Serve(capped) }()
	}
	select {
	case err := <-done:
		log.Error("server stopped", "error", err.Error())
		return exitUsage
	case <-ctx.Done():
	}
	stopping.Store(true)
	g.stopping()
	if *f.shutdownDelay > 0 {
		log.Info("shutting down", "delay", f.shutdownDelay.String())
		time.Sleep(*f.shutdownDelay)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), *f.shutdownTimeout)
	defer cancel()
	// Both fronts alike: what --shutdown-timeout could not wait for is
	// cut, each decision cut is logged, and the exit says so.
	failed := false
	if err := g.stop(shutdown); err != nil {
		log.Error("shutdown", "front", "grpc", "error", err.Error())
		failed = true
	}
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("shutdown", "front", "http", "error", err.Error())
		failed = true
	}
	// A scrape still under way at the deadline is cut, and said so, but
	// no decision was lost with it.
	if msrv != nil {
		if err := msrv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("shutdown", "listener", "metrics", "error", err.Error())
			msrv.Close()
		}
	}
	if n := fl.cut(log); n > 0 || failed {
		log.Error("stopped before every decision was answered", "cut", n)
		return exitUsage
	}
	log.Info("stopped")
	return exitYes
}

// httpFront is the HTTP listener's handler: the auth path goes to auth with
// no ServeMux on the way (a decision is the hot path); everything else,
// health, to other.
type httpFront struct {
	auth   http.Handler // nil when the listener answers no decisions
	path   string
	prefix bool // every target under path+"/" is a decision (Envoy)
	other  http.Handler
}

func (f *httpFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.auth != nil {
		// The raw target for Envoy: ServeMux would clean "/auth/a/../b"
		// and redirect.
		if f.prefix && len(r.RequestURI) > len(f.path) && r.RequestURI[len(f.path)] == '/' && strings.HasPrefix(r.RequestURI, f.path) ||
			!f.prefix && r.URL.Path == f.path {
			f.auth.ServeHTTP(w, r)
			return
		}
	}
	f.other.ServeHTTP(w, r)
}

// healthMux answers /healthz while the process runs and /readyz while
// ready says so, and 404 elsewhere. Whoever reaches the listener may ask:
// /readyz says "not ready", never why (the why names internal addresses
// and errors; the log has it).
func healthMux(ready func() error) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if ready() != nil {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

// decisionSample returns a function that reports true once in every n
// calls (never for n = 0), for logging one allowed decision in n.
func decisionSample(n int) func() bool {
	if n <= 1 {
		return func() bool { return n == 1 }
	}
	var count atomic.Uint64
	return func() bool { return count.Add(1)%uint64(n) == 1 }
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

// authHandler is what answers a front's decisions: auth (AuthRequest),
// each decision counted in flight (m) and noted for a shutdown that cuts
// it (fl).
func authHandler(front string, fl *flights, m *serveMetrics, auth http.Handler) http.Handler {
	return fl.wrap(front, m.inFlight(front, auth))
}
