package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/portico-gw/portico/pkg/mesh"
)

// backends sends backend requests for the proxy, composite and gRPC steps,
// within a route's timeout and the function's deadline.
type backends struct {
	transport http.RoundTripper
	maxBody   int64
	margin    time.Duration
	now       func() time.Time
	log       *slog.Logger
}

// backendResponse is a fully read backend answer.
type backendResponse struct {
	status int
	header http.Header
	body   []byte
}

// send makes one backend request and reads the whole answer, within timeout,
// the caller's deadline less the margin, and the body cap. It is one
// RoundTrip, never an http.Client: a client follows redirects, and a redirect
// followed here would call whatever the backend named, with the caller's
// identity, past the route table and the permissions.
func (b *backends) send(ctx context.Context, method string, u *url.URL, header http.Header, body []byte, timeout time.Duration) (*backendResponse, error) {
	ctx, cancel, err := b.bound(ctx, timeout)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u.Host, err)
	}
	defer cancel()
	var rd io.Reader = http.NoBody
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://placeholder/", rd)
	if err != nil {
		return nil, err
	}
	req.URL, req.Host = u, u.Host
	req.Header = header
	res, err := b.transport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	got, err := readBody(res, b.maxBody)
	if err != nil {
		return nil, err
	}
	if int64(len(got)) > b.maxBody {
		return nil, fmt.Errorf("%s: response %w (limit %d bytes)", u.Host, errTooLarge, b.maxBody)
	}
	return &backendResponse{status: res.StatusCode, header: res.Header, body: got}, nil
}

// readBody reads a response body up to limit+1 bytes, in one buffer of the
// declared length when the response declares one within the limit.
func readBody(res *http.Response, limit int64) ([]byte, error) {
	body := io.LimitReader(res.Body, limit+1)
	if n := res.ContentLength; n >= 0 && n <= limit {
		buf := make([]byte, 0, n+1) // one more: a body longer than declared still ends the read
		for {
			m, err := body.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+m]
			if err == io.EOF {
				return buf, nil
			}
			if err != nil {
				return buf, err
			}
			if len(buf) == cap(buf) {
				rest, err := io.ReadAll(body)
				return append(buf, rest...), err
			}
		}
	}
	return io.ReadAll(body)
}

// bound returns ctx limited to timeout from now and to the caller's deadline
// less the margin. Contexts keep wall-clock time, so this uses time.Now, not
// the configured clock.
func (b *backends) bound(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc, error) {
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-b.margin).Before(deadline) {
		deadline = dl.Add(-b.margin)
		if !time.Now().Before(deadline) {
			return ctx, func() {}, fmt.Errorf("no time left before the deadline: %w", context.DeadlineExceeded)
		}
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	return ctx, cancel, nil
}

// failureStatus is the status a failed backend call answers: 504 for a
// timeout (the route's, the deadline's or the mesh's per-try timeout), 503
// when the mesh's circuit breaker refused the call at once (pool overflow),
// 502 otherwise.
func failureStatus(err error) int {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, mesh.ErrPerTryTimeout):
		return http.StatusGatewayTimeout
	case errors.Is(err, mesh.ErrOverflow):
		return http.StatusServiceUnavailable
	}
	return http.StatusBadGateway
}

// failureReason says why a backend call failed in words a client may see:
// the kind of failure, never the address, URL or error text behind it (those
// go to the log).
func failureReason(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, mesh.ErrPerTryTimeout):
		return "timed out"
	case errors.Is(err, mesh.ErrOverflow):
		return "at its concurrency limit"
	case errors.Is(err, mesh.ErrNoInstances) || errors.Is(err, mesh.ErrDiscovery):
		return "no instance available"
	case errors.Is(err, errTooLarge):
		return "answer too large"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return "unavailable"
}
