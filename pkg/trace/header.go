package trace

import (
	"errors"
	"fmt"
	"strings"
)

// HeaderName is the HTTP header that carries the trace context.
const HeaderName = "X-Amzn-Trace-Id"

// ErrHeader: a trace header is malformed.
var ErrHeader = errors.New("trace: malformed X-Amzn-Trace-Id")

// Sampling is a sampling decision carried in the header.
type Sampling byte

// Sampling decisions.
const (
	// SampleUnknown: the caller made no decision (Sampled absent or "?").
	SampleUnknown Sampling = iota
	// Sampled: Sampled=1, the trace is recorded.
	Sampled
	// NotSampled: Sampled=0, the trace is propagated but not recorded.
	NotSampled
)

// Header is the content of X-Amzn-Trace-Id: Root=…;Parent=…;Sampled=1.
type Header struct {
	// Root is the trace ID, 1-<8 hex digits of epoch seconds>-<24 hex digits>.
	Root string
	// Parent is the ID of the caller's segment or subsegment, 16 hex digits;
	// empty at the start of a trace.
	Parent string
	// Sampled is the caller's sampling decision.
	Sampled Sampling
}

// ParseHeader parses an X-Amzn-Trace-Id value. Fields other than Root,
// Parent and Sampled (such as Self or Lineage) are ignored; a missing or
// malformed Root or Parent is an error wrapping ErrHeader.
func ParseHeader(s string) (Header, error) {
	var h Header
	for field := range strings.SplitSeq(s, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch k {
		case "Root":
			if !validTraceID(v) {
				return Header{}, fmt.Errorf("%w: Root %q", ErrHeader, v)
			}
			h.Root = v
		case "Parent":
			if !isHex(v, 16) {
				return Header{}, fmt.Errorf("%w: Parent %q", ErrHeader, v)
			}
			h.Parent = v
		case "Sampled":
			switch v {
			case "1":
				h.Sampled = Sampled
			case "0":
				h.Sampled = NotSampled
			}
		}
	}
	if h.Root == "" {
		return Header{}, fmt.Errorf("%w: no Root in %q", ErrHeader, s)
	}
	return h, nil
}

// String formats h as an X-Amzn-Trace-Id value.
func (h Header) String() string {
	var b strings.Builder
	b.WriteString("Root=" + h.Root)
	if h.Parent != "" {
		b.WriteString(";Parent=" + h.Parent)
	}
	switch h.Sampled {
	case Sampled:
		b.WriteString(";Sampled=1")
	case NotSampled:
		b.WriteString(";Sampled=0")
	}
	return b.String()
}

// validTraceID reports whether s looks like 1-5759e988-bd862e3fe1be46a994272793.
func validTraceID(s string) bool {
	return len(s) == 35 && s[:2] == "1-" && s[10] == '-' && isHex(s[2:10], 8) && isHex(s[11:], 24)
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
