package gateway

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/config"
	"github.com/portico-gw/portico/internal/config/live"
	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/localstack/grpcpay"
	"github.com/portico-gw/portico/pkg/transcode"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
)

// grpcRoutes are the demo's gRPC routes: one explicit method, the annotated
// service under a prefix, and a method with a short timeout.
const grpcRoutes = `{
  "version": 1,
  "routes": [
    {"id": "payments-charge", "match": {"path": "/api/v1/payments", "methods": ["POST"]},
     "grpc": {"service": "payment-grpc-service", "descriptors": "payments", "method": "payments.v1.PaymentService/Charge", "body": "*"}},
    {"id": "payments-slow", "match": {"path": "/api/v1/payments/slow", "methods": ["POST"]}, "timeout": "50ms",
     "grpc": {"service": "payment-grpc-service", "descriptors": "payments", "method": "payments.v1.PaymentService/Charge", "body": "*"}},
    {"id": "payments-api", "match": {"pathPrefix": "/api/v1/grpc"}, "stripPrefix": "/api/v1/grpc",
     "grpc": {"service": "payment-grpc-service", "descriptors": "payments", "annotations": "payments.v1.PaymentService"}}
  ]
}`

// payBackend is the demo payment service in process; it records the
// metadata of the last call.
type payBackend struct {
	addr string
	mu   sync.Mutex
	md   metadata.MD
}

func (b *payBackend) lastMD() metadata.MD {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.md
}

func startPayments(t *testing.T) *payBackend {
	t.Helper()
	svc, err := grpcpay.New(func() time.Time { return testNow })
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &payBackend{addr: ln.Addr().String()}
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		b.mu.Lock()
		b.md = md
		b.mu.Unlock()
		return next(ctx, req)
	}))
	svc.Register(srv)
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return b
}

// grpcSnapshot builds the configuration of grpcRoutes, as the aggregator
// does, with the payment service at addr.
func grpcSnapshot(t *testing.T, addr string) *config.Snapshot {
	t.Helper()
	src := &live.Memory{}
	src.Put(statetable.RoutesKey, []byte(grpcRoutes))
	src.Put(statetable.DescriptorsKey("payments"), grpcpay.DescriptorSet())
	b := config.NewBuilder(config.SnapshotConfig{Transcoding: transcode.Config{
		Resolver: transcode.ResolverFunc(func(_ context.Context, service string) (string, error) {
			if service != "payment-grpc-service" || addr == "" {
				return "", fmt.Errorf("no instances of %s", service)
			}
			return addr, nil
		}),
	}})
	snap, err := b.Build(context.Background(), src, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(snap.Release)
	return snap
}

// grpcHandler serves grpcRoutes with the payment service at addr.
func grpcHandler(t *testing.T, addr string, logs *bytes.Buffer) *Handler {
	t.Helper()
	cfg := Config{
		Configuration: grpcSnapshot(t, addr), Transport: services{},
		Now:   func() time.Time { return testNow },
		NewID: func() string { return "11111111-2222-4333-8444-555555555555" },
	}
	if logs != nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// A JSON client reaches the gRPC payment service through the gateway: the
// charge is decoded with protojson semantics, the caller's identity arrives
// as metadata (the client's own X-User-Id does not), and the answer is JSON.
func TestGRPCRouteCharge(t *testing.T) {
	b := startPayments(t)
	var logs bytes.Buffer
	h := grpcHandler(t, b.addr, &logs)
	ev := event("POST", "/api/v1/payments", map[string][]string{
		"Content-Type":    {"application/json"},
		"X-User-Id":       {"admin"},
		"X-Amzn-Trace-Id": {"Root=1-5759e988-bd862e3fe1be46a994272793"},
		"Cookie":          {"session=secret"},
	})
	ev.Body = `{"customerId":"c-1","amount":"1250","currency":"EUR","metadata":{"order":"o-7"}}`
	resp, _ := h.Handle(context.Background(), ev)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d body %s, want 200", resp.StatusCode, resp.Body)
	}
	pay := decode[map[string]any](t, resp.Body)
	want := map[string]any{"paymentId": "pay_000001", "customerId": "c-1", "amount": "1250", "status": "PAYMENT_STATUS_SUCCEEDED",
		"chargedBy": "user-123", "createdAt": "2026-11-25T12:00:00Z"}
	for k, v := range want {
		if pay[k] != v {
			t.Errorf("answer %s: got %v, want %v", k, pay[k], v)
		}
	}
	if got := resp.MultiValueHeaders["Content-Type"]; len(got) != 1 || got[0] != "application/json" {
		t.Errorf("got Content-Type %q, want application/json", got)
	}
	md := b.lastMD()
	wantMD := map[string]string{
		"x-user-id": "user-123", "x-user-roles": "admin,reader", "x-request-id": "11111111-2222-4333-8444-555555555555",
		"x-amzn-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793", "x-forwarded-for": "203.0.113.7",
	}
	for k, v := range wantMD {
		if got := md.Get(k); len(got) != 1 || got[0] != v {
			t.Errorf("backend metadata %s: got %q, want exactly [%q]", k, got, v)
		}
	}
	if got := md.Get("cookie"); len(got) != 0 {
		t.Errorf("backend metadata cookie: got %q, want none (only identity and trace headers travel)", got)
	}
	for _, s := range []string{`"route":"payments-charge"`, `"service":"payment-grpc-service"`, `"status":200`} {
		if !strings.Contains(logs.String(), s) {
			t.Errorf("got access log %s, want %s", logs.String(), s)
		}
	}
}

// Errors map as grpc-gateway does, with the gRPC status as a JSON body.
func TestGRPCRouteErrors(t *testing.T) {
	b := startPayments(t)
	h := grpcHandler(t, b.addr, nil)
	tests := []struct {
		name       string
		method     string
		path, body string
		wantStatus int
		wantCode   codes.Code
		wantMsg    string
		wantDetail string // in the body
	}{
		{"not found", "GET", "/api/v1/grpc/v1/payments/pay_999999", "", 404, codes.NotFound, `payment "pay_999999" not found`, "google.rpc.ResourceInfo"},
		{"invalid argument", "POST", "/api/v1/payments", `{"customerId":"c","amount":0,"currency":"EUR"}`, 400, codes.InvalidArgument, "invalid charge", "google.rpc.BadRequest"},
		{"unknown JSON field", "POST", "/api/v1/payments", `{"customerId":"c","amount":1,"currency":"EUR","tip":5}`, 400, codes.InvalidArgument, `unknown field "tip"`, ""},
		{"malformed JSON", "POST", "/api/v1/payments", `{"customerId":`, 400, codes.InvalidArgument, "", ""},
		{"route timeout", "POST", "/api/v1/payments/slow", `{"customerId":"c","amount":1,"currency":"EUR","delay":"30s"}`, 504, codes.DeadlineExceeded, "", ""},
		{"no annotation for the path", "GET", "/api/v1/grpc/v2/other", "", 404, codes.NotFound, "no route", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event(tt.method, tt.path, nil)
			ev.Body = tt.body
			resp, _ := h.Handle(context.Background(), ev)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("got status %d body %s, want %d", resp.StatusCode, resp.Body, tt.wantStatus)
			}
			e := decode[transcode.ErrorBody](t, resp.Body)
			if codes.Code(e.Code) != tt.wantCode || !strings.Contains(e.Message, tt.wantMsg) {
				t.Fatalf("got code %d message %q, want %d with %q", e.Code, e.Message, tt.wantCode, tt.wantMsg)
			}
			if !strings.Contains(resp.Body, tt.wantDetail) {
				t.Errorf("got body %s, want the detail %s", resp.Body, tt.wantDetail)
			}
			if got := resp.MultiValueHeaders["X-Request-Id"]; len(got) != 1 {
				t.Errorf("got X-Request-Id %q, want the request's id", got)
			}
		})
	}
}

// The function's deadline bounds a gRPC call like any backend call: a
// deadline already inside the margin answers 504 without calling.
func TestGRPCRouteFunctionDeadline(t *testing.T) {
	b := startPayments(t)
	h := grpcHandler(t, b.addr, nil)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(DefaultDeadlineMargin/2))
	defer cancel()
	ev := event("POST", "/api/v1/payments", nil)
	ev.Body = `{"customerId":"c","amount":1,"currency":"EUR"}`
	resp, _ := h.Handle(ctx, ev)
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("got status %d body %s, want 504", resp.StatusCode, resp.Body)
	}
	if md := b.lastMD(); md != nil {
		t.Fatalf("got a backend call with metadata %v, want none", md)
	}
}

func TestGRPCRouteUnavailable(t *testing.T) {
	tests := []struct {
		name string
		h    func(t *testing.T) *Handler
	}{
		{"no instances", func(t *testing.T) *Handler { return grpcHandler(t, "", nil) }},
		{"no transcoders", func(t *testing.T) *Handler {
			tbl, err := route.Parse([]byte(grpcRoutes))
			if err != nil {
				t.Fatal(err)
			}
			h, err := New(Config{Configuration: config.Fixed(tbl, nil), Transport: http.DefaultTransport, Now: func() time.Time { return testNow }})
			if err != nil {
				t.Fatal(err)
			}
			return h
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := tt.h(t).Handle(context.Background(), event("GET", "/api/v1/grpc/v1/payments/pay_1", nil))
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("got status %d body %s, want 503", resp.StatusCode, resp.Body)
			}
		})
	}
}
