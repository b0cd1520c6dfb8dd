//go:build e2e

package tests

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-gw/portico/localstack/devtoken"
	"github.com/portico-gw/portico/pkg/transcode"
)

// JSON clients reach the demo gRPC payment service (localstack/grpcpay,
// started in process by TestMain and registered in Cloud Map as
// payment-grpc-service) through API Gateway over HTTPS: the aggregator
// translates with the descriptor set portico_grpc_descriptors stored. Routes:
// POST /api/v1/payments → Charge (declared), and /api/v1/grpc/... → the
// service's google.api.http annotations, with a 2 s timeout.

// callJSON sends a JSON body; headers may override its Content-Type.
func callJSON(t *testing.T, method, path, body string, headers map[string]string) answer {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range headers {
		h[k] = v
	}
	return send(t, method, path, strings.NewReader(body), h)
}

// A charge in JSON comes back as the Payment in JSON; the caller's identity
// reached the service as gRPC metadata (x-user-id, which grpcpay records as
// chargedBy), not the X-User-Id the client sent; the payment can be read back
// through an annotated route.
func TestGRPCChargeAndIdentity(t *testing.T) {
	h := with(bearer(token(t, devtoken.Claims{Subject: "user-grpc-1", Roles: []string{"reader"}})), "X-User-Id", "admin")
	a := callJSON(t, "POST", "/api/v1/payments", `{"customerId":"c-1","amount":"1250","currency":"EUR","description":"coffee"}`, h)
	if a.status != http.StatusOK {
		t.Fatalf("got status %d body %s, want 200", a.status, a.body)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("got Content-Type %q, want application/json", ct)
	}
	pay := jsonBody[map[string]any](t, a)
	for k, v := range map[string]any{"customerId": "c-1", "amount": "1250", "currency": "EUR", "status": "PAYMENT_STATUS_SUCCEEDED", "chargedBy": "user-grpc-1"} {
		if pay[k] != v {
			t.Errorf("answer %s: got %v, want %v", k, pay[k], v)
		}
	}
	id, _ := pay["paymentId"].(string)
	if !strings.HasPrefix(id, "pay_") {
		t.Fatalf("got paymentId %v, want pay_…", pay["paymentId"])
	}
	a = call(t, "GET", "/api/v1/grpc/v1/payments/"+id, reader(t, "user-grpc-1"))
	if a.status != http.StatusOK || jsonBody[map[string]any](t, a)["paymentId"] != id {
		t.Fatalf("get: got status %d body %s, want 200 with %s", a.status, a.body, id)
	}
}

// GetPayment of an unknown id is NOT_FOUND: 404 with the gRPC status in JSON.
func TestGRPCNotFound(t *testing.T) {
	a := call(t, "GET", "/api/v1/grpc/v1/payments/pay_999999", reader(t, "user-grpc-2"))
	if a.status != http.StatusNotFound {
		t.Fatalf("got status %d body %s, want 404", a.status, a.body)
	}
	e := jsonBody[transcode.ErrorBody](t, a)
	if e.Code != 5 || e.Message != `payment "pay_999999" not found` {
		t.Fatalf("got code %d message %q, want 5 (NOT_FOUND) with the service's message", e.Code, e.Message)
	}
	if !bytes.Contains(a.body, []byte("type.googleapis.com/google.rpc.ResourceInfo")) {
		t.Errorf("got body %s, want the ResourceInfo detail", a.body)
	}
}

// A charge slower than the route's 2 s timeout is DEADLINE_EXCEEDED: 504;
// invalid JSON is a 400 naming the field, before any call.
func TestGRPCDeadlineAndBadRequest(t *testing.T) {
	h := reader(t, "user-grpc-3")
	a := callJSON(t, "POST", "/api/v1/grpc/v1/payments", `{"customerId":"c-3","amount":1,"currency":"EUR","delay":"5s"}`, h)
	if a.status != http.StatusGatewayTimeout {
		t.Fatalf("slow charge: got status %d body %s, want 504", a.status, a.body)
	}
	if e := jsonBody[transcode.ErrorBody](t, a); e.Code != 4 {
		t.Fatalf("slow charge: got code %d (%s), want 4 (DEADLINE_EXCEEDED)", e.Code, e.Message)
	}
	a = callJSON(t, "POST", "/api/v1/payments", `{"customerId":"c-3","amount":1,"currency":"EUR","tip":5}`, h)
	if e := jsonBody[transcode.ErrorBody](t, a); a.status != http.StatusBadRequest || !strings.Contains(e.Message, `"tip"`) {
		t.Fatalf("unknown field: got status %d body %s, want 400 naming tip", a.status, a.body)
	}
	a = callJSON(t, "POST", "/api/v1/payments", `{"customerId":"c-3","amount":0,"currency":"EUR"}`, h)
	if e := jsonBody[transcode.ErrorBody](t, a); a.status != http.StatusBadRequest || e.Code != 3 {
		t.Fatalf("invalid charge: got status %d body %s, want 400 INVALID_ARGUMENT from the service", a.status, a.body)
	}
}
