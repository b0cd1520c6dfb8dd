// Package tracetest captures X-Ray segments sent over UDP, as the daemon
// would receive them, for tests and the local demo.
package tracetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"

	"github.com/portico-gw/portico/pkg/trace"
)

// Collector listens on a local UDP port and keeps the segments it receives.
type Collector struct {
	conn    net.PacketConn
	mu      sync.Mutex
	segs    []trace.Segment
	bad     []string
	changed chan struct{} // closed and replaced on each datagram
	done    chan struct{}
}

// Listen starts a Collector on addr, such as "127.0.0.1:0".
func Listen(addr string) (*Collector, error) {
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("tracetest: listen %s: %w", addr, err)
	}
	c := &Collector{conn: conn, changed: make(chan struct{}), done: make(chan struct{})}
	go c.read()
	return c, nil
}

// Addr returns the address to send segments to.
func (c *Collector) Addr() string { return c.conn.LocalAddr().String() }

func (c *Collector) read() {
	defer close(c.done)
	buf := make([]byte, 64<<10)
	for {
		n, _, err := c.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		c.add(buf[:n])
	}
}

// add decodes one datagram: the daemon header line, then a segment.
func (c *Collector) add(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() {
		close(c.changed)
		c.changed = make(chan struct{})
	}()
	head, body, ok := bytes.Cut(b, []byte("\n"))
	var seg trace.Segment
	if !ok || string(head) != `{"format":"json","version":1}` || json.Unmarshal(body, &seg) != nil {
		c.bad = append(c.bad, string(b))
		return
	}
	c.segs = append(c.segs, seg)
}

// Segments returns the segments received so far, and the datagrams that
// were not a daemon header followed by a segment.
func (c *Collector) Segments() (segs []trace.Segment, malformed []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]trace.Segment(nil), c.segs...), append([]string(nil), c.bad...)
}

// Wait returns the segments of traceID once there are at least n of them,
// or ctx's error.
func (c *Collector) Wait(ctx context.Context, traceID string, n int) ([]trace.Segment, error) {
	for {
		c.mu.Lock()
		var got []trace.Segment
		for _, s := range c.segs {
			if s.TraceID == traceID {
				got = append(got, s)
			}
		}
		changed := c.changed
		c.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, fmt.Errorf("tracetest: %d of %d segments of %s: %w", len(got), n, traceID, ctx.Err())
		}
	}
}

// Close stops listening.
func (c *Collector) Close() error {
	err := c.conn.Close()
	<-c.done
	return err
}
