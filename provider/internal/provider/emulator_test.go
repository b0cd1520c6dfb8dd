package provider

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestUnquoteAuthorizerTTL(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"id": "a", "authorizerResultTtlInSeconds": "60"}`, `{"id": "a", "authorizerResultTtlInSeconds": 60}`},
		{`{"authorizerResultTtlInSeconds":300}`, `{"authorizerResultTtlInSeconds":300}`},
		{`{"item": [{"authorizerResultTtlInSeconds": "0"}, {"authorizerResultTtlInSeconds": "3600"}]}`,
			`{"item": [{"authorizerResultTtlInSeconds": 0}, {"authorizerResultTtlInSeconds": 3600}]}`},
		{`{"name": "authorizerResultTtlInSeconds"}`, `{"name": "authorizerResultTtlInSeconds"}`},
	}
	for _, tt := range tests {
		if got := string(unquoteAuthorizerTTL([]byte(tt.in))); got != tt.want {
			t.Errorf("unquoteAuthorizerTTL(%s): got %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestFixAuthorizerTTLMiddleware(t *testing.T) {
	stack := middleware.NewStack("test", smithyhttp.NewStackRequest)
	if err := fixAuthorizerTTL(stack); err != nil {
		t.Fatalf("fixAuthorizerTTL: %v", err)
	}
	// The transport: a response with a quoted TTL.
	transport := middleware.HandlerFunc(func(ctx context.Context, in any) (any, middleware.Metadata, error) {
		body := io.NopCloser(strings.NewReader(`{"authorizerResultTtlInSeconds": "60"}`))
		return &smithyhttp.Response{Response: &http.Response{StatusCode: 200, Body: body}}, middleware.Metadata{}, nil
	})
	var seen []byte
	// The deserializer added first sees what fixAuthorizerTTL produced.
	err := stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("read",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if err == nil {
				seen, _ = io.ReadAll(out.RawResponse.(*smithyhttp.Response).Body)
			}
			return out, md, err
		}), middleware.Before)
	if err != nil {
		t.Fatalf("add reader: %v", err)
	}
	h := middleware.DecorateHandler(smithyhttp.NewClientHandler(clientFunc(transport)), stack)
	if _, _, err := h.Handle(context.Background(), struct{}{}); err != nil {
		t.Fatalf("handle: %v", err)
	}
	if want := []byte(`{"authorizerResultTtlInSeconds": 60}`); !bytes.Equal(seen, want) {
		t.Errorf("body: got %s, want %s", seen, want)
	}
}

// clientFunc adapts a handler to smithyhttp.ClientDo.
type clientFunc middleware.HandlerFunc

func (f clientFunc) Do(r *http.Request) (*http.Response, error) {
	out, _, err := middleware.HandlerFunc(f)(r.Context(), nil)
	if err != nil {
		return nil, err
	}
	return out.(*smithyhttp.Response).Response, nil
}
