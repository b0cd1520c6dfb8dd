package gateway

import (
	"context"

	"github.com/portico-gw/portico/pkg/trace"
)

// startTrace puts the request in an X-Ray trace, when a Tracer is set, so that
// the mesh client records each backend call as a subsegment of it: under the
// Lambda function's segment when the invocation carries one (API Gateway's
// active tracing continues into Lambda's), else in a segment of the gateway's
// own, continuing the client's trace header when it sent a valid one. It
// returns the context to use and what ends the gateway's segment.
func (h *Handler) startTrace(ctx context.Context, r *request) (context.Context, func(status int)) {
	if h.cfg.Tracer == nil {
		return ctx, func(int) {}
	}
	if s, ok := ctx.Value("x-amzn-trace-id").(string); ok {
		if hdr, err := trace.ParseHeader(s); err == nil && hdr.Root != "" && hdr.Parent != "" {
			return trace.ContextWithHeader(ctx, hdr), func(int) {}
		}
	}
	var parent trace.Header
	if vs := r.ev.MultiValueHeaders; vs != nil {
		for k, v := range vs {
			if len(v) == 1 && foldedEqual(k, trace.HeaderName) {
				parent, _ = trace.ParseHeader(v[0])
			}
		}
	} else {
		for k, v := range r.ev.Headers {
			if foldedEqual(k, trace.HeaderName) {
				parent, _ = trace.ParseHeader(v)
			}
		}
	}
	if parent.Root == "" && h.cfg.Tracer.W3C() {
		parent = clientTraceparent(r)
	}
	ctx, span := h.cfg.Tracer.StartSegment(ctx, h.cfg.Name, parent, true)
	span.SetRequest(r.method, "https://gateway"+r.ev.Path, r.clientIP)
	r.log.trace = span.Header().String()
	return ctx, func(status int) {
		span.SetStatus(status, nil)
		span.End()
	}
}

// foldedEqual reports whether two header names are the same, folded.
func foldedEqual(a, b string) bool {
	var x, y [maxFolded]byte
	return string(fold(x[:], a)) == string(fold(y[:], b))
}

// clientTraceparent is the client's W3C traceparent as a parent, when it sent
// exactly one that is well formed.
func clientTraceparent(r *request) trace.Header {
	var vs []string
	if r.ev.MultiValueHeaders != nil {
		for k, v := range r.ev.MultiValueHeaders {
			if foldedEqual(k, trace.TraceparentName) {
				vs = append(vs, v...)
			}
		}
	} else {
		for k, v := range r.ev.Headers {
			if foldedEqual(k, trace.TraceparentName) {
				vs = append(vs, v)
			}
		}
	}
	if len(vs) != 1 {
		return trace.Header{}
	}
	h, _ := trace.ParseTraceparent(vs[0])
	return h
}
