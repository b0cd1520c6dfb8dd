package transcode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/portico-gw/portico/pkg/mesh"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Sentinel errors. Errors from Load, Check, Routes and New wrap one of them.
var (
	// ErrDescriptors: a descriptor set cannot be parsed or linked.
	ErrDescriptors = errors.New("transcode: invalid descriptor set")
	// ErrNoMethod: a method or service is not in the descriptor set.
	ErrNoMethod = errors.New("transcode: no such method")
	// ErrStreaming: the method streams requests (client-streaming or
	// bidirectional), which one HTTP request with a JSON body cannot carry.
	ErrStreaming = errors.New("transcode: client-streaming and bidirectional methods cannot be transcoded")
	// ErrRoute: a route is malformed or does not fit its method's messages.
	ErrRoute = errors.New("transcode: invalid route")
	// ErrConfig: a Config is unusable.
	ErrConfig = errors.New("transcode: invalid config")
)

// Resolver finds the address ("host:port") of an instance of a backend,
// given its logical service name. The gateway passes the mesh client's Pick:
//
//	transcode.ResolverFunc(func(ctx context.Context, service string) (string, error) {
//		inst, err := meshClient.Pick(ctx, service)
//		return inst.HostPort(), err
//	})
type Resolver interface {
	Resolve(ctx context.Context, service string) (string, error)
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(ctx context.Context, service string) (string, error)

var _ Resolver = ResolverFunc(nil)

// Resolve calls f.
func (f ResolverFunc) Resolve(ctx context.Context, service string) (string, error) {
	return f(ctx, service)
}

// Caller runs a call on instances of a backend: it chooses the instance,
// and may run try again on another one when a try fails. A *mesh.Client is
// one (mesh.Client.Call): gRPC backends then get the mesh's balancing,
// outlier ejection, per-try timeouts and retries. The transcoder says a call
// is idempotent when its method's idempotency_level option is
// NO_SIDE_EFFECTS or IDEMPOTENT, and a try unsent when the connection to the
// instance could not be made.
type Caller interface {
	Call(ctx context.Context, service string, idempotent bool, try func(ctx context.Context, inst mesh.Instance) mesh.Attempt) error
}

// resolverCaller is a Caller that tries once, on the instance Resolver names.
type resolverCaller struct{ r Resolver }

func (c resolverCaller) Call(ctx context.Context, service string, _ bool, try func(context.Context, mesh.Instance) mesh.Attempt) error {
	addr, err := c.r.Resolve(ctx, service)
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("resolver answered %q: %w", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return fmt.Errorf("resolver answered %q: port: %w", addr, err)
	}
	return try(ctx, mesh.Instance{ID: addr, Address: host, Port: n}).Err
}

// defaultMetadata are the request headers forwarded as gRPC metadata when
// Config.Metadata is nil: the gateway's identity, trace and enrichment
// headers.
var defaultMetadata = []string{
	"X-User-*", "X-Request-Id", "X-Amzn-Trace-Id", "Traceparent", "Tracestate",
	"X-Forwarded-For", "X-Forwarded-Proto", "X-Request-Start",
}

// Config configures a Transcoder for one gRPC backend.
type Config struct {
	// Service is the backend's logical name (its Cloud Map service), passed
	// to Resolver on every call. Required.
	Service string
	// Descriptors hold the backend's methods and messages. Required.
	Descriptors *Descriptors
	// Routes are the HTTP routes served; each must pass
	// Descriptors.Check. At least one is required. When several match a
	// request, the one with more literal path segments wins, then the one
	// with a verb, then the first.
	Routes []Route
	// Caller runs each call on instances of Service. Either Caller or
	// Resolver is required.
	Caller Caller
	// Resolver finds the one instance of Service each call is made to,
	// without retries; for a Caller's balancing and retries, set Caller.
	Resolver Resolver
	// Metadata names the request headers sent as gRPC metadata (lower-cased,
	// as gRPC wants); a trailing "*" matches a prefix. Nil means X-User-*,
	// X-Request-Id, X-Amzn-Trace-Id, Traceparent, Tracestate,
	// X-Forwarded-For, X-Forwarded-Proto and X-Request-Start. A value that is
	// not printable ASCII is sent under the key with "-bin" appended, which
	// gRPC carries base64-encoded. Headers reserved by gRPC (grpc-*,
	// content-type, te, ...) are never sent.
	Metadata []string
	// UseProtoNames writes answers with proto field names (payment_id)
	// instead of lowerCamel JSON names (paymentId). Requests accept both.
	UseProtoNames bool
	// EmitUnpopulated writes fields with zero values in answers, as
	// grpc-gateway does by default. False leaves them out, as protojson does.
	EmitUnpopulated bool
	// MaxResponseBytes bounds the JSON answer of a server-streaming call,
	// whose messages are gathered before answering. Default 5 MiB, under the
	// 6 MB Lambda response limit.
	MaxResponseBytes int
	// DialOptions are added to the options of every connection. The
	// default is plaintext (insecure.NewCredentials), for backends inside
	// the VPC; pass grpc.WithTransportCredentials to use TLS.
	DialOptions []grpc.DialOption
	// Logger receives connection and answer-encoding failures. Nil discards.
	Logger *slog.Logger
}

// Validate reports an unusable configuration. It checks every route.
func (c Config) Validate() error {
	switch {
	case c.Service == "":
		return fmt.Errorf("%w: Service is required", ErrConfig)
	case c.Descriptors == nil:
		return fmt.Errorf("%w: Descriptors is required", ErrConfig)
	case c.Caller == nil && c.Resolver == nil:
		return fmt.Errorf("%w: Caller or Resolver is required", ErrConfig)
	case c.Caller != nil && c.Resolver != nil:
		return fmt.Errorf("%w: set Caller or Resolver, not both", ErrConfig)
	case len(c.Routes) == 0:
		return fmt.Errorf("%w: no Routes", ErrConfig)
	case c.MaxResponseBytes < 0:
		return fmt.Errorf("%w: MaxResponseBytes %d is negative", ErrConfig, c.MaxResponseBytes)
	}
	for _, r := range c.Routes {
		if err := c.Descriptors.Check(r); err != nil {
			return err
		}
	}
	return nil
}

// Transcoder answers HTTP/JSON requests by calling a gRPC backend. It is
// safe for concurrent use; build it once at cold start and Close it when
// done.
type Transcoder struct {
	cfg      Config
	caller   Caller
	log      *slog.Logger
	bindings []*binding
	types    typeChain
	marshal  protojson.MarshalOptions
	maxBytes int

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn // by address

	// Scratch of the direct path, reused across requests.
	writers sync.Pool // of *wireJSON
	readers sync.Pool // of *jsonWire
}

// New returns a Transcoder for cfg.
func New(cfg Config) (*Transcoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Transcoder{
		cfg:      cfg,
		log:      cfg.Logger,
		types:    typeChain{cfg.Descriptors.types},
		maxBytes: cfg.MaxResponseBytes,
		conns:    map[string]*grpc.ClientConn{},
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.caller = cfg.Caller
	if t.caller == nil {
		t.caller = resolverCaller{cfg.Resolver}
	}
	if t.maxBytes == 0 {
		t.maxBytes = 5 << 20
	}
	if t.cfg.Metadata == nil {
		t.cfg.Metadata = defaultMetadata
	}
	t.marshal = protojson.MarshalOptions{
		AllowPartial:    true,
		UseProtoNames:   cfg.UseProtoNames,
		EmitUnpopulated: cfg.EmitUnpopulated,
		Resolver:        t.types,
	}
	plans := planner{}
	for _, r := range cfg.Routes {
		b, err := cfg.Descriptors.bind(r)
		if err != nil {
			return nil, err
		}
		plans.plan(b.method.Input())
		plans.plan(b.method.Output())
		t.bindings = append(t.bindings, b)
	}
	plans.settle()
	for _, b := range t.bindings {
		if p := plans[b.method.Input().FullName()]; p.direct {
			b.in = p
		}
		if p := plans[b.method.Output().FullName()]; p.direct {
			b.out = p
		}
	}
	slices.SortStableFunc(t.bindings, func(a, b *binding) int {
		if a.tmpl.literals != b.tmpl.literals {
			return b.tmpl.literals - a.tmpl.literals
		}
		switch {
		case a.tmpl.verb != "" && b.tmpl.verb == "":
			return -1
		case a.tmpl.verb == "" && b.tmpl.verb != "":
			return 1
		}
		return 0
	})
	return t, nil
}

// Close closes the backend connections.
func (t *Transcoder) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	for addr, cc := range t.conns {
		if err := cc.Close(); err != nil {
			errs = append(errs, fmt.Errorf("transcode: close connection to %s: %w", addr, err))
		}
		delete(t.conns, addr)
	}
	return errors.Join(errs...)
}

// Request is an HTTP request as the gateway has it after routing.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the URL path to match against the routes' templates, after
	// the gateway's prefix stripping, in its escaped form.
	Path string
	// Query holds the query parameters.
	Query url.Values
	// Header holds the request headers, with the gateway's identity and
	// trace headers set; those named by Config.Metadata become gRPC
	// metadata. Accept: application/x-ndjson asks for newline-delimited
	// JSON from a server-streaming method.
	Header http.Header
	// Body is the JSON request body.
	Body []byte
}

// Transcode matches req to a route, decodes it into the method's request
// message, calls the backend and answers with the response in JSON. Every
// failure is an answer: a 400 for a request that does not decode, 404 or
// 405 for one that matches no route, and the grpc-gateway mapping of the
// gRPC status (see HTTPStatusFromCode) with an ErrorBody otherwise. The
// call's deadline is ctx's, narrowed by the route's Timeout, and travels to
// the backend as grpc-timeout.
func (t *Transcoder) Transcode(ctx context.Context, req *Request) (status int, header http.Header, body []byte) {
	b, values, st := t.match(req.Method, req.Path)
	if st != nil {
		status, header, body = t.errorAnswer(st)
		if st.Code() == codes.Unimplemented {
			status = http.StatusMethodNotAllowed
			header.Set("Allow", strings.Join(t.allowed(req.Path), ", "))
		}
		return status, header, body
	}
	in, err := t.request(b, values, req)
	if err != nil {
		return t.errorAnswer(statusOf(codes.InvalidArgument, err))
	}
	if b.route.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.route.Timeout)
		defer cancel()
	}
	ctx = metadata.NewOutgoingContext(ctx, t.metadata(req.Header))
	streaming := b.method.IsStreamingServer()
	ndjson := streaming && strings.Contains(req.Header.Get("Accept"), "application/x-ndjson")
	var (
		md   metadata.MD
		out  wireMessage
		last *grpcstatus.Status // the last try's status; nil if none ran
	)
	err = t.caller.Call(ctx, t.cfg.Service, b.idempotent, func(ctx context.Context, inst mesh.Instance) mesh.Attempt {
		cc, err := t.conn(inst.HostPort())
		if err != nil {
			last = statusOf(codes.Unavailable, err)
			return mesh.Attempt{Err: last.Err(), Failed: true, Unsent: true}
		}
		ctx = t.injectTrace(ctx)
		md = nil
		if streaming {
			body, err = t.stream(ctx, cc, b, &in, ndjson, &md)
		} else {
			err = cc.Invoke(ctx, b.fullName, &in, &out, grpc.Header(&md))
		}
		last = tryStatus(ctx, err)
		return attemptOf(last)
	})
	switch {
	case last == nil: // no instance to try
		return t.errorAnswer(statusOf(ctxCode(ctx, codes.Unavailable), fmt.Errorf("resolve %s: %w", t.cfg.Service, err)))
	case last.Code() != codes.OK:
		return t.errorAnswer(last)
	}
	header = t.answerHeader(md)
	if streaming {
		if ndjson {
			header.Set("Content-Type", "application/x-ndjson")
		}
		return http.StatusOK, header, body
	}
	body, err = t.answer(b, out)
	if err != nil {
		t.log.ErrorContext(ctx, "transcode: encode answer", "rpc", b.route.RPC, "err", err)
		return t.errorAnswer(statusOf(codes.Internal, err))
	}
	return http.StatusOK, header, body
}

// tryStatus is the status of one try's error. A try cut short by the mesh's
// per-try timeout (its context cancelled, the caller's not) is a deadline
// exceeded, not a cancellation.
func tryStatus(ctx context.Context, err error) *grpcstatus.Status {
	if err == nil {
		return grpcstatus.New(codes.OK, "")
	}
	st := grpcstatus.Convert(err)
	if st.Code() == codes.Canceled && errors.Is(context.Cause(ctx), mesh.ErrPerTryTimeout) {
		return grpcstatus.New(codes.DeadlineExceeded, "per-try timeout: "+st.Message())
	}
	return st
}

// attemptOf reports a try's status to the mesh: a status that maps to a
// 5xx counts against the instance, as a 5xx answer does on the HTTP path,
// and gRPC's "Error while dialing" (the connection could not be made, so
// the request was never sent) may go to another instance whatever the
// method. grpc-go says so only in the message; matching it is the one
// choice short of retrying nothing.
func attemptOf(st *grpcstatus.Status) mesh.Attempt {
	if st.Code() == codes.OK {
		return mesh.Attempt{Status: http.StatusOK}
	}
	status := HTTPStatusFromCode(st.Code())
	return mesh.Attempt{
		Err:    st.Err(),
		Status: status,
		Failed: status >= 500,
		Unsent: st.Code() == codes.Unavailable && strings.Contains(st.Message(), "Error while dialing"),
	}
}

// match finds the route for method and path, and the path variables' values.
func (t *Transcoder) match(method, path string) (*binding, []string, *grpcstatus.Status) {
	pathMatched := false
	for _, b := range t.bindings {
		values, ok := b.tmpl.match(path)
		if !ok {
			continue
		}
		if b.route.Method == method {
			return b, values, nil
		}
		pathMatched = true
	}
	if pathMatched {
		return nil, nil, grpcstatus.Newf(codes.Unimplemented, "method %s not allowed for %s", method, path)
	}
	return nil, nil, grpcstatus.Newf(codes.NotFound, "no route for %s %s", method, path)
}

// allowed lists the methods of the routes whose templates match path.
func (t *Transcoder) allowed(path string) []string {
	var methods []string
	for _, b := range t.bindings {
		if _, ok := b.tmpl.match(path); ok && !slices.Contains(methods, b.route.Method) {
			methods = append(methods, b.route.Method)
		}
	}
	slices.Sort(methods)
	return methods
}

// decode builds the request message: body first, then path variables
// (which win over the body), then query parameters.
func (t *Transcoder) decode(b *binding, values []string, req *Request) (*dynamicpb.Message, error) {
	in := dynamicpb.NewMessage(b.method.Input())
	if err := t.decodeBody(b, in, req.Body); err != nil {
		return nil, err
	}
	if err := t.bind(b, in, values, req.Query); err != nil {
		return nil, err
	}
	return in, nil
}

// bind sets path variables and query parameters on the request message
// decoded from the body, then checks its required fields.
func (t *Transcoder) bind(b *binding, in *dynamicpb.Message, values []string, query url.Values) error {
	for i, fields := range b.vars {
		if err := setField(in, fields, values[i:i+1]); err != nil {
			return fmt.Errorf("path parameter %q: %w", b.tmpl.vars[i].path, err)
		}
	}
	if err := bindQuery(b, in, query); err != nil {
		return err
	}
	if b.checkIn {
		if err := proto.CheckInitialized(in); err != nil {
			return fmt.Errorf("incomplete request: %s", protoErr(err))
		}
	}
	return nil
}

// request builds the request message in the wire format: straight from
// the JSON body when the request type takes the direct path (then, when
// path variables or query parameters bind fields or required fields must be
// checked, through a dynamic message for that), else through decode.
func (t *Transcoder) request(b *binding, values []string, req *Request) (wireMessage, error) {
	if b.in == nil {
		in, err := t.decode(b, values, req)
		if err != nil {
			return nil, err
		}
		return codec{}.Marshal(in)
	}
	wire, err := t.bodyWire(b, req.Body)
	if err != nil {
		return nil, err
	}
	if len(b.vars) == 0 && !b.checkIn && (b.route.Body == "*" || len(req.Query) == 0) {
		return wire, nil
	}
	in := dynamicpb.NewMessage(b.method.Input())
	if err := (codec{}).Unmarshal(wire, in); err != nil {
		return nil, fmt.Errorf("invalid JSON body: %s", protoErr(err))
	}
	if err := t.bind(b, in, values, req.Query); err != nil {
		return nil, err
	}
	return codec{}.Marshal(in)
}

// bodyWire is decodeBody's direct path: the JSON body as the wire format of
// the request message.
func (t *Transcoder) bodyWire(b *binding, body []byte) (wireMessage, error) {
	empty := len(bytes.TrimSpace(body)) == 0
	w, _ := t.readers.Get().(*jsonWire)
	if w == nil {
		w = &jsonWire{}
	}
	defer t.readers.Put(w)
	w.reset(body, b.route.AllowUnknownFields, t.types)
	switch {
	case b.route.Body == "":
		if !empty {
			return nil, fmt.Errorf("%s %s takes no request body", b.route.Method, b.route.Path)
		}
		return wireMessage{}, nil
	case empty:
		return wireMessage{}, nil
	case b.route.Body == "*":
		wire, err := w.appendMessage(make([]byte, 0, len(body)), b.in)
		if err != nil {
			return nil, fmt.Errorf("invalid JSON body: %s", err)
		}
		return wire, nil
	}
	wire, err := w.appendField(make([]byte, 0, len(body)+8), b.in.byNum[b.body.Number()])
	if err != nil {
		return nil, fmt.Errorf("invalid JSON body for field %q: %s", b.route.Body, err)
	}
	return wire, nil
}

// answer writes a response message in the wire format as JSON: straight
// from the wire when the response type takes the direct path, else through
// a dynamic message and encode.
func (t *Transcoder) answer(b *binding, wire wireMessage) ([]byte, error) {
	if b.out == nil {
		out := dynamicpb.NewMessage(b.method.Output())
		if err := (codec{}).Unmarshal(wire, out); err != nil {
			return nil, err
		}
		return t.encode(b, out)
	}
	e, _ := t.writers.Get().(*wireJSON)
	if e == nil {
		e = &wireJSON{}
	}
	defer t.writers.Put(e)
	e.reset(t.cfg.UseProtoNames, t.cfg.EmitUnpopulated)
	if b.resp == nil {
		return e.appendMessage(make([]byte, 0, 2*len(wire)+16), b.out, wire)
	}
	return e.appendField(make([]byte, 0, 2*len(wire)+16), b.out, b.out.byNum[b.resp.Number()], wire)
}

// encode writes a response message (or its ResponseBody field) as JSON.
func (t *Transcoder) encode(b *binding, out protoreflect.Message) ([]byte, error) {
	if b.resp == nil {
		return t.marshal.Marshal(out.Interface())
	}
	fd := b.resp
	if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() {
		return t.marshal.Marshal(out.Get(fd).Message().Interface())
	}
	// A scalar, repeated or map field: write the message holding only that
	// field, with unpopulated fields, and take the field's JSON out of it.
	only := dynamicpb.NewMessage(out.Descriptor())
	if out.Has(fd) {
		only.Set(fd, out.Get(fd))
	}
	opts := t.marshal
	opts.EmitUnpopulated = true
	whole, err := opts.Marshal(only)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(whole, &fields); err != nil {
		return nil, err
	}
	name := fd.JSONName()
	if t.marshal.UseProtoNames {
		name = string(fd.Name())
	}
	return fields[name], nil
}

// stream calls a server-streaming method and gathers its messages into a
// JSON array, or newline-delimited JSON.
func (t *Transcoder) stream(ctx context.Context, cc *grpc.ClientConn, b *binding, in *wireMessage, ndjson bool, md *metadata.MD) ([]byte, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, b.fullName, grpc.Header(md))
	if err != nil {
		return nil, err
	}
	if err := s.SendMsg(in); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if err := s.CloseSend(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if !ndjson {
		buf.WriteByte('[')
	}
	var out wireMessage
	var j []byte
	for n := 0; ; n++ {
		err := s.RecvMsg(&out)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		j, err = t.answer(b, out)
		if err != nil {
			return nil, grpcstatus.Errorf(codes.Internal, "encode message %d: %v", n, err)
		}
		if n > 0 && !ndjson {
			buf.WriteByte(',')
		}
		buf.Write(j)
		if ndjson {
			buf.WriteByte('\n')
		}
		if buf.Len() > t.maxBytes {
			return nil, grpcstatus.Errorf(codes.Internal, "stream answer exceeds %d bytes after %d messages", t.maxBytes, n+1)
		}
	}
	if !ndjson {
		buf.WriteByte(']')
	}
	return buf.Bytes(), nil
}

// conn returns the connection to addr, dialling it on first use. gRPC
// reconnects a connection by itself after failures.
func (t *Transcoder) conn(addr string) (*grpc.ClientConn, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cc, ok := t.conns[addr]; ok {
		return cc, nil
	}
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(codec{})),
	}, t.cfg.DialOptions...)
	// The mesh has already chosen the instance: no resolver of gRPC's own.
	cc, err := grpc.NewClient("passthrough:///"+addr, opts...)
	if err != nil {
		t.log.Error("transcode: dial", "addr", addr, "err", err)
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	t.conns[addr] = cc
	return cc, nil
}

// tracePropagator is a Caller that propagates the trace of the call in a
// try's context (a *mesh.Client with a Tracer).
type tracePropagator interface {
	Inject(ctx context.Context, h http.Header)
}

// injectTrace replaces the outgoing trace header metadata with the one of the
// call in ctx, when the Caller traces calls: the backend's segment is then a
// child of the call's subsegment.
func (t *Transcoder) injectTrace(ctx context.Context) context.Context {
	p, ok := t.caller.(tracePropagator)
	if !ok {
		return ctx
	}
	h := http.Header{}
	p.Inject(ctx, h)
	v := h.Get("X-Amzn-Trace-Id")
	if v == "" {
		return ctx
	}
	md, _ := metadata.FromOutgoingContext(ctx)
	md = md.Copy()
	md.Set("x-amzn-trace-id", v)
	return metadata.NewOutgoingContext(ctx, md)
}

// metadata picks the headers to send as gRPC metadata.
func (t *Transcoder) metadata(h http.Header) metadata.MD {
	md := metadata.MD{}
	for k, vs := range h {
		if !t.forwarded(k) {
			continue
		}
		key := strings.ToLower(k)
		if reserved(key) {
			continue
		}
		for _, v := range vs {
			if printable(v) {
				md[key] = append(md[key], v)
			} else {
				md[key+"-bin"] = append(md[key+"-bin"], v)
			}
		}
	}
	return md
}

func (t *Transcoder) forwarded(header string) bool {
	for _, p := range t.cfg.Metadata {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if len(header) >= len(prefix) && strings.EqualFold(header[:len(prefix)], prefix) {
				return true
			}
		} else if strings.EqualFold(header, p) {
			return true
		}
	}
	return false
}

// reserved reports metadata keys that gRPC sets itself.
func reserved(key string) bool {
	switch key {
	case "content-type", "te", "user-agent", "connection", "host", "content-length", "transfer-encoding":
		return true
	}
	return strings.HasPrefix(key, "grpc-") || strings.HasPrefix(key, ":") || strings.HasSuffix(key, "-bin")
}

func printable(s string) bool {
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// answerHeader makes the answer's headers: the JSON content type, and the
// backend's response header metadata as Grpc-Metadata-*, as grpc-gateway
// writes it.
func (t *Transcoder) answerHeader(md metadata.MD) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	for k, vs := range md {
		if reserved(k) {
			continue
		}
		for _, v := range vs {
			h.Add("Grpc-Metadata-"+k, v)
		}
	}
	return h
}

func statusOf(c codes.Code, err error) *grpcstatus.Status {
	return grpcstatus.New(c, err.Error())
}

// ctxCode is the code for a failure: the context's own when it is done.
func ctxCode(ctx context.Context, otherwise codes.Code) codes.Code {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(ctx.Err(), context.Canceled):
		return codes.Canceled
	}
	return otherwise
}

// typeChain resolves message and extension types from the descriptor set
// first, then from the types linked into this program (such as
// google.rpc error details), for Any fields and status details.
type typeChain struct{ local *dynamicpb.Types }

var (
	_ protoregistry.MessageTypeResolver   = typeChain{}
	_ protoregistry.ExtensionTypeResolver = typeChain{}
)

func (c typeChain) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	if mt, err := c.local.FindMessageByName(name); err == nil {
		return mt, nil
	}
	return protoregistry.GlobalTypes.FindMessageByName(name)
}

func (c typeChain) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	if mt, err := c.local.FindMessageByURL(url); err == nil {
		return mt, nil
	}
	return protoregistry.GlobalTypes.FindMessageByURL(url)
}

func (c typeChain) FindExtensionByName(name protoreflect.FullName) (protoreflect.ExtensionType, error) {
	if xt, err := c.local.FindExtensionByName(name); err == nil {
		return xt, nil
	}
	return protoregistry.GlobalTypes.FindExtensionByName(name)
}

func (c typeChain) FindExtensionByNumber(message protoreflect.FullName, field protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	if xt, err := c.local.FindExtensionByNumber(message, field); err == nil {
		return xt, nil
	}
	return protoregistry.GlobalTypes.FindExtensionByNumber(message, field)
}
