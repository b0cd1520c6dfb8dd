package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/internal/apikey"
	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/cache"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/ratelimit"
)

// Limits decides whether a request is within every rate limit of the given
// dimensions (all of them when none are given) that applies to it; a
// *ratelimit.Set is one. An error means a fail-closed limit could not be
// checked.
type Limits interface {
	Allow(ctx context.Context, req ratelimit.Request, dims ...ratelimit.Dimension) (ratelimit.Decision, error)
}

// Cacher answers a request from the response cache or from fetch; a
// *cache.Cache is one.
type Cacher interface {
	Do(ctx context.Context, p cache.Policy, req cache.Request, fetch cache.Fetch) (*cache.Response, error)
}

// KeyResolver resolves an API key (x-api-key) to its record; an
// *apikey.Resolver is one.
type KeyResolver interface {
	Resolve(ctx context.Context, key string) (apikey.Record, error)
}

// Routes gives the route table in effect: a *route.Store, or a fixed
// *route.Table. A nil table means none has loaded yet (503).
type Routes interface {
	Current(ctx context.Context) *route.Table
}

// Defaults of Config.
const (
	DefaultMaxBodyBytes   = 5 << 20
	DefaultMaxQueryParams = 1000
	DefaultDeadlineMargin = 100 * time.Millisecond
)

// Config configures a Handler.
type Config struct {
	// Routes is the route table. Required.
	Routes Routes
	// Transport sends requests to http://<service>/<path>: in production the
	// mesh client. Required. The gateway sends each request with one
	// RoundTrip and never follows a redirect: a backend's 3xx goes back to
	// the client (see Handle).
	Transport http.RoundTripper
	// GRPC gives the Transcoders of the route table's gRPC routes (a
	// *GRPCBackends). Without it a gRPC route answers 503.
	GRPC Transcoders
	// Permissions are the per-route role and scope requirements.
	Permissions []Permission
	// Limits, when set, are checked for every request: the network limits
	// (global, per IP) before the API key is looked up, the caller's (per
	// key, endpoint and tier; per token subject when there is no key) after.
	// Over a limit: 429 with Retry-After; a fail-closed limit that cannot be
	// checked: 503.
	Limits Limits
	// APIKeys, when set, resolves the x-api-key header: an unknown or disabled
	// key gets 403, a known one sets the caller's tier. Without it the header
	// is ignored. The header never reaches a backend.
	APIKeys KeyResolver
	// Cache, when set, serves the routes whose route-table entry has a cache
	// policy (never a userSpecific one). A cached route's backend receives only
	// what enters the cache key: the declared query parameters and Vary
	// headers, and the tracing headers.
	Cache Cacher
	// MaxBodyBytes caps request and backend response bodies. Default 5 MiB,
	// under Lambda's 6 MB payload limit.
	MaxBodyBytes int64
	// MaxQueryParams caps the number of query values a request may carry;
	// more is 400. Default 1000, under what common backends accept, so a
	// backend sees every value the gateway checked.
	MaxQueryParams int
	// DeadlineMargin is kept from the function's deadline to answer 504
	// before Lambda ends the invocation. Default 100ms.
	DeadlineMargin time.Duration
	// Logger receives one access line per request, and failures. Nil discards.
	Logger *slog.Logger
	// Metrics receives one CloudWatch embedded-metric-format line per request
	// (in Lambda, stdout). Nil writes none.
	Metrics io.Writer
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// NewID returns a new request ID. Nil means a random UUID.
	NewID func() string
}

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	if c.Routes == nil {
		return errors.New("gateway: config: Routes is required")
	}
	if c.Transport == nil {
		return errors.New("gateway: config: Transport is required")
	}
	if c.MaxBodyBytes < 0 || c.MaxQueryParams < 0 || c.DeadlineMargin < 0 {
		return errors.New("gateway: config: MaxBodyBytes, MaxQueryParams and DeadlineMargin must not be negative")
	}
	return validatePermissions(c.Permissions)
}

// Handler serves API Gateway proxy events.
type Handler struct {
	cfg Config
	log *slog.Logger
}

// New returns a Handler for cfg.
func New(cfg Config) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxQueryParams == 0 {
		cfg.MaxQueryParams = DefaultMaxQueryParams
	}
	if cfg.DeadlineMargin == 0 {
		cfg.DeadlineMargin = DefaultDeadlineMargin
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = uuid.NewString
	}
	return &Handler{cfg: cfg, log: cfg.Logger}, nil
}

// request is what the handler knows about one client request.
type request struct {
	id       string
	method   string
	path     string // cleaned
	query    url.Values
	header   http.Header // sanitized and enriched, ready for a backend
	body     []byte
	ident    identity
	clientIP string
	start    time.Time
	log      accessRecord
}

// Handle serves one proxy event. It never returns an error: every failure is
// an HTTP answer with a JSON body {"message", "requestId"}.
//
// A composite route answers 200 with one JSON object: each call's JSON answer
// under its key, null for an optional call that failed, and "_meta" with every
// call's service, status and latency (and error, when it failed). A required
// call that fails makes the answer 502 (504 when it timed out) naming the call,
// and the calls still running are cancelled.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	start := h.cfg.Now()
	req := &request{id: h.cfg.NewID(), method: ev.HTTPMethod, clientIP: ev.RequestContext.Identity.SourceIP, start: start}
	resp := h.serve(ctx, ev, req)
	if resp.MultiValueHeaders == nil {
		resp.MultiValueHeaders = map[string][]string{}
	}
	resp.MultiValueHeaders["X-Request-Id"] = []string{req.id}
	h.observe(ctx, req, resp.StatusCode, h.cfg.Now().Sub(start))
	return resp, nil
}

func (h *Handler) serve(ctx context.Context, ev events.APIGatewayProxyRequest, req *request) events.APIGatewayProxyResponse {
	// Identity: the authorizer's context is the only source.
	authz := ev.RequestContext.Authorizer
	userID, _ := authz[auth.ContextUserID].(string)
	if userID == "" {
		return errorResponse(http.StatusUnauthorized, "Unauthorized", req.id)
	}
	// API Gateway caches the authorizer's Allow for its TTL, which may
	// outlive the token: the context's exp is checked on every request, and
	// a context without a readable exp is refused, never taken for "no
	// expiry".
	exp, ok := contextInt(authz[auth.ContextExpiresAt])
	if !ok {
		return errorResponse(http.StatusUnauthorized, "Invalid token", req.id)
	}
	if !h.cfg.Now().Before(time.Unix(exp, 0)) {
		return errorResponse(http.StatusUnauthorized, "Token expired", req.id)
	}
	id := identityFrom(authz)
	if !id.valid() {
		return errorResponse(http.StatusUnauthorized, "Invalid token", req.id)
	}
	req.ident = id
	req.log.userID = userID

	// Cleaned once, here: the limits need it, and route refuses an unclean path
	// (for the limits it is "", which matches no endpoint rule).
	p, pathErr := route.Clean(ev.Path)
	lreq := ratelimit.Request{IP: req.clientIP, Subject: userID, Path: p, Tier: req.ident.tier}

	// Cheap rejections before expensive ones: the network limits (global,
	// per IP) run before anything a client-chosen credential can trigger.
	var decided ratelimit.Decision
	if h.cfg.Limits != nil {
		d, refused, ok := h.limit(ctx, req, lreq, ratelimit.NetworkDimensions)
		if !ok {
			return refused
		}
		decided = d
	}
	if key := apiKeyHeader(ev, h.cfg.APIKeys != nil); key != "" {
		rec, err := h.cfg.APIKeys.Resolve(ctx, key)
		switch {
		case errors.Is(err, apikey.ErrUnknownKey):
			// A failed lookup costs the client's IP a second request, so that
			// guessing keys spends its budget twice as fast as using one.
			if h.cfg.Limits != nil {
				h.cfg.Limits.Allow(ctx, lreq, ratelimit.IP)
			}
			return errorResponse(http.StatusForbidden, "Invalid API key", req.id)
		case err != nil:
			h.log.ErrorContext(ctx, "API key lookup failed", "xRequestId", req.id, "err", err)
			return errorResponse(http.StatusServiceUnavailable, "API key check unavailable", req.id)
		}
		lreq.APIKey, lreq.Tier = rec.ID, rec.Tier
		req.ident.tier, req.ident.apiKeyID = rec.Tier, rec.ID
	}
	// The caller's limits (per key, endpoint and tier) count per API key, or
	// per token subject without one: omitting the key escapes none of them.
	if h.cfg.Limits != nil {
		d, refused, ok := h.limit(ctx, req, lreq, ratelimit.CallerDimensions)
		if !ok {
			return refused
		}
		decided = tightest(decided, d)
	}
	return withHeaders(h.route(ctx, ev, req, p, pathErr), h.limitHeaders(req, decided))
}

// limit checks lreq against the limits of dims. It returns the decision, or
// false with the answer to give: 429 over a limit, 503 when a fail-closed
// limit could not be checked.
func (h *Handler) limit(ctx context.Context, req *request, lreq ratelimit.Request, dims []ratelimit.Dimension) (ratelimit.Decision, events.APIGatewayProxyResponse, bool) {
	d, err := h.cfg.Limits.Allow(ctx, lreq, dims...)
	switch {
	case err != nil:
		req.log.limit = "unavailable"
		h.log.ErrorContext(ctx, "rate limit unavailable, failing closed", "xRequestId", req.id, "err", err)
		return d, errorResponse(http.StatusServiceUnavailable, "Rate limit unavailable", req.id), false
	case d.Limit > 0 && !d.Allowed:
		req.log.limit = "limited:" + d.Name
		limitHeaders := rateLimitHeaders(d, h.cfg.Now())
		resp := errorResponse(http.StatusTooManyRequests, "Too Many Requests", req.id)
		mergeHeaders(resp.MultiValueHeaders, limitHeaders)
		resp.MultiValueHeaders["Retry-After"] = limitHeaders["RateLimit-Reset"]
		return d, resp, false
	}
	return d, events.APIGatewayProxyResponse{}, true
}

// limitHeaders records the admitting decision d in the access log and returns
// its RateLimit-* headers (none when no limit applied).
func (h *Handler) limitHeaders(req *request, d ratelimit.Decision) map[string][]string {
	if h.cfg.Limits == nil {
		return nil
	}
	switch {
	case d.Limit == 0:
		req.log.limit = "none" // no rule applies
		return nil
	case d.Degraded:
		req.log.limit = "degraded"
	default:
		req.log.limit = "allowed"
	}
	return rateLimitHeaders(d, h.cfg.Now())
}

// tightest is the more restrictive of two admitting decisions, a decision of
// no limit (Limit 0) giving way to any other.
func tightest(a, b ratelimit.Decision) ratelimit.Decision {
	switch {
	case a.Limit == 0:
		return b
	case b.Limit == 0:
		return a
	case ratelimit.Tighter(b, a):
		return b
	}
	return a
}

// route serves the request on its cleaned path p (pathErr when the path was
// refused by route.Clean).
func (h *Handler) route(ctx context.Context, ev events.APIGatewayProxyRequest, req *request, p string, pathErr error) events.APIGatewayProxyResponse {
	if pathErr != nil {
		return errorResponse(http.StatusBadRequest, "Bad request path", req.id)
	}
	req.path = p
	req.query = url.Values(ev.MultiValueQueryStringParameters)
	if req.query == nil && len(ev.QueryStringParameters) > 0 {
		req.query = make(url.Values, len(ev.QueryStringParameters))
		for k, v := range ev.QueryStringParameters {
			req.query[k] = []string{v}
		}
	}
	if n := countValues(req.query); n > h.cfg.MaxQueryParams {
		return errorResponse(http.StatusBadRequest, fmt.Sprintf("Too many query parameters: %d, limit %d", n, h.cfg.MaxQueryParams), req.id)
	}
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded, h.cfg.MaxBodyBytes)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		return errorResponse(status, err.Error(), req.id)
	}
	req.body = body
	in := eventHeaders(ev)
	trace := traceHeader(ctx, in)
	clientID, validClientID := clientRequestID(in)
	req.header = backendHeaders(in, req.ident, req.clientIP, trace, req.start) // reuses in
	req.log.trace = trace

	tbl := h.cfg.Routes.Current(ctx)
	if tbl == nil {
		return errorResponse(http.StatusServiceUnavailable, "Route table not loaded", req.id)
	}
	res := tbl.Lookup(req.method, p, req.header)
	if res.Route == nil {
		if len(res.Allow) > 0 {
			resp := errorResponse(http.StatusMethodNotAllowed, "Method "+req.method+" not allowed on "+p, req.id)
			resp.MultiValueHeaders["Allow"] = []string{joinComma(res.Allow)}
			return resp
		}
		return errorResponse(http.StatusNotFound, "No route for "+p, req.id)
	}
	req.log.route = res.Route.ID
	if res.Route.AllowClientRequestID && validClientID {
		req.id = clientID
	}
	req.header.Set("X-Request-Id", req.id)
	if perm, ok := permissionFor(h.cfg.Permissions, req.method, p); ok {
		if ok, reason := allowed(perm, req.ident.roles, req.ident.scopes); !ok {
			return forbidden(reason, req.id)
		}
	}
	if res.Route.Composite != nil {
		return h.composite(ctx, req, res)
	}
	if res.Route.GRPC != nil {
		return h.grpc(ctx, req, tbl, res)
	}
	return h.proxy(ctx, req, tbl, res)
}

// proxy forwards req to the route's service. A redirect goes back to the
// client (relocate).
func (h *Handler) proxy(ctx context.Context, req *request, tbl *route.Table, res route.Result) events.APIGatewayProxyResponse {
	service := res.Route.Service
	u := &url.URL{Scheme: "http", Host: service, Path: res.Target(req.path), RawQuery: req.query.Encode()}
	start := h.cfg.Now()
	var out *backendResponse
	var err error
	if policy, ok := res.CachePolicy(); ok && h.cfg.Cache != nil {
		out, err = h.cached(ctx, req, res, policy)
	} else {
		out, err = h.send(ctx, req.method, u, req.header, req.body, res.Timeout())
	}
	stat := backendStat{Service: service, LatencyMs: ms(h.cfg.Now().Sub(start))}
	if err != nil {
		stat.Status = failureStatus(err)
		req.log.backends = append(req.log.backends, stat)
		h.log.WarnContext(ctx, "backend call failed", "xRequestId", req.id, "route", res.Route.ID, "service", service, "err", err)
		msg := "Upstream " + service + " unavailable"
		switch stat.Status {
		case http.StatusGatewayTimeout:
			msg = "Upstream " + service + " timed out"
		case http.StatusServiceUnavailable:
			msg = "Upstream " + service + " is at its concurrency limit"
		}
		return errorResponse(stat.Status, msg, req.id)
	}
	stat.Status = out.status
	req.log.backends = append(req.log.backends, stat)
	resp := proxyResponse(out)
	if loc := resp.MultiValueHeaders["Location"]; out.status >= 300 && out.status < 400 && len(loc) == 1 {
		loc[0] = relocate(tbl, res, req.header, loc[0])
	}
	return resp
}

// apiKeyHeader returns the request's x-api-key header when keys are in use,
// without building the whole header map.
func apiKeyHeader(ev events.APIGatewayProxyRequest, inUse bool) string {
	if !inUse {
		return ""
	}
	for k, vs := range ev.MultiValueHeaders {
		if len(vs) > 0 && strings.EqualFold(k, "X-Api-Key") {
			return vs[0]
		}
	}
	for k, v := range ev.Headers {
		if strings.EqualFold(k, "X-Api-Key") {
			return v
		}
	}
	return ""
}

// cached answers a request on a cached route from the response cache, calling
// the backend with the keyed request on a miss.
func (h *Handler) cached(ctx context.Context, req *request, res route.Result, policy cache.Policy) (*backendResponse, error) {
	creq := cache.Request{Route: res.Route.ID, Service: res.Route.Service, Method: req.method, Path: req.path, Query: req.query, Header: req.header}
	resp, err := h.cfg.Cache.Do(ctx, policy, creq, func(ctx context.Context, keyed cache.Request) (*cache.Response, error) {
		u := &url.URL{Scheme: "http", Host: res.Route.Service, Path: res.Target(keyed.Path), RawQuery: keyed.Query.Encode()}
		out, err := h.send(ctx, keyed.Method, u, keyed.Header, nil, res.Timeout())
		if err != nil {
			return nil, err
		}
		return &cache.Response{Status: out.status, Header: out.header, Body: out.body}, nil
	})
	if err != nil {
		return nil, err
	}
	req.log.cache = resp.Header.Get("X-Cache")
	return &backendResponse{status: resp.Status, header: resp.Header, body: resp.Body}, nil
}

// backendResponse is a fully read backend answer.
type backendResponse struct {
	status int
	header http.Header
	body   []byte
}

var errTooLarge = errors.New("body too large")

// send makes one backend request and reads the whole answer, within timeout,
// the caller's deadline less the margin, and the body cap.
func (h *Handler) send(ctx context.Context, method string, u *url.URL, header http.Header, body []byte, timeout time.Duration) (*backendResponse, error) {
	ctx, cancel, err := h.bound(ctx, timeout)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u.Host, err)
	}
	defer cancel()
	var rd io.Reader = http.NoBody
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, "http://placeholder/", rd)
	if err != nil {
		return nil, err
	}
	hreq.URL, hreq.Host = u, u.Host
	hreq.Header = header
	// One RoundTrip, never an http.Client: a client follows redirects, and a
	// redirect followed here would call whatever the backend named, with the
	// caller's identity, past the route table and the permissions.
	res, err := h.cfg.Transport.RoundTrip(hreq)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, h.cfg.MaxBodyBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > h.cfg.MaxBodyBytes {
		return nil, fmt.Errorf("%s: response %w (limit %d bytes)", u.Host, errTooLarge, h.cfg.MaxBodyBytes)
	}
	return &backendResponse{status: res.StatusCode, header: res.Header, body: b}, nil
}

// bound returns ctx limited to timeout from now and to the caller's deadline
// less DeadlineMargin. Contexts keep wall-clock time, so this uses time.Now,
// not Config.Now.
func (h *Handler) bound(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc, error) {
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-h.cfg.DeadlineMargin).Before(deadline) {
		deadline = dl.Add(-h.cfg.DeadlineMargin)
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

// proxyResponse turns a backend answer into a proxy response. Headers go
// through responseHeaders; the body is base64 when it is not UTF-8 text.
func proxyResponse(res *backendResponse) events.APIGatewayProxyResponse {
	out := events.APIGatewayProxyResponse{StatusCode: res.status, MultiValueHeaders: responseHeaders(res.header)}
	if utf8.Valid(res.body) {
		out.Body = string(res.body)
	} else {
		out.Body = base64.StdEncoding.EncodeToString(res.body)
		out.IsBase64Encoded = true
	}
	return out
}

func decodeBody(body string, isBase64 bool, limit int64) ([]byte, error) {
	if isBase64 {
		if int64(base64.StdEncoding.DecodedLen(len(body))) > limit+2 {
			return nil, fmt.Errorf("request %w: limit %d bytes", errTooLarge, limit)
		}
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, errors.New("request body is not valid base64")
		}
		if int64(len(b)) > limit {
			return nil, fmt.Errorf("request %w: limit %d bytes", errTooLarge, limit)
		}
		return b, nil
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("request %w: limit %d bytes", errTooLarge, limit)
	}
	if body == "" {
		return nil, nil
	}
	return []byte(body), nil
}

func countValues(q url.Values) int {
	n := 0
	for _, vs := range q {
		n += max(len(vs), 1)
	}
	return n
}

func rateLimitHeaders(d ratelimit.Decision, now time.Time) map[string][]string {
	reset := int64(d.Reset.Sub(now).Seconds() + 0.999)
	if reset < 1 {
		reset = 1
	}
	return map[string][]string{
		"RateLimit-Limit":     {strconv.FormatInt(d.Limit, 10)},
		"RateLimit-Remaining": {strconv.FormatInt(d.Remaining, 10)},
		"RateLimit-Reset":     {strconv.FormatInt(reset, 10)},
	}
}

func withHeaders(resp events.APIGatewayProxyResponse, h map[string][]string) events.APIGatewayProxyResponse {
	if len(h) == 0 {
		return resp
	}
	if resp.MultiValueHeaders == nil {
		resp.MultiValueHeaders = map[string][]string{}
	}
	mergeHeaders(resp.MultiValueHeaders, h)
	return resp
}

func mergeHeaders(dst, src map[string][]string) {
	for k, v := range src {
		dst[k] = v
	}
}

// errorBody is the gateway's own JSON answer.
type errorBody struct {
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
	// Call and Service name the failed call of a composite route.
	Call    string `json:"call,omitempty"`
	Service string `json:"service,omitempty"`
}

// errorResponse is the gateway's own answer: JSON with a message and the request ID.
func errorResponse(status int, message, requestID string) events.APIGatewayProxyResponse {
	return jsonResponse(status, errorBody{Message: message, RequestID: requestID})
}

func jsonResponse(status int, v any) events.APIGatewayProxyResponse {
	b, _ := json.Marshal(v)
	return events.APIGatewayProxyResponse{
		StatusCode:        status,
		MultiValueHeaders: map[string][]string{"Content-Type": {"application/json"}},
		Body:              string(b),
	}
}

func joinComma(ss []string) string {
	var b []byte
	for i, s := range ss {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, s...)
	}
	return string(b)
}

// contextInt reads a whole number of seconds from the authorizer context,
// where API Gateway may deliver it as a JSON number or as a string ("1764…",
// "1764….0" or "1.764…e+09"): it reports false for anything else, and for a
// value that is not finite or not whole.
func contextInt(v any) (int64, bool) {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case int64:
		return n, true
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
		var err error
		if f, err = n.Float64(); err != nil {
			return 0, false
		}
	case string:
		if i, err := strconv.ParseInt(n, 10, 64); err == nil {
			return i, true
		}
		var err error
		if f, err = strconv.ParseFloat(n, 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}
