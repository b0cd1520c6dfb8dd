package route

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Vars are the values a composite call's path template may use.
type Vars struct {
	// UserID and Tier come from the caller's identity.
	UserID, Tier string
	// Query is the request's query; {query.<name>} takes the first value.
	Query url.Values
	// Params are the matched route's path parameters.
	Params map[string]string
}

// Outgoing is one composite call, ready to send.
type Outgoing struct {
	// Key is the field of the merged answer.
	Key string
	// Service and Method address the call.
	Service, Method string
	// Path is the escaped path (URL.RawPath form): the template with its
	// variables filled in and escaped, so a value never adds a segment.
	Path string
	// RawQuery is the encoded query, possibly empty.
	RawQuery string
	// Timeout bounds the call.
	Timeout time.Duration
	// Optional calls may fail without failing the answer.
	Optional bool
	// Shape picks and renames fields of the answer; nil keeps it whole.
	Shape *Shape
}

// compiledCall is a Call with its template parsed.
type compiledCall struct {
	call    Call
	method  string
	timeout time.Duration
	path    []piece // path part
	query   []piece // query part, after '?'
}

// piece is a literal or a variable of a template.
type piece struct {
	lit string
	v   string // variable name; "" for a literal
}

func (c *compiled) compileCalls(calls []Call) error {
	if len(calls) == 0 || len(calls) > MaxCalls {
		return fmt.Errorf("composite.calls: want 1 to %d calls, got %d", MaxCalls, len(calls))
	}
	keys := map[string]bool{}
	for i, call := range calls {
		cc, err := c.compileCall(call)
		if err != nil {
			return fmt.Errorf("composite.calls[%d] (key %q): %w", i, call.Key, err)
		}
		if keys[call.Key] {
			return fmt.Errorf("composite.calls[%d]: key %q is used twice", i, call.Key)
		}
		keys[call.Key] = true
		c.calls = append(c.calls, cc)
	}
	return nil
}

func (c *compiled) compileCall(call Call) (compiledCall, error) {
	cc := compiledCall{call: call, method: call.Method, timeout: time.Duration(call.Timeout)}
	if !validID(call.Key, "-_") || call.Key == "_meta" {
		return cc, errors.New("key: want 1 to 64 letters, digits, '-' or '_', not _meta")
	}
	if !validService(call.Service) {
		return cc, fmt.Errorf("service %q: want a service name of letters, digits and '-'", call.Service)
	}
	if cc.method == "" {
		cc.method = http.MethodGet
	}
	if !validMethod(cc.method) {
		return cc, fmt.Errorf("method %q: want an upper-case method such as GET", call.Method)
	}
	if call.Timeout < 0 || (c.explicitTimeout || call.Timeout > 0) && time.Duration(call.Timeout) > c.timeout {
		return cc, fmt.Errorf("timeout %s: want a positive duration up to the route's timeout %s", call.Timeout, c.timeout)
	}
	if cc.timeout == 0 {
		cc.timeout = c.timeout
	}
	p, q, _ := strings.Cut(call.Path, "?")
	var err error
	if cc.path, err = c.parseTemplate(p); err != nil {
		return cc, fmt.Errorf("path %q: %w", call.Path, err)
	}
	if cc.query, err = c.parseTemplate(q); err != nil {
		return cc, fmt.Errorf("path %q: %w", call.Path, err)
	}
	// The literal shape of the path part must be clean, so that filling it in
	// cannot move it elsewhere (values are escaped and cannot add segments).
	var shape strings.Builder
	for _, pc := range cc.path {
		if pc.v != "" {
			shape.WriteString("x")
		} else {
			shape.WriteString(pc.lit)
		}
	}
	if err := literalPath(shape.String()); err != nil {
		return cc, fmt.Errorf("path %q: the path part must be a clean absolute path: %w", call.Path, err)
	}
	if strings.ContainsAny(q, "#") {
		return cc, fmt.Errorf("path %q: no fragment", call.Path)
	}
	if _, err := url.ParseQuery(strings.NewReplacer("{", "", "}", "").Replace(q)); err != nil {
		return cc, fmt.Errorf("path %q: query: %w", call.Path, err)
	}
	return cc, nil
}

func (c *compiled) parseTemplate(s string) ([]piece, error) {
	var out []piece
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			if strings.IndexByte(s, '}') >= 0 {
				return nil, errors.New("unbalanced }")
			}
			out = append(out, piece{lit: s})
			break
		}
		if strings.IndexByte(s[:i], '}') >= 0 {
			return nil, errors.New("unbalanced }")
		}
		if i > 0 {
			out = append(out, piece{lit: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, errors.New("unbalanced {")
		}
		name := s[i+1 : i+j]
		if !c.knownVariable(name) {
			return nil, fmt.Errorf("unknown variable {%s}: want {userId}, {tier}, {query.<name>} or a parameter of the route's path", name)
		}
		out = append(out, piece{v: name})
		s = s[i+j+1:]
	}
	return out, nil
}

func (c *compiled) knownVariable(name string) bool {
	if q, ok := strings.CutPrefix(name, "query."); ok {
		return q != "" && validToken(q)
	}
	return name == "userId" || name == "tier" || name != "" && slices.Contains(c.params, name)
}

func (v Vars) lookup(name string) string {
	switch name {
	case "userId":
		return v.UserID
	case "tier":
		return v.Tier
	}
	if q, ok := strings.CutPrefix(name, "query."); ok {
		return v.Query.Get(q)
	}
	return v.Params[name]
}

// expand fills cc's template from v. A path variable must fill exactly one
// segment (see Result.Calls).
func (cc *compiledCall) expand(v Vars) (Outgoing, error) {
	var p, q strings.Builder
	for _, pc := range cc.path {
		if pc.v == "" {
			p.WriteString(pc.lit)
			continue
		}
		val := v.lookup(pc.v)
		if val == "" || val == "." || val == ".." || strings.ContainsAny(val, `/\`) {
			return Outgoing{}, fmt.Errorf("%w: call %q: {%s} is %q, which is not one path segment", ErrBadPath, cc.call.Key, pc.v, val)
		}
		p.WriteString(url.PathEscape(val))
	}
	for _, pc := range cc.query {
		if pc.v == "" {
			q.WriteString(pc.lit)
		} else {
			q.WriteString(url.QueryEscape(v.lookup(pc.v)))
		}
	}
	return Outgoing{
		Key: cc.call.Key, Service: cc.call.Service, Method: cc.method,
		Path: p.String(), RawQuery: q.String(), Timeout: cc.timeout, Optional: cc.call.Optional,
	}, nil
}
