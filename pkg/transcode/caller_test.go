package transcode_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/transcode"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// instances is a mesh.Discoverer of fixed instances.
type instances []mesh.Instance

func (s instances) Discover(context.Context, string) ([]mesh.Instance, error) { return s, nil }

func instanceAt(t *testing.T, id, addr string) mesh.Instance {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := net.LookupPort("tcp", port)
	if err != nil {
		t.Fatal(err)
	}
	return mesh.Instance{ID: id, Address: host, Port: p}
}

// meshTranscoder serves the test set's routes through a mesh client that
// takes the instances in turn, first to last.
func meshTranscoder(t *testing.T, d *transcode.Descriptors, insts ...mesh.Instance) (*transcode.Transcoder, *mesh.Client) {
	t.Helper()
	mc, err := mesh.New(mesh.Config{
		Discoverer:      instances(insts),
		RefreshInterval: time.Hour,
		Policy:          mesh.Policy{LoadBalancer: mesh.RoundRobin},
	})
	if err != nil {
		t.Fatal(err)
	}
	routes, err := d.Routes(svc)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := transcode.New(transcode.Config{Service: "test-service", Descriptors: d, Routes: routes, Caller: mc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, mc
}

// closedAddr is an address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// unavailableBackend answers every call with UNAVAILABLE, as an overloaded
// server does: the request was received.
func unavailableBackend(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(any, grpc.ServerStream) error {
		return status.Error(codes.Unavailable, "overloaded")
	}))
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

// Through the mesh, an instance that refuses connections costs no call: the
// unsent request goes to the other instance, and after five failures the
// dead one is ejected and picked no more.
func TestTranscodeThroughMeshSkipsDeadInstance(t *testing.T) {
	d := loadTestSet(t)
	be := startBackend(t, d)
	dead := instanceAt(t, "dead", closedAddr(t))
	tr, mc := meshTranscoder(t, d, dead, instanceAt(t, "live", be.addr))
	for i := range 20 {
		status, _, body := tr.Transcode(context.Background(), request("POST", "/v1/echo", `{"fString":"x"}`))
		if status != http.StatusOK {
			t.Fatalf("call %d: got %d %s, want 200 (the dead instance's connection refusal retried on the live one)", i+1, status, body)
		}
	}
	if _, _, calls := be.seen(); calls != 20 {
		t.Fatalf("the live instance got %d calls, want 20", calls)
	}
	var row *mesh.Stats
	for _, r := range mc.Snapshot().Rows {
		if r.Instance == "dead" {
			row = &r
		}
	}
	if row == nil || row.Requests != 5 || row.Ejections != 1 {
		t.Fatalf("dead instance: got %+v, want 5 tries and 1 ejection", row)
	}
}

// A request that reached an instance which then failed is retried only for
// a method whose idempotency_level allows it.
func TestTranscodeThroughMeshRetriesIdempotentOnly(t *testing.T) {
	tests := []struct {
		name       string
		idempotent bool
		want       int
	}{
		{"Echo without idempotency_level: the 503 is the answer", false, http.StatusServiceUnavailable},
		{"Echo marked IDEMPOTENT: retried on the other instance", true, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := loadTestSet(t)
			if tt.idempotent {
				d = markIdempotent(t, "Echo")
			}
			be := startBackend(t, d)
			tr, _ := meshTranscoder(t, d, instanceAt(t, "overloaded", unavailableBackend(t)), instanceAt(t, "live", be.addr))
			status, _, body := tr.Transcode(context.Background(), request("POST", "/v1/echo", `{}`))
			if status != tt.want {
				t.Fatalf("got %d %s, want %d", status, body, tt.want)
			}
		})
	}
}

// markIdempotent loads the test set with method of the test service marked
// idempotency_level = IDEMPOTENT.
func markIdempotent(t *testing.T, method string) *transcode.Descriptors {
	t.Helper()
	b, err := os.ReadFile(testSet)
	if err != nil {
		t.Fatal(err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	marked := false
	for _, f := range set.File {
		for _, s := range f.Service {
			if f.GetPackage()+"."+s.GetName() != svc {
				continue
			}
			for _, m := range s.Method {
				if m.GetName() == method {
					if m.Options == nil {
						m.Options = &descriptorpb.MethodOptions{}
					}
					m.Options.IdempotencyLevel = descriptorpb.MethodOptions_IDEMPOTENT.Enum()
					marked = true
				}
			}
		}
	}
	if !marked {
		t.Fatalf("no method %s in %s", method, svc)
	}
	if b, err = proto.Marshal(&set); err != nil {
		t.Fatal(err)
	}
	d, err := transcode.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
