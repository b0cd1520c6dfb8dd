package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/cache"
)

// Sentinel errors.
var (
	// ErrInvalid: a route document fails validation. Errors returned by Parse
	// wrap it.
	ErrInvalid = errors.New("route: invalid route document")
	// ErrBadPath: a request path is refused by Clean.
	ErrBadPath = errors.New("route: bad request path")
	// ErrNotFound: a Source holds no route document.
	ErrNotFound = errors.New("route: no route document")
)

// Limits and defaults of the document format.
const (
	// FormatVersion is the only document version this package reads.
	FormatVersion = 1
	// DefaultTimeout bounds a route that sets no timeout.
	DefaultTimeout = 10 * time.Second
	// MaxTimeout is the longest timeout a route or call may set: Lambda's
	// own maximum run time.
	MaxTimeout = 15 * time.Minute
	// APIGatewayTimeout is API Gateway's default integration timeout, which
	// route timeouts must fit in (TimeoutProblems).
	APIGatewayTimeout = 29 * time.Second
	// DefaultVersionHeader is the header that match.version compares.
	DefaultVersionHeader = "X-API-Version"
	// MaxCalls is the most calls a composite route may make.
	MaxCalls = 16
	// MaxDocumentBytes is the largest document Parse reads (a DynamoDB item
	// holds 400 KB).
	MaxDocumentBytes = 350 << 10
)

// Document is a route table as stored and as the provider writes it.
type Document struct {
	// Version is the format version; must be FormatVersion (1).
	Version int `json:"version"`
	// Revision is a free label of this edition of the table, such as a date or
	// a commit; it is logged when a table is loaded.
	Revision string `json:"revision,omitempty"`
	// VersionHeader is the header that Match.Version compares; default
	// X-API-Version.
	VersionHeader string `json:"versionHeader,omitempty"`
	// Routes are the routes, in any order: precedence does not depend on it.
	Routes []Route `json:"routes"`
	// Permissions are the roles and scopes required under path prefixes
	// (see Permission).
	Permissions []Permission `json:"permissions,omitempty"`
	// IP lists the client addresses every route allows or denies (see
	// IPRules); a route's own lists apply after these.
	IP *IPRules `json:"ip,omitempty"`
}

// Route sends the requests it matches to one service, or to the calls of a
// composite.
type Route struct {
	// ID names the route in logs, metrics and errors: 1 to 64 letters, digits,
	// '-', '_' or '.', unique in the document.
	ID string `json:"id"`
	// Match says which requests the route serves.
	Match Match `json:"match"`
	// Service is the logical service (mesh name) that serves the route. Exactly
	// one of Service and Composite is set.
	Service string `json:"service,omitempty"`
	// StripPrefix is removed from the front of the cleaned path before
	// forwarding, on a segment boundary: "/api/v1" turns /api/v1/users/1 into
	// /users/1. It must be a literal leading part of the matched path.
	StripPrefix string `json:"stripPrefix,omitempty"`
	// Timeout bounds the backend call, or the whole composite, such as "30s";
	// default DefaultTimeout. The caller's deadline bounds it too.
	Timeout Duration `json:"timeout,omitempty"`
	// AllowClientRequestID keeps a client's X-Request-ID when it is a valid
	// UUID; otherwise the gateway always makes a new one.
	AllowClientRequestID bool `json:"allowClientRequestId,omitempty"`
	// Composite makes the route call several services in parallel and merge
	// their answers.
	Composite *Composite `json:"composite,omitempty"`
	// GRPC makes the route call a gRPC method, translating JSON both ways
	// (see GRPC). Exactly one of Service, Composite and GRPC is set.
	GRPC *GRPC `json:"grpc,omitempty"`
	// Cache, when set, caches the route's GET and HEAD answers in the response
	// cache (package internal/cache). Only for service routes; refused on a
	// user-specific route and when it would key on credentials.
	Cache *CachePolicy `json:"cache,omitempty"`
	// UserSpecific marks a route whose answers depend on the caller, such as
	// /api/v1/users: it is never cached.
	UserSpecific bool `json:"userSpecific,omitempty"`
	// HeaderRoutes lets callers with one of its roles choose a service
	// version with the headers the service's mesh policy routes on (such as
	// X-Test-User: true → v2). Without it, or for other callers, the gateway
	// removes those headers before the call: the gateway decides who is a
	// test user, not the client.
	HeaderRoutes *HeaderRoutes `json:"headerRoutes,omitempty"`
	// MaxBodyBytes caps the request body (413 before any backend call); at
	// most, and by default, MaxBodyBytes.
	MaxBodyBytes int64 `json:"maxBodyBytes,omitempty"`
	// IP lists the client addresses the route allows or denies (403).
	IP *IPRules `json:"ip,omitempty"`
	// RequestHeaders adds, sets and removes headers of what the backend
	// receives; never a header the gateway owns (see HeaderRules).
	RequestHeaders *HeaderRules `json:"requestHeaders,omitempty"`
	// ResponseHeaders adds, sets and removes headers of the backend's answer,
	// and may keep only an allow-list of them.
	ResponseHeaders *HeaderRules `json:"responseHeaders,omitempty"`
}

// HeaderRoutes says who may use a service policy's header routes.
type HeaderRoutes struct {
	// AnyRole: callers with at least one of these roles. Required.
	AnyRole []string `json:"anyRole"`
}

// CachePolicy is a route's cache policy as data; see cache.Policy.
type CachePolicy struct {
	// TTL is how long an answer stays fresh, such as "5m". At least 1s.
	TTL Duration `json:"ttl"`
	// Vary names request headers whose values enter the cache key, such as
	// Accept-Language. Authorization, cookies, API keys and X-User-* are refused.
	Vary []string `json:"vary,omitempty"`
	// Query names the query parameters that enter the key; the backend of a
	// cached route sees only these.
	Query []string `json:"query,omitempty"`
	// StaleIfError is how long past TTL an answer may still be served when the
	// backend fails.
	StaleIfError Duration `json:"staleIfError,omitempty"`
}

// Policy converts p to the cache package's policy for a route.
func (p *CachePolicy) Policy(userSpecific bool) cache.Policy {
	return cache.Policy{TTL: time.Duration(p.TTL), Vary: p.Vary, Query: p.Query, StaleIfError: time.Duration(p.StaleIfError), UserSpecific: userSpecific}
}

// Match says which requests a route serves.
type Match struct {
	// PathPrefix matches the prefix and anything below it, on segment
	// boundaries: "/api/v1/users" matches /api/v1/users and /api/v1/users/1,
	// not /api/v1/usersX. A clean absolute path without parameters.
	PathPrefix string `json:"pathPrefix,omitempty"`
	// Path matches one path exactly, or a parameterised path whose segments may
	// be "{name}", each matching one whole non-empty segment:
	// "/api/v1/orders/{id}". Exactly one of PathPrefix and Path is set.
	Path string `json:"path,omitempty"`
	// Methods are the upper-case methods the route serves; empty means all
	// (GET only for a composite route).
	Methods []string `json:"methods,omitempty"`
	// Headers are predicates on request headers; all must hold.
	Headers []HeaderMatch `json:"headers,omitempty"`
	// Version requires the document's VersionHeader to equal this value.
	Version string `json:"version,omitempty"`
}

// HeaderMatch is a predicate on the first value of a request header, compared
// ASCII case-insensitively. Exactly one of Value and Prefix is set.
type HeaderMatch struct {
	// Name is the header name, such as "Accept-Language".
	Name string `json:"name"`
	// Value: the header equals it.
	Value string `json:"value,omitempty"`
	// Prefix: the header starts with it ("fr" matches "fr-CA,fr;q=0.9").
	Prefix string `json:"prefix,omitempty"`
}

// Composite is a route served by several backend calls in parallel, merged
// into one JSON object: each call's JSON answer under its Key, and "_meta"
// with every call's status and latency.
type Composite struct {
	// Calls are the backend calls, 1 to MaxCalls.
	Calls []Call `json:"calls"`
}

// Call is one backend call of a composite route.
type Call struct {
	// Key is the field of the merged object the answer lands under: 1 to 64
	// letters, digits, '-' or '_', unique in the route, not "_meta".
	Key string `json:"key"`
	// Service is the logical service to call.
	Service string `json:"service"`
	// Method is the upper-case method; default GET.
	Method string `json:"method,omitempty"`
	// Path is the path and optional query of the call, a template whose
	// {variables} are filled in and escaped: {userId} and {tier} from the
	// caller's identity, {query.<name>} from the request's first <name> query
	// value (empty when absent), and the route's own {path parameters}.
	// Example: "/users/{userId}/orders?limit=5".
	Path string `json:"path"`
	// Timeout bounds the call, such as "2s"; default the route's timeout,
	// which it may not exceed.
	Timeout Duration `json:"timeout,omitempty"`
	// Optional calls that fail or time out give null under their Key; a
	// required call that fails fails the whole answer (502, or 504 on a
	// timeout).
	Optional bool `json:"optional,omitempty"`
	// Fields keeps only these fields of the call's JSON answer (of each
	// element, when it is an array of objects): top-level names, or dotted
	// paths into nested objects ("address.city").
	Fields []string `json:"fields,omitempty"`
	// Rename renames top-level fields of the call's answer, old → new, after
	// Fields picked them.
	Rename map[string]string `json:"rename,omitempty"`
}

// Duration is a time.Duration written in JSON as a string such as "30s".
type Duration time.Duration

// String formats d as time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string such as "2s" or "1m30s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration %s: want a string such as \"30s\"", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// Parse reads a route document strictly (unknown fields are errors), checks
// it, and compiles it into a Table. Errors wrap ErrInvalid and say which route
// and field is wrong.
func Parse(doc []byte) (*Table, error) {
	if len(doc) > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalid, len(doc), MaxDocumentBytes)
	}
	var d Document
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the document", ErrInvalid)
	}
	return Compile(d)
}

// Compile checks d and compiles it into a Table. Errors wrap ErrInvalid.
func Compile(d Document) (*Table, error) {
	t, err := compile(d)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return t, nil
}

// RouteMargin is how much shorter than API Gateway's integration timeout a
// route's timeout must be: the function ends a second before API Gateway
// gives up (so that it always answers), and a route leaves the function a
// second of its own for the work around the backend call (limits, API keys,
// the answer).
const RouteMargin = 2 * time.Second

// TimeoutProblems lists the routes whose timeout does not fit behind an
// integration timeout of integration (API Gateway's, 29 s unless raised):
// each must be at most integration less RouteMargin, or API Gateway answers
// {"message":"Endpoint request timed out"} while the backend call goes on.
func (t *Table) TimeoutProblems(integration time.Duration) []string {
	limit := integration - RouteMargin
	var p []string
	for _, r := range t.routes {
		if r.timeout > limit {
			p = append(p, fmt.Sprintf("route %q: timeout %s does not fit behind API Gateway's %s integration timeout; "+
				"at most %s (the function ends 1 s before API Gateway, and leaves itself 1 s around the backend call): "+
				"shorten the route's timeout, or raise the API's integration timeout (Regional REST APIs may exceed 29 s "+
				"once AWS raised the account's quota)", r.ID, r.timeout, integration, limit))
		}
	}
	return p
}

func validID(s string, extra string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

// validService accepts DNS-label-like names: the service becomes the host of
// the backend URL, so nothing that could carry a port, user or path.
func validService(s string) bool {
	return validID(s, "-") && len(s) <= 63 && s[0] != '-' && s[len(s)-1] != '-'
}

// validToken reports whether s is an HTTP token (RFC 9110 §5.6.2).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func validMethod(m string) bool {
	return validToken(m) && strings.ToUpper(m) == m
}

// literalPath checks that p is a clean absolute path without parameters.
func literalPath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("%q: want an absolute path starting with /", p)
	}
	c, err := Clean(p)
	if err != nil || c != p || strings.ContainsAny(p, "{}%") {
		return fmt.Errorf("%q: want a clean path (no //, ., .., trailing /, %%, ;, {}, or control characters)", p)
	}
	return nil
}

func compile(d Document) (*Table, error) {
	if d.Version != FormatVersion {
		return nil, fmt.Errorf("version %d: want %d", d.Version, FormatVersion)
	}
	vh := d.VersionHeader
	if vh == "" {
		vh = DefaultVersionHeader
	}
	if !validToken(vh) {
		return nil, fmt.Errorf("versionHeader %q: want a header name", vh)
	}
	vh = http.CanonicalHeaderKey(vh)
	t := &Table{doc: d, root: &node{}}
	ids := map[string]int{}
	for i := range d.Routes {
		r := &d.Routes[i]
		c, err := compileRoute(r, i, vh)
		if err != nil {
			if r.ID != "" {
				return nil, fmt.Errorf("routes[%d] (id %q): %w", i, r.ID, err)
			}
			return nil, fmt.Errorf("routes[%d]: %w", i, err)
		}
		if j, dup := ids[r.ID]; dup {
			return nil, fmt.Errorf("routes[%d]: id %q is also the id of routes[%d]", i, r.ID, j)
		}
		ids[r.ID] = i
		t.routes = append(t.routes, c)
	}
	if err := validatePermissions(d.Permissions); err != nil {
		return nil, err
	}
	ip, err := compileIP(d.IP, "ip")
	if err != nil {
		return nil, err
	}
	t.ip = ip
	// Ties: equally specific routes that can match the same request.
	for i, a := range t.routes {
		for _, b := range t.routes[i+1:] {
			if compareRank(a, b) == 0 && overlap(a, b) {
				return nil, fmt.Errorf("routes %q and %q tie: they can match the same request and neither is more specific "+
					"(see the precedence rules: add a method or header predicate to one, or change a path)", a.ID, b.ID)
			}
		}
	}
	for _, c := range t.routes {
		t.root.insert(c)
	}
	return t, nil
}

func compileRoute(r *Route, index int, versionHeader string) (*compiled, error) {
	c := &compiled{Route: r, index: index}
	if !validID(r.ID, "-_.") {
		return nil, fmt.Errorf("id %q: want 1 to 64 letters, digits, '-', '_' or '.'", r.ID)
	}
	m := r.Match
	switch {
	case m.PathPrefix != "" && m.Path != "":
		return nil, errors.New("match: set pathPrefix or path, not both")
	case m.PathPrefix == "" && m.Path == "":
		return nil, errors.New("match: set pathPrefix or path")
	case m.PathPrefix != "":
		if err := literalPath(m.PathPrefix); err != nil {
			return nil, fmt.Errorf("match.pathPrefix %w", err)
		}
		c.kind = kindPrefix
		c.segs = splitSegments(m.PathPrefix)
	default:
		if err := c.compileTemplate(m.Path); err != nil {
			return nil, fmt.Errorf("match.path %w", err)
		}
	}
	for i, meth := range m.Methods {
		if !validMethod(meth) {
			return nil, fmt.Errorf("match.methods[%d] %q: want an upper-case method such as GET", i, meth)
		}
		if slices.Contains(m.Methods[:i], meth) {
			return nil, fmt.Errorf("match.methods: %s listed twice", meth)
		}
	}
	c.methods = slices.Clone(m.Methods)
	if len(c.methods) == 0 && r.Composite != nil {
		c.methods = []string{http.MethodGet}
	}
	slices.Sort(c.methods)
	for i, h := range m.Headers {
		if !validToken(h.Name) {
			return nil, fmt.Errorf("match.headers[%d]: name %q: want a header name", i, h.Name)
		}
		if (h.Value == "") == (h.Prefix == "") {
			return nil, fmt.Errorf("match.headers[%d] (%s): set value or prefix, not both or neither", i, h.Name)
		}
		if !validHeaderValue(h.Value) || !validHeaderValue(h.Prefix) {
			return nil, fmt.Errorf("match.headers[%d] (%s): control characters in the value", i, h.Name)
		}
		p := headerPred{name: http.CanonicalHeaderKey(h.Name), value: h.Value, prefix: h.Prefix != ""}
		if p.prefix {
			p.value = h.Prefix
		}
		if c.header(p.name) != nil {
			return nil, fmt.Errorf("match.headers[%d]: header %s has two predicates; use one", i, p.name)
		}
		c.headers = append(c.headers, p)
	}
	if m.Version != "" {
		if !validHeaderValue(m.Version) {
			return nil, fmt.Errorf("match.version %q: control characters", m.Version)
		}
		if c.header(versionHeader) != nil {
			return nil, fmt.Errorf("match.version: the route has a headers predicate on %s already", versionHeader)
		}
		c.headers = append(c.headers, headerPred{name: versionHeader, value: m.Version})
	}
	if r.Timeout < 0 || time.Duration(r.Timeout) > MaxTimeout {
		return nil, fmt.Errorf("timeout %s: want a positive duration up to %s", r.Timeout, MaxTimeout)
	}
	c.timeout = time.Duration(r.Timeout)
	c.explicitTimeout = c.timeout > 0
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if r.StripPrefix != "" {
		if err := literalPath(r.StripPrefix); err != nil {
			return nil, fmt.Errorf("stripPrefix %w", err)
		}
		strip := splitSegments(r.StripPrefix)
		if r.StripPrefix == "/" || len(strip) > len(c.segs) || !slices.Equal(strip, c.segs[:len(strip)]) ||
			slices.ContainsFunc(c.params[:min(len(strip), len(c.params))], func(p string) bool { return p != "" }) {
			return nil, fmt.Errorf("stripPrefix %q: want literal leading segments of the route's path", r.StripPrefix)
		}
		c.strip = r.StripPrefix
	}
	if r.HeaderRoutes != nil && (len(r.HeaderRoutes.AnyRole) == 0 || slices.Contains(r.HeaderRoutes.AnyRole, "")) {
		return nil, errors.New("headerRoutes.anyRole: name at least one role")
	}
	if err := c.compileRules(); err != nil {
		return nil, err
	}
	if r.GRPC != nil {
		return c, c.compileGRPC()
	}
	switch {
	case r.Service != "" && r.Composite != nil:
		return nil, errors.New("set service or composite, not both")
	case r.Service == "" && r.Composite == nil:
		return nil, errors.New("set service or composite")
	case r.Service != "":
		if !validService(r.Service) {
			return nil, fmt.Errorf("service %q: want a service name of letters, digits and '-'", r.Service)
		}
	default:
		if r.StripPrefix != "" {
			return nil, errors.New("stripPrefix: a composite route forwards no path to strip")
		}
		if err := c.compileCalls(r.Composite.Calls); err != nil {
			return nil, err
		}
	}
	if r.Cache != nil {
		if r.Composite != nil {
			return nil, errors.New("cache: only a route with a service can be cached")
		}
		switch err := r.Cache.Policy(r.UserSpecific).Validate(); {
		case errors.Is(err, cache.ErrUserSpecific):
			return nil, errors.New("cache: the route is userSpecific, and user-specific answers are never cached")
		case errors.Is(err, cache.ErrCredentialKey):
			return nil, fmt.Errorf("cache.vary: %s would put credentials or identity in the cache key", strings.TrimPrefix(err.Error(), cache.ErrCredentialKey.Error()+": Vary "))
		case err != nil:
			return nil, fmt.Errorf("cache: %s", strings.TrimPrefix(err.Error(), cache.ErrPolicy.Error()+": "))
		}
		// The route's answers depend on the headers its match reads; a key
		// without them would serve an answer to a request the route matches
		// with another value of the header.
		for _, h := range c.headers {
			if !slices.ContainsFunc(r.Cache.Vary, func(v string) bool { return http.CanonicalHeaderKey(strings.TrimSpace(v)) == h.name }) {
				return nil, fmt.Errorf("cache.vary: the route matches on the header %s, so its cache must vary on it: add %q to cache.vary", h.name, h.name)
			}
		}
	}
	return c, nil
}

func (c *compiled) compileTemplate(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("%q: want an absolute path starting with /", p)
	}
	segs := splitSegments(p)
	c.kind = kindExact
	c.segs = make([]string, len(segs))
	c.params = make([]string, len(segs))
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			name := s[1 : len(s)-1]
			if !validVariable(name) {
				return fmt.Errorf("%q: parameter %q: want {name} with a name of letters, digits and '_'", p, s)
			}
			if slices.Contains(c.params, name) {
				return fmt.Errorf("%q: parameter {%s} appears twice", p, name)
			}
			if name == "userId" || name == "tier" {
				return fmt.Errorf("%q: parameter {%s} would hide the identity variable of that name", p, name)
			}
			c.params[i] = name
			c.kind = kindTemplate
			continue
		}
		if strings.ContainsAny(s, "{}") {
			return fmt.Errorf("%q: segment %q: a parameter must be a whole segment", p, s)
		}
		c.segs[i] = s
	}
	// The literal form (parameters as "x") must be clean.
	lit := make([]string, len(segs))
	for i := range segs {
		lit[i] = c.segs[i]
		if c.params[i] != "" {
			lit[i] = "x"
		}
	}
	if err := literalPath("/" + strings.Join(lit, "/")); err != nil || (p != "/" && strings.HasSuffix(p, "/")) || strings.Contains(p, "//") {
		return fmt.Errorf("%q: want a clean path (no //, ., .., trailing /, %%, ;, or control characters)", p)
	}
	if c.kind == kindExact {
		c.params = nil
	}
	return nil
}

func validVariable(s string) bool {
	return validID(s, "_") && !(s[0] >= '0' && s[0] <= '9')
}

// splitSegments splits a clean absolute path; "/" has no segments.
func splitSegments(p string) []string {
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}
