package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/pkg/ratelimit"
)

// runExplain says how a route table serves one request: the route that
// matches and why each other route does not, the backend and path after
// stripping, the permission, the limits that count it and whether and how
// the answer is cached.
func runExplain(_ context.Context, env Env, args []string) error {
	fs := newFlags(env, "explain", "--routes FILE [--limits FILE] [flags] METHOD PATH [-H 'Name: value']...")
	routesFile := fs.String("routes", "", "the route table (required)")
	limitsFile := fs.String("limits", "", "a limits document: show which rules count the request")
	var headers multi
	fs.Var(&headers, "H", "a request header, 'Name: value' (repeatable)")
	ip := fs.String("ip", "203.0.113.7", "the client's address, as API Gateway gives it")
	sub := fs.String("sub", "user-1", "the token's subject")
	tier := fs.String("tier", "", "the caller's tier (the API key's, else the token's; empty: "+ratelimit.DefaultTier+")")
	key := fs.String("api-key-id", "", "the ID of the request's API key, if it has one")
	var claims multi
	fs.Var(&claims, "claim", "a mapped claim of the token, 'name=value' (repeatable), for claim limits")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *routesFile == "" {
		return usageError("--routes is required")
	}
	if len(pos) != 2 {
		return usageError("want METHOD PATH, got %q", pos)
	}
	method, target := strings.ToUpper(pos[0]), pos[1]
	rawPath, rawQuery, _ := strings.Cut(target, "?")
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return usageError("query %q: %v", rawQuery, err)
	}
	h := http.Header{}
	for _, hv := range headers {
		name, value, ok := strings.Cut(hv, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return usageError("header %q: want 'Name: value'", hv)
		}
		h.Add(textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)), strings.TrimSpace(value))
	}
	req := ratelimit.Request{IP: *ip, APIKey: *key, Subject: *sub, Tier: *tier}
	for _, c := range claims {
		name, value, ok := strings.Cut(c, "=")
		if !ok || name == "" {
			return usageError("claim %q: want name=value", c)
		}
		if req.Claims == nil {
			req.Claims = map[string]string{}
		}
		req.Claims[name] = value
	}

	var p parsed
	if err := p.load(kindRoutes, *routesFile); err != nil {
		return err
	}
	if *limitsFile != "" {
		if err := p.load(kindLimits, *limitsFile); err != nil {
			return err
		}
	}

	w := env.Stdout
	fmt.Fprintf(w, "%s %s\n", method, target)
	for _, k := range sortedKeys(h) {
		for _, v := range h[k] {
			fmt.Fprintf(w, "  %s: %s\n", k, v)
		}
	}
	fmt.Fprintln(w)
	path, err := route.Clean(rawPath)
	if err != nil {
		fmt.Fprintf(w, "answer: 400: the gateway refuses the path %q before routing (%v)\n", rawPath, err)
		return errFound
	}
	if path != rawPath {
		fmt.Fprintf(w, "path: cleaned to %s before routing\n", path)
	}
	e := p.routes.Explain(method, path, h)
	writeVerdict(w, e)
	fmt.Fprintln(w, "routes:")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, v := range e.Routes {
		mark := " "
		if v.Wins {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s %s\t%s\n", mark, v.ID, v.Reason)
	}
	tw.Flush()
	if e.Winner == nil {
		return errFound
	}
	fmt.Fprintln(w)
	if refused := writeRules(w, p.routes, e, *ip); refused {
		return errFound
	}
	writePermission(w, p.routes, method, path)
	req.Path = path
	if p.limits != nil {
		writeLimits(w, p.limitsPath, p.limits, req)
	}
	writeCache(w, e, method, query)
	return nil
}

// load parses one document of kind k into p; a document that does not parse
// is an error naming it.
func (p *parsed) load(k kind, path string) error {
	d, err := readDocument(string(k) + ":" + path)
	if err != nil {
		return err
	}
	if _, _, err := p.parse(d); err != nil {
		return fmt.Errorf("%s: invalid %s: %w", path, kindNames[k], err)
	}
	return nil
}

func writeVerdict(w io.Writer, e route.Explanation) {
	res := e.Result
	switch {
	case e.Winner == nil && len(res.Allow) > 0:
		fmt.Fprintf(w, "answer: 405, Allow: %s (routes serve the path, none the method)\n\n", strings.Join(res.Allow, ", "))
		return
	case e.Winner == nil:
		fmt.Fprintf(w, "answer: 404 (no route serves the path)\n\n")
		return
	}
	r := e.Winner
	timeout := res.Timeout().String()
	if !res.ExplicitTimeout() {
		timeout += " (default)"
	}
	fmt.Fprintf(w, "route: %s\n", r.ID)
	switch {
	case r.Composite != nil:
		calls, err := res.Calls(route.Vars{UserID: "user", Tier: "tier", Params: res.Params(e.Path)})
		fmt.Fprintf(w, "  composite of %d calls in parallel, timeout %s:\n", len(r.Composite.Calls), timeout)
		if err != nil {
			fmt.Fprintf(w, "  answer: 400: %v\n", err)
			break
		}
		for i, c := range calls {
			opt := "required"
			if c.Optional {
				opt = "optional"
			}
			fmt.Fprintf(w, "    %-14s %s %s on %s, timeout %s, %s%s\n", c.Key, c.Method, r.Composite.Calls[i].Path, c.Service, c.Timeout, opt, describeShape(r.Composite.Calls[i]))
		}
	case r.GRPC != nil:
		g := r.GRPC
		if g.Method != "" {
			fmt.Fprintf(w, "  gRPC %s on %s (descriptor set %q), timeout %s\n", g.Method, g.Service, g.Descriptors, timeout)
		} else {
			fmt.Fprintf(w, "  gRPC: the google.api.http annotations of %s on %s (descriptor set %q), matched against %s, timeout %s\n",
				g.Annotations, g.Service, g.Descriptors, res.Target(e.Path), timeout)
		}
	default:
		strip := ""
		if s := res.Strip(); s != "" {
			strip = fmt.Sprintf(" (%s stripped)", s)
		}
		fmt.Fprintf(w, "  backend: %s %s%s, timeout %s\n", r.Service, res.Target(e.Path), strip, timeout)
	}
	if ps := res.Params(e.Path); len(ps) > 0 {
		var kv []string
		for _, k := range sortedKeys(ps) {
			kv = append(kv, k+"="+ps[k])
		}
		fmt.Fprintf(w, "  path parameters: %s\n", strings.Join(kv, ", "))
	}
	fmt.Fprintln(w)
}

// describeShape says how a composite call's answer is reshaped, "" when it
// is not.
func describeShape(c route.Call) string {
	var parts []string
	if len(c.Fields) > 0 {
		parts = append(parts, "keeps "+strings.Join(c.Fields, ", "))
	}
	if len(c.Rename) > 0 {
		var kv []string
		for _, k := range sortedKeys(c.Rename) {
			kv = append(kv, k+"→"+c.Rename[k])
		}
		parts = append(parts, "renames "+strings.Join(kv, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, "; ")
}

// writeRules says what the route's request rules and the document's
// address lists do to the request, and reports whether they refuse it.
func writeRules(w io.Writer, t *route.Table, e route.Explanation, ip string) (refused bool) {
	res := e.Result
	if t.HasIPRules() {
		if ok, why := t.AllowsIP(ip); !ok {
			fmt.Fprintf(w, "answer: 403: the route table's address rules refuse %s (%s), before any other step\n", ip, why)
			return true
		}
		fmt.Fprintf(w, "address: the route table's rules let %s through\n", ip)
	}
	if r := e.Winner; r.IP != nil {
		if ok, why := res.AllowsIP(ip); !ok {
			fmt.Fprintf(w, "answer: 403: route %s's address rules refuse %s (%s)\n", r.ID, ip, why)
			return true
		}
		fmt.Fprintf(w, "address: route %s's rules let %s through\n", r.ID, ip)
	}
	if n := res.MaxBodyBytes(); n > 0 {
		fmt.Fprintf(w, "body: at most %d bytes, else 413 before any backend call\n", n)
	}
	if h := res.RequestHeaders(); h != nil {
		fmt.Fprintf(w, "request headers to the backend: %s\n", h.Describe())
	}
	if h := res.ResponseHeaders(); h != nil {
		fmt.Fprintf(w, "response headers to the client: %s\n", h.Describe())
	}
	return false
}

func writePermission(w io.Writer, t *route.Table, method, path string) {
	perm, ok := t.Permission(method, path)
	if !ok {
		fmt.Fprintln(w, "permission: none (any valid token)")
		return
	}
	var need []string
	if len(perm.AnyRole) > 0 {
		need = append(need, "one of the roles "+strings.Join(perm.AnyRole, ", "))
	}
	if len(perm.AllScopes) > 0 {
		need = append(need, "the scopes "+strings.Join(perm.AllScopes, ", "))
	}
	scope := "every method"
	if len(perm.Methods) > 0 {
		scope = strings.Join(perm.Methods, ", ")
	}
	fmt.Fprintf(w, "permission: %s under %s (%s) needs %s; else 403\n", method, perm.Path, scope, strings.Join(need, " and "))
}

func writeLimits(w io.Writer, file string, rules []ratelimit.Rule, req ratelimit.Request) {
	caller := "token subject " + req.Subject
	if req.APIKey != "" {
		caller = "API key " + req.APIKey
	}
	tier := req.Tier
	if tier == "" {
		tier = ratelimit.DefaultTier + " (the default)"
	}
	fmt.Fprintf(w, "limits (%s), for %s at %s, tier %s:\n", file, caller, req.IP, tier)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	var skipped []string
	for _, r := range rules {
		key, ok := r.Applies(req)
		if !ok {
			skipped = append(skipped, fmt.Sprintf("%s (%s)", r.Limit.Name, whyNot(r, req)))
			continue
		}
		mode := "fail closed: 503 when the store is down"
		if r.Limit.FailMode == ratelimit.FailOpen {
			mode = "fail open"
		}
		alg := ""
		if r.Limit.Algorithm == ratelimit.SlidingWindow {
			alg = ", rolling"
		}
		fmt.Fprintf(tw, "  %s\t%d per %s%s, %s\tcounter %s\t%s\n", r.Limit.Name, r.Limit.Requests, windowName(r.Limit), alg, dimensionName(r), key, mode)
	}
	tw.Flush()
	if len(skipped) > 0 {
		fmt.Fprintf(w, "  not counted by: %s\n", strings.Join(skipped, ", "))
	}
	fmt.Fprintln(w)
}

// windowName is a limit's window for people: 1m, 1h, 1d, a calendar month.
func windowName(c ratelimit.Config) string {
	if c.Calendar == ratelimit.Month {
		return "calendar month (UTC)"
	}
	if c.Window%(24*time.Hour) == 0 {
		if c.Window == 24*time.Hour {
			return "day (UTC)"
		}
		return fmt.Sprintf("%dd", c.Window/(24*time.Hour))
	}
	return strings.TrimSuffix(strings.TrimSuffix(c.Window.String(), "0s"), "0m")
}

func dimensionName(r ratelimit.Rule) string {
	switch r.Dimension {
	case ratelimit.Global:
		return "all requests together"
	case ratelimit.IP:
		return "per client IP"
	case ratelimit.APIKey:
		return "per API key"
	case ratelimit.Endpoint:
		return "per caller under " + r.Route
	case ratelimit.Tier:
		return "per caller of tier " + r.Tier
	case ratelimit.Claim:
		s := "per claim " + r.Claim
		if r.Route != "" {
			s += " under " + r.Route
		}
		return s
	}
	return string(r.Dimension)
}

func whyNot(r ratelimit.Rule, req ratelimit.Request) string {
	switch r.Dimension {
	case ratelimit.APIKey:
		return "no API key"
	case ratelimit.Endpoint:
		return "only under " + r.Route
	case ratelimit.Tier:
		return "only tier " + r.Tier
	case ratelimit.Claim:
		if r.Route != "" {
			return "only under " + r.Route
		}
	case ratelimit.IP:
		return "no client address"
	}
	return "does not apply"
}

func writeCache(w io.Writer, e route.Explanation, method string, query url.Values) {
	r := e.Winner
	p, ok := e.Result.CachePolicy()
	switch {
	case r.UserSpecific:
		fmt.Fprintln(w, "cache: never: the route is userSpecific")
		return
	case !ok:
		fmt.Fprintln(w, "cache: no: the route has no cache policy")
		return
	case method != http.MethodGet && method != http.MethodHead:
		fmt.Fprintf(w, "cache: no: only GET and HEAD are cached (the route caches them for %s)\n", p.TTL)
		return
	}
	fmt.Fprintf(w, "cache: yes, fresh for %s", p.TTL)
	if p.StaleIfError > 0 {
		fmt.Fprintf(w, ", then served for %s more when the backend fails", p.StaleIfError)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  key: route %s, service %s, method, path %s", r.ID, r.Service, e.Path)
	if len(p.Query) > 0 {
		q := slices.Sorted(slices.Values(p.Query))
		fmt.Fprintf(w, ", query %s", strings.Join(q, ", "))
	}
	if len(p.Vary) > 0 {
		fmt.Fprintf(w, ", headers %s", strings.Join(p.Vary, ", "))
	}
	fmt.Fprintln(w)
	var dropped []string
	for k := range query {
		if !slices.Contains(p.Query, k) {
			dropped = append(dropped, k)
		}
	}
	if len(dropped) > 0 {
		slices.Sort(dropped)
		fmt.Fprintf(w, "  dropped before the backend (not in the key): query %s\n", strings.Join(dropped, ", "))
	}
	fmt.Fprintln(w, "  the backend receives no identity headers on a cached route")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
