package main

import (
	"io"
	"log/slog"
	"math/bits"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/internal/swar"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// logFlushEvery is how long a log line may wait in the buffer.
const logFlushEvery = 100 * time.Millisecond

// logBufferBytes is how many bytes of lines wait at most.
const logBufferBytes = 64 << 10

// logBuffer collects serve's log lines and writes them in batches: a
// write to a pipe or a file per decision cost serve a fifth of its
// throughput. A line waits at most logFlushEvery, or until
// logBufferBytes have gathered; Close writes what is left, and a line
// written after Close is written at once. Lines are written in order,
// each whole unless the destination takes part of a write.
//
// A destination that fails (a full disk, a collector restarting) does
// not silence the log: what it did not take stays in the buffer and is
// written at the next flush, and the lines that find the buffer full
// meanwhile are counted and dropped, newest first. Once the destination
// takes a write again, a line at level error says how many were dropped,
// so that a gap in the log is never silent.
type logBuffer struct {
	mu      sync.Mutex
	w       io.Writer
	buf     []byte
	dropped int  // lines dropped since the destination last took a write
	closed  bool // Close has run: every line is written at once
	stop    chan struct{}
	done    chan struct{}
	now     func() time.Time // of the line that reports drops
}

func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: w, buf: make([]byte, 0, logBufferBytes), stop: make(chan struct{}), done: make(chan struct{}), now: time.Now}
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

// Write adds the line p. It never fails: a line the buffer cannot hold
// while the destination fails is counted as dropped (see logBuffer).
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf)+len(p) > cap(b.buf) {
		b.flush() // keep a line whole in one write
	}
	switch {
	case len(b.buf)+len(p) <= cap(b.buf):
		b.buf = append(b.buf, p...)
	case len(b.buf) == 0: // a line longer than the buffer
		if _, err := b.w.Write(p); err != nil {
			b.dropped++
		}
	default: // the destination fails and the buffer is full
		b.dropped++
	}
	if b.closed {
		b.flush()
	}
	return len(p), nil
}

// Flush writes the lines gathered, and returns the destination's error.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flush()
}

func (b *logBuffer) flush() error {
	for {
		if len(b.buf) == 0 {
			if b.dropped == 0 {
				return nil
			}
			// What was gathered before the drops is written: say what
			// was lost, in slog's JSON, before any later line.
			line := appendTime(append(b.buf, `{"time":"`...), b.now())
			line = append(line, `","level":"ERROR","msg":"log lines dropped while the log could not be written","lines":`...)
			b.buf = append(strconv.AppendInt(line, int64(b.dropped), 10), "}\n"...)
			b.dropped = 0
		}
		n, err := b.w.Write(b.buf)
		b.buf = b.buf[:copy(b.buf, b.buf[n:])]
		if err != nil {
			return err
		}
	}
}

// Close stops the periodic flush and writes what is left; later lines are
// written at once.
func (b *logBuffer) Close() error {
	close(b.stop)
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return b.flush()
}

// decisionLog counts serve's decisions (m) and logs them to out, one
// JSON line each in the form of slog's JSONHandler, which serve's other
// lines take: a denial at level warn, an allowed decision at info when
// sample says so, each when level lets it through. A line never holds a
// token; it names the client of a token that verified (clientOf), and
// each field a client controls is clipped (gateway.Clip). The line is
// written here rather than by slog because it is on every request's path:
// this way it costs no allocation, no stack walk for a source nobody
// logs, and no second lock. TestDecisionLineIsSlogs holds it to slog's
// line for the same attributes.
type decisionLog struct {
	out         io.Writer // each Write a whole line (a logBuffer)
	level       slog.Leveler
	sample      func() bool
	m           *serveMetrics
	tenantClaim string
}

// linePool holds the buffers decision lines are written in.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// hook is the gateway's hook (gateway.WithHook).
func (l *decisionLog) hook(_ *http.Request, d gateway.Decision) {
	l.m.decided(&d)
	level := slog.LevelWarn
	if d.Allowed {
		level = slog.LevelInfo
	}
	if level < l.level.Level() || d.Allowed && !l.sample() {
		return
	}
	bp := linePool.Get().(*[]byte)
	*bp = appendDecision((*bp)[:0], time.Now(), level, &d, l.tenantClaim)
	l.out.Write(*bp)
	if cap(*bp) <= 64<<10 { // a line that a long request made is not kept
		linePool.Put(bp)
	}
}

// appendDecision appends d's line, logged at t and level, to b: the
// attributes "method", "target", "path", the other "sources" and the one
// that refused ("source" …), "allowed", "reason", and then the token's
// "error", or its "client", "tenant", the "item" that decided and the
// "scope_error".
func appendDecision(b []byte, t time.Time, level slog.Level, d *gateway.Decision, tenantClaim string) []byte {
	b = append(b, `{"time":"`...)
	b = appendTime(b, t)
	b = append(b, `","level":"`...)
	b = append(b, level.String()...)
	b = append(b, `","msg":"decision"`...)
	b = appendField(b, "method", d.Method)
	b = appendField(b, "target", d.Target)
	b = appendField(b, "path", d.Path)
	if src := d.Sources(); len(src) > 0 {
		b = append(b, `,"sources":[`...)
		for i, x := range src {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendJSONString(b, gateway.Clip(x.Name), true)
			b = append(b, `,"method":`...)
			b = appendJSONString(b, gateway.Clip(anyMethod(x.Method)), true)
			b = append(b, `,"target":`...)
			b = appendJSONString(b, gateway.Clip(x.Target), true)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	switch d.Refusal {
	case gateway.Conflict:
		b = appendField(b, "source", d.Other.Name)
		b = appendField(b, "source_method", anyMethod(d.Other.Method))
		b = appendField(b, "source_target", d.Other.Target)
	case gateway.QueryToken:
		b = appendField(b, "source", d.Other.Name)
	}
	if d.Allowed {
		b = append(b, `,"allowed":true`...)
	} else {
		b = append(b, `,"allowed":false`...)
	}
	b = appendField(b, "reason", d.Why())
	switch {
	case d.TokenErr != nil: // unavailable, invalid-token
		b = appendField(b, "error", d.TokenErr.Error())
	case d.NoToken:
	default:
		client, tenant := clientOf(d, tenantClaim)
		if client != "" {
			b = appendField(b, "client", client)
		}
		if tenant != "" {
			b = appendField(b, "tenant", tenant)
		}
		if d.Reason == match.Granted || d.Reason == match.ReadOnly {
			if it := d.Item; it.Class != scope.Plain && len(it.Pattern) < gateway.MaxLogField-1 {
				// The item's text, written in its two parts: the class
				// and ':' are ASCII, so they escape alike apart.
				b = append(b, `,"item":"`...)
				b = append(b, it.Class.String()...)
				b = append(b, ':')
				b = appendEscaped(b, it.Pattern, false)
				b = append(b, '"')
			} else {
				b = appendField(b, "item", it.String())
			}
		}
		if d.ScopeErr != nil {
			b = appendField(b, "scope_error", d.ScopeErr.Error())
		}
	}
	return append(b, "}\n"...)
}

// lastSecond is the text of the second that appendTime last wrote in.
var lastSecond atomic.Pointer[secondText]

// secondText is a second of time as RFC 3339 writes it, in the zone of
// its offset: the date and the clock (date), and the zone.
type secondText struct {
	unix       int64 // the second, in Unix time
	offset     int   // the zone's offset from UTC, in seconds
	date, zone []byte
}

// appendTime appends t as time.RFC3339Nano writes it, and so as slog's
// JSONHandler writes a record's time. The date, the clock and the zone
// are formatted once a second (they are the same for every line of that
// second in that zone: a zone changes its offset on a second's boundary)
// and kept in lastSecond; a line adds only its fraction of the second.
func appendTime(b []byte, t time.Time) []byte {
	_, offset := t.Zone()
	unix := t.Unix()
	s := lastSecond.Load()
	if s == nil || s.unix != unix || s.offset != offset {
		// time.RFC3339 is time.RFC3339Nano without the fraction, which
		// goes between the clock and the zone ("Z" or "+07:00").
		full := t.AppendFormat(nil, time.RFC3339)
		n := len(full) - len("Z")
		if full[n] != 'Z' {
			n = len(full) - len("+07:00")
		}
		s = &secondText{unix: unix, offset: offset, date: full[:n:n], zone: full[n:]}
		lastSecond.Store(s)
	}
	b = append(b, s.date...)
	if ns := t.Nanosecond(); ns != 0 {
		// As RFC3339Nano's ".999999999": nine digits, less the zeros
		// that end them.
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i > 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := len(frac)
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, s.zone...)
}

// appendField appends the member key (which needs no escaping) with the
// string v, clipped.
func appendField(b []byte, key, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendJSONString(b, gateway.Clip(v), false)
}

// appendJSONString appends s as a JSON string: as slog's JSONHandler
// writes a string attribute, or, with marshal, as encoding/json (and so
// slog, for a value it marshals) writes a string, which differs only in
// writing \b and \f short.
func appendJSONString(b []byte, s string, marshal bool) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s, marshal)
	return append(b, '"')
}

// appendEscaped appends s escaped for a JSON string: '"', '\\' and control
// characters, invalid UTF-8 as U+FFFD, and U+2028 and U+2029 (which
// JavaScript reads as line ends), as slog and encoding/json do.
func appendEscaped(b []byte, s string, marshal bool) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			// Eight bytes at a time past printable ASCII other than '"'
			// and '\\' (most of a line, copied as it is): m flags
			// control bytes, '"', '\\' and bytes of 0x80 and above.
			x := swar.Load64(s, i)
			m := swar.Less(x, 0x20) | swar.Equal(x, '"') | swar.Equal(x, '\\') | x&0x8080808080808080
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case marshal && c == '\b':
				b = append(b, '\\', 'b')
			case marshal && c == '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}
