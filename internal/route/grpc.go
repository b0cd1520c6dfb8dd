package route

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/portico-gw/portico/pkg/transcode"
)

// ErrDescriptors: a gRPC route names a descriptor set that is not known, or
// its method does not fit the set. Errors of Table.GRPC wrap it.
var ErrDescriptors = errors.New("route: gRPC route does not fit its descriptor set")

// GRPC is the gRPC target of a route: the gateway decodes the JSON request
// into the method's request message, calls the backend through the mesh and
// answers with the response in JSON (package pkg/transcode). The descriptor
// set, stored by portico_grpc_descriptors, describes the methods and
// messages; the gateway holds no generated code. Two forms:
//
//	{"id": "payments-charge", "match": {"path": "/api/v1/payments", "methods": ["POST"]},
//	 "grpc": {"service": "payment-grpc-service", "descriptors": "payments",
//	          "method": "payments.v1.PaymentService/Charge", "body": "*"}}
//
//	{"id": "payments", "match": {"pathPrefix": "/api/v1/grpc"}, "stripPrefix": "/api/v1/grpc",
//	 "grpc": {"service": "payment-grpc-service", "descriptors": "payments",
//	          "annotations": "payments.v1.PaymentService"}}
//
// The first binds the route's path and methods to one method; the path's
// {name} segments bind request fields by their proto names. The second serves
// every google.api.http annotation of a proto service: the request path, less
// stripPrefix, is matched against the annotations' templates.
type GRPC struct {
	// Service is the logical (mesh) name of the gRPC backend, found through
	// Cloud Map like any service. Required.
	Service string `json:"service"`
	// Descriptors names the descriptor set that describes the backend: the
	// name of a portico_grpc_descriptors. Required.
	Descriptors string `json:"descriptors"`
	// Method is the gRPC method, "package.Service/Method". The route's
	// match.path (not pathPrefix) and each of its match.methods (at least one)
	// bind to it. Exactly one of Method and Annotations is set.
	Method string `json:"method,omitempty"`
	// Body says where the JSON request body goes: "*" for the whole request
	// message, a top-level field name for that field, or "" for none (query
	// parameters then bind request fields). Only with Method.
	Body string `json:"body,omitempty"`
	// ResponseBody names a top-level response field to answer with instead of
	// the whole message. Only with Method.
	ResponseBody string `json:"responseBody,omitempty"`
	// Annotations names a proto service, such as
	// "payments.v1.PaymentService", whose google.api.http annotations give
	// the route's methods and path templates.
	Annotations string `json:"annotations,omitempty"`
	// AllowUnknownFields ignores unknown JSON fields instead of answering 400
	// naming the field.
	AllowUnknownFields bool `json:"allowUnknownFields,omitempty"`
}

// ValidDescriptorsName reports whether s can name a descriptor set: 1 to 64
// letters, digits, '-', '_' or '.'.
func ValidDescriptorsName(s string) bool { return validID(s, "-_.") }

// validProtoName accepts a dotted proto full name such as payments.v1.PaymentService.
func validProtoName(s string) bool {
	if s == "" || len(s) > 512 {
		return false
	}
	for part := range strings.SplitSeq(s, ".") {
		if !validVariable(part) {
			return false
		}
	}
	return true
}

func (c *compiled) compileGRPC() error {
	r, g := c.Route, c.Route.GRPC
	switch {
	case r.Service != "" || r.Composite != nil:
		return errors.New("set service, composite or grpc, only one")
	case r.Cache != nil:
		return errors.New("cache: a gRPC route is not cached")
	case !validService(g.Service):
		return fmt.Errorf("grpc.service %q: want a service name of letters, digits and '-'", g.Service)
	case !ValidDescriptorsName(g.Descriptors):
		return fmt.Errorf("grpc.descriptors %q: want the name of a descriptor set: 1 to 64 letters, digits, '-', '_' or '.'", g.Descriptors)
	case (g.Method == "") == (g.Annotations == ""):
		return errors.New("grpc: set method or annotations, not both or neither")
	}
	if g.Annotations != "" {
		switch {
		case !validProtoName(g.Annotations):
			return fmt.Errorf("grpc.annotations %q: want a proto service name such as payments.v1.PaymentService", g.Annotations)
		case g.Body != "" || g.ResponseBody != "":
			return errors.New("grpc: body and responseBody come from the annotations; set them only with method")
		}
		return nil
	}
	svc, meth, ok := strings.Cut(strings.TrimPrefix(g.Method, "/"), "/")
	switch {
	case !ok || !validProtoName(svc) || !validVariable(meth):
		return fmt.Errorf("grpc.method %q: want package.Service/Method", g.Method)
	case g.Body != "" && g.Body != "*" && !validVariable(g.Body):
		return fmt.Errorf("grpc.body %q: want \"*\", a field name, or nothing", g.Body)
	case g.ResponseBody != "" && !validVariable(g.ResponseBody):
		return fmt.Errorf("grpc.responseBody %q: want a field name", g.ResponseBody)
	case c.kind == kindPrefix:
		return errors.New("grpc.method: the route needs match.path, the method's path template, not pathPrefix")
	case r.StripPrefix != "":
		return errors.New("stripPrefix: a route with grpc.method matches match.path as it is")
	case len(c.methods) == 0:
		return errors.New("grpc.method: list the HTTP methods that call it in match.methods")
	}
	return nil
}

// GRPCRoutes returns the routes that call gRPC methods, in document order.
func (t *Table) GRPCRoutes() []*Route {
	var out []*Route
	for _, c := range t.routes {
		if c.GRPC != nil {
			out = append(out, c.Route)
		}
	}
	return out
}

// DescriptorSets returns the names of the descriptor sets that t's gRPC routes
// use, sorted.
func (t *Table) DescriptorSets() []string {
	var out []string
	for _, r := range t.GRPCRoutes() {
		if !slices.Contains(out, r.GRPC.Descriptors) {
			out = append(out, r.GRPC.Descriptors)
		}
	}
	slices.Sort(out)
	return out
}

// GRPC checks t's gRPC routes against the descriptor sets, by name, and
// returns each route's transcoding routes by route ID. It refuses a route
// whose set is missing, whose method or annotated service is not in the set,
// or whose method streams requests (transcode.ErrStreaming). Errors wrap
// ErrDescriptors and, where there is one, the transcode error.
func (t *Table) GRPC(sets map[string]*transcode.Descriptors) (map[string][]transcode.Route, error) {
	out := map[string][]transcode.Route{}
	for _, r := range t.GRPCRoutes() {
		g := r.GRPC
		d := sets[g.Descriptors]
		if d == nil {
			return nil, fmt.Errorf("%w: route %q: no descriptor set %q", ErrDescriptors, r.ID, g.Descriptors)
		}
		routes, err := transcodeRoutes(r, d)
		if err != nil {
			return nil, fmt.Errorf("%w: route %q: %w", ErrDescriptors, r.ID, err)
		}
		out[r.ID] = routes
	}
	return out, nil
}

func transcodeRoutes(r *Route, d *transcode.Descriptors) ([]transcode.Route, error) {
	g := r.GRPC
	if g.Annotations != "" {
		routes, err := d.Routes(g.Annotations)
		if err != nil {
			return nil, err
		}
		if len(routes) == 0 {
			return nil, fmt.Errorf("service %s has no google.api.http annotations", g.Annotations)
		}
		for i := range routes {
			routes[i].AllowUnknownFields = g.AllowUnknownFields
		}
		return routes, nil
	}
	var routes []transcode.Route
	for _, m := range r.Match.Methods {
		tr := transcode.Route{
			Method: m, Path: r.Match.Path, RPC: g.Method,
			Body: g.Body, ResponseBody: g.ResponseBody, AllowUnknownFields: g.AllowUnknownFields,
		}
		if err := d.Check(tr); err != nil {
			return nil, err
		}
		routes = append(routes, tr)
	}
	return routes, nil
}
