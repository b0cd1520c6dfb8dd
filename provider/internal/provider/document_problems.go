package provider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/ratelimit"
)

// The aggregator's parsers (route.Parse, ratelimit.ParseDocument,
// mesh.ParsePolicy) stop at a document's first problem. At plan time the
// provider reports every problem at once, one per route, rule or policy
// part, each naming what it is about, so that a document with several
// mistakes takes one plan to fix rather than one plan per mistake. It does so
// by running the same parsers on each part of the document alone (and on each
// pair of routes for precedence ties), so the rules stay the aggregator's.

// problem is one thing wrong with a document: Subject names the route, rule
// or part ("" for the document as a whole).
type problem struct {
	Subject string
	Message string
}

func (p problem) String() string {
	if p.Subject == "" {
		return p.Message
	}
	return p.Subject + ": " + p.Message
}

// splitDocument decodes doc as a JSON object and returns its member list,
// the elements of the array member list, and the object without it (an
// empty list in its place), for checking the parts one by one.
func splitDocument(doc, list string) (items []json.RawMessage, shell map[string]json.RawMessage, err error) {
	if err := json.Unmarshal([]byte(doc), &shell); err != nil {
		return nil, nil, err
	}
	if raw, ok := shell[list]; ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, nil, fmt.Errorf("%s: want a JSON array: %w", list, err)
		}
	}
	shell[list] = json.RawMessage("[]")
	return items, shell, nil
}

// withItems is shell with its list member set to items.
func withItems(shell map[string]json.RawMessage, list string, items ...json.RawMessage) []byte {
	doc := make(map[string]json.RawMessage, len(shell))
	for k, v := range shell {
		doc[k] = v
	}
	b, _ := json.Marshal(items)
	doc[list] = b
	out, _ := json.Marshal(doc)
	return out
}

// memberString is the string member key of a JSON object, or "".
func memberString(raw json.RawMessage, key string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	var s string
	_ = json.Unmarshal(m[key], &s)
	return s
}

var routePrefix = regexp.MustCompile(`^routes\[\d+\]( \(id "(?:[^"\\]|\\.)*"\))?: `)

// routeDocumentProblems parses a route document and returns its table, or
// nil and every problem of the document: one per invalid route, one per
// duplicated id, one per pair of routes that tie, and the document's own.
func routeDocumentProblems(doc string) (*route.Table, []problem) {
	t, err := route.Parse([]byte(doc))
	if err == nil {
		return t, nil
	}
	whole := problem{Message: trimRouteError(err)}
	items, shell, serr := splitDocument(doc, "routes")
	if serr != nil {
		return nil, []problem{whole}
	}
	var problems []problem
	if _, err := route.Parse(withItems(shell, "routes")); err != nil {
		problems = append(problems, problem{Message: trimRouteError(err)})
		// Check the routes against a valid document around them, keeping the
		// version header when it is the only good part.
		probe := map[string]json.RawMessage{"version": json.RawMessage(fmt.Sprint(route.FormatVersion))}
		if vh, ok := shell["versionHeader"]; ok {
			probe["versionHeader"] = vh
			if _, err := route.Parse(withItems(probe, "routes")); err != nil {
				delete(probe, "versionHeader")
			}
		}
		shell = probe
	}
	subject := func(i int, id string) string {
		if id == "" {
			return fmt.Sprintf("routes[%d]", i)
		}
		return fmt.Sprintf("routes[%d] (id %q)", i, id)
	}
	var valid []json.RawMessage
	firstOf := map[string]int{}
	for i, raw := range items {
		id := memberString(raw, "id")
		if _, err := route.Parse(withItems(shell, "routes", raw)); err != nil {
			problems = append(problems, problem{Subject: subject(i, id), Message: routePrefix.ReplaceAllString(trimRouteError(err), "")})
			continue
		}
		if j, dup := firstOf[id]; dup {
			problems = append(problems, problem{Subject: subject(i, id), Message: fmt.Sprintf("id %q is also the id of routes[%d]", id, j)})
			continue
		}
		firstOf[id] = i
		valid = append(valid, raw)
	}
	if _, err := route.Parse(withItems(shell, "routes", valid...)); err != nil {
		ties := 0
		for i := range valid {
			for j := i + 1; j < len(valid); j++ {
				if _, err := route.Parse(withItems(shell, "routes", valid[i], valid[j])); err != nil {
					ties++
					// The message names both routes.
					problems = append(problems, problem{Message: trimRouteError(err)})
				}
			}
		}
		if ties == 0 {
			problems = append(problems, problem{Message: trimRouteError(err)})
		}
	}
	if len(problems) == 0 {
		problems = append(problems, whole)
	}
	return nil, problems
}

func trimRouteError(err error) string {
	return strings.TrimPrefix(err.Error(), route.ErrInvalid.Error()+": ")
}

var rulePrefix = regexp.MustCompile(`^(ratelimit: config: )?limits document: rule \d+( \("(?:[^"\\]|\\.)*"\))?: (ratelimit: config: )?`)

// limitsDocumentProblems returns every problem of a limits document: one per
// invalid rule, one per duplicated name, and the document's own.
func limitsDocumentProblems(doc string) []problem {
	_, err := ratelimit.ParseDocument([]byte(doc))
	if err == nil {
		return nil
	}
	whole := problem{Message: trimLimitsError(err)}
	items, shell, serr := splitDocument(doc, "rules")
	if serr != nil {
		return []problem{whole}
	}
	var problems []problem
	if _, err := ratelimit.ParseDocument(withItems(shell, "rules")); err != nil {
		problems = append(problems, problem{Message: trimLimitsError(err)})
		shell = map[string]json.RawMessage{"version": json.RawMessage("1")}
	}
	firstOf := map[string]int{}
	for i, raw := range items {
		name := memberString(raw, "name")
		subject := fmt.Sprintf("rule %d (%q)", i, name)
		if _, err := ratelimit.ParseDocument(withItems(shell, "rules", raw)); err != nil {
			msg := rulePrefix.ReplaceAllString(err.Error(), "")
			msg = strings.TrimPrefix(msg, name+": ")
			problems = append(problems, problem{Subject: subject, Message: msg})
			continue
		}
		if j, dup := firstOf[name]; dup {
			problems = append(problems, problem{Subject: subject, Message: fmt.Sprintf("name %q is also the name of rule %d", name, j)})
			continue
		}
		firstOf[name] = i
	}
	if len(problems) == 0 {
		problems = append(problems, whole)
	}
	return problems
}

func trimLimitsError(err error) string {
	return strings.TrimPrefix(err.Error(), ratelimit.ErrConfig.Error()+": ")
}

// policyProblems returns every problem of a mesh traffic policy: a JSON
// problem alone (nothing else can be checked), else one per invalid part:
// the balancer, each version weight sum, each route, the fault, retry,
// outlier and pool settings.
func policyProblems(doc string) []problem {
	_, err := mesh.ParsePolicy([]byte(doc))
	if err == nil {
		return nil
	}
	whole := problem{Message: trimPolicyError(err)}
	var p mesh.Policy
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if dec.Decode(&p) != nil {
		return []problem{whole} // a JSON problem: ParsePolicy says where
	}
	parts := []struct {
		subject string
		policy  mesh.Policy
	}{
		{"loadBalancer", mesh.Policy{LoadBalancer: p.LoadBalancer}},
		{"versions", mesh.Policy{Versions: p.Versions}},
		{"fault", mesh.Policy{Fault: p.Fault}},
		{"retry", mesh.Policy{Retry: p.Retry}},
		{"outlier", mesh.Policy{Outlier: p.Outlier}},
		{"pool", mesh.Policy{Pool: p.Pool}},
	}
	for i, r := range p.Routes {
		parts = append(parts, struct {
			subject string
			policy  mesh.Policy
		}{fmt.Sprintf("routes[%d]", i), mesh.Policy{Routes: []mesh.Route{r}}})
	}
	var problems []problem
	for _, part := range parts {
		if err := part.policy.Validate(); err != nil {
			msg := trimPolicyError(err)
			msg = strings.TrimPrefix(msg, "routes[0]: ")
			msg = strings.TrimPrefix(msg, part.subject+": ")
			problems = append(problems, problem{Subject: part.subject, Message: msg})
		}
	}
	if len(problems) == 0 {
		problems = append(problems, whole)
	}
	return problems
}

func trimPolicyError(err error) string {
	msg := err.Error()
	for {
		trimmed := strings.TrimPrefix(msg, mesh.ErrPolicy.Error()+": ")
		if trimmed == msg {
			return msg
		}
		msg = trimmed
	}
}

// errProblems turns problems into one error, for code paths (apply) that
// report a single diagnostic.
func errProblems(problems []problem) error {
	var errs []error
	for _, p := range problems {
		errs = append(errs, errors.New(p.String()))
	}
	return errors.Join(errs...)
}
