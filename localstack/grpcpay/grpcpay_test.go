package grpcpay

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/transcode"
	"github.com/portico-gw/portico/pkg/transcode/protoset"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

var update = flag.Bool("update", false, "rewrite payments.binpb from proto/")

// TestDescriptorSetUpToDate proves the embedded descriptor set is the
// compilation of the committed .proto; run with -update after editing it.
func TestDescriptorSetUpToDate(t *testing.T) {
	got, err := protoset.Compile(context.Background(), os.DirFS("proto"), "payments/v1/payments.proto")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("payments.binpb", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, descriptorSet) {
		t.Fatal("payments.binpb is not the compilation of proto/payments/v1/payments.proto: run go test ./localstack/grpcpay -run TestDescriptorSetUpToDate -update")
	}
}

// gateway serves the service in process and puts a Transcoder over its
// annotated routes, as the gateway will.
func gateway(t *testing.T) *transcode.Transcoder {
	t.Helper()
	svc, err := newPayments(descriptorSet)
	if err != nil {
		t.Fatal(err)
	}
	svc.now = func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	srv.RegisterService(svc.serviceDesc(), nil)
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)

	d, err := transcode.Load(descriptorSet)
	if err != nil {
		t.Fatal(err)
	}
	routes, err := d.Routes(ServiceName)
	if err != nil {
		t.Fatal(err)
	}
	// The explicit route of issue 8, beside the annotated ones.
	routes = append(routes, transcode.Route{Method: "POST", Path: "/api/v1/payments", RPC: ServiceName + "/Charge", Body: "*"})
	tr, err := transcode.New(transcode.Config{
		Service:     "payment-service",
		Descriptors: d,
		Routes:      routes,
		Resolver: transcode.ResolverFunc(func(context.Context, string) (string, error) {
			return ln.Addr().String(), nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

type answer struct {
	status int
	header http.Header
	body   string
}

func call(t *testing.T, ctx context.Context, tr *transcode.Transcoder, method, target, body string, header ...string) answer {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	status, hdr, b := tr.Transcode(ctx, &transcode.Request{Method: method, Path: u.EscapedPath(), Query: u.Query(), Header: h, Body: []byte(body)})
	return answer{status, hdr, string(b)}
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("got %s, want a JSON object: %v", s, err)
	}
	return m
}

// TestPaymentsThroughTranscoder drives the demo service the way the gateway
// will: JSON in, gRPC to the service, JSON out.
func TestPaymentsThroughTranscoder(t *testing.T) {
	tr := gateway(t)
	ctx := context.Background()

	a := call(t, ctx, tr, "POST", "/api/v1/payments",
		`{"customerId":"c-1","amount":"1250","currency":"EUR","description":"coffee","metadata":{"order":"o-7"}}`,
		"X-User-Id", "u-42")
	if a.status != http.StatusOK {
		t.Fatalf("charge: got status %d (%s), want 200", a.status, a.body)
	}
	pay := decode(t, a.body)
	want := map[string]any{
		"paymentId": "pay_000001", "customerId": "c-1", "amount": "1250", "currency": "EUR", "description": "coffee",
		"metadata": map[string]any{"order": "o-7"}, "status": "PAYMENT_STATUS_SUCCEEDED",
		"createdAt": "2025-01-02T03:04:05Z", "chargedBy": "u-42",
	}
	for k, v := range want {
		if got, _ := json.Marshal(pay[k]); string(got) != string(must(json.Marshal(v))) {
			t.Errorf("charge: got %s %s, want %s", k, got, must(json.Marshal(v)))
		}
	}

	a = call(t, ctx, tr, "GET", "/v1/payments/pay_000001", "")
	if a.status != http.StatusOK || decode(t, a.body)["paymentId"] != "pay_000001" {
		t.Fatalf("get: got status %d (%s), want 200 with pay_000001", a.status, a.body)
	}

	if a = call(t, ctx, tr, "POST", "/v1/payments", `{"customer_id":"c-2","amount":2000000,"currency":"USD"}`); a.status != http.StatusOK {
		t.Fatalf("second charge: got status %d (%s), want 200", a.status, a.body)
	}
	if got := decode(t, a.body)["status"]; got != "PAYMENT_STATUS_DECLINED" {
		t.Fatalf("large charge: got status %v, want PAYMENT_STATUS_DECLINED", got)
	}

	a = call(t, ctx, tr, "GET", "/v1/payments", "")
	var list []map[string]any
	if err := json.Unmarshal([]byte(a.body), &list); err != nil || a.status != http.StatusOK || len(list) != 2 {
		t.Fatalf("list: got status %d (%s), want 200 with a JSON array of 2", a.status, a.body)
	}
	a = call(t, ctx, tr, "GET", "/v1/payments?customerId=c-2", "", "Accept", "application/x-ndjson")
	lines := strings.Split(strings.TrimSuffix(a.body, "\n"), "\n")
	if a.status != http.StatusOK || len(lines) != 1 || decode(t, lines[0])["customerId"] != "c-2" {
		t.Fatalf("list as ndjson: got status %d (%q), want 200 with one line for c-2", a.status, a.body)
	}
}

func TestPaymentsErrors(t *testing.T) {
	tr := gateway(t)
	tests := []struct {
		name         string
		method, path string
		body         string
		timeout      time.Duration
		wantStatus   int
		wantCode     codes.Code
		wantMsg      string
	}{
		{"unknown payment", "GET", "/v1/payments/pay_999999", "", 0, 404, codes.NotFound, `payment "pay_999999" not found`},
		{"deadline", "POST", "/v1/payments", `{"customerId":"c","amount":1,"currency":"EUR","delay":"30s"}`, 50 * time.Millisecond, 504, codes.DeadlineExceeded, ""},
		{"invalid charge", "POST", "/v1/payments", `{"customerId":"c","amount":0,"currency":"eur"}`, 0, 400, codes.InvalidArgument, "invalid charge"},
		{"unknown field", "POST", "/v1/payments", `{"customerId":"c","amount":1,"currency":"EUR","tip":5}`, 0, 400, codes.InvalidArgument, `unknown field "tip"`},
		{"amount not a number", "POST", "/v1/payments", `{"customerId":"c","amount":"ten","currency":"EUR"}`, 0, 400, codes.InvalidArgument, "amount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			a := call(t, ctx, tr, tt.method, tt.path, tt.body)
			if a.status != tt.wantStatus {
				t.Fatalf("got status %d (%s), want %d", a.status, a.body, tt.wantStatus)
			}
			var e transcode.ErrorBody
			if err := json.Unmarshal([]byte(a.body), &e); err != nil {
				t.Fatal(err)
			}
			if codes.Code(e.Code) != tt.wantCode || !strings.Contains(e.Message, tt.wantMsg) {
				t.Fatalf("got code %d message %q, want %d with %q", e.Code, e.Message, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
