package transcode

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Route binds an HTTP method and path template to a gRPC method. Routes come
// from google.api.http annotations (Descriptors.Routes) or are declared
// explicitly, such as POST /api/v1/payments →
// payments.v1.PaymentService/Charge with Body "*".
type Route struct {
	// Method is the HTTP method: GET, POST, PUT, PATCH, DELETE or, from a
	// custom annotation, any other token.
	Method string
	// Path is a google.api.http path template, such as
	// /v1/payments/{payment_id} or /v1/{name=shelves/*/books/*}:cancel.
	// Variables name request fields (dotted paths for nested messages) by
	// their proto names.
	Path string
	// RPC is the gRPC method, "package.Service/Method".
	RPC string
	// Body says where the JSON request body goes: "*" for the whole
	// request message, a top-level field name for that field, or "" for no
	// body (a non-empty body is then an error). As in google.api.http, query
	// parameters are bound to request fields unless Body is "*".
	Body string
	// ResponseBody names a top-level response field to answer with instead
	// of the whole response message. Empty means the whole message.
	ResponseBody string
	// AllowUnknownFields makes unknown JSON fields and unknown query
	// parameters ignored. When false an unknown JSON field is a 400 naming
	// it; unknown query parameters are ignored either way, as grpc-gateway
	// does, so that cache-busting or tracking parameters do no harm.
	AllowUnknownFields bool
	// Timeout bounds the gRPC call, within any deadline of the caller's
	// context. Zero means the caller's deadline alone.
	Timeout time.Duration
}

// String returns "METHOD /path → package.Service/Method".
func (r Route) String() string {
	return r.Method + " " + r.Path + " → " + r.RPC
}

// binding is a checked Route, ready to match requests.
type binding struct {
	route     Route
	tmpl      *template
	method    protoreflect.MethodDescriptor
	fullName  string                           // "/package.Service/Method", as gRPC sends it
	vars      [][]protoreflect.FieldDescriptor // per template variable
	body      protoreflect.FieldDescriptor     // nil for "*" or none
	resp      protoreflect.FieldDescriptor     // nil for the whole message
	pathBound map[string]bool                  // field paths bound by the template
	checkIn   bool                             // the request type has required fields to check
	// idempotent: the method's idempotency_level is NO_SIDE_EFFECTS or
	// IDEMPOTENT, so a failed call may be retried on another instance.
	idempotent bool
	// in and out are the plans of the request and response messages when
	// they take the direct path (plan.go); nil when they take the dynamic
	// one.
	in, out *msgPlan
}

// Check reports whether route can be served with these descriptors: a known
// method that is unary or server-streaming (client-streaming and
// bidirectional methods are refused with ErrStreaming), a valid path
// template whose variables name existing singular scalar fields, and Body
// and ResponseBody naming existing top-level fields. Errors wrap
// ErrStreaming, ErrNoMethod or ErrRoute. The provider calls it at plan
// time; New calls it for every route.
func (d *Descriptors) Check(route Route) error {
	_, err := d.bind(route)
	return err
}

func (d *Descriptors) bind(route Route) (*binding, error) {
	md, err := d.Method(route.RPC)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", route, err)
	}
	if md.IsStreamingClient() {
		kind := "client-streaming"
		if md.IsStreamingServer() {
			kind = "bidirectional streaming"
		}
		return nil, fmt.Errorf("route %s: %w: %s is %s", route, ErrStreaming, md.FullName(), kind)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrRoute, route, fmt.Sprintf(format, args...))
	}
	if route.Method == "" || strings.ToUpper(route.Method) != route.Method || strings.ContainsAny(route.Method, " /") {
		return nil, bad("method %q is not an upper-case HTTP method", route.Method)
	}
	tmpl, err := parseTemplate(route.Path)
	if err != nil {
		return nil, bad("%v", err)
	}
	if route.Timeout < 0 {
		return nil, bad("timeout %s is negative", route.Timeout)
	}
	b := &binding{
		route:     route,
		tmpl:      tmpl,
		method:    md,
		fullName:  "/" + string(md.Parent().FullName()) + "/" + string(md.Name()),
		pathBound: map[string]bool{},
		checkIn:   hasRequired(md.Input()),
	}
	if opts, ok := md.Options().(*descriptorpb.MethodOptions); ok {
		b.idempotent = opts.GetIdempotencyLevel() != descriptorpb.MethodOptions_IDEMPOTENCY_UNKNOWN
	}
	in := md.Input()
	for _, v := range tmpl.vars {
		fields, err := fieldPath(in, v.path, false)
		if err != nil {
			return nil, bad("path variable %q: %v", v.path, err)
		}
		leaf := fields[len(fields)-1]
		if leaf.IsList() || leaf.IsMap() || leaf.Kind() == protoreflect.MessageKind && !isScalarWKT(leaf.Message()) {
			return nil, bad("path variable %q: field %s is not a singular scalar", v.path, leaf.FullName())
		}
		b.vars = append(b.vars, fields)
		b.pathBound[v.path] = true
	}
	switch route.Body {
	case "", "*":
	default:
		fd := in.Fields().ByName(protoreflect.Name(route.Body))
		if fd == nil {
			return nil, bad("body field %q is not a field of %s", route.Body, in.FullName())
		}
		b.body = fd
	}
	if route.ResponseBody != "" {
		out := md.Output()
		fd := out.Fields().ByName(protoreflect.Name(route.ResponseBody))
		if fd == nil {
			return nil, bad("response body field %q is not a field of %s", route.ResponseBody, out.FullName())
		}
		b.resp = fd
	}
	return b, nil
}

// fieldPath resolves a dotted field path in md. Path variables use proto
// names; query parameters may also use JSON names (json set).
func fieldPath(md protoreflect.MessageDescriptor, path string, json bool) ([]protoreflect.FieldDescriptor, error) {
	var fields []protoreflect.FieldDescriptor
	for i, name := range strings.Split(path, ".") {
		if md == nil {
			return nil, fmt.Errorf("%s is not a message", fields[i-1].FullName())
		}
		fd := md.Fields().ByName(protoreflect.Name(name))
		if fd == nil && json {
			fd = md.Fields().ByJSONName(name)
		}
		if fd == nil {
			return nil, fmt.Errorf("%s has no field %q", md.FullName(), name)
		}
		if i < strings.Count(path, ".") && (fd.IsList() || fd.IsMap()) {
			return nil, fmt.Errorf("%s is repeated", fd.FullName())
		}
		fields = append(fields, fd)
		md = nil
		if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
			if !isScalarWKT(fd.Message()) {
				md = fd.Message()
			}
		}
	}
	return fields, nil
}
