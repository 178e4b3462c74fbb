package main

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/stats"
)

// reclaimEvery is how often a connection waiting at the cap looks again
// for an idle connection to close in its favour.
const reclaimEvery = 100 * time.Millisecond

// capListener accepts at most cap connections at once, as
// netutil.LimitListener does, and makes the cap visible and hard to hold:
// a connection that arrives at the cap is counted (waited) and, while it
// waits, an open connection with no request in flight is closed in its
// favour (reclaim). Only a connection whose owner marks it idle can be
// reclaimed: the HTTP server's ConnState between requests, the gRPC
// front's stats handler while a connection has no call; a connection
// that has sent nothing yet is not idle (it is bounded by the read
// header timeout, or gRPC's connection timeout, instead).
type capListener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{}
	once  sync.Once
	// opened and closed move the open-connections gauge; waited is called
	// once for each connection that finds the listener at its cap.
	opened, closed, waited func()

	// perHost, when not 0, is the most connections one IP address may
	// hold (open or waiting for a place); hosts counts them.
	perHost int

	mu    sync.Mutex
	conns map[string]*capConn // by remote address
	hosts map[string]int
}

func newCapListener(ln net.Listener, max int, opened, closed, waited func()) *capListener {
	return &capListener{Listener: ln, slots: make(chan struct{}, max), done: make(chan struct{}),
		opened: opened, closed: closed, waited: waited, conns: make(map[string]*capConn), hosts: make(map[string]int)}
}

// Accept takes the next connection from the kernel and holds it until a
// place is free. At the cap that is the only connection held beyond it:
// the others wait in the kernel's queue. With perHost, a connection from
// an address that holds perHost already is closed at once.
func (l *capListener) Accept() (net.Conn, error) {
	c, host, err := l.acceptShare()
	if err != nil {
		return nil, err
	}
	select {
	case l.slots <- struct{}{}:
	default:
		l.waited()
		tick := time.NewTicker(reclaimEvery)
		defer tick.Stop()
	wait:
		for {
			l.reclaim()
			select {
			case l.slots <- struct{}{}:
				break wait
			case <-l.done:
				c.Close()
				l.release(host)
				return nil, net.ErrClosed
			case <-tick.C:
			}
		}
	}
	cc := &capConn{Conn: c, l: l, key: c.RemoteAddr().String(), host: host}
	l.mu.Lock()
	l.conns[cc.key] = cc
	l.mu.Unlock()
	l.opened()
	return cc, nil
}

// acceptShare accepts the next connection whose address holds fewer than
// perHost (any, without perHost), counts it to its address, and returns
// the address ("" without perHost).
func (l *capListener) acceptShare() (net.Conn, string, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || l.perHost == 0 {
			return c, "", err
		}
		host := c.RemoteAddr().String()
		if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
			host = a.IP.String()
		}
		l.mu.Lock()
		full := l.hosts[host] >= l.perHost
		if !full {
			l.hosts[host]++
		}
		l.mu.Unlock()
		if !full {
			return c, host, nil
		}
		c.Close()
		l.waited()
	}
}

// release gives back a place of host's share.
func (l *capListener) release(host string) {
	if l.perHost == 0 {
		return
	}
	l.mu.Lock()
	if l.hosts[host]--; l.hosts[host] <= 0 {
		delete(l.hosts, host)
	}
	l.mu.Unlock()
}

// Close closes the listener, and ends a wait for a place.
func (l *capListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// reclaim closes one idle connection, if there is one.
func (l *capListener) reclaim() {
	l.mu.Lock()
	var victim *capConn
	for _, cc := range l.conns {
		if cc.idle.CompareAndSwap(true, false) {
			victim = cc
			break
		}
	}
	l.mu.Unlock()
	if victim != nil {
		victim.Close()
	}
}

// lookup is the open connection from remote address addr, or nil.
func (l *capListener) lookup(addr net.Addr) *capConn {
	if addr == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns[addr.String()]
}

// capConn is a connection of a capListener: closing it frees its place.
type capConn struct {
	net.Conn
	l    *capListener
	key  string
	host string // its address, counted in l.hosts with perHost
	once sync.Once
	// idle is set while the connection has no request in flight.
	idle atomic.Bool
	// calls counts a gRPC connection's calls under way.
	calls atomic.Int64
}

func (c *capConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.idle.Store(false)
		c.l.mu.Lock()
		if c.l.conns[c.key] == c {
			delete(c.l.conns, c.key)
		}
		c.l.mu.Unlock()
		c.l.release(c.host)
		<-c.l.slots
		c.l.closed()
	})
	return err
}

// httpConnState is the HTTP server's ConnState: a connection between
// requests may be reclaimed.
func httpConnState(c net.Conn, st http.ConnState) {
	if cc, ok := c.(*capConn); ok {
		cc.idle.Store(st == http.StateIdle)
	}
}

// grpcConnStats marks a gRPC connection of l idle while it has no call
// under way (health watches count as calls).
type grpcConnStats struct{ l *capListener }

type capConnKey struct{}

func (s grpcConnStats) TagConn(ctx context.Context, info *stats.ConnTagInfo) context.Context {
	cc := s.l.lookup(info.RemoteAddr)
	if cc == nil {
		return ctx
	}
	return context.WithValue(ctx, capConnKey{}, cc)
}

func (s grpcConnStats) HandleConn(ctx context.Context, st stats.ConnStats) {
	cc, _ := ctx.Value(capConnKey{}).(*capConn)
	if _, ok := st.(*stats.ConnBegin); ok && cc != nil && cc.calls.Load() == 0 {
		cc.idle.Store(true)
	}
}

func (s grpcConnStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }

func (s grpcConnStats) HandleRPC(ctx context.Context, st stats.RPCStats) {
	cc, _ := ctx.Value(capConnKey{}).(*capConn)
	if cc == nil {
		return
	}
	switch st.(type) {
	case *stats.Begin:
		cc.calls.Add(1)
		cc.idle.Store(false)
	case *stats.End:
		if cc.calls.Add(-1) == 0 {
			cc.idle.Store(true)
			if cc.calls.Load() != 0 { // a call began meanwhile
				cc.idle.Store(false)
			}
		}
	}
}
