package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/pkg/mesh"
)

// callResult is the outcome of one composite call.
type callResult struct {
	body    []byte // valid JSON, or nil
	status  int    // backend status, or the gateway's 502/504 when it failed
	latency float64
	err     error  // what failed, for the log
	reason  string // what failed, for the client: never an address or URL
}

// composite runs a composite route's calls in parallel, within the route's
// timeout, and merges the answers (see Handle for the contract).
func (h *Handler) composite(ctx context.Context, req *request, res route.Result) events.APIGatewayProxyResponse {
	calls, err := res.Calls(route.Vars{UserID: req.ident.userID, Tier: req.ident.tier, Query: req.query, Params: res.Params(req.path)})
	if err != nil {
		return errorResponse(http.StatusBadRequest, "Bad request: a value of the request does not fit the route's call paths", req.id)
	}
	ctx, cancel, err := h.bound(ctx, res.Timeout())
	if err != nil {
		return errorResponse(http.StatusGatewayTimeout, "No time left to call the backends", req.id)
	}
	defer cancel() // the answer is decided: calls still running are cancelled
	results := make([]callResult, len(calls))
	done := make(chan int, len(calls))
	for i, c := range calls {
		header := req.header
		if len(calls) > 1 {
			header = req.header.Clone()
		}
		go func() {
			results[i] = h.call(ctx, c, header)
			done <- i
		}()
	}
	failed := -1
	for range calls {
		i := <-done
		if results[i].err != nil && !calls[i].Optional {
			failed = i
			break
		}
	}
	if failed >= 0 {
		cancel()
		c, r := calls[failed], results[failed]
		req.log.backends = append(req.log.backends, backendStat{Key: c.Key, Service: c.Service, Status: r.status, LatencyMs: r.latency})
		h.log.WarnContext(ctx, "required call failed", "xRequestId", req.id, "route", res.Route.ID, "call", c.Key, "service", c.Service, "err", r.err)
		status, verb := http.StatusBadGateway, "failed"
		if r.status == http.StatusGatewayTimeout {
			status, verb = http.StatusGatewayTimeout, "timed out"
		}
		return jsonResponse(status, errorBody{
			Message:   fmt.Sprintf("Upstream call %q (%s) %s", c.Key, c.Service, verb),
			RequestID: req.id, Call: c.Key, Service: c.Service,
		})
	}
	var b bytes.Buffer
	b.Grow(256)
	b.WriteByte('{')
	for i, c := range calls {
		b.WriteString(strconv.Quote(c.Key))
		b.WriteByte(':')
		if results[i].err != nil || results[i].body == nil {
			b.WriteString("null")
		} else {
			b.Write(results[i].body)
		}
		b.WriteByte(',')
	}
	b.WriteString(`"_meta":{`)
	for i, c := range calls {
		r := results[i]
		req.log.backends = append(req.log.backends, backendStat{Key: c.Key, Service: c.Service, Status: r.status, LatencyMs: r.latency})
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%s:{"service":%s,"status":%d,"latencyMs":%s`, strconv.Quote(c.Key), strconv.Quote(c.Service), r.status,
			strconv.FormatFloat(r.latency, 'f', -1, 64))
		if r.err != nil {
			h.log.WarnContext(ctx, "composite call failed", "xRequestId", req.id, "route", res.Route.ID, "call", c.Key, "service", c.Service, "err", r.err)
			b.WriteString(`,"error":`)
			b.WriteString(strconv.Quote(r.reason))
		}
		b.WriteByte('}')
	}
	b.WriteString("}}")
	return events.APIGatewayProxyResponse{
		StatusCode:        http.StatusOK,
		MultiValueHeaders: map[string][]string{"Content-Type": {"application/json"}},
		Body:              b.String(),
	}
}

// call makes one composite call. A call succeeds with a 2xx answer whose body
// is JSON (an empty body counts as null).
func (h *Handler) call(ctx context.Context, c route.Outgoing, header http.Header) callResult {
	start := h.cfg.Now()
	path, _ := url.PathUnescape(c.Path)
	u := &url.URL{Scheme: "http", Host: c.Service, Path: path, RawPath: c.Path, RawQuery: c.RawQuery}
	res, err := h.send(ctx, c.Method, u, header, nil, c.Timeout)
	r := callResult{latency: ms(h.cfg.Now().Sub(start))}
	switch {
	case err != nil:
		r.status, r.err, r.reason = failureStatus(err), err, failureReason(err)
	case res.status < 200 || res.status > 299:
		r.status, r.err = res.status, fmt.Errorf("%s answered %d", c.Service, res.status)
		r.reason = "answered " + strconv.Itoa(res.status)
	case len(bytes.TrimSpace(res.body)) == 0:
		r.status = res.status
	case !json.Valid(res.body):
		r.status, r.err = http.StatusBadGateway, fmt.Errorf("%s answered %d with a body that is not JSON", c.Service, res.status)
		r.reason = "answered a body that is not JSON"
	default:
		r.status, r.body = res.status, res.body
	}
	return r
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
