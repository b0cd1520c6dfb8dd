package mesh

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// Attempt is what one try of a Call reports.
type Attempt struct {
	// Err is the try's error, returned by Call if it is the last try.
	Err error
	// Status is the try's outcome as an HTTP status (a gRPC status code
	// mapped as grpc-gateway does), for the metrics; 0 when no answer came.
	Status int
	// Failed counts the try against the instance, as a 5xx answer or a
	// connection error does on the HTTP path (outlier ejection, retries).
	Failed bool
	// Unsent says the request never reached the instance (the connection
	// could not be made), so another instance may be tried whatever the
	// method.
	Unsent bool
}

// Call runs try against instances of service for protocols other than HTTP,
// gRPC for one: the instance is chosen as RoundTrip chooses (the policy's
// routes for a request without headers, version weights, outlier ejections,
// the balancer), under the pool's request limit and the per-try timeout, and
// each try's outcome counts toward the instance's outlier detection and
// metrics. A failed try is tried again on another instance, within the
// policy's attempts, retry budget and backoff and ctx's deadline, when it was
// never sent, or when the call is idempotent (or the policy retries
// non-idempotent requests), as on the HTTP path. Call returns the last try's
// Err.
//
// With Config.Tracer, the call is one span (a subsegment named service), and
// try's context carries it, so that Inject can propagate it.
func (c *Client) Call(ctx context.Context, service string, idempotent bool, try func(ctx context.Context, inst Instance) Attempt) error {
	e := c.entry(service)
	if c.cfg.Tracer == nil {
		return c.call(ctx, e, idempotent, try, nil)
	}
	req := &http.Request{Method: http.MethodPost, URL: &url.URL{Scheme: "grpc", Host: service, Path: "/"}, Header: http.Header{}}
	ctx = c.cfg.Tracer.StartCall(ctx, req, service)
	var info callInfo
	var status int
	err := c.call(ctx, e, idempotent, func(ctx context.Context, inst Instance) Attempt {
		a := try(ctx, inst)
		status = a.Status
		return a
	}, &info)
	c.cfg.Tracer.EndCall(ctx, status, err, info.annotations(service))
	return err
}

func (c *Client) call(ctx context.Context, e *entry, idempotent bool, try func(ctx context.Context, inst Instance) Attempt, info *callInfo) error {
	v, err := c.fresh(ctx, e)
	if err != nil {
		return err
	}
	eps, err := c.route(e, v, nil)
	if err != nil {
		return err
	}
	if err := e.acquire(); err != nil {
		return err
	}
	defer e.inflight.Add(-1)
	now := c.clock.Now()
	e.budget.deposit(now)
	var triedBuf [4]*endpoint
	tried := triedBuf[:0]
	for attempt := 1; ; attempt++ {
		ep := c.pick(e, eps, tried, now)
		tried = append(tried, ep)
		if info != nil {
			info.ep, info.attempts = ep, attempt
		}
		a := c.callOnce(ctx, e, ep, attempt, try)
		failed := a.Failed && ctx.Err() == nil
		now = c.clock.Now()
		if d, ok := e.outlier.record(e.pol().outlier, ep.host, v.all, failed, now); ok {
			c.log.InfoContext(ctx, "mesh: instance ejected", "service", e.service, "instance", ep.inst.ID, "for", d)
			c.shareEjection(ctx, e, ep, now.Add(d))
		}
		retryable := a.Unsent || idempotent || e.pol().nonIdempotent
		if !failed || !retryable || attempt >= e.pol().attempts || ctx.Err() != nil {
			return a.Err
		}
		delay := c.backoff(e, attempt)
		if dl, ok := ctx.Deadline(); ok && !now.Add(delay).Before(dl) {
			return a.Err // a retry could not finish before the caller gives up
		}
		if !e.budget.withdraw(now) {
			c.log.DebugContext(ctx, "mesh: retry budget exhausted", "service", e.service)
			return a.Err
		}
		if err := sleep(ctx, c.clock, delay); err != nil {
			return fmt.Errorf("mesh: %s: waiting to retry: %w", e.service, err)
		}
		now = c.clock.Now()
	}
}

// callOnce makes one try on ep, bounded by the per-try timeout.
func (c *Client) callOnce(ctx context.Context, e *entry, ep *endpoint, attempt int, try func(context.Context, Instance) Attempt) Attempt {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := c.clock.AfterFunc(e.pol().perTry, func() { cancel(ErrPerTryTimeout) })
	ep.active.Add(1)
	start := c.clock.Now()
	a := try(actx, ep.inst)
	stop()
	ep.active.Add(-1)
	ep.stats.observe(a.Status, c.clock.Now().Sub(start), attempt > 1)
	if errors.Is(context.Cause(actx), ErrPerTryTimeout) && ctx.Err() == nil {
		// The try ran out of its own time, not the caller's: a failure of
		// the instance.
		a.Failed = true
		if a.Err != nil {
			a.Err = fmt.Errorf("mesh: %s: %s: %w after %s: %w", e.service, ep.hostPort, ErrPerTryTimeout, e.pol().perTry, a.Err)
		}
	}
	return a
}
