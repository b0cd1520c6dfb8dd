package cache

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Errors.
var (
	// ErrPolicy means a Policy is unusable; the specific errors below wrap it.
	ErrPolicy = errors.New("cache: policy")
	// ErrUserSpecific means a policy was given to a user-specific route.
	ErrUserSpecific = fmt.Errorf("%w: route is user-specific", ErrPolicy)
	// ErrCredentialKey means a policy would key on credentials or identity.
	ErrCredentialKey = fmt.Errorf("%w: key would include credentials or identity", ErrPolicy)
	// ErrConfig means a Config is unusable.
	ErrConfig = errors.New("cache: config")
)

// Outcome is how the cache answered, sent as X-Cache.
type Outcome string

// Outcomes.
const (
	Hit    Outcome = "HIT"
	Miss   Outcome = "MISS"
	Stale  Outcome = "STALE"
	Bypass Outcome = "BYPASS"
)

// Policy is the cache policy of a route.
type Policy struct {
	// TTL is how long an answer stays fresh. At least one second.
	TTL time.Duration
	// Vary names the request headers whose values enter the key, e.g.
	// Accept-Language. Credentials and identity headers are refused.
	Vary []string
	// Query names the query parameters that enter the key; others are
	// dropped before the backend sees the request.
	Query []string
	// UserSpecific marks a route whose answers depend on the user; such a
	// route has no cache policy, and Validate refuses one.
	UserSpecific bool
	// StaleIfError is how long after TTL an answer may still be served when
	// the backend fails.
	StaleIfError time.Duration
}

// refused are headers a key may not include: credentials, and the identity
// the gateway adds (any X-User-* header is refused too).
var refused = []string{"Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key"}

// Validate reports a policy that must not be used: on a user-specific route,
// keyed on credentials or identity, or with a bad TTL.
func (p Policy) Validate() error {
	if p.UserSpecific {
		return ErrUserSpecific
	}
	if p.TTL < time.Second {
		return fmt.Errorf("%w: TTL %s: want at least 1s", ErrPolicy, p.TTL)
	}
	if p.StaleIfError < 0 {
		return fmt.Errorf("%w: StaleIfError %s is negative", ErrPolicy, p.StaleIfError)
	}
	for _, h := range p.Vary {
		c := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(h))
		if c == "" || c == "*" {
			return fmt.Errorf("%w: Vary %q: want a header name", ErrPolicy, h)
		}
		if slices.Contains(refused, c) || strings.HasPrefix(c, "X-User-") {
			return fmt.Errorf("%w: Vary %s", ErrCredentialKey, c)
		}
	}
	for _, q := range p.Query {
		if q == "" {
			return fmt.Errorf("%w: empty query parameter name", ErrPolicy)
		}
	}
	return nil
}

// Request is a client request as the cache needs it.
type Request struct {
	// Route and Service name the route that serves the request and the
	// service it calls: both enter the key, so that an answer is never
	// served for another route, or after the route moved to another service.
	Route, Service string
	Method         string
	Path           string
	Query          url.Values
	Header         http.Header
}

// Response is a backend answer. An answer from the cache may share its Body
// with other answers: do not modify it.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Fetch calls the backend with req, the request as the key sees it.
type Fetch func(ctx context.Context, req Request) (*Response, error)

// Entry is a stored answer.
type Entry struct {
	// Status is the HTTP status.
	Status int
	// Header holds the answer's headers, less hop-by-hop ones and Age.
	Header http.Header
	// Body is the gzip-compressed body.
	Body []byte
	// Stored is when the answer was generated: the time it was stored less
	// the Age the backend gave.
	Stored time.Time
	// Fresh is when it stops being fresh.
	Fresh time.Time
	// Stale is when it may no longer be served even after a backend failure;
	// the store's expiry (TTL attribute).
	Stale time.Time
}

// Store keeps entries.
type Store interface {
	// Get returns the entry of key, or nil when there is none.
	Get(ctx context.Context, key string) (*Entry, error)
	// Put stores e under key until e.Stale.
	Put(ctx context.Context, key string, e *Entry) error
}

// DefaultMaxItemBytes is DynamoDB's item limit.
const DefaultMaxItemBytes = 400 << 10

// Config configures a Cache.
type Config struct {
	// Store keeps the entries. Required.
	Store Store
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// MaxItemBytes caps a stored entry (key, headers and compressed body).
	// 0 means DefaultMaxItemBytes.
	MaxItemBytes int
	// LocalTTL, when positive, keeps fresh entries in this instance's memory
	// for at most this long (and never past their freshness).
	LocalTTL time.Duration
	// LocalEntries caps the in-memory tier. 0 means 1024.
	LocalEntries int
	// StoreTimeout bounds each store call; 0 means DefaultStoreTimeout. A
	// read that takes longer is a miss and a write is given up, as a failed
	// one is: the cache never holds a request longer than that.
	StoreTimeout time.Duration
	// Logger receives store failures, which never fail a request. Nil discards.
	Logger *slog.Logger
}

// DefaultStoreTimeout bounds one store call of the cache.
const DefaultStoreTimeout = 250 * time.Millisecond

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	switch {
	case c.Store == nil:
		return fmt.Errorf("%w: Store is required", ErrConfig)
	case c.MaxItemBytes < 0 || c.LocalEntries < 0 || c.LocalTTL < 0 || c.StoreTimeout < 0:
		return fmt.Errorf("%w: negative MaxItemBytes, LocalEntries, LocalTTL or StoreTimeout", ErrConfig)
	}
	return nil
}

// Cache answers requests from stored answers. It is safe for concurrent use.
type Cache struct {
	cfg Config

	mu    sync.Mutex
	local map[string]localEntry
}

type localEntry struct {
	resp    *Response
	stored  time.Time
	expires time.Time
}

// New returns a Cache.
func New(cfg Config) (*Cache, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxItemBytes == 0 {
		cfg.MaxItemBytes = DefaultMaxItemBytes
	}
	if cfg.LocalEntries == 0 {
		cfg.LocalEntries = 1024
	}
	if cfg.StoreTimeout == 0 {
		cfg.StoreTimeout = DefaultStoreTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Cache{cfg: cfg, local: map[string]localEntry{}}, nil
}

// traceHeaders reach the backend of a cached route although they are not in
// the key: they identify the request for tracing and must not change the answer.
var traceHeaders = []string{"X-Request-Id", "Traceparent", "Tracestate", "X-Amzn-Trace-Id"}

// Do answers req under policy p: from the cache when a fresh answer is stored,
// otherwise from fetch, storing what may be stored. The answer's headers carry
// X-Cache and, from the cache, Age. An invalid policy, or a method other than
// GET and HEAD, bypasses the cache: fetch gets req unchanged.
func (c *Cache) Do(ctx context.Context, p Policy, req Request, fetch Fetch) (*Response, error) {
	if err := p.Validate(); err != nil {
		c.cfg.Logger.WarnContext(ctx, "cache policy refused, bypassing the cache", "path", req.Path, "err", err)
		return answer(fetch(ctx, req))
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return answer(fetch(ctx, req))
	}
	keyed := Keyed(p, req)
	key := Key(p, req)
	now := c.cfg.Now()

	if r, stored, ok := c.fromLocal(key, now); ok {
		return withCache(r, Hit, now.Sub(stored)), nil
	}
	e, err := c.get(ctx, key)
	if err != nil {
		c.cfg.Logger.WarnContext(ctx, "cache read failed", "err", err)
		e = nil
	}
	if e != nil && !now.Before(e.Stale) {
		e = nil // expired, not yet deleted
	}
	if e != nil && now.Before(e.Fresh) {
		if r, err := e.response(); err == nil {
			c.toLocal(key, r, e, now)
			return withCache(r, Hit, now.Sub(e.Stored)), nil
		}
		c.cfg.Logger.WarnContext(ctx, "cache entry unreadable", "err", err)
		e = nil
	}

	resp, ferr := fetch(ctx, keyed)
	if ferr != nil || resp.Status >= 500 {
		if e != nil && now.Before(e.Fresh.Add(p.StaleIfError)) {
			if r, err := e.response(); err == nil {
				return withCache(r, Stale, now.Sub(e.Stored)), nil
			}
		}
		if ferr != nil {
			return nil, ferr
		}
	}
	if ne, ok := c.entry(p, resp, now); ok {
		if err := c.put(ctx, key, ne); err != nil {
			c.cfg.Logger.WarnContext(ctx, "cache write failed", "err", err)
		}
		c.toLocal(key, resp, ne, now)
	}
	return withCache(resp, Miss, -1), nil
}

// get and put call the store within StoreTimeout.
func (c *Cache) get(ctx context.Context, key string) (*Entry, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.StoreTimeout)
	defer cancel()
	return c.cfg.Store.Get(ctx, key)
}

func (c *Cache) put(ctx context.Context, key string, e *Entry) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.StoreTimeout)
	defer cancel()
	return c.cfg.Store.Put(ctx, key, e)
}

// answer marks a bypassed answer.
func answer(r *Response, err error) (*Response, error) {
	if err != nil {
		return nil, err
	}
	return withCache(r, Bypass, -1), nil
}

// withCache returns a copy of r with X-Cache and, when age ≥ 0, Age.
func withCache(r *Response, o Outcome, age time.Duration) *Response {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("X-Cache", string(o))
	if age >= 0 {
		h.Set("Age", strconv.FormatInt(int64(age/time.Second), 10))
	}
	return &Response{Status: r.Status, Header: h, Body: r.Body}
}

// cleanPath returns p cleaned, rooted.
func cleanPath(p string) string {
	return path.Clean("/" + p)
}

// Keyed returns req as the key sees it: the cleaned path, the declared query
// parameters, the declared Vary headers and the trace headers. This is what
// the backend of a cached route receives.
func Keyed(p Policy, req Request) Request {
	out := Request{Route: req.Route, Service: req.Service, Method: req.Method, Path: cleanPath(req.Path), Query: url.Values{}, Header: http.Header{}}
	for _, q := range p.Query {
		if vs, ok := req.Query[q]; ok {
			out.Query[q] = slices.Clone(vs)
		}
	}
	for _, h := range append(slices.Clone(p.Vary), traceHeaders...) {
		if vs := req.Header.Values(h); len(vs) > 0 {
			out.Header[textproto.CanonicalMIMEHeaderKey(h)] = slices.Clone(vs)
		}
	}
	return out
}

// KeyPrefix starts every key Key returns.
const KeyPrefix = "cache#"

// Key returns the cache key of req under p: a hash of the route and service,
// the method, the cleaned path, the declared query parameters sorted by name,
// and the declared Vary headers' values. Each part is length-prefixed, so no
// two requests that differ in a keyed part share a key.
func Key(p Policy, req Request) string {
	h := sha256.New()
	var buf [binary.MaxVarintLen64]byte
	field := func(s string) {
		h.Write(buf[:binary.PutUvarint(buf[:], uint64(len(s)))])
		io.WriteString(h, s)
	}
	present := func(vs []string, ok bool) {
		if !ok {
			h.Write([]byte{0})
			return
		}
		h.Write([]byte{1})
		field(strconv.Itoa(len(vs)))
		for _, v := range vs {
			field(v)
		}
	}
	field(req.Route)
	field(req.Service)
	field(req.Method)
	field(cleanPath(req.Path))
	qs := slices.Clone(p.Query)
	slices.Sort(qs)
	qs = slices.Compact(qs)
	for _, q := range qs {
		field("q:" + q)
		vs, ok := req.Query[q]
		present(vs, ok)
	}
	hs := make([]string, 0, len(p.Vary))
	for _, v := range p.Vary {
		hs = append(hs, textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(v)))
	}
	slices.Sort(hs)
	hs = slices.Compact(hs)
	for _, name := range hs {
		field("h:" + name)
		raw := req.Header.Values(name)
		vs := make([]string, len(raw))
		for i, v := range raw {
			vs[i] = strings.TrimSpace(v)
		}
		present(vs, len(vs) > 0)
	}
	return KeyPrefix + hex.EncodeToString(h.Sum(nil))
}

// hopByHop and per-answer headers are not stored.
var unstored = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Connection", "Te", "Trailer",
	"Transfer-Encoding", "Upgrade", "Age", "X-Cache", "Content-Length"}

// entry returns what to store for resp, and false when resp must not be stored.
func (c *Cache) entry(p Policy, resp *Response, now time.Time) (*Entry, bool) {
	if resp.Status < 200 || resp.Status > 299 || resp.Status == http.StatusPartialContent {
		return nil, false
	}
	if len(resp.Header.Values("Set-Cookie")) > 0 {
		return nil, false
	}
	ttl, ok := freshness(p.TTL, resp.Header.Values("Cache-Control"))
	if !ok {
		return nil, false
	}
	for _, v := range resp.Header.Values("Vary") {
		for name := range strings.SplitSeq(v, ",") {
			name = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			if !slices.ContainsFunc(p.Vary, func(d string) bool { return strings.EqualFold(strings.TrimSpace(d), name) }) {
				return nil, false // the answer depends on a header the key lacks, or on anything (*)
			}
		}
	}
	var age time.Duration
	if a, err := strconv.ParseInt(resp.Header.Get("Age"), 10, 64); err == nil && a > 0 {
		age = time.Duration(a) * time.Second
	}
	if age >= ttl {
		return nil, false
	}
	hdr := resp.Header.Clone()
	if hdr == nil {
		hdr = http.Header{}
	}
	for _, h := range unstored {
		hdr.Del(h)
	}
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	zw.Write(resp.Body)
	zw.Close()
	stored := now.Add(-age)
	e := &Entry{Status: resp.Status, Header: hdr, Body: body.Bytes(), Stored: stored, Fresh: stored.Add(ttl), Stale: stored.Add(ttl + p.StaleIfError)}
	if e.size() > c.cfg.MaxItemBytes {
		return nil, false
	}
	return e, true
}

// size estimates the stored item's size: the key, the attribute names and
// numbers, the headers and the compressed body.
func (e *Entry) size() int {
	n := 200 + len(e.Body)
	for k, vs := range e.Header {
		n += len(k) + 8
		for _, v := range vs {
			n += len(v) + 4
		}
	}
	return n
}

// freshness returns how long an answer stays fresh under the policy's ttl and
// the backend's Cache-Control, and false when it must not be stored.
func freshness(ttl time.Duration, cc []string) (time.Duration, bool) {
	var maxAge, sMaxAge time.Duration = -1, -1
	for _, v := range cc {
		for d := range strings.SplitSeq(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-store", "private", "no-cache":
				return 0, false
			case "max-age", "s-maxage":
				secs, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
				if err != nil || secs < 0 {
					return 0, false
				}
				if strings.EqualFold(name, "s-maxage") {
					sMaxAge = time.Duration(secs) * time.Second
				} else {
					maxAge = time.Duration(secs) * time.Second
				}
			}
		}
	}
	if sMaxAge >= 0 {
		ttl = min(ttl, sMaxAge)
	} else if maxAge >= 0 {
		ttl = min(ttl, maxAge)
	}
	return ttl, ttl > 0
}

// response decompresses e.
func (e *Entry) response() (*Response, error) {
	zr, err := gzip.NewReader(bytes.NewReader(e.Body))
	if err != nil {
		return nil, fmt.Errorf("cache: entry body: %w", err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("cache: entry body: %w", err)
	}
	return &Response{Status: e.Status, Header: e.Header.Clone(), Body: body}, nil
}

func (c *Cache) fromLocal(key string, now time.Time) (*Response, time.Time, bool) {
	if c.cfg.LocalTTL <= 0 {
		return nil, time.Time{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	le, ok := c.local[key]
	if !ok {
		return nil, time.Time{}, false
	}
	if !now.Before(le.expires) {
		delete(c.local, key)
		return nil, time.Time{}, false
	}
	return le.resp, le.stored, true
}

func (c *Cache) toLocal(key string, r *Response, e *Entry, now time.Time) {
	if c.cfg.LocalTTL <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.local[key]; !ok && len(c.local) >= c.cfg.LocalEntries {
		for k, le := range c.local { // expired first, else any one
			if !now.Before(le.expires) {
				delete(c.local, k)
			}
		}
		for k := range c.local {
			if len(c.local) < c.cfg.LocalEntries {
				break
			}
			delete(c.local, k)
		}
	}
	r = &Response{Status: r.Status, Header: e.Header.Clone(), Body: r.Body}
	c.local[key] = localEntry{resp: r, stored: e.Stored, expires: minTime(e.Fresh, now.Add(c.cfg.LocalTTL))}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
