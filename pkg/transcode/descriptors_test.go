package transcode_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/portico-gw/portico/pkg/transcode"
	"github.com/portico-gw/portico/pkg/transcode/protoset"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

var update = flag.Bool("update", false, "rewrite testdata/test.binpb from its .proto source")

const (
	testProto = "portico/transcode/test/v1/test.proto"
	testSet   = "testdata/test.binpb"
	svc       = "portico.transcode.test.v1.TestService"
)

// TestDescriptorSetUpToDate proves the committed descriptor set is the
// compilation of the committed .proto; run with -update after editing it.
func TestDescriptorSetUpToDate(t *testing.T) {
	got, err := protoset.Compile(context.Background(), os.DirFS("testdata"), testProto)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(testSet, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(testSet)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not the compilation of testdata/%s: run go test ./pkg/transcode -run TestDescriptorSetUpToDate -update", testSet, testProto)
	}
}

func loadTestSet(t testing.TB) *transcode.Descriptors {
	t.Helper()
	b, err := os.ReadFile(testSet)
	if err != nil {
		t.Fatal(err)
	}
	d, err := transcode.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLoadErrors(t *testing.T) {
	full, err := os.ReadFile(testSet)
	if err != nil {
		t.Fatal(err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(full, &set); err != nil {
		t.Fatal(err)
	}
	var testFile *descriptorpb.FileDescriptorProto
	for _, f := range set.File {
		if f.GetName() == testProto {
			testFile = f
		}
	}
	if testFile == nil {
		t.Fatalf("got no %s in %s, want it", testProto, testSet)
	}
	marshal := func(files ...*descriptorpb.FileDescriptorProto) []byte {
		b, err := proto.Marshal(&descriptorpb.FileDescriptorSet{File: files})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	orphan := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("orphan.proto"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"missing/dep.proto"},
	}
	tests := []struct {
		name string
		set  []byte
		want string // "" means no error
	}{
		{"full set", full, ""},
		// Imports of well-known types and google.api come from the program.
		{"set without its imports", marshal(testFile), ""},
		{"not a descriptor set", []byte("not protobuf at all"), "invalid descriptor set"},
		{"missing import", marshal(orphan), `import "missing/dep.proto" of "orphan.proto" is not in the set`},
		{"file twice", marshal(testFile, testFile), "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := transcode.Load(tt.set)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if got := d.Services(); !slices.Contains(got, svc) {
					t.Fatalf("got services %v, want %s among them", got, svc)
				}
				return
			}
			if !errors.Is(err, transcode.ErrDescriptors) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want ErrDescriptors with %q", err, tt.want)
			}
		})
	}
}

func TestMethod(t *testing.T) {
	d := loadTestSet(t)
	tests := []struct {
		name, want string
		err        error
	}{
		{name: svc + "/Echo", want: svc + ".Echo"},
		{name: "/" + svc + "/List", want: svc + ".List"},
		{name: svc + ".Get", want: svc + ".Get"},
		{name: svc + "/Nope", err: transcode.ErrNoMethod},
		{name: "portico.transcode.test.v1.Everything", err: transcode.ErrNoMethod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md, err := d.Method(tt.name)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("got error %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(md.FullName()) != tt.want {
				t.Fatalf("got %s, want %s", md.FullName(), tt.want)
			}
		})
	}
}

func TestRoutesFromAnnotations(t *testing.T) {
	d := loadTestSet(t)
	got, err := d.Routes(svc)
	if err != nil {
		t.Fatal(err)
	}
	want := []transcode.Route{
		{Method: "POST", Path: "/v1/echo", RPC: svc + "/Echo", Body: "*"},
		{Method: "GET", Path: "/v1/echo/{f_string}/{nested.name}", RPC: svc + "/Echo"},
		{Method: "PUT", Path: "/v1/echo/{f_int64}/items", RPC: svc + "/Echo", Body: "items"},
		{Method: "POST", Path: "/v1/echo/{f_string}:nested", RPC: svc + "/Echo", Body: "nested"},
		{Method: "GET", Path: "/v1/{name=shelves/*/books/*}", RPC: svc + "/Get"},
		{Method: "PATCH", Path: "/v1/things/{id}", RPC: svc + "/Update", Body: "thing", ResponseBody: "thing"},
		{Method: "DELETE", Path: "/v1/things/{id}", RPC: svc + "/Delete"},
		{Method: "GET", Path: "/v1/things", RPC: svc + "/List"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got routes\n%v\nwant\n%v", got, want)
	}
	// Every service: StreamingService annotates a client-streaming method.
	if _, err := d.Routes(); !errors.Is(err, transcode.ErrStreaming) {
		t.Fatalf("got error %v for all services, want ErrStreaming", err)
	}
	if _, err := d.Routes("portico.transcode.test.v1.Nope"); !errors.Is(err, transcode.ErrNoMethod) {
		t.Fatalf("got error %v for an unknown service, want ErrNoMethod", err)
	}
}

func TestCheck(t *testing.T) {
	d := loadTestSet(t)
	tests := []struct {
		name  string
		route transcode.Route
		err   error  // nil means valid
		text  string // in the error
	}{
		{"explicit route", transcode.Route{Method: "POST", Path: "/api/v1/echo", RPC: svc + "/Echo", Body: "*"}, nil, ""},
		{"server streaming", transcode.Route{Method: "GET", Path: "/api/things", RPC: svc + "/List"}, nil, ""},
		{"wildcards and verb", transcode.Route{Method: "POST", Path: "/v1/{name=shelves/*/**}:get", RPC: svc + "/Get"}, nil, ""},
		{"wrapper path variable", transcode.Route{Method: "GET", Path: "/v1/{w_int64}", RPC: svc + "/Echo"}, nil, ""},
		{"client streaming", transcode.Route{Method: "POST", Path: "/v1/upload", RPC: svc + "/Upload", Body: "*"}, transcode.ErrStreaming, "client-streaming"},
		{"bidirectional", transcode.Route{Method: "POST", Path: "/v1/chat", RPC: svc + "/Chat", Body: "*"}, transcode.ErrStreaming, "bidirectional"},
		{"unknown method", transcode.Route{Method: "GET", Path: "/v1/x", RPC: svc + "/Nope"}, transcode.ErrNoMethod, "Nope"},
		{"lower-case method", transcode.Route{Method: "get", Path: "/v1/x", RPC: svc + "/Echo"}, transcode.ErrRoute, "upper-case"},
		{"no leading slash", transcode.Route{Method: "GET", Path: "v1/x", RPC: svc + "/Echo"}, transcode.ErrRoute, "must start with /"},
		{"unterminated variable", transcode.Route{Method: "GET", Path: "/v1/{f_string", RPC: svc + "/Echo"}, transcode.ErrRoute, "unterminated"},
		{"** not last", transcode.Route{Method: "GET", Path: "/v1/**/x", RPC: svc + "/Echo"}, transcode.ErrRoute, `"**" must be the last`},
		{"unknown variable field", transcode.Route{Method: "GET", Path: "/v1/{nope}", RPC: svc + "/Echo"}, transcode.ErrRoute, `no field "nope"`},
		{"message variable", transcode.Route{Method: "GET", Path: "/v1/{nested}", RPC: svc + "/Echo"}, transcode.ErrRoute, "not a singular scalar"},
		{"repeated variable", transcode.Route{Method: "GET", Path: "/v1/{tags}", RPC: svc + "/Echo"}, transcode.ErrRoute, "not a singular scalar"},
		{"variable through repeated", transcode.Route{Method: "GET", Path: "/v1/{items.name}", RPC: svc + "/Echo"}, transcode.ErrRoute, "is repeated"},
		{"variable twice", transcode.Route{Method: "GET", Path: "/v1/{f_string}/{f_string}", RPC: svc + "/Echo"}, transcode.ErrRoute, "bound twice"},
		{"unknown body field", transcode.Route{Method: "POST", Path: "/v1/x", RPC: svc + "/Echo", Body: "nope"}, transcode.ErrRoute, "body field"},
		{"unknown response field", transcode.Route{Method: "POST", Path: "/v1/x", RPC: svc + "/Echo", ResponseBody: "nope"}, transcode.ErrRoute, "response body field"},
		{"negative timeout", transcode.Route{Method: "POST", Path: "/v1/x", RPC: svc + "/Echo", Timeout: -1}, transcode.ErrRoute, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.Check(tt.route)
			if tt.err == nil {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("got error %v, want %v with %q", err, tt.err, tt.text)
			}
		})
	}
}
