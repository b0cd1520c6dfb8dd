package mesh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"
)

// RoundTrip sends req to an instance of the service named by req.URL.Host,
// following the service's policy (see the package documentation). The
// request's scheme, path and headers are kept; its host is replaced by the
// instance's address. Close the response body: it holds the request's slot
// (Pool.MaxRequests) and the instance's in-flight count until then.
func (c *Client) RoundTrip(req *http.Request) (*http.Response, error) {
	e := c.entry(req.URL.Hostname())
	if c.cfg.Tracer == nil {
		return c.roundTrip(req.Context(), req, e, nil)
	}
	ctx := c.cfg.Tracer.StartCall(req.Context(), req, e.service)
	var call callInfo
	resp, err := c.roundTrip(ctx, req, e, &call)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	c.cfg.Tracer.EndCall(ctx, status, err, call.annotations(e.service))
	return resp, err
}

// callInfo is what a call's span reports: where its last attempt went.
type callInfo struct {
	ep       *endpoint
	attempts int
}

func (ci *callInfo) annotations(service string) map[string]any {
	a := map[string]any{"service": service, "retries": max(0, ci.attempts-1)}
	if ci.ep != nil {
		a["instance"] = ci.ep.inst.ID
		if ci.ep.version != "" {
			a["version"] = ci.ep.version
		}
	}
	return a
}

// roundTrip is RoundTrip with ctx (which may carry a span) and, when
// tracing, the call's information to fill in.
func (c *Client) roundTrip(ctx context.Context, req *http.Request, e *entry, call *callInfo) (*http.Response, error) {
	v, err := c.fresh(ctx, e)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	eps, err := c.route(e, v, req.Header)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	secure, err := c.tls(e)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if err := e.acquire(); err != nil {
		closeBody(req)
		return nil, err
	}
	if f := e.pol().fault; f.DelayPercent > 0 || f.AbortPercent > 0 {
		if f.DelayPercent > 0 && c.rand.Float64()*100 < f.DelayPercent {
			e.faultDelays.Add(1)
			if err := sleep(ctx, c.clock, time.Duration(f.Delay)); err != nil {
				e.inflight.Add(-1)
				closeBody(req)
				return nil, fmt.Errorf("mesh: %s: during injected delay: %w", e.service, err)
			}
		}
		if f.AbortPercent > 0 && c.rand.Float64()*100 < f.AbortPercent {
			e.faultAborts.Add(1)
			e.inflight.Add(-1)
			closeBody(req)
			return faultAbort(req, f.AbortStatus), nil
		}
	}
	resp, err := c.send(ctx, req, e, v, eps, call, secure)
	if err != nil {
		e.inflight.Add(-1)
		return nil, err
	}
	resp.Body.(*trackedBody).entry = e // the caller's Close gives the slot back
	return resp, nil
}

// send makes the attempts of one request.
func (c *Client) send(ctx context.Context, req *http.Request, e *entry, v *view, eps []*endpoint, call *callInfo, secure bool) (*http.Response, error) {
	now := c.clock.Now()
	e.budget.deposit(now)
	retryable := e.pol().attempts > 1 && replayable(req) && (e.pol().nonIdempotent || idempotent(req))
	var triedBuf [4]*endpoint
	tried := triedBuf[:0]
	body := req.Body
	for attempt := 1; ; attempt++ {
		ep := c.pick(e, eps, tried, now)
		tried = append(tried, ep)
		if call != nil {
			call.ep, call.attempts = ep, attempt
		}
		resp, err := c.try(ctx, req, body, e, ep, attempt, secure)
		overflow := errors.Is(err, ErrOverflow)
		failed := (err != nil && !overflow && ctx.Err() == nil) || (resp != nil && resp.StatusCode >= 500)
		now = c.clock.Now()
		if d, ok := e.outlier.record(e.pol().outlier, ep.host, v.all, failed, now); ok {
			c.log.InfoContext(ctx, "mesh: instance ejected", "service", e.service, "instance", ep.inst.ID, "for", d)
			c.shareEjection(ctx, e, ep, now.Add(d))
		}
		if !failed || !retryable || overflow || attempt >= e.pol().attempts || ctx.Err() != nil {
			return resp, err
		}
		delay := c.backoff(e, attempt)
		if dl, ok := ctx.Deadline(); ok && !now.Add(delay).Before(dl) {
			return resp, err // a retry could not finish before the caller gives up
		}
		if !e.budget.withdraw(now) {
			c.log.DebugContext(ctx, "mesh: retry budget exhausted", "service", e.service)
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
			resp.Body.Close()
		}
		if err := sleep(ctx, c.clock, delay); err != nil {
			return nil, fmt.Errorf("mesh: %s: waiting to retry: %w", e.service, err)
		}
		if req.GetBody != nil {
			if body, err = req.GetBody(); err != nil {
				return nil, fmt.Errorf("mesh: %s: replay request body: %w", e.service, err)
			}
		}
		now = c.clock.Now()
	}
}

// try makes one attempt on ep, bounded by the per-try timeout until the
// response headers arrive.
func (c *Client) try(ctx context.Context, req *http.Request, body io.ReadCloser, e *entry, ep *endpoint, attempt int, secure bool) (*http.Response, error) {
	actx, cancel := context.WithCancelCause(ctx)
	stop := c.clock.AfterFunc(e.pol().perTry, func() { cancel(ErrPerTryTimeout) })
	tctx := context.Context(actx)
	if c.countsConns {
		tctx = httptrace.WithClientTrace(actx, perConnectionLimit(e.pol().maxPerConn))
	}
	out := req.Clone(tctx)
	out.Body = body
	out.URL.Host = ep.hostPort
	out.Host = ep.hostPort
	if secure {
		out.URL.Scheme = "https"
	}
	if c.cfg.Tracer != nil {
		c.cfg.Tracer.Inject(actx, out.Header)
	}
	ep.active.Add(1)
	start := c.clock.Now()
	resp, err := c.transport.RoundTrip(out)
	stop()
	took := c.clock.Now().Sub(start)
	if err != nil {
		ep.active.Add(-1)
		ep.stats.observe(0, took, attempt > 1)
		if errors.Is(context.Cause(actx), ErrPerTryTimeout) && ctx.Err() == nil {
			err = fmt.Errorf("mesh: %s: %s: %w after %s", e.service, ep.hostPort, ErrPerTryTimeout, e.pol().perTry)
		}
		cancel(nil)
		return nil, err
	}
	ep.stats.observe(resp.StatusCode, took, attempt > 1)
	resp.Body = &trackedBody{ReadCloser: resp.Body, active: &ep.active, cancel: cancel}
	return resp, nil
}

// trackedBody ends an attempt when the response body is closed.
type trackedBody struct {
	io.ReadCloser
	active *atomic.Int64
	cancel context.CancelCauseFunc
	entry  *entry // set for the response returned to the caller
	done   atomic.Bool
}

func (b *trackedBody) Close() error {
	err := b.ReadCloser.Close()
	if b.done.CompareAndSwap(false, true) {
		b.active.Add(-1)
		b.cancel(nil)
		if b.entry != nil {
			b.entry.inflight.Add(-1)
		}
	}
	return err
}

// backoff returns the wait before retry number attempt: full jitter below
// BackoffBase × 2^(attempt-1), capped at BackoffMax.
func (c *Client) backoff(e *entry, attempt int) time.Duration {
	ceil := e.pol().backoffMax
	if attempt < 20 {
		ceil = min(e.pol().backoffBase<<(attempt-1), e.pol().backoffMax)
	}
	return time.Duration(c.rand.Float64() * float64(ceil))
}

// idempotent reports whether req may be sent twice without harm.
func idempotent(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != ""
}

// replayable reports whether req's body can be sent again.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// budgetSlots is the number of slots a budget's TTL is counted in.
const budgetSlots = 10

// budget is a Linkerd-style retry budget: a retry is allowed while the
// retries of the last TTL stay below Ratio × requests + MinPerSecond × TTL.
type budget struct {
	mu    sync.Mutex
	ratio float64
	floor float64
	slot  int64 // nanoseconds per slot
	slots [budgetSlots]budgetSlot
}

type budgetSlot struct {
	n             int64 // slot number: unix nanoseconds / slot
	reqs, retries int64
}

// init sets the budget's parameters; when the window changes, the counts
// start again.
func (b *budget) init(ratio float64, minPerSecond int, ttl time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	slot := max(1, int64(ttl/budgetSlots))
	if slot != b.slot {
		b.slots = [budgetSlots]budgetSlot{}
	}
	b.ratio, b.floor, b.slot = ratio, float64(minPerSecond)*ttl.Seconds(), slot
}

func (b *budget) current(now time.Time) (*budgetSlot, int64) {
	n := now.UnixNano() / b.slot
	s := &b.slots[((n%budgetSlots)+budgetSlots)%budgetSlots]
	if s.n != n {
		*s = budgetSlot{n: n}
	}
	return s, n
}

// deposit counts a request.
func (b *budget) deposit(now time.Time) {
	b.mu.Lock()
	s, _ := b.current(now)
	s.reqs++
	b.mu.Unlock()
}

// withdraw counts a retry if the budget allows it.
func (b *budget) withdraw(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, n := b.current(now)
	var reqs, retries int64
	for _, x := range b.slots {
		if x.n > n-budgetSlots && x.n <= n {
			reqs += x.reqs
			retries += x.retries
		}
	}
	if float64(retries) >= b.ratio*float64(reqs)+b.floor {
		return false
	}
	s.retries++
	return true
}
