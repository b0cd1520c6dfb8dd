package transcode_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/portico-gw/portico/pkg/transcode"
	"google.golang.org/grpc/codes"
)

// The gateway's steps at cold start: load the descriptor set the provider
// stored, derive the routes from the annotations (or declare them), and
// build one Transcoder per gRPC backend.
func Example() {
	set, err := os.ReadFile("testdata/test.binpb")
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := transcode.Load(set)
	if err != nil {
		fmt.Println(err)
		return
	}
	routes, err := d.Routes("portico.transcode.test.v1.TestService")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range routes[:3] {
		fmt.Println(r)
	}
	// Plan-time validation refuses methods that stream requests.
	err = d.Check(transcode.Route{Method: "POST", Path: "/v1/chat", RPC: "portico.transcode.test.v1.TestService/Chat", Body: "*"})
	fmt.Println(errors.Is(err, transcode.ErrStreaming))

	tr, err := transcode.New(transcode.Config{
		Service:     "test-service",
		Descriptors: d,
		Routes:      routes,
		Resolver: transcode.ResolverFunc(func(ctx context.Context, service string) (string, error) {
			return "", errors.New("no instances") // the gateway passes the mesh client's Pick
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tr.Close()
	status, _, body := tr.Transcode(context.Background(), &transcode.Request{Method: "POST", Path: "/v1/echo", Body: []byte(`{"fInt32":"x"}`)})
	var e transcode.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(status, codes.Code(e.Code))
	// Output:
	// POST /v1/echo → portico.transcode.test.v1.TestService/Echo
	// GET /v1/echo/{f_string}/{nested.name} → portico.transcode.test.v1.TestService/Echo
	// PUT /v1/echo/{f_int64}/items → portico.transcode.test.v1.TestService/Echo
	// true
	// 400 InvalidArgument
}

func ExampleHTTPStatusFromCode() {
	fmt.Println(transcode.HTTPStatusFromCode(codes.NotFound), transcode.HTTPStatusFromCode(codes.DeadlineExceeded))
	// Output: 404 504
}
