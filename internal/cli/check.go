package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/pkg/ratelimit"
)

// runCheck validates documents offline with the parsers the functions and
// the provider use, then checks them against each other: gRPC routes against
// the descriptor sets given, endpoint limits against the routes, claim
// limits against the authorizer's claim mappings.
func runCheck(_ context.Context, env Env, args []string) error {
	fs := newFlags(env, "check", "[kind:]FILE...\n\n"+
		"FILE is a route table, limits document, authorizer settings, mesh policy (JSON, told apart by\n"+
		"their fields) or a gRPC descriptor set (.pb, .binpb, .protoset; NAME=FILE names the set).\n"+
		"Prefix a file with routes:, limits:, auth:, policy: or descriptors: to name its kind.\n"+
		"Exit status: 0 all valid, 1 a document is invalid, 2 a file cannot be read.")
	quiet := fs.Bool("q", false, "print problems only")
	integration := fs.Duration("integration-timeout", route.APIGatewayTimeout, "API Gateway's integration timeout (portico_api's integration_timeout_ms), which route timeouts must fit behind")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError("name at least one file")
	}
	var docs []document
	for _, f := range files {
		d, err := readDocument(f)
		if err != nil {
			return err
		}
		docs = append(docs, d)
	}
	// Descriptor sets first, so that gRPC routes are checked against them.
	p := parsed{integration: *integration}
	bad := 0
	report := func(d document, summary string, warnings []string, err error) {
		if err != nil {
			bad++
			fmt.Fprintf(env.Stdout, "%s: invalid %s: %s\n", d.path, kindNames[d.kind], err)
			return
		}
		if !*quiet {
			fmt.Fprintf(env.Stdout, "%s: valid %s: %s\n", d.path, kindNames[d.kind], summary)
		}
		for _, w := range warnings {
			fmt.Fprintf(env.Stdout, "%s: warning: %s\n", d.path, w)
		}
	}
	for _, d := range docs {
		if d.kind == kindDescriptors {
			s, w, err := p.parse(d)
			report(d, s, w, err)
		}
	}
	for _, d := range docs {
		if d.kind != kindDescriptors {
			s, w, err := p.parse(d)
			report(d, s, w, err)
		}
	}
	bad += crossCheck(env.Stdout, &p)
	if bad > 0 {
		fmt.Fprintf(env.Stdout, "%d problem(s)\n", bad)
		return errFound
	}
	return nil
}

// crossCheck checks the parsed documents against each other and returns the
// number of errors it printed (warnings do not count).
func crossCheck(w io.Writer, p *parsed) int {
	bad := 0
	if p.routes != nil && len(p.routes.GRPCRoutes()) > 0 {
		if p.descriptors == nil {
			fmt.Fprintf(w, "%s: note: gRPC routes not checked against their descriptor sets; name the sets too (payments=payments.binpb)\n", p.routesPath)
		} else if _, err := p.routes.GRPC(p.descriptors); err != nil {
			bad++
			fmt.Fprintf(w, "%s: invalid route table: %s\n", p.routesPath, strings.TrimPrefix(err.Error(), route.ErrDescriptors.Error()+": "))
		}
	}
	if p.routes != nil && p.limits != nil {
		for _, r := range p.limits {
			if r.Dimension == ratelimit.Endpoint && !routesReach(p.routes, r.Route) {
				fmt.Fprintf(w, "%s: warning: rule %q: no route serves %s or a path below it, so the rule never applies\n", p.limitsPath, r.Limit.Name, r.Route)
			}
		}
	}
	if p.auth != nil && p.limits != nil {
		for _, r := range p.limits {
			if r.Dimension != ratelimit.Claim || strings.EqualFold(r.Claim, ratelimit.SubjectClaim) {
				continue
			}
			if !p.auth.MapsClaim(r.Claim) {
				fmt.Fprintf(w, "%s: warning: rule %q counts per claim %q, which no issuer of %s maps (claimMappings); "+
					"every caller is counted per subject instead\n", p.limitsPath, r.Limit.Name, r.Claim, p.authPath)
			}
		}
	}
	return bad
}

// routesReach reports whether some route of t can serve prefix or a path
// below it.
func routesReach(t *route.Table, prefix string) bool {
	for _, r := range t.Routes() {
		p := r.Match.PathPrefix
		if p == "" {
			p = r.Match.Path
		}
		if under(p, prefix) || under(prefix, p) && r.Match.PathPrefix != "" || strings.Contains(p, "{") && under(literalHead(p), prefix) {
			return true
		}
	}
	return false
}

// under reports whether p is prefix or lies below it, on segment boundaries.
func under(p, prefix string) bool {
	return p == prefix || prefix == "/" || strings.HasPrefix(p, strings.TrimSuffix(prefix, "/")+"/")
}

// literalHead is the path before its first {parameter}.
func literalHead(p string) string {
	if i := strings.Index(p, "/{"); i >= 0 {
		if i == 0 {
			return "/"
		}
		return p[:i]
	}
	return p
}
