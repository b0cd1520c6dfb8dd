package provider

import (
	"bytes"
	"context"
	"io"
	"regexp"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// quotedTTL matches an authorizer TTL sent as a JSON string.
var quotedTTL = regexp.MustCompile(`("authorizerResultTtlInSeconds"\s*:\s*)"(\d+)"`)

// unquoteAuthorizerTTL turns "authorizerResultTtlInSeconds": "60" into
// "authorizerResultTtlInSeconds": 60.
func unquoteAuthorizerTTL(body []byte) []byte {
	return quotedTTL.ReplaceAll(body, []byte(`$1$2`))
}

// fixAuthorizerTTL is an API Gateway client option for emulators only.
// MiniStack's UpdateAuthorizer applies the JSON Patch value verbatim, so after
// a TTL change it stores and returns authorizerResultTtlInSeconds as a JSON
// string ("60"), and the SDK then fails every UpdateAuthorizer, GetAuthorizer
// and GetAuthorizers call with "expected NullableInteger to be json.Number, got
// string". AWS returns a number. The middleware sits between the transport and
// the SDK's deserializer and rewrites the body before it is parsed.
func fixAuthorizerTTL(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("PorticoFixAuthorizerTTL",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if err != nil {
				return out, md, err
			}
			resp, ok := out.RawResponse.(*smithyhttp.Response)
			if !ok || resp.Body == nil {
				return out, md, err
			}
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr != nil {
				return out, md, rerr
			}
			resp.Body = io.NopCloser(bytes.NewReader(unquoteAuthorizerTTL(body)))
			resp.ContentLength = -1
			return out, md, nil
		}), middleware.After)
}
