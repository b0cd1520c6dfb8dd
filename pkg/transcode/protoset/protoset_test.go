package protoset_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/portico-gw/portico/pkg/transcode"
	"github.com/portico-gw/portico/pkg/transcode/protoset"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

const greeter = `syntax = "proto3";
package greet.v1;
import "google/api/annotations.proto";
import "google/protobuf/timestamp.proto";
import "greet/v1/types.proto";
service Greeter {
  rpc Hello(HelloRequest) returns (HelloReply) {
    option (google.api.http) = {get: "/v1/hello/{name}"};
  }
}
message HelloReply { string text = 1; google.protobuf.Timestamp at = 2; }
`

const types = `syntax = "proto3";
package greet.v1;
message HelloRequest { string name = 1; }
`

func TestCompile(t *testing.T) {
	src := fstest.MapFS{
		"greet/v1/greeter.proto": {Data: []byte(greeter)},
		"greet/v1/types.proto":   {Data: []byte(types)},
	}
	b, err := protoset.Compile(context.Background(), src, "greet/v1/greeter.proto")
	if err != nil {
		t.Fatal(err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range set.File {
		names = append(names, f.GetName())
		if f.SourceCodeInfo != nil {
			t.Errorf("got source info in %s, want none", f.GetName())
		}
	}
	// Dependencies first, each once, imports included.
	want := []string{
		"google/api/http.proto", "google/protobuf/descriptor.proto", "google/api/annotations.proto",
		"google/protobuf/timestamp.proto", "greet/v1/types.proto", "greet/v1/greeter.proto",
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("got files %v, want %v", names, want)
	}
	again, err := protoset.Compile(context.Background(), src, "greet/v1/greeter.proto")
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(b) {
		t.Fatal("got different bytes from a second compilation, want deterministic output")
	}
	d, err := transcode.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	routes, err := d.Routes()
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) != 1 || routes[0].Path != "/v1/hello/{name}" {
		t.Fatalf("got routes %v, want GET /v1/hello/{name}", routes)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   fstest.MapFS
		files []string
		want  string
	}{
		{"no files", fstest.MapFS{}, nil, "no files"},
		{"missing file", fstest.MapFS{}, []string{"a.proto"}, "a.proto"},
		{"syntax error", fstest.MapFS{"a.proto": {Data: []byte("syntax = \"proto3\";\nmessage {")}}, []string{"a.proto"}, "a.proto:2:"},
		{"missing import", fstest.MapFS{"a.proto": {Data: []byte(`syntax = "proto3"; import "b.proto";`)}}, []string{"a.proto"}, "b.proto"},
		{"unknown type", fstest.MapFS{"a.proto": {Data: []byte(`syntax = "proto3"; message A { B b = 1; }`)}}, []string{"a.proto"}, "unknown type B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := protoset.Compile(context.Background(), tt.src, tt.files...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one with %q", err, tt.want)
			}
		})
	}
}

func ExampleCompile() {
	src := fstest.MapFS{"hello.proto": {Data: []byte(`syntax = "proto3";
package hello.v1;
import "google/api/annotations.proto";
message Greeting { string name = 1; }
service Hello {
  rpc Greet(Greeting) returns (Greeting) {
    option (google.api.http) = {post: "/v1/greet" body: "*"};
  }
}`)}}
	set, err := protoset.Compile(context.Background(), src, "hello.proto")
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := transcode.Load(set)
	if err != nil {
		fmt.Println(err)
		return
	}
	routes, err := d.Routes()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(routes[0])
	// Output: POST /v1/greet → hello.v1.Hello/Greet
}
