package main

import (
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/gateway/token"
	"github.com/scopecheck/scopecheck/match"
)

// serveMetrics are serve's Prometheus metrics. Counters of the hot path
// are the decisions and the requests in flight; the caches' and the key
// set's figures are read from their Stats when scraped, not counted again.
// Every method of a nil *serveMetrics (no --metrics) does nothing.
type serveMetrics struct {
	reg                 *prometheus.Registry
	decisions           *prometheus.CounterVec
	tokenFailures       *prometheus.CounterVec
	introspection       prometheus.Histogram
	introspectionErrors prometheus.Counter
	inflight            *prometheus.GaugeVec
	grpcRefusals        prometheus.Counter
	connsOpen           *prometheus.GaugeVec
	connsWaited         *prometheus.CounterVec
	// stats send the figures read from Stats, source by source; they are
	// added at start, before the metrics are served.
	stats []func(chan<- prometheus.Metric)
}

func newServeMetrics() *serveMetrics {
	m := &serveMetrics{
		reg: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scopecheck_decisions_total",
			Help: "Decisions, by outcome (allow, deny) and reason (granted, no-token, invalid-token, unavailable, no-match, read-only, wrong-tenant …)."},
			[]string{"outcome", "reason"}),
		tokenFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scopecheck_token_failures_total",
			Help: "Bearer tokens that failed verification, by cause (expired, signature, unknown-key, issuer, audience, inactive, unavailable …)."},
			[]string{"cause"}),
		introspection: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "scopecheck_introspection_duration_seconds",
			Help: "Time of each request to the introspection endpoint (cache misses), failed ones included.", Buckets: prometheus.DefBuckets}),
		introspectionErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "scopecheck_introspection_errors_total",
			Help: "Requests to the introspection endpoint that failed: unreachable, timed out, not 200, or not a well-formed answer."}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "scopecheck_requests_in_flight",
			Help: "Decisions under way, by front (http, grpc)."}, []string{"front"}),
		grpcRefusals: prometheus.NewCounter(prometheus.CounterOpts{Name: "scopecheck_grpc_calls_refused_total",
			Help: "gRPC calls refused with RESOURCE_EXHAUSTED because --grpc-max-calls were in flight."}),
		connsOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "scopecheck_connections_open",
			Help: "Connections open, by listener (http, grpc); each listener accepts at most --max-connections."}, []string{"listener"}),
		connsWaited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scopecheck_connections_waited_total",
			Help: "Connections that arrived while their listener was at --max-connections, and waited to be accepted, by listener."}, []string{"listener"}),
	}
	m.reg.MustRegister(m.decisions, m.tokenFailures, m.inflight, m.grpcRefusals, m.connsOpen, m.connsWaited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		statsCollector{append([]*prometheus.Desc{jwksRefreshes, jwksKeys}, cacheDescs...), func(ch chan<- prometheus.Metric) {
			for _, send := range m.stats {
				send(ch)
			}
		}})
	return m
}

// handler serves the metrics in Prometheus' text format.
func (m *serveMetrics) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	return mux
}

// decided counts a decision, and a token's failure by its cause.
func (m *serveMetrics) decided(d *gateway.Decision) {
	if m == nil {
		return
	}
	outcome := "deny"
	if d.Allowed {
		outcome = "allow"
	}
	m.decisions.WithLabelValues(outcome, d.Why()).Inc()
	if d.TokenErr != nil {
		m.tokenFailures.WithLabelValues(token.Cause(d.TokenErr)).Inc()
	}
}

// inFlight counts the decisions h is making.
func (m *serveMetrics) inFlight(front string, h http.Handler) http.Handler {
	if m == nil {
		return h
	}
	return promhttp.InstrumentHandlerInFlight(m.inflight.WithLabelValues(front), h)
}

// grpcRefused returns what the gRPC front calls on each call it refuses
// because too many are in flight: it counts the call, and logs a warning
// at most once a second.
func (m *serveMetrics) grpcRefused(log *slog.Logger) func() {
	warn := oncePerSecond(func() { log.Warn("gRPC calls refused: --grpc-max-calls are in flight") })
	return func() {
		if m != nil {
			m.grpcRefusals.Inc()
		}
		warn()
	}
}

// oncePerSecond returns a function that calls f, at most once a second
// however often it is called: for warnings that a flood would repeat.
func oncePerSecond(f func()) func() {
	var last atomic.Int64
	return func() {
		now := time.Now().Unix()
		if old := last.Load(); old != now && last.CompareAndSwap(old, now) {
			f()
		}
	}
}

// capped puts ln under the cap of max connections, named listener in the
// metrics and the log: its open connections are a gauge, each connection
// that arrives at the cap is counted, and a warning is logged at most
// once a second while connections arrive at the cap.
func (m *serveMetrics) capped(ln net.Listener, max int, listener string, log *slog.Logger) *capListener {
	opened, closed, count := func() {}, func() {}, func() {}
	if m != nil {
		open, waited := m.connsOpen.WithLabelValues(listener), m.connsWaited.WithLabelValues(listener)
		opened, closed, count = open.Inc, open.Dec, waited.Inc
	}
	warn := oncePerSecond(func() {
		log.Warn("connections wait: the listener is at its cap; idle ones are closed in their favour",
			"listener", listener, "max", max)
	})
	return newCapListener(ln, max, opened, closed, func() { count(); warn() })
}

// introspected is the introspection client's OnRequest.
func (m *serveMetrics) introspected() func(time.Duration, error) {
	if m == nil {
		return nil
	}
	m.reg.MustRegister(m.introspection, m.introspectionErrors)
	return func(elapsed time.Duration, err error) {
		m.introspection.Observe(elapsed.Seconds())
		if err != nil {
			m.introspectionErrors.Inc()
		}
	}
}

// Descriptions of the figures read from Stats when scraped.
var (
	cacheLabels    = []string{"cache"}
	cacheHits      = prometheus.NewDesc("scopecheck_cache_hits_total", "Lookups that found their entry, by cache (scopes, jwt, introspection).", cacheLabels, nil)
	cacheMisses    = prometheus.NewDesc("scopecheck_cache_misses_total", "Lookups that did not, by cache.", cacheLabels, nil)
	cacheEvictions = prometheus.NewDesc("scopecheck_cache_evictions_total", "Entries dropped to stay within the byte budget, by cache.", cacheLabels, nil)
	cacheEntries   = prometheus.NewDesc("scopecheck_cache_entries", "Entries held, by cache.", cacheLabels, nil)
	cacheBytes     = prometheus.NewDesc("scopecheck_cache_bytes", "Bytes charged for the entries held, by cache.", cacheLabels, nil)
	cacheBudget    = prometheus.NewDesc("scopecheck_cache_budget_bytes", "The byte budget, by cache (--cache-bytes, --token-cache-bytes).", cacheLabels, nil)
	jwksRefreshes  = prometheus.NewDesc("scopecheck_jwks_refreshes_total", "Loads of the JWKS file or URL, by result (success, failure).", []string{"result"}, nil)
	jwksKeys       = prometheus.NewDesc("scopecheck_jwks_keys", "Usable signature keys in the key set held.", nil, nil)
)

// statsCollector makes metrics of figures read when scraped.
type statsCollector struct {
	descs   []*prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c statsCollector) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

// cacheMetrics sends one cache's figures.
func cacheMetrics(ch chan<- prometheus.Metric, name string, hits, misses, evictions uint64, entries int, bytes, budget int64) {
	ch <- prometheus.MustNewConstMetric(cacheHits, prometheus.CounterValue, float64(hits), name)
	ch <- prometheus.MustNewConstMetric(cacheMisses, prometheus.CounterValue, float64(misses), name)
	ch <- prometheus.MustNewConstMetric(cacheEvictions, prometheus.CounterValue, float64(evictions), name)
	ch <- prometheus.MustNewConstMetric(cacheEntries, prometheus.GaugeValue, float64(entries), name)
	ch <- prometheus.MustNewConstMetric(cacheBytes, prometheus.GaugeValue, float64(bytes), name)
	ch <- prometheus.MustNewConstMetric(cacheBudget, prometheus.GaugeValue, float64(budget), name)
}

var cacheDescs = []*prometheus.Desc{cacheHits, cacheMisses, cacheEvictions, cacheEntries, cacheBytes, cacheBudget}

// watchScopes reads the figures of the cache of compiled scopes.
func (m *serveMetrics) watchScopes(c *match.Cache) {
	if m == nil {
		return
	}
	m.stats = append(m.stats, func(ch chan<- prometheus.Metric) {
		s := c.Stats()
		cacheMetrics(ch, "scopes", s.Hits, s.Misses, s.Evictions, s.Len, s.Bytes, s.Budget)
	})
}

// watchJWT reads the figures of a JWT verifier: its cache and key set.
func (m *serveMetrics) watchJWT(j *token.JWT) {
	if m == nil {
		return
	}
	m.stats = append(m.stats, func(ch chan<- prometheus.Metric) {
		s := j.CacheStats()
		cacheMetrics(ch, "jwt", s.Hits, s.Misses, s.Evictions, s.Len, s.Bytes, s.Budget)
		k := j.KeySetStats()
		ch <- prometheus.MustNewConstMetric(jwksRefreshes, prometheus.CounterValue, float64(k.Loads), "success")
		ch <- prometheus.MustNewConstMetric(jwksRefreshes, prometheus.CounterValue, float64(k.Failures), "failure")
		ch <- prometheus.MustNewConstMetric(jwksKeys, prometheus.GaugeValue, float64(k.Keys))
	})
}

// watchIntrospection reads the figures of the cache of introspection
// answers.
func (m *serveMetrics) watchIntrospection(in *token.Introspection) {
	if m == nil {
		return
	}
	m.stats = append(m.stats, func(ch chan<- prometheus.Metric) {
		s := in.CacheStats()
		cacheMetrics(ch, "introspection", s.Hits, s.Misses, s.Evictions, s.Len, s.Bytes, s.Budget)
	})
}
