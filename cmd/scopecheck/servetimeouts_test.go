package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// checkRequest is an nginx subrequest for uri with token, on a connection
// that closes after it.
func checkRequest(token, uri string) string {
	return "GET /auth HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
		"\r\nX-Original-Method: GET\r\nX-Original-URI: " + uri + "\r\nConnection: close\r\n\r\n"
}

// heldFor reads from c until the server closes it or limit passes, and
// returns how long that took (limit if it is still open) and what the
// server wrote meanwhile.
func heldFor(c net.Conn, limit time.Duration) (time.Duration, string) {
	start := time.Now()
	c.SetReadDeadline(start.Add(limit))
	b, err := io.ReadAll(c)
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		return limit, string(b)
	}
	return time.Since(start), string(b)
}

// trickle writes data a byte every interval, until a write fails.
func trickle(c net.Conn, data string, every time.Duration) {
	for i := 0; i < len(data); i++ {
		if _, err := c.Write([]byte{data[i]}); err != nil {
			return
		}
		time.Sleep(every)
	}
}

// The HTTP listener reads a whole request within --read-timeout, which
// follows --read-header-timeout when not given (serve reads no body): a
// client that trickles its headers is cut with no decision; one that
// sends whole headers and trickles a body has its decision at once, made
// on the headers, and is cut when the discard of the body reaches the
// same bound; a body that holds a second request is never read as one.
func TestServeReadTimeout(t *testing.T) {
	const bound = time.Second
	bin, keys, jwksFile := setupServe(t)
	s := startServe(t, bin, nil, "--proxy", "nginx", "--jwks", jwksFile, "--issuer", e2eIssuer, "--audience", e2eAudience,
		"--read-header-timeout", bound.String())
	tok := keys.Token(t, claims("*:config/**"))
	inner := checkRequest(tok, "/config/a")
	tests := []struct {
		name     string
		send     func(c net.Conn)
		answer   string // the status line's start, "" for none
		answers  int
		min, max time.Duration // how long the connection may be held
	}{
		{"headers trickled", func(c net.Conn) { go trickle(c, checkRequest(tok, "/config/a"), 50*time.Millisecond) },
			"", 0, bound / 2, 3 * bound},
		{"whole headers, a body trickled", func(c net.Conn) {
			io.WriteString(c, strings.Replace(checkRequest(tok, "/config/a"), "Connection: close\r\n", "Content-Length: 100000\r\n", 1))
			go trickle(c, strings.Repeat("x", 1000), 50*time.Millisecond)
		}, "HTTP/1.1 200", 1, bound / 2, 3 * bound},
		{"a body that is a request with a token", func(c net.Conn) {
			io.WriteString(c, fmt.Sprintf("GET /auth HTTP/1.1\r\nHost: x\r\nX-Original-Method: GET\r\nX-Original-URI: /config/a\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(inner), inner))
		}, "HTTP/1.1 401", 1, 0, 3 * bound},
	}
	type result struct {
		held   time.Duration
		answer string
	}
	results := make([]chan result, len(tests))
	for i, tc := range tests {
		results[i] = make(chan result, 1)
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		go func() {
			tc.send(c)
			held, answer := heldFor(c, 10*bound)
			results[i] <- result{held, answer}
		}()
	}
	for i, tc := range tests {
		r := <-results[i]
		if n := strings.Count(r.answer, "HTTP/1.1 "); n != tc.answers || !strings.HasPrefix(r.answer, tc.answer) {
			t.Errorf("%s: %d answers, %.60q; want %d beginning %q", tc.name, n, r.answer, tc.answers, tc.answer)
		}
		if r.held < tc.min || r.held > tc.max {
			t.Errorf("%s: the connection was held %v; want %v to %v (the read timeout %v)", tc.name, r.held, tc.min, tc.max, bound)
		}
	}
	s.stop(t)
}

// The metrics listener holds an idle kept-alive connection no longer than
// the decision listener does (--idle-timeout), and caps its connections:
// past the cap, an idle one is closed in favour of the next.
func TestServeMetricsListenerTimeoutsAndCap(t *testing.T) {
	bin, _, jwksFile := setupServe(t)
	s := startServe(t, bin, nil, "--proxy", "nginx", "--jwks", jwksFile, "--issuer", e2eIssuer, "--audience", e2eAudience,
		"--metrics", "127.0.0.1:0", "--idle-timeout", "1s")
	// scrape sends one request on a new kept-alive connection from
	// 127.0.0.from and returns the connection with the answer read.
	scrapeFrom := func(from byte, addr, path string) (net.Conn, *bufio.Reader) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, from)}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s%s: %v", addr, path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return c, br
	}
	scrape := func(addr, path string) (net.Conn, *bufio.Reader) { return scrapeFrom(1, addr, path) }
	closedWithin := func(c net.Conn, br *bufio.Reader, limit time.Duration) bool {
		c.SetReadDeadline(time.Now().Add(limit))
		_, err := br.ReadByte()
		ne := net.Error(nil)
		return err != nil && !(errors.As(err, &ne) && ne.Timeout())
	}
	for _, l := range []struct{ name, addr, path string }{{"decision", s.addr, "/healthz"}, {"metrics", s.metrics, "/metrics"}} {
		c, br := scrape(l.addr, l.path)
		if !closedWithin(c, br, 4*time.Second) {
			t.Errorf("the %s listener held an idle connection past --idle-timeout 1s", l.name)
		}
	}
	s.stop(t)

	// Idle connections up to the cap, from four addresses (each may hold
	// four), and one more from a fifth: one is closed in its favour, and
	// the newest is answered (idle connections kept for a minute, so that
	// only the cap closes them).
	s = startServe(t, bin, nil, "--proxy", "nginx", "--jwks", jwksFile, "--issuer", e2eIssuer, "--audience", e2eAudience,
		"--metrics", "127.0.0.1:0")
	conns := make([]net.Conn, 0, metricsMaxConns)
	readers := make([]*bufio.Reader, 0, metricsMaxConns)
	for i := range metricsMaxConns {
		c, br := scrapeFrom(byte(2+i/metricsPerHost), s.metrics, "/metrics")
		conns, readers = append(conns, c), append(readers, br)
	}
	scrapeFrom(200, s.metrics, "/metrics")
	closed := 0
	for i := range conns {
		if closedWithin(conns[i], readers[i], 10*time.Millisecond) {
			closed++
		}
	}
	if closed == 0 {
		t.Errorf("%d idle connections to the metrics listener and one more: none was closed", metricsMaxConns)
	}
	s.stop(t)
}

// One client cannot keep scrapes from the metrics listener: an address
// holds at most metricsPerHost of its places, and a connection beyond
// that is closed at once, so that silent connections from one address,
// redialled as fast as they are closed, neither fill the cap nor the
// kernel's queue in front of a scraper.
func TestServeMetricsListenerOneClientShare(t *testing.T) {
	bin, _, jwksFile := setupServe(t)
	s := startServe(t, bin, nil, "--proxy", "nginx", "--jwks", jwksFile, "--issuer", e2eIssuer, "--audience", e2eAudience,
		"--metrics", "127.0.0.1:0")
	stop := make(chan struct{})
	var held sync.WaitGroup
	for range 4 * metricsMaxConns {
		held.Add(1)
		go func() { // a silent connection from 127.0.0.1, redialled when closed
			defer held.Done()
			for {
				c, err := net.Dial("tcp", s.metrics)
				if err == nil {
					go func() { <-stop; c.Close() }()
					c.Read(make([]byte, 1))
					c.Close()
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	for i := range 3 {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 3 * time.Second}
		c, err := d.Dial("tcp", s.metrics)
		if err != nil {
			t.Fatalf("scrape %d: %v", i, err)
		}
		c.SetDeadline(time.Now().Add(3 * time.Second))
		io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("scrape %d beside %d silent connections from one address: %v", i, 4*metricsMaxConns, err)
		} else {
			resp.Body.Close()
		}
		c.Close()
	}
	close(stop)
	held.Wait()
	s.stop(t)
}

// A scrape still being read when --shutdown-timeout runs out (a body
// trickled after whole headers, the read timeout longer than the
// shutdown's) is cut and said so, as the metrics listener's, but no
// decision was lost with it: serve does not say so, and exits 0.
func TestServeShutdownCutsAScrapeNotADecision(t *testing.T) {
	bin, _, jwksFile := setupServe(t)
	s := startServe(t, bin, nil, "--proxy", "nginx", "--jwks", jwksFile, "--issuer", e2eIssuer, "--audience", e2eAudience,
		"--metrics", "127.0.0.1:0", "--read-header-timeout", "20s", "--shutdown-timeout", "1s")
	c, err := net.Dial("tcp", s.metrics)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
	go trickle(c, strings.Repeat("x", 2000), 50*time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	s.cmd.Process.Signal(syscall.SIGTERM)
	err = s.cmd.Wait()
	logs := s.logs.String()
	if err != nil || strings.Contains(logs, "stopped before every decision was answered") || !strings.Contains(logs, `"listener":"metrics"`) {
		t.Errorf("a scrape cut at shutdown: exit %v; want 0, the metrics listener named and no decision said lost; the log:\n%s", err, logs)
	}
}
