// Package faultproxy is an HTTP proxy in front of the local AWS emulator that
// injects faults into chosen API calls while all others pass through. Point a
// function's endpoint for one service at it (for DynamoDB,
// AWS_ENDPOINT_URL_DYNAMODB=http://<proxy>) and a test can make that
// dependency hang, refuse, throttle or fail for a while, with traffic flowing.
//
// It speaks the AWS JSON protocols (DynamoDB, Cloud Map, Secrets Manager),
// which name the service and operation in the X-Amz-Target header: a Fault
// matches on the service, the operation and, for DynamoDB, on the start of
// the item key the call names. In front of a plain HTTP endpoint, such as an
// identity provider's JWKS (point the JWKS URL at the proxy), a Fault
// matches on the path. Window puts faults in force for a bounded time.
package faultproxy

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Kind is what a Fault does to a matching call.
type Kind int

// Kinds of fault.
const (
	// Hang holds the call without answering until the caller gives up (or
	// MaxHang passes): a dependency that accepts and never answers.
	Hang Kind = iota + 1
	// Refuse closes the connection without an answer: a dependency that is
	// down.
	Refuse
	// Throttle answers 400 with the AWS error Code (default
	// ThrottlingException), as a service over its rate does; a plain HTTP
	// request gets 429.
	Throttle
	// ServerError answers 500 with the AWS error Code (default
	// InternalServerError); a plain HTTP request gets 503.
	ServerError
	// Delay waits Delay, then passes the call on.
	Delay
)

// MaxHang bounds how long a Hang fault holds one call.
const MaxHang = 2 * time.Minute

// Services, as a Fault names them, by the X-Amz-Target prefix of their
// calls.
var Services = map[string]string{
	"DynamoDB_20120810":           "dynamodb",
	"Route53AutoNaming_v20170314": "servicediscovery",
	"secretsmanager":              "secretsmanager",
}

// Fault is one injected fault.
type Fault struct {
	// Service is "dynamodb", "servicediscovery" or "secretsmanager" (see
	// Services); empty matches every service, and plain HTTP requests.
	Service string
	// Operation is the API operation, such as "UpdateItem" or
	// "DiscoverInstances"; empty matches every operation.
	Operation string
	// KeyPrefix, when set, matches only DynamoDB calls whose item key
	// attribute (KeyAttribute) starts with it.
	KeyPrefix string
	// Path, when set, matches only plain HTTP requests (no X-Amz-Target)
	// whose path starts with it.
	Path string
	// Kind is what happens to a matching call.
	Kind Kind
	// Code is the AWS error code of a Throttle or ServerError fault, such as
	// ProvisionedThroughputExceededException.
	Code string
	// Delay is the wait of a Delay fault.
	Delay time.Duration
}

// KeyAttribute is the DynamoDB key attribute KeyPrefix is matched against.
const KeyAttribute = "pk"

// Proxy forwards calls to the emulator, injecting its faults. It is an
// http.Handler and safe for concurrent use.
type Proxy struct {
	rp *httputil.ReverseProxy

	mu     sync.Mutex
	faults []Fault
	gen    int            // bumped by Set and Window
	hits   map[string]int // operation → calls that met a fault
	calls  map[string]int // operation → calls seen
	seen   map[Access]bool
}

// Access is one operation on one DynamoDB item (Key empty for a call that
// names no item, or a service other than DynamoDB).
type Access struct {
	Operation string
	Key       string
}

// New returns a Proxy to the emulator at target (its base URL) over
// transport (nil for http.DefaultTransport).
func New(target string, transport http.RoundTripper) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("faultproxy: target %q: want an absolute http or https URL", target)
	}
	p := &Proxy{hits: map[string]int{}, calls: map[string]int{}, seen: map[Access]bool{}}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = u.Host
		},
		Transport: transport,
		// A caller that gives up mid-call is the point of most faults, not
		// news.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	return p, nil
}

// Set replaces the faults in force.
func (p *Proxy) Set(faults ...Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append([]Fault(nil), faults...)
	p.gen++
}

// Clear removes every fault.
func (p *Proxy) Clear() { p.Set() }

// Window puts faults in force for d, then clears them unless other faults
// were Set meanwhile. The returned function ends the window early.
func (p *Proxy) Window(d time.Duration, faults ...Fault) (end func()) {
	p.mu.Lock()
	p.faults = append([]Fault(nil), faults...)
	p.gen++
	gen := p.gen
	p.mu.Unlock()
	clear := func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.gen == gen {
			p.faults = nil
		}
	}
	t := time.AfterFunc(d, clear)
	return func() {
		t.Stop()
		clear()
	}
}

// Hits returns how many calls of operation (or, for plain HTTP requests,
// to path) met a fault, and how many were seen.
func (p *Proxy) Hits(operation string) (faulted, seen int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[operation], p.calls[operation]
}

// Accesses returns every distinct operation and item key the proxy has
// seen, sorted: what the caller's IAM role must allow.
func (p *Proxy) Accesses() []Access {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Access, 0, len(p.seen))
	for a := range p.seen {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Access) int {
		return cmp.Or(strings.Compare(a.Operation, b.Operation), strings.Compare(a.Key, b.Key))
	})
	return out
}

// ServeHTTP injects the first matching fault, or forwards the call.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(w, "faultproxy: read the request: "+err.Error(), http.StatusBadGateway)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	svc, op := target(r)
	f, ok := p.match(svc, op, r.URL.Path, body)
	if !ok {
		p.rp.ServeHTTP(w, r)
		return
	}
	switch f.Kind {
	case Hang:
		t := time.NewTimer(MaxHang)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-t.C:
		}
		panic(http.ErrAbortHandler) // no answer at all
	case Refuse:
		panic(http.ErrAbortHandler)
	case Throttle:
		if svc == "" {
			plainError(w, http.StatusTooManyRequests, "Too Many Requests (faultproxy)")
			return
		}
		awsError(w, http.StatusBadRequest, f.Code, "ThrottlingException", "Rate exceeded (faultproxy)")
	case ServerError:
		if svc == "" {
			plainError(w, http.StatusServiceUnavailable, "Service Unavailable (faultproxy)")
			return
		}
		awsError(w, http.StatusInternalServerError, f.Code, "InternalServerError", "Internal server error (faultproxy)")
	case Delay:
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
		p.rp.ServeHTTP(w, r)
	}
}

// match returns the first fault that matches a call; calls and hits are
// counted by operation, or by path for plain HTTP requests.
func (p *Proxy) match(svc, op, path string, body []byte) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	name := op
	if svc == "" {
		name = path
	}
	p.calls[name]++
	if svc != "" {
		keys := itemKeys(body)
		if len(keys) == 0 {
			keys = []string{""}
		}
		for _, k := range keys {
			p.seen[Access{op, k}] = true
		}
	}
	for _, f := range p.faults {
		if f.Service != "" && f.Service != svc {
			continue
		}
		if f.Operation != "" && f.Operation != op {
			continue
		}
		if f.KeyPrefix != "" && (svc != "dynamodb" || !strings.HasPrefix(itemKey(body), f.KeyPrefix)) {
			continue
		}
		if f.Path != "" && (svc != "" || !strings.HasPrefix(path, f.Path)) {
			continue
		}
		p.hits[name]++
		return f, true
	}
	return Fault{}, false
}

// target is the service and operation an AWS JSON-protocol call names in
// X-Amz-Target ("DynamoDB_20120810.UpdateItem" → "dynamodb", "UpdateItem");
// both empty for a plain HTTP request. A prefix not in Services is kept as it
// is.
func target(r *http.Request) (service, operation string) {
	t := r.Header.Get("X-Amz-Target")
	if t == "" {
		return "", ""
	}
	prefix, op, ok := strings.Cut(t, ".")
	if !ok {
		return "", t
	}
	if s, known := Services[prefix]; known {
		return s, op
	}
	return prefix, op
}

// plainError answers a plain HTTP request with a JSON error.
func plainError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// itemKey is the string value of KeyAttribute in a DynamoDB call's Key (or
// Item), or "".
func itemKey(body []byte) string {
	var in struct {
		Key, Item map[string]struct {
			S string `json:"S"`
		}
	}
	if json.Unmarshal(body, &in) != nil {
		return ""
	}
	if k, ok := in.Key[KeyAttribute]; ok {
		return k.S
	}
	return in.Item[KeyAttribute].S
}

// itemKeys is every string value of KeyAttribute a DynamoDB call names: its
// Key or Item, or the keys and items of a batch (BatchGetItem,
// BatchWriteItem) or a transaction.
func itemKeys(body []byte) []string {
	type av = map[string]struct {
		S string `json:"S"`
	}
	var in struct {
		Key, Item     av
		RequestItems  map[string]json.RawMessage
		TransactItems []map[string]struct {
			Key, Item av
		}
	}
	if json.Unmarshal(body, &in) != nil {
		return nil
	}
	var keys []string
	add := func(m av) {
		if k, ok := m[KeyAttribute]; ok {
			keys = append(keys, k.S)
		}
	}
	add(in.Key)
	add(in.Item)
	for _, raw := range in.RequestItems {
		var get struct{ Keys []av }
		if json.Unmarshal(raw, &get) == nil {
			for _, k := range get.Keys {
				add(k)
			}
		}
		var write []struct {
			PutRequest    struct{ Item av }
			DeleteRequest struct{ Key av }
		}
		if json.Unmarshal(raw, &write) == nil {
			for _, w := range write {
				add(w.PutRequest.Item)
				add(w.DeleteRequest.Key)
			}
		}
	}
	for _, t := range in.TransactItems {
		for _, part := range t {
			add(part.Key)
			add(part.Item)
		}
	}
	return keys
}

// awsError answers an AWS JSON-protocol error.
func awsError(w http.ResponseWriter, status int, code, def, msg string) {
	if code == "" {
		code = def
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
