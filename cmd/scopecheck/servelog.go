package main

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/match"
)

// logFlushEvery is how long a log line may wait in the buffer.
const logFlushEvery = 100 * time.Millisecond

// logBuffer collects serve's log lines and writes them in batches: a
// write to a pipe or a file per decision cost serve a fifth of its
// throughput. A line waits at most logFlushEvery, or until 64 KiB have
// gathered; Close writes what is left. Lines are written whole and in
// order (slog's handler writes each with one Write).
type logBuffer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		tick := time.NewTicker(logFlushEvery)
		defer tick.Stop()
		for {
			select {
			case <-b.stop:
				return
			case <-tick.C:
				b.Flush()
			}
		}
	}()
	return b
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.w.Available() < len(p) {
		b.w.Flush() // keep a line whole in one write
	}
	return b.w.Write(p)
}

// Flush writes the lines gathered.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the periodic flush and writes what is left.
func (b *logBuffer) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush()
}

// decisionHook returns the hook that counts every decision (m) and logs
// it: a denial at level warn, an allowed decision at info when sample
// says so. A line never holds a token; it names the client of a token
// that verified, and each field a client controls is clipped.
func decisionHook(log *slog.Logger, m *serveMetrics, sample func() bool) func(*http.Request, gateway.Decision) {
	return func(r *http.Request, d gateway.Decision) {
		m.decided(d)
		level := slog.LevelWarn
		if d.Allowed {
			level = slog.LevelInfo
		}
		if !log.Enabled(r.Context(), level) || d.Allowed && !sample() {
			return
		}
		// Typed attributes, on the stack: a decision line allocates little.
		attrs := append(requestAttrs(make([]slog.Attr, 0, 12), d), slog.Bool("allowed", d.Allowed), slog.String("reason", d.Why()))
		switch {
		case d.TokenErr != nil: // unavailable, invalid-token
			attrs = append(attrs, slog.String("error", gateway.Clip(d.TokenErr.Error())))
		case d.NoToken:
		default:
			c, tenant := clientOf(r)
			if c != "" {
				attrs = append(attrs, slog.String("client", gateway.Clip(c)))
			}
			if tenant != "" {
				attrs = append(attrs, slog.String("tenant", gateway.Clip(tenant)))
			}
			if d.Reason == match.Granted || d.Reason == match.ReadOnly {
				attrs = append(attrs, slog.String("item", gateway.Clip(d.Item.String())))
			}
			if d.ScopeErr != nil {
				attrs = append(attrs, slog.String("scope_error", gateway.Clip(d.ScopeErr.Error())))
			}
		}
		log.LogAttrs(r.Context(), level, "decision", attrs...)
	}
}
