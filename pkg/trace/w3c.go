package trace

import (
	"fmt"
	"strconv"
	"strings"
)

// W3C Trace Context (traceparent) beside X-Amzn-Trace-Id. X-Ray trace IDs
// are W3C trace IDs written differently: Root=1-5759e988-bd862e3fe1be46a994272793
// is the trace ID 5759e988bd862e3fe1be46a994272793, whose first 8 hex digits
// are the trace's start in epoch seconds (what X-Ray requires, and what
// OpenTelemetry's X-Ray ID generator makes). So one trace can travel in both
// headers, and a backend instrumented with OpenTelemetry continues it.

// TraceparentName is the W3C Trace Context header.
const TraceparentName = "Traceparent"

// Traceparent returns h as a W3C traceparent value, version 00:
// 00-<trace ID, 32 hex>-<parent ID, 16 hex>-<flags>, sampled flag set when
// h is sampled (an unknown decision is sent as sampled, as X-Ray's
// SDKs treat it). It reports false when h has no Root or Parent.
func (h Header) Traceparent() (string, bool) {
	id, ok := W3CTraceID(h.Root)
	if !ok || !isHex(h.Parent, 16) || h.Parent == "0000000000000000" {
		return "", false
	}
	flags := "01"
	if h.Sampled == NotSampled {
		flags = "00"
	}
	return "00-" + id + "-" + h.Parent + "-" + flags, true
}

// W3CTraceID turns an X-Ray Root into a W3C trace ID (32 lower-case hex).
func W3CTraceID(root string) (string, bool) {
	if !validTraceID(root) {
		return "", false
	}
	id := strings.ToLower(root[2:10] + root[11:])
	if id == strings.Repeat("0", 32) {
		return "", false
	}
	return id, true
}

// ParseTraceparent reads a W3C traceparent (version 00) as a Header whose
// Root is the trace ID in X-Ray's form, so that a segment can continue a
// trace a client started with OpenTelemetry. A trace ID whose first 8 hex
// digits are not a recent time is kept as it is; X-Ray may refuse such a
// trace, an OTLP collector does not.
func ParseTraceparent(s string) (Header, error) {
	parts := strings.Split(s, "-")
	if len(s) != 55 || len(parts) != 4 || parts[0] != "00" || !isLowerHex(parts[1], 32) || !isLowerHex(parts[2], 16) ||
		!isLowerHex(parts[3], 2) || parts[1] == strings.Repeat("0", 32) || parts[2] == strings.Repeat("0", 16) {
		return Header{}, fmt.Errorf("trace: malformed traceparent %q", s)
	}
	h := Header{Root: "1-" + parts[1][:8] + "-" + parts[1][8:], Parent: parts[2], Sampled: NotSampled}
	if flags, _ := strconv.ParseUint(parts[3], 16, 8); flags&1 == 1 {
		h.Sampled = Sampled
	}
	return h, nil
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// W3C reports whether t propagates W3C trace context (Config.W3C).
func (t *Tracer) W3C() bool { return t.cfg.W3C }
