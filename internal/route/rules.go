package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/portico-gw/portico/internal/hygiene"
)

// Per-route request rules: a body size limit, client address lists, header
// rules, and the fields a composite call keeps.

// Limits of the request rules.
const (
	// MaxBodyBytes is the largest request body a route may allow, and the
	// gateway's default: 5 MiB, under Lambda's 6 MB payload limit (a body
	// API Gateway sends in base64 grows by a third).
	MaxBodyBytes = 5 << 20
	// MaxIPEntries bounds each allow or deny list.
	MaxIPEntries = 1000
	// maxHeaderRules bounds the header names one route's rules name.
	maxHeaderRules = 64
	// maxFields bounds the fields a composite call keeps or renames.
	maxFields = 64
)

// IPRules allow or deny requests by the client's address, the sourceIp API
// Gateway gives (never a header the client sent). Entries are addresses or
// CIDR prefixes, IPv4 or IPv6 ("10.0.0.0/8", "2001:db8::/32",
// "203.0.113.7"). A request from a denied address is refused (403); when
// Allow is not empty, so is one from an address it does not list. Deny wins
// over Allow.
type IPRules struct {
	// Allow lists the only addresses served, when not empty.
	Allow []string `json:"allow,omitempty"`
	// Deny lists addresses never served.
	Deny []string `json:"deny,omitempty"`
}

// HeaderRules change the headers of a request before the backend gets it
// (requestHeaders), or of the backend's answer before the client gets it
// (responseHeaders): Remove, then Set, then Add. They never name a header
// the gateway owns (its identity, forwarding, request-ID, tracing and
// rate-limit headers, credentials, hop-by-hop headers), in any spelling:
// names are compared without case and with '_' as '-', as the gateway strips
// them.
type HeaderRules struct {
	// Add appends a value to a header.
	Add map[string]string `json:"add,omitempty"`
	// Set replaces a header's values with one.
	Set map[string]string `json:"set,omitempty"`
	// Remove drops headers.
	Remove []string `json:"remove,omitempty"`
	// Allow, for responseHeaders only, keeps only these of the backend's
	// headers (and Content-Type); Set and Add still apply after it.
	Allow []string `json:"allow,omitempty"`
}

// rules is a route's compiled request rules.
type rules struct {
	maxBody  int64
	ip       *ipList
	request  *HeaderOps
	response *HeaderOps
	shapes   []*Shape // by composite call; nil entries keep the answer whole
}

func (c *compiled) compileRules() error {
	r := c.Route
	if r.MaxBodyBytes < 0 || r.MaxBodyBytes > MaxBodyBytes {
		return fmt.Errorf("maxBodyBytes %d: want 1 to %d (the gateway's own cap, under Lambda's payload limit)", r.MaxBodyBytes, MaxBodyBytes)
	}
	c.rules.maxBody = r.MaxBodyBytes
	var err error
	if c.rules.ip, err = compileIP(r.IP, "ip"); err != nil {
		return err
	}
	if r.RequestHeaders != nil {
		switch {
		case r.GRPC != nil:
			return errors.New("requestHeaders: a gRPC backend receives only the gateway's metadata, so request header rules have no effect; remove them")
		case len(r.RequestHeaders.Allow) > 0:
			return errors.New("requestHeaders.allow: an allow-list is for responseHeaders")
		}
		if c.rules.request, err = compileHeaders(r.RequestHeaders, "requestHeaders", hygiene.OwnedRequest); err != nil {
			return err
		}
		if r.Cache != nil {
			for _, v := range r.Cache.Vary {
				if c.rules.request.names(v) {
					return fmt.Errorf("requestHeaders: %s is in cache.vary; a rule may not change a header the cache keys on", http.CanonicalHeaderKey(strings.TrimSpace(v)))
				}
			}
		}
	}
	if r.ResponseHeaders != nil {
		if c.rules.response, err = compileHeaders(r.ResponseHeaders, "responseHeaders", hygiene.OwnedResponse); err != nil {
			return err
		}
	}
	if r.Composite != nil {
		c.rules.shapes = make([]*Shape, len(r.Composite.Calls))
		for i, call := range r.Composite.Calls {
			if c.rules.shapes[i], err = compileShape(call.Fields, call.Rename); err != nil {
				return fmt.Errorf("composite.calls[%d] (key %q): %w", i, call.Key, err)
			}
		}
	}
	return nil
}

// ipList is compiled IPRules.
type ipList struct {
	allow, deny []netip.Prefix
}

func compileIP(r *IPRules, field string) (*ipList, error) {
	if r == nil {
		return nil, nil
	}
	l := &ipList{}
	for _, part := range []struct {
		name string
		in   []string
		out  *[]netip.Prefix
	}{{"allow", r.Allow, &l.allow}, {"deny", r.Deny, &l.deny}} {
		if len(part.in) > MaxIPEntries {
			return nil, fmt.Errorf("%s.%s: %d entries, at most %d", field, part.name, len(part.in), MaxIPEntries)
		}
		for i, s := range part.in {
			p, err := parsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("%s.%s[%d]: %w", field, part.name, i, err)
			}
			*part.out = append(*part.out, p)
		}
	}
	if len(l.allow) == 0 && len(l.deny) == 0 {
		return nil, fmt.Errorf("%s: give allow, deny or both", field)
	}
	return l, nil
}

// parsePrefix reads an address or a CIDR prefix, IPv4 or IPv6. A prefix with
// bits set past its length (10.0.0.1/8) is refused: it usually means a typo.
func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q: want an IP address or a CIDR prefix such as 10.0.0.0/8 or 2001:db8::/32", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q: want a CIDR prefix such as 10.0.0.0/8 or 2001:db8::/32", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%q: has address bits set past /%d; write %s", s, p.Bits(), p.Masked())
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		// ::ffff:10.0.0.0/104 is 10.0.0.0/8: addresses are compared unmapped.
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p, nil
}

// check says whether l lets addr through, and if not, why.
func (l *ipList) check(addr netip.Addr) (bool, string) {
	for _, p := range l.deny {
		if p.Contains(addr) {
			return false, "denied (" + p.String() + ")"
		}
	}
	if len(l.allow) == 0 {
		return true, ""
	}
	for _, p := range l.allow {
		if p.Contains(addr) {
			return true, ""
		}
	}
	return false, "not on the allow list"
}

// allows checks the client address ip against l (nil lets everything
// through). An address that does not parse is refused: API Gateway always
// gives one, so a list that cannot be checked fails closed.
func (l *ipList) allows(ip string) (bool, string) {
	if l == nil {
		return true, ""
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false, "no valid client address"
	}
	return l.check(addr.Unmap())
}

// AllowsIP checks a client address (the sourceIp of the request context)
// against the document's own IP lists, and says why it is refused.
func (t *Table) AllowsIP(ip string) (bool, string) { return t.ip.allows(ip) }

// HasIPRules reports whether the document has IP lists of its own.
func (t *Table) HasIPRules() bool { return t.ip != nil }

// AllowsIP checks a client address against the matched route's IP lists.
func (r Result) AllowsIP(ip string) (bool, string) {
	if r.c == nil {
		return true, ""
	}
	return r.c.rules.ip.allows(ip)
}

// MaxBodyBytes is the matched route's request body cap; 0 when it sets none
// (the gateway's own applies).
func (r Result) MaxBodyBytes() int64 {
	if r.c == nil {
		return 0
	}
	return r.c.rules.maxBody
}

// RequestHeaders are the matched route's request header rules; nil without.
func (r Result) RequestHeaders() *HeaderOps {
	if r.c == nil {
		return nil
	}
	return r.c.rules.request
}

// ResponseHeaders are the matched route's response header rules; nil
// without.
func (r Result) ResponseHeaders() *HeaderOps {
	if r.c == nil {
		return nil
	}
	return r.c.rules.response
}

// HeaderOps are compiled HeaderRules, ready to apply. Safe for concurrent use.
type HeaderOps struct {
	remove []string // folded
	set    []headerValue
	add    []headerValue
	allow  map[string]bool // folded; nil keeps every header
}

type headerValue struct {
	name   string // canonical
	folded string
	value  string
}

func compileHeaders(h *HeaderRules, field string, isOwned func(string) bool) (*HeaderOps, error) {
	ops := &HeaderOps{}
	seen := map[string]string{} // folded name → the operation that names it
	check := func(op, name string) (string, error) {
		if !validToken(name) {
			return "", fmt.Errorf("%s.%s: %q is not a header name", field, op, name)
		}
		if isOwned(name) {
			return "", fmt.Errorf("%s.%s: %s is a header the gateway owns (identity, forwarding, request ID, tracing, rate limits, credentials or hop-by-hop); no rule may change it", field, op, name)
		}
		f := foldName(name)
		if prev, dup := seen[f]; dup {
			return "", fmt.Errorf("%s: %s is named by both %s and %s; name each header once", field, name, prev, op)
		}
		seen[f] = op
		if len(seen) > maxHeaderRules {
			return "", fmt.Errorf("%s: more than %d header names", field, maxHeaderRules)
		}
		return f, nil
	}
	for _, name := range h.Remove {
		f, err := check("remove", name)
		if err != nil {
			return nil, err
		}
		ops.remove = append(ops.remove, f)
	}
	for _, part := range []struct {
		op  string
		in  map[string]string
		out *[]headerValue
	}{{"set", h.Set, &ops.set}, {"add", h.Add, &ops.add}} {
		for _, name := range sortedNames(part.in) {
			f, err := check(part.op, name)
			if err != nil {
				return nil, err
			}
			if v := part.in[name]; !validHeaderValue(v) {
				return nil, fmt.Errorf("%s.%s: %s: control characters in the value", field, part.op, name)
			}
			*part.out = append(*part.out, headerValue{name: http.CanonicalHeaderKey(name), folded: f, value: part.in[name]})
		}
	}
	if len(h.Allow) > 0 {
		ops.allow = map[string]bool{"content-type": true}
		for _, name := range h.Allow {
			if !validToken(name) {
				return nil, fmt.Errorf("%s.allow: %q is not a header name", field, name)
			}
			if isOwned(name) {
				return nil, fmt.Errorf("%s.allow: %s is a header the gateway sets or strips itself; it never comes from the backend", field, name)
			}
			ops.allow[foldName(name)] = true
		}
	}
	if len(ops.remove) == 0 && len(ops.set) == 0 && len(ops.add) == 0 && ops.allow == nil {
		return nil, fmt.Errorf("%s: give add, set, remove or allow", field)
	}
	return ops, nil
}

func foldName(name string) string {
	var buf [hygiene.MaxFolded]byte
	return string(hygiene.Fold(buf[:], name))
}

func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// names reports whether the rules name header (folded).
func (o *HeaderOps) names(header string) bool {
	f := foldName(strings.TrimSpace(header))
	if slices.Contains(o.remove, f) {
		return true
	}
	for _, hv := range append(slices.Clip(o.set), o.add...) {
		if hv.folded == f {
			return true
		}
	}
	return false
}

// Apply changes h by the rules: Remove, then Set, then Add. For response
// rules with an allow-list, headers it does not list are dropped first.
func (o *HeaderOps) Apply(h http.Header) {
	if o == nil {
		return
	}
	if o.allow != nil || len(o.remove) > 0 || len(o.set) > 0 {
		for k := range h {
			f := foldName(k)
			if o.allow != nil && !o.allow[f] || slices.Contains(o.remove, f) || o.setsFolded(f) {
				delete(h, k)
			}
		}
	}
	for _, hv := range o.set {
		h[hv.name] = []string{hv.value}
	}
	for _, hv := range o.add {
		h[hv.name] = append(h[hv.name], hv.value)
	}
}

// AddSet applies only Set and Add: for a cached route's backend request,
// which carries nothing a rule could remove.
func (o *HeaderOps) AddSet(h http.Header) {
	if o == nil {
		return
	}
	(&HeaderOps{set: o.set, add: o.add}).Apply(h)
}

func (o *HeaderOps) setsFolded(f string) bool {
	for _, hv := range o.set {
		if hv.folded == f {
			return true
		}
	}
	return false
}

// Describe says what the rules do, for people.
func (o *HeaderOps) Describe() string {
	if o == nil {
		return "none"
	}
	var parts []string
	if o.allow != nil {
		names := make([]string, 0, len(o.allow))
		for f := range o.allow {
			names = append(names, f)
		}
		slices.Sort(names)
		parts = append(parts, "keep only "+strings.Join(names, ", "))
	}
	if len(o.remove) > 0 {
		parts = append(parts, "remove "+strings.Join(o.remove, ", "))
	}
	for _, hv := range o.set {
		parts = append(parts, fmt.Sprintf("set %s: %s", hv.name, hv.value))
	}
	for _, hv := range o.add {
		parts = append(parts, fmt.Sprintf("add %s: %s", hv.name, hv.value))
	}
	return strings.Join(parts, "; ")
}

// Shape picks and renames fields of a composite call's JSON answer, as
// KrakenD's allow and mapping do: only the listed fields (top-level names or
// dotted paths into nested objects) are kept, of the answer or, when it is an
// array, of each object in it; then top-level fields are renamed. A field
// the answer lacks is left out; an answer that is not an object or an array
// of objects is kept whole.
type Shape struct {
	fields [][]string
	rename map[string]string
}

func compileShape(fields []string, rename map[string]string) (*Shape, error) {
	if len(fields) == 0 && len(rename) == 0 {
		return nil, nil
	}
	if len(fields) > maxFields || len(rename) > maxFields {
		return nil, fmt.Errorf("fields, rename: at most %d each", maxFields)
	}
	s := &Shape{}
	top := map[string]bool{}
	for i, f := range fields {
		path := strings.Split(f, ".")
		if f == "" || slices.Contains(path, "") {
			return nil, fmt.Errorf("fields[%d] %q: want a field name or a dotted path such as address.city", i, f)
		}
		for _, g := range fields[:i] {
			if g == f || strings.HasPrefix(f, g+".") || strings.HasPrefix(g, f+".") {
				return nil, fmt.Errorf("fields: %q and %q overlap; the shorter keeps all of it already", g, f)
			}
		}
		s.fields = append(s.fields, path)
		top[path[0]] = true
	}
	targets := map[string]string{}
	for _, old := range sortedNames(rename) {
		nw := rename[old]
		switch {
		case old == "" || nw == "":
			return nil, fmt.Errorf("rename %q → %q: want two field names", old, nw)
		case len(fields) > 0 && !top[old]:
			return nil, fmt.Errorf("rename %q: not among the fields kept", old)
		case targets[nw] != "":
			return nil, fmt.Errorf("rename: %q and %q would both become %q", targets[nw], old, nw)
		case nw != old && top[nw] && rename[nw] == "":
			return nil, fmt.Errorf("rename %q → %q: %q is a field kept as it is", old, nw, nw)
		}
		targets[nw] = old
	}
	if len(rename) > 0 {
		s.rename = rename
	}
	return s, nil
}

// Apply reshapes a JSON answer. It returns body unchanged when it is not an
// object or an array, and an error when it is not JSON.
func (s *Shape) Apply(body []byte) ([]byte, error) {
	if s == nil {
		return body, nil
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' && trimmed[0] != '[' {
		return body, nil
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	switch t := v.(type) {
	case map[string]any:
		v = s.object(t)
	case []any:
		for i, e := range t {
			if m, ok := e.(map[string]any); ok {
				t[i] = s.object(m)
			}
		}
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(out.Bytes(), "\n"), nil
}

func (s *Shape) object(m map[string]any) map[string]any {
	out := m
	if len(s.fields) > 0 {
		out = map[string]any{}
		for _, path := range s.fields {
			copyPath(out, m, path)
		}
	}
	for old, nw := range s.rename {
		if v, ok := out[old]; ok {
			delete(out, old)
			out[nw] = v
		}
	}
	return out
}

// copyPath copies src's value at path into dst, creating the objects on the
// way; nothing when src lacks it.
func copyPath(dst, src map[string]any, path []string) {
	v, ok := src[path[0]]
	if !ok {
		return
	}
	if len(path) == 1 {
		dst[path[0]] = v
		return
	}
	inner, ok := v.(map[string]any)
	if !ok {
		return
	}
	next, _ := dst[path[0]].(map[string]any)
	if next == nil {
		next = map[string]any{}
	}
	copyPath(next, inner, path[1:])
	if len(next) > 0 {
		dst[path[0]] = next
	}
}

// Describe says what the shape does, for people.
func (s *Shape) Describe() string {
	if s == nil {
		return ""
	}
	var parts []string
	if len(s.fields) > 0 {
		var f []string
		for _, p := range s.fields {
			f = append(f, strings.Join(p, "."))
		}
		parts = append(parts, "keeps "+strings.Join(f, ", "))
	}
	if len(s.rename) > 0 {
		var kv []string
		for _, old := range sortedNames(s.rename) {
			kv = append(kv, old+" → "+s.rename[old])
		}
		parts = append(parts, "renames "+strings.Join(kv, ", "))
	}
	return strings.Join(parts, "; ")
}
