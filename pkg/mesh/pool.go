package mesh

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"
)

// OverflowError reports a request refused by a circuit-breaking limit. It
// unwraps to ErrOverflow.
type OverflowError struct {
	// Service is the logical service name.
	Service string
	// Limit names the limit: "maxRequests" or "maxConnections".
	Limit string
	// Max is the limit's value.
	Max int
}

func (e *OverflowError) Error() string {
	return fmt.Sprintf("mesh: %s: %s limit of %d reached", e.Service, e.Limit, e.Max)
}

// Unwrap returns ErrOverflow.
func (e *OverflowError) Unwrap() error { return ErrOverflow }

// acquire takes a request slot of e, or fails at once.
func (e *entry) acquire() error {
	if e.inflight.Add(1) > int64(e.pol().maxRequests) {
		e.inflight.Add(-1)
		return &OverflowError{Service: e.service, Limit: "maxRequests", Max: e.pol().maxRequests}
	}
	return nil
}

// countConnections returns a clone of t whose dials count the open
// connections per service and refuse those beyond Pool.MaxConnections.
func (c *Client) countConnections(t *http.Transport) *http.Transport {
	t = t.Clone()
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		v, ok := c.hosts.Load(addr)
		if !ok {
			return dial(ctx, network, addr)
		}
		e := v.(*entry)
		if e.conns.Add(1) > int64(e.pol().maxConns) {
			e.conns.Add(-1)
			return nil, &OverflowError{Service: e.service, Limit: "maxConnections", Max: e.pol().maxConns}
		}
		conn, err := dial(ctx, network, addr)
		if err != nil {
			e.conns.Add(-1)
			return nil, err
		}
		return &countedConn{Conn: conn, count: &e.conns}, nil
	}
	if c.cfg.TLS != nil {
		plain := t.DialContext
		t.ForceAttemptHTTP2 = false
		t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			v, ok := c.hosts.Load(addr)
			if !ok {
				return nil, fmt.Errorf("mesh: tls: %s is no known service's instance; refusing to connect without an expected identity", addr)
			}
			service := v.(*entry).service
			conn, err := plain(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(conn, c.cfg.TLS.ClientConfig(service))
			if err := tc.HandshakeContext(ctx); err != nil {
				conn.Close()
				return nil, fmt.Errorf("mesh: %s: %s: tls handshake: %w", service, addr, err)
			}
			return tc, nil
		}
	}
	return t
}

// countedConn gives its slot back when closed, and counts the requests it
// carries so that it can be retired after Pool.MaxRequestsPerConnection.
type countedConn struct {
	net.Conn
	count   *atomic.Int64
	closed  atomic.Bool
	uses    atomic.Int64
	retired atomic.Bool
}

// errRetired fails the first write on a retired connection. Nothing has been
// written then, so http.Transport retries the request on a new connection.
var errRetired = errors.New("mesh: connection retired after its request limit")

// Write refuses to start another request on a retired connection.
func (c *countedConn) Write(b []byte) (int, error) {
	if c.retired.Load() {
		c.Close()
		return 0, errRetired
	}
	return c.Conn.Write(b)
}

// perConnectionLimit returns a trace whose GotConn counts the request on its
// connection and retires the connection once it has carried max requests: the
// request that would exceed the limit fails before writing a byte and
// http.Transport sends it on a fresh connection.
func perConnectionLimit(max int) *httptrace.ClientTrace {
	return &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		conn := info.Conn
		if tc, ok := conn.(*tls.Conn); ok {
			conn = tc.NetConn()
		}
		if cc, ok := conn.(*countedConn); ok && cc.uses.Add(1) > int64(max) {
			cc.retired.Store(true)
		}
	}}
}

func (c *countedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.count.Add(-1)
	}
	return c.Conn.Close()
}
