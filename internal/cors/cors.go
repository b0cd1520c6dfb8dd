// Package cors is Portico's cross-origin resource sharing policy: which web
// origins may call the API from a browser, with which methods and request
// headers, and which response headers their pages may read. The aggregator
// answers preflights with it (without the authorizer, which a preflight
// cannot satisfy: browsers send no credentials on it) and adds its headers to
// every answer; the provider checks the same policy at plan time and puts its
// headers on API Gateway's own answers (gateway responses).
//
// A policy is JSON, the aggregator's PORTICO_CORS:
//
//	{"allowOrigins": ["https://app.example.com"], "allowMethods": ["GET", "POST"],
//	 "allowHeaders": ["Authorization", "Content-Type"], "exposeHeaders": ["X-Request-Id"],
//	 "allowCredentials": false, "maxAge": 600}
//
// Origins are compared exactly (scheme, host and port, without case); an
// origin that is not allowed gets no CORS header at all, so its page can read
// nothing. "*" allows every origin, and is refused with credentials, as the
// Fetch standard refuses it.
package cors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Errors of Parse and Validate.
var (
	// ErrInvalid marks a policy that cannot be used; the error says why.
	ErrInvalid = errors.New("cors: invalid policy")
)

// Limits of a policy.
const (
	// MaxAgeLimit is the longest preflight cache a policy may ask for, in
	// seconds: Firefox's cap (Chromium caps at 7200).
	MaxAgeLimit = 86400
	// maxOrigins bounds the origins of a policy.
	maxOrigins = 100
)

// Policy is a CORS policy. The zero value allows nothing.
type Policy struct {
	// AllowOrigins are the origins whose pages may call the API, as browsers
	// send them: scheme://host[:port], no path. "*" alone allows every origin.
	AllowOrigins []string `json:"allowOrigins"`
	// AllowMethods are the methods a page may use beyond the CORS-safelisted
	// GET, HEAD and POST, which are always allowed. "*" allows every method.
	AllowMethods []string `json:"allowMethods,omitempty"`
	// AllowHeaders are the request headers a page may send beyond the
	// CORS-safelisted ones, such as Authorization and Content-Type (for
	// application/json). "*" allows every header except Authorization,
	// which must be named.
	AllowHeaders []string `json:"allowHeaders,omitempty"`
	// ExposeHeaders are the response headers a page may read beyond the
	// CORS-safelisted ones (Cache-Control, Content-Language, Content-Length,
	// Content-Type, Expires, Last-Modified, Pragma).
	ExposeHeaders []string `json:"exposeHeaders,omitempty"`
	// AllowCredentials lets pages send cookies and TLS client certificates
	// (fetch with credentials: "include"). Not with "*" origins.
	AllowCredentials bool `json:"allowCredentials,omitempty"`
	// MaxAge is how long, in seconds, a browser may reuse a preflight's
	// answer; 0 sends no Access-Control-Max-Age (browsers then use 5 s).
	MaxAge int `json:"maxAge,omitempty"`
}

// Parse reads a policy from JSON, refusing unknown fields, and validates it.
func Parse(b []byte) (*Policy, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Policy
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: more than one JSON value", ErrInvalid)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate reports every problem of p at once.
func (p *Policy) Validate() error {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if len(p.AllowOrigins) == 0 {
		add("allowOrigins is empty: name the origins whose pages may call the API, or \"*\"")
	}
	if len(p.AllowOrigins) > maxOrigins {
		add("allowOrigins has %d origins, at most %d", len(p.AllowOrigins), maxOrigins)
	}
	seen := map[string]bool{}
	for _, o := range p.AllowOrigins {
		if o == "*" {
			if len(p.AllowOrigins) > 1 {
				add("allowOrigins: \"*\" allows every origin and cannot be listed with others")
			}
			if p.AllowCredentials {
				add("allowOrigins \"*\" with allowCredentials: browsers refuse credentials for a wildcard origin; list the origins instead")
			}
			continue
		}
		if err := checkOrigin(o); err != nil {
			add("allowOrigins %q: %v", o, err)
			continue
		}
		if seen[strings.ToLower(o)] {
			add("allowOrigins: %q is listed twice", o)
		}
		seen[strings.ToLower(o)] = true
	}
	for _, m := range p.AllowMethods {
		if m == "*" {
			if len(p.AllowMethods) > 1 {
				add("allowMethods: \"*\" cannot be listed with other methods")
			}
			if p.AllowCredentials {
				add("allowMethods \"*\" with allowCredentials: browsers read \"*\" literally with credentials; list the methods")
			}
			continue
		}
		if !validToken(m) || m != strings.ToUpper(m) {
			add("allowMethods %q: want an upper-case method such as GET or DELETE", m)
		}
	}
	for _, f := range []struct {
		name string
		list []string
	}{{"allowHeaders", p.AllowHeaders}, {"exposeHeaders", p.ExposeHeaders}} {
		for _, h := range f.list {
			if h == "*" {
				if len(f.list) > 1 {
					add("%s: \"*\" cannot be listed with other headers", f.name)
				}
				if p.AllowCredentials {
					add("%s \"*\" with allowCredentials: browsers read \"*\" literally with credentials; list the headers", f.name)
				}
				continue
			}
			if !validToken(h) {
				add("%s %q: not an HTTP header name", f.name, h)
			}
		}
	}
	if p.MaxAge < 0 || p.MaxAge > MaxAgeLimit {
		add("maxAge %d: want 0 to %d seconds", p.MaxAge, MaxAgeLimit)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(errs, "; "))
	}
	return nil
}

// checkOrigin accepts a serialized origin: http or https, a host, an optional
// port, nothing else.
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil {
		return errors.New("not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("want an http or https origin such as https://app.example.com")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("has no host")
	case u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "?") || strings.HasSuffix(o, "#"):
		return errors.New("an origin is scheme://host[:port], without user, path, query or fragment")
	case strings.Contains(u.Host, "*"):
		return errors.New("wildcards in an origin are not supported; list each origin")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return errors.New("has an invalid port")
		}
	}
	return nil
}

// validToken reports whether s is an RFC 9110 token (a method or header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Any reports whether p allows every origin.
func (p *Policy) Any() bool { return len(p.AllowOrigins) == 1 && p.AllowOrigins[0] == "*" }

// Allowed reports whether pages of origin may call the API.
func (p *Policy) Allowed(origin string) bool {
	if p == nil || origin == "" {
		return false
	}
	if p.Any() {
		return true
	}
	for _, o := range p.AllowOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// IsPreflight reports whether a request is a CORS preflight: OPTIONS with an
// Origin and an Access-Control-Request-Method.
func IsPreflight(method string, h http.Header) bool {
	return method == http.MethodOptions && h.Get("Origin") != "" && h.Get("Access-Control-Request-Method") != ""
}

// safelistedMethods are allowed without being listed (Fetch standard).
var safelistedMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost}

// Preflight answers a preflight from origin asking for method and the
// comma-separated request headers. It returns the headers of the answer and
// true when the policy allows the request; otherwise only Vary and false, and
// the page's request fails in the browser.
func (p *Policy) Preflight(origin, method, requestHeaders string) (http.Header, bool) {
	h := http.Header{}
	h.Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	if !p.Allowed(origin) || !p.methodAllowed(method) {
		return h, false
	}
	var asked []string
	for _, name := range strings.Split(requestHeaders, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if !p.headerAllowed(name) {
			return h, false
		}
		asked = append(asked, strings.ToLower(name))
	}
	p.originHeaders(h, origin)
	if slices.Contains(p.AllowMethods, "*") {
		h.Set("Access-Control-Allow-Methods", "*")
	} else {
		h.Set("Access-Control-Allow-Methods", strings.Join(mergeMethods(p.AllowMethods), ", "))
	}
	if len(asked) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(asked, ", "))
	}
	if p.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(p.MaxAge))
	}
	return h, true
}

// mergeMethods is the policy's methods with the safelisted ones, in order.
func mergeMethods(methods []string) []string {
	out := slices.Clone(safelistedMethods)
	for _, m := range methods {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

func (p *Policy) methodAllowed(m string) bool {
	return slices.Contains(safelistedMethods, m) || slices.Contains(p.AllowMethods, m) || slices.Contains(p.AllowMethods, "*")
}

func (p *Policy) headerAllowed(name string) bool {
	for _, a := range p.AllowHeaders {
		if strings.EqualFold(a, name) {
			return true
		}
		// "*" covers every header but Authorization (Fetch standard).
		if a == "*" && !strings.EqualFold(name, "Authorization") {
			return true
		}
	}
	return false
}

// Actual returns the CORS headers of an answer to a request from origin:
// Access-Control-Allow-Origin, -Allow-Credentials and -Expose-Headers for an
// allowed origin, none for any other; and Vary: Origin whenever the answer
// depends on the origin (every policy but "*"), so that caches keep the
// answers apart.
func (p *Policy) Actual(origin string) http.Header {
	h := http.Header{}
	if p == nil {
		return h
	}
	if !p.Any() || p.AllowCredentials {
		h.Set("Vary", "Origin")
	}
	if !p.Allowed(origin) {
		return h
	}
	p.originHeaders(h, origin)
	if len(p.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(p.ExposeHeaders, ", "))
	}
	return h
}

// originHeaders sets Access-Control-Allow-Origin (and -Credentials) for an
// allowed origin.
func (p *Policy) originHeaders(h http.Header, origin string) {
	if p.Any() {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	if p.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// Static returns the headers of answers that cannot depend on the request,
// such as API Gateway's gateway responses (static header values only): the
// origin when the policy allows exactly one (or "*"), with the credentials
// and expose headers and Vary: Origin. With several origins there is no
// static answer, and ok is false: API Gateway cannot choose the origin per
// request, and naming every origin would be refused by browsers.
func (p *Policy) Static() (h http.Header, ok bool) {
	if p == nil || len(p.AllowOrigins) != 1 {
		return nil, false
	}
	h = http.Header{}
	if !p.Any() || p.AllowCredentials {
		h.Set("Vary", "Origin")
	}
	p.originHeaders(h, p.AllowOrigins[0])
	if len(p.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(p.ExposeHeaders, ", "))
	}
	return h, true
}

// IsCORSHeader reports whether name is a response header the policy owns
// (Access-Control-*), which the gateway removes from backend answers so that
// a backend cannot widen the policy.
func IsCORSHeader(name string) bool {
	return len(name) >= len("access-control-") && strings.EqualFold(name[:len("access-control-")], "access-control-")
}
