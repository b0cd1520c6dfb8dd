package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/portico-gw/portico/internal/route"
)

// composite runs a composite route's calls in parallel, within the route's
// timeout, and merges the answers: each call's JSON under its key, null for
// an optional call that failed, and "_meta" with every call's service, status
// and latency (and a short reason when it failed; the log has the detail). A
// required call that fails makes the answer 502 (504 when it timed out)
// naming the call, and the calls still running are cancelled. A value that
// does not fill exactly one segment of a call's path is 400.
type composite struct {
	b *backends
}

// callResult is the outcome of one composite call.
type callResult struct {
	body    []byte // valid JSON, or nil
	status  int    // backend status, or the gateway's 502/504 when it failed
	latency float64
	err     error  // what failed, for the log
	reason  string // what failed, for the client: never an address or URL
}

func (s composite) serve(ctx context.Context, r *request) *response {
	calls, err := r.res.Calls(route.Vars{UserID: r.ident.userID, Tier: r.ident.tier, Query: r.query, Params: r.res.Params(r.path)})
	if err != nil {
		return answer(http.StatusBadRequest, "Bad request: a value of the request does not fit the route's call paths", r.id)
	}
	ctx, cancel, err := s.b.bound(ctx, r.res.Timeout())
	if err != nil {
		return answer(http.StatusGatewayTimeout, "No time left to call the backends", r.id)
	}
	defer cancel() // the answer is decided: calls still running are cancelled
	results := make([]callResult, len(calls))
	done := make(chan int, len(calls))
	for i, c := range calls {
		header := headersFor(r, c.Service, len(calls) > 1)
		go func() {
			results[i] = s.call(ctx, c, header)
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
		c, res := calls[failed], results[failed]
		r.log.backends = append(r.log.backends, backendStat{Key: c.Key, Service: c.Service, Status: res.status, LatencyMs: res.latency})
		s.b.log.WarnContext(ctx, "required call failed", "xRequestId", r.id, "route", r.res.Route.ID, "call", c.Key, "service", c.Service, "err", res.err)
		status, verb := http.StatusBadGateway, "failed"
		if res.status == http.StatusGatewayTimeout {
			status, verb = http.StatusGatewayTimeout, "timed out"
		}
		resp := jsonResponse(status, errorBody{
			Message:   fmt.Sprintf("Upstream call %q (%s) %s", c.Key, c.Service, verb),
			RequestID: r.id, Call: c.Key, Service: c.Service,
		})
		return &resp
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
		res := results[i]
		r.log.backends = append(r.log.backends, backendStat{Key: c.Key, Service: c.Service, Status: res.status, LatencyMs: res.latency})
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%s:{"service":%s,"status":%d,"latencyMs":%s`, strconv.Quote(c.Key), strconv.Quote(c.Service), res.status,
			strconv.FormatFloat(res.latency, 'f', -1, 64))
		if res.err != nil {
			s.b.log.WarnContext(ctx, "composite call failed", "xRequestId", r.id, "route", r.res.Route.ID, "call", c.Key, "service", c.Service, "err", res.err)
			b.WriteString(`,"error":`)
			b.WriteString(strconv.Quote(res.reason))
		}
		b.WriteByte('}')
	}
	b.WriteString("}}")
	return &response{
		StatusCode:        http.StatusOK,
		MultiValueHeaders: map[string][]string{"Content-Type": {"application/json"}},
		Body:              b.String(),
	}
}

// call makes one composite call. A call succeeds with a 2xx answer whose body
// is JSON (an empty body counts as null).
func (s composite) call(ctx context.Context, c route.Outgoing, header http.Header) callResult {
	start := s.b.now()
	path, _ := url.PathUnescape(c.Path)
	u := &url.URL{Scheme: "http", Host: c.Service, Path: path, RawPath: c.Path, RawQuery: c.RawQuery}
	res, err := s.b.send(ctx, c.Method, u, header, nil, c.Timeout)
	r := callResult{latency: ms(s.b.now().Sub(start))}
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
		if c.Shape != nil {
			r.body, r.err = c.Shape.Apply(res.body)
			if r.err != nil {
				r.status, r.reason = http.StatusBadGateway, "answered a body that is not JSON"
			}
		}
	}
	return r
}
