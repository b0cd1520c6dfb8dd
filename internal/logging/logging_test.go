package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestNewStampsRequestAndTrace(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelInfo).With("fn", "test")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	ctx = context.WithValue(ctx, "x-amzn-trace-id", "Root=1-abc")
	log.InfoContext(ctx, "hello")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("got %q, want one JSON line: %v", buf.String(), err)
	}
	if line["requestId"] != "req-1" || line["traceId"] != "Root=1-abc" || line["fn"] != "test" || line["msg"] != "hello" {
		t.Fatalf("got %v, want requestId, traceId, fn and msg", line)
	}
}
