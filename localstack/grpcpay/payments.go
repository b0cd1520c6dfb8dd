// Package grpcpay is the demo gRPC payment service,
// payments.v1.PaymentService (see proto/payments/v1/payments.proto), that
// Portico's gateway reaches over gRPC with JSON clients on the other side of
// the transcoder. It is built on dynamic messages over the embedded
// descriptor set, with no generated code. Charge takes a delay field to
// provoke DEADLINE_EXCEEDED; GetPayment answers NOT_FOUND for unknown ids;
// ListPayments streams. Charge records the caller's x-user-id metadata as
// charged_by.
//
// The command localstack/cmd/grpcpay serves it; the end-to-end tests start
// it in process with Serve.
package grpcpay

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	_ "google.golang.org/genproto/googleapis/api/annotations" // for the http option in the descriptor set
)

// ServiceName is the full name of the gRPC service.
const ServiceName = "payments.v1.PaymentService"

// descriptorSet is proto/payments/v1/payments.proto compiled with its
// imports; TestDescriptorSetUpToDate keeps it so.
//
//go:embed payments.binpb
var descriptorSet []byte

// DescriptorSet returns the service's binary FileDescriptorSet, what
// portico_grpc_descriptors stores.
func DescriptorSet() []byte { return bytes.Clone(descriptorSet) }

// Server is an in-memory PaymentService.
type Server struct {
	p *payments
}

// New returns an empty PaymentService. now is the clock of created_at; nil
// means time.Now.
func New(now func() time.Time) (*Server, error) {
	p, err := newPayments(descriptorSet)
	if err != nil {
		return nil, err
	}
	if now != nil {
		p.now = now
	}
	return &Server{p: p}, nil
}

// Register adds the service to g.
func (s *Server) Register(g *grpc.Server) {
	g.RegisterService(s.p.serviceDesc(), nil)
}

// Serve serves the service on ln until ctx is done, then stops gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	g := grpc.NewServer()
	s.Register(g)
	errc := make(chan error, 1)
	go func() { errc <- g.Serve(ln) }()
	select {
	case <-ctx.Done():
		g.GracefulStop()
		return nil
	case err := <-errc:
		if errors.Is(err, grpc.ErrServerStopped) {
			return nil
		}
		return err
	}
}

// declineAbove is the amount above which a charge is declined.
const declineAbove = 1_000_000

// payments is an in-memory PaymentService over dynamic messages.
type payments struct {
	svc                          protoreflect.ServiceDescriptor
	chargeIn, getIn, listIn, pay protoreflect.MessageDescriptor
	now                          func() time.Time

	mu     sync.Mutex
	byID   map[string]*dynamicpb.Message
	order  []string
	nextID int
}

func newPayments(set []byte) (*payments, error) {
	var fds descriptorpb.FileDescriptorSet
	if err := (proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}).Unmarshal(set, &fds); err != nil {
		return nil, fmt.Errorf("descriptor set: %w", err)
	}
	files, err := protodesc.NewFiles(&fds)
	if err != nil {
		return nil, fmt.Errorf("descriptor set: %w", err)
	}
	d, err := files.FindDescriptorByName(ServiceName)
	if err != nil {
		return nil, fmt.Errorf("descriptor set: %w", err)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("descriptor set: %s is not a service", ServiceName)
	}
	p := &payments{svc: sd, now: time.Now, byID: map[string]*dynamicpb.Message{}}
	p.chargeIn = sd.Methods().ByName("Charge").Input()
	p.getIn = sd.Methods().ByName("GetPayment").Input()
	p.listIn = sd.Methods().ByName("ListPayments").Input()
	p.pay = sd.Methods().ByName("Charge").Output()
	return p, nil
}

// serviceDesc describes the service to grpc.Server with handlers that
// decode into dynamic messages.
func (p *payments) serviceDesc() *grpc.ServiceDesc {
	unary := func(name string, in protoreflect.MessageDescriptor, call func(context.Context, *dynamicpb.Message) (*dynamicpb.Message, error)) grpc.MethodHandler {
		return func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			req := dynamicpb.NewMessage(in)
			if err := dec(req); err != nil {
				return nil, err
			}
			if interceptor == nil {
				return call(ctx, req)
			}
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: "/" + ServiceName + "/" + name}
			return interceptor(ctx, req, info, func(ctx context.Context, req any) (any, error) {
				return call(ctx, req.(*dynamicpb.Message))
			})
		}
	}
	return &grpc.ServiceDesc{
		ServiceName: ServiceName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{
			{MethodName: "Charge", Handler: unary("Charge", p.chargeIn, p.charge)},
			{MethodName: "GetPayment", Handler: unary("GetPayment", p.getIn, p.get)},
		},
		Streams: []grpc.StreamDesc{{
			StreamName:    "ListPayments",
			ServerStreams: true,
			Handler: func(_ any, stream grpc.ServerStream) error {
				req := dynamicpb.NewMessage(p.listIn)
				if err := stream.RecvMsg(req); err != nil {
					return err
				}
				return p.list(req, stream)
			},
		}},
		Metadata: p.svc.ParentFile().Path(),
	}
}

func get(m protoreflect.Message, name string) protoreflect.Value {
	return m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(name)))
}

func set(m protoreflect.Message, name string, v protoreflect.Value) {
	m.Set(m.Descriptor().Fields().ByName(protoreflect.Name(name)), v)
}

func (p *payments) charge(ctx context.Context, req *dynamicpb.Message) (*dynamicpb.Message, error) {
	var violations []*errdetails.BadRequest_FieldViolation
	if get(req, "customer_id").String() == "" {
		violations = append(violations, &errdetails.BadRequest_FieldViolation{Field: "customer_id", Description: "required"})
	}
	if get(req, "amount").Int() <= 0 {
		violations = append(violations, &errdetails.BadRequest_FieldViolation{Field: "amount", Description: "must be positive"})
	}
	if c := get(req, "currency").String(); len(c) != 3 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' || c[2] < 'A' || c[2] > 'Z' {
		violations = append(violations, &errdetails.BadRequest_FieldViolation{Field: "currency", Description: "must be an ISO 4217 code such as EUR"})
	}
	if len(violations) > 0 {
		st, err := status.New(codes.InvalidArgument, "invalid charge").WithDetails(&errdetails.BadRequest{FieldViolations: violations})
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, "invalid charge")
		}
		return nil, st.Err()
	}
	if delay := durationOf(get(req, "delay").Message()); delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		case <-t.C:
		}
	}
	pay := dynamicpb.NewMessage(p.pay)
	for _, f := range []string{"customer_id", "amount", "currency", "description"} {
		set(pay, f, get(req, f))
	}
	// The two map fields have distinct entry types: copy the entries.
	meta := pay.Mutable(p.pay.Fields().ByName("metadata")).Map()
	get(req, "metadata").Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		meta.Set(k, v)
		return true
	})
	st := "PAYMENT_STATUS_SUCCEEDED"
	if get(req, "amount").Int() > declineAbove {
		st = "PAYMENT_STATUS_DECLINED"
	}
	statusField := p.pay.Fields().ByName("status")
	pay.Set(statusField, protoreflect.ValueOfEnum(statusField.Enum().Values().ByName(protoreflect.Name(st)).Number()))
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("x-user-id")) > 0 {
		set(pay, "charged_by", protoreflect.ValueOfString(md.Get("x-user-id")[0]))
	}
	created := pay.Mutable(p.pay.Fields().ByName("created_at")).Message()
	ts := timestamppb.New(p.now())
	set(created, "seconds", protoreflect.ValueOfInt64(ts.Seconds))
	set(created, "nanos", protoreflect.ValueOfInt32(ts.Nanos))

	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextID++
	id := fmt.Sprintf("pay_%06d", p.nextID)
	set(pay, "payment_id", protoreflect.ValueOfString(id))
	p.byID[id] = pay
	p.order = append(p.order, id)
	return pay, nil
}

// durationOf reads a (dynamic) google.protobuf.Duration.
func durationOf(m protoreflect.Message) time.Duration {
	d := &durationpb.Duration{Seconds: get(m, "seconds").Int(), Nanos: int32(get(m, "nanos").Int())}
	if d.CheckValid() != nil {
		return 0
	}
	return d.AsDuration()
}

func (p *payments) get(_ context.Context, req *dynamicpb.Message) (*dynamicpb.Message, error) {
	id := get(req, "payment_id").String()
	p.mu.Lock()
	pay, ok := p.byID[id]
	p.mu.Unlock()
	if !ok {
		st, err := status.Newf(codes.NotFound, "payment %q not found", id).
			WithDetails(&errdetails.ResourceInfo{ResourceType: "payments.v1.Payment", ResourceName: id})
		if err != nil {
			return nil, status.Errorf(codes.NotFound, "payment %q not found", id)
		}
		return nil, st.Err()
	}
	return pay, nil
}

func (p *payments) list(req *dynamicpb.Message, stream grpc.ServerStream) error {
	customer := get(req, "customer_id").String()
	limit := int(get(req, "page_size").Int())
	p.mu.Lock()
	var found []*dynamicpb.Message
	for _, id := range p.order {
		pay := p.byID[id]
		if customer != "" && get(pay, "customer_id").String() != customer {
			continue
		}
		found = append(found, pay)
		if limit > 0 && len(found) == limit {
			break
		}
	}
	p.mu.Unlock()
	for _, pay := range found {
		if err := stream.SendMsg(pay); err != nil {
			return err
		}
	}
	return nil
}
