package transcode_test

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/transcode"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// backend is an in-process gRPC server for TestService built on dynamic
// messages, with no generated code: one handler for every method, chosen
// by name. It records what each call received.
type backend struct {
	addr string
	d    *transcode.Descriptors

	mu       sync.Mutex
	md       metadata.MD
	deadline time.Time
	calls    int
}

func startBackend(t testing.TB, d *transcode.Descriptors) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{addr: ln.Addr().String(), d: d}
	srv := grpc.NewServer(grpc.UnknownServiceHandler(b.handle))
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return b
}

// seen returns the metadata and deadline of the last call.
func (b *backend) seen() (metadata.MD, time.Time, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.md, b.deadline, b.calls
}

func (b *backend) handle(_ any, stream grpc.ServerStream) error {
	ctx := stream.Context()
	name, _ := grpc.MethodFromServerStream(stream)
	md, err := b.d.Method(name)
	if err != nil {
		return status.Errorf(codes.Unimplemented, "no method %s", name)
	}
	in := dynamicpb.NewMessage(md.Input())
	if err := stream.RecvMsg(in); err != nil {
		return err
	}
	b.mu.Lock()
	b.md, _ = metadata.FromIncomingContext(ctx)
	b.deadline, _ = ctx.Deadline()
	b.calls++
	b.mu.Unlock()
	if err := stream.SetHeader(metadata.Pairs("x-backend", "test")); err != nil {
		return err
	}
	field := func(m protoreflect.Message, name string) protoreflect.Value {
		return m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(name)))
	}
	out := dynamicpb.NewMessage(md.Output())
	set := func(name string, v protoreflect.Value) {
		out.Set(out.Descriptor().Fields().ByName(protoreflect.Name(name)), v)
	}
	switch md.Name() {
	case "Echo":
		return stream.SendMsg(in)
	case "Get":
		if field(in, "missing").Bool() {
			st, _ := status.New(codes.NotFound, fmt.Sprintf("%s not found", field(in, "name").String())).
				WithDetails(&errdetails.ResourceInfo{ResourceType: "book", ResourceName: field(in, "name").String()})
			return st.Err()
		}
		set("f_string", field(in, "name"))
		return stream.SendMsg(out)
	case "List":
		count := int(field(in, "count").Int())
		for i := range count {
			set("f_int32", protoreflect.ValueOfInt32(int32(i)))
			set("f_string", protoreflect.ValueOfString(fmt.Sprintf("%s%d", field(in, "prefix").String(), i)))
			if err := stream.SendMsg(out); err != nil {
				return err
			}
		}
		if c := field(in, "fail_code").Int(); c != 0 {
			return status.Errorf(codes.Code(c), "failed after %d messages", count)
		}
		return nil
	case "Wait":
		<-ctx.Done()
		return status.FromContextError(ctx.Err()).Err()
	default:
		return status.Errorf(codes.Unimplemented, "%s not implemented", md.Name())
	}
}
