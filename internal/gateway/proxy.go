package gateway

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// proxy sends the request to the route's service, with the route's prefix
// stripped, and answers with the backend's answer (responseHeaders cleans
// its headers). A route with a cache policy is answered through the response
// cache (cached). A redirect goes back to the client, never followed
// (relocate).
type proxy struct {
	b     *backends
	cache Cacher
}

func (s proxy) serve(ctx context.Context, r *request) *response {
	service := r.res.Route.Service
	start := s.b.now()
	var out *backendResponse
	var err error
	if policy, ok := r.res.CachePolicy(); ok && s.cache != nil {
		out, err = s.cached(ctx, r, policy)
	} else {
		u := &url.URL{Scheme: "http", Host: service, Path: r.res.Target(r.path), RawQuery: r.query.Encode()}
		out, err = s.b.send(ctx, r.method, u, headersFor(r, service, false), r.body, r.res.Timeout())
	}
	stat := backendStat{Service: service, LatencyMs: ms(s.b.now().Sub(start))}
	if err != nil {
		stat.Status = failureStatus(err)
		r.log.backends = append(r.log.backends, stat)
		s.b.log.WarnContext(ctx, "backend call failed", "xRequestId", r.id, "route", r.res.Route.ID, "service", service, "err", err)
		msg := "Upstream " + service + " unavailable"
		switch stat.Status {
		case http.StatusGatewayTimeout:
			msg = "Upstream " + service + " timed out"
		case http.StatusServiceUnavailable:
			msg = "Upstream " + service + " is at its concurrency limit"
		}
		return answer(stat.Status, msg, r.id)
	}
	stat.Status = out.status
	r.log.backends = append(r.log.backends, stat)
	if r.header.Get("Accept") == "" {
		out = decodedForNoAccept(out, s.b.maxBody)
	}
	resp := proxyResponse(out)
	if loc := resp.MultiValueHeaders["Location"]; out.status >= 300 && out.status < 400 && len(loc) == 1 {
		loc[0] = relocate(r.snap.Routes, r.res, r.header, loc[0])
	}
	return &resp
}

// decodedForNoAccept undoes a gzip Content-Encoding for a client that sent
// no Accept header. API Gateway turns a base64 answer back into bytes only
// when the request's Accept matches a binary media type; without one the
// client would get the base64 text of the compressed body under
// Content-Encoding: gzip, which no client can read (Go's and many SDKs' HTTP
// clients send Accept-Encoding: gzip and no Accept). Decompressed, the
// answer is text again and needs no conversion. Anything else, and a body
// that does not decompress within the cap, is left as it is.
func decodedForNoAccept(out *backendResponse, limit int64) *backendResponse {
	if !strings.EqualFold(strings.TrimSpace(out.header.Get("Content-Encoding")), "gzip") {
		return out
	}
	zr, err := gzip.NewReader(bytes.NewReader(out.body))
	if err != nil {
		return out
	}
	plain, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil || int64(len(plain)) > limit {
		return out
	}
	h := out.header.Clone()
	h.Del("Content-Encoding")
	h.Del("Content-Length")
	return &backendResponse{status: out.status, header: h, body: plain}
}
