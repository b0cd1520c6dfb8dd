package trace

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"strings"
	"sync"
	"time"
)

// Segment is an X-Ray segment document, or an independent subsegment (Type
// "subsegment"), as sent to the daemon.
type Segment struct {
	// Name is the service name (segments) or the called service (remote
	// subsegments).
	Name string `json:"name"`
	// ID is 16 hex digits.
	ID string `json:"id"`
	// TraceID is the trace's Root.
	TraceID string `json:"trace_id"`
	// ParentID is the parent segment or subsegment ID, when there is one.
	ParentID string `json:"parent_id,omitempty"`
	// StartTime and EndTime are epoch seconds.
	StartTime float64 `json:"start_time"`
	EndTime   float64 `json:"end_time,omitempty"`
	// Type is "subsegment" for an independently sent subsegment.
	Type string `json:"type,omitempty"`
	// Namespace is "remote" for a call to another service.
	Namespace string `json:"namespace,omitempty"`
	// HTTP describes the request and response.
	HTTP *HTTP `json:"http,omitempty"`
	// Error (4xx), Throttle (429) and Fault (5xx or no response).
	Error    bool `json:"error,omitempty"`
	Throttle bool `json:"throttle,omitempty"`
	Fault    bool `json:"fault,omitempty"`
	// Cause holds the error message of a call that got no response.
	Cause *Cause `json:"cause,omitempty"`
	// Annotations are indexed key/values: string, number or bool.
	Annotations map[string]any `json:"annotations,omitempty"`
}

// HTTP is a segment's http field.
type HTTP struct {
	Request  *HTTPRequest  `json:"request,omitempty"`
	Response *HTTPResponse `json:"response,omitempty"`
}

// HTTPRequest is the request part of HTTP.
type HTTPRequest struct {
	Method   string `json:"method,omitempty"`
	URL      string `json:"url,omitempty"`
	ClientIP string `json:"client_ip,omitempty"`
	// Traced is true on a subsegment whose callee continues the trace.
	Traced bool `json:"traced,omitempty"`
}

// HTTPResponse is the response part of HTTP.
type HTTPResponse struct {
	Status int `json:"status,omitempty"`
}

// Cause is a segment's cause field.
type Cause struct {
	Exceptions []Exception `json:"exceptions"`
}

// Exception is one error in a Cause.
type Exception struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

// Start and End return the segment's times.
func (s *Segment) Start() time.Time { return fromEpoch(s.StartTime) }

// End returns the segment's end time.
func (s *Segment) End() time.Time { return fromEpoch(s.EndTime) }

func epoch(t time.Time) float64 {
	return math.Round(float64(t.UnixMicro())) / 1e6
}

func fromEpoch(f float64) time.Time {
	return time.UnixMicro(int64(math.Round(f * 1e6)))
}

// daemonHeader precedes every document sent to the daemon.
const daemonHeader = "{\"format\":\"json\",\"version\":1}\n"

// DefaultDaemonAddress is the X-Ray daemon's default UDP address.
const DefaultDaemonAddress = "127.0.0.1:2000"

// DaemonAddress returns the UDP address in an AWS_XRAY_DAEMON_ADDRESS value:
// "host:port", or "tcp:host:port udp:host:port" as Lambda sets it. Empty
// means DefaultDaemonAddress.
func DaemonAddress(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return DefaultDaemonAddress, nil
	}
	for f := range strings.FieldsSeq(v) {
		if a, ok := strings.CutPrefix(f, "udp:"); ok {
			return a, nil
		}
		if !strings.HasPrefix(f, "tcp:") {
			if _, _, err := net.SplitHostPort(f); err != nil {
				return "", fmt.Errorf("trace: daemon address %q: %w", v, err)
			}
			return f, nil
		}
	}
	return "", fmt.Errorf("trace: daemon address %q has no UDP address", v)
}

// Sender delivers finished segments.
type Sender interface {
	Send(seg *Segment) error
}

// UDP sends segments to an X-Ray daemon, one datagram per document.
//
// Its socket is not connected: a connected UDP socket reports the ICMP "port
// unreachable" of a datagram sent while the daemon was away as the error of
// the next send, which is then not sent, so one lost segment would cost
// another.
type UDP struct {
	mu     sync.Mutex
	conn   *net.UDPConn
	daemon *net.UDPAddr
	buf    []byte
}

var _ Sender = (*UDP)(nil)

// DialUDP returns a UDP sender to addr (see DaemonAddress).
func DialUDP(addr string) (*UDP, error) {
	daemon, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("trace: daemon address %s: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp", nil)
	if err != nil {
		return nil, fmt.Errorf("trace: open a socket for the daemon %s: %w", addr, err)
	}
	return &UDP{conn: conn, daemon: daemon}, nil
}

// Send writes the daemon header and seg as JSON in one datagram.
func (u *UDP) Send(seg *Segment) error {
	b, err := json.Marshal(seg)
	if err != nil {
		return fmt.Errorf("trace: encode segment: %w", err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.buf = append(append(u.buf[:0], daemonHeader...), b...)
	if _, err := u.conn.WriteToUDP(u.buf, u.daemon); err != nil {
		return fmt.Errorf("trace: send segment: %w", err)
	}
	return nil
}

// Close closes the socket.
func (u *UDP) Close() error { return u.conn.Close() }
