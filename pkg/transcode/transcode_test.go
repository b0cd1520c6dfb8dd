package transcode_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/transcode"
	"google.golang.org/grpc/codes"
)

// newTranscoder serves TestService's annotated routes, plus extra, from an
// in-process backend.
func newTranscoder(t *testing.T, extra ...transcode.Route) (*transcode.Transcoder, *backend) {
	t.Helper()
	d := loadTestSet(t)
	be := startBackend(t, d)
	routes, err := d.Routes(svc)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := transcode.New(transcode.Config{
		Service:     "test-service",
		Descriptors: d,
		Routes:      append(routes, extra...),
		Resolver: transcode.ResolverFunc(func(_ context.Context, service string) (string, error) {
			if service != "test-service" {
				return "", errors.New("unknown service " + service)
			}
			return be.addr, nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, be
}

func request(method, target, body string, header ...string) *transcode.Request {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Add(header[i], header[i+1])
	}
	return &transcode.Request{Method: method, Path: u.EscapedPath(), Query: u.Query(), Header: h, Body: []byte(body)}
}

func errorBody(t *testing.T, body []byte) transcode.ErrorBody {
	t.Helper()
	var e transcode.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("got error body %s, want JSON: %v", body, err)
	}
	return e
}

func TestTranscodeUnary(t *testing.T) {
	tr, _ := newTranscoder(t)
	body := `{"fInt64":"42","color":"COLOR_RED","nested":{"name":"n"},"at":"2024-01-02T03:04:05Z","counts":{"a":1}}`
	status, header, got := tr.Transcode(context.Background(), request("POST", "/v1/echo", body))
	if status != http.StatusOK {
		t.Fatalf("got status %d (%s), want 200", status, got)
	}
	assertJSONEqual(t, got, body)
	if ct := header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("got Content-Type %q, want application/json", ct)
	}
	if v := header.Get("Grpc-Metadata-X-Backend"); v != "test" {
		t.Fatalf("got Grpc-Metadata-X-Backend %q, want test", v)
	}
}

func TestTranscodeErrors(t *testing.T) {
	tr, be := newTranscoder(t,
		transcode.Route{Method: "POST", Path: "/v1/wait", RPC: svc + "/Wait"},
		transcode.Route{Method: "POST", Path: "/v1/wait-briefly", RPC: svc + "/Wait", Timeout: 20 * time.Millisecond},
	)
	tests := []struct {
		name       string
		req        *transcode.Request
		timeout    time.Duration
		wantStatus int
		wantCode   codes.Code
		wantMsg    string
		wantDetail string // a detail's @type
		wantCall   bool   // the backend was called
	}{
		{
			name: "not found with details", req: request("GET", "/v1/shelves/1/books/2?missing=true", ""),
			wantStatus: 404, wantCode: codes.NotFound, wantMsg: "shelves/1/books/2 not found",
			wantDetail: "type.googleapis.com/google.rpc.ResourceInfo", wantCall: true,
		},
		{
			name: "deadline exceeded", req: request("POST", "/v1/wait", ""), timeout: 20 * time.Millisecond,
			wantStatus: 504, wantCode: codes.DeadlineExceeded, wantCall: true,
		},
		{
			name: "route timeout", req: request("POST", "/v1/wait-briefly", ""),
			wantStatus: 504, wantCode: codes.DeadlineExceeded, wantCall: true,
		},
		{
			name: "unknown JSON field", req: request("POST", "/v1/echo", `{"bogus":1}`),
			wantStatus: 400, wantCode: codes.InvalidArgument, wantMsg: `unknown field "bogus"`,
		},
		{
			name: "type mismatch", req: request("POST", "/v1/echo", `{"fInt32":"x"}`),
			wantStatus: 400, wantCode: codes.InvalidArgument, wantMsg: "invalid value for int32 field fInt32",
		},
		{
			name: "malformed JSON", req: request("POST", "/v1/echo", `{"fInt32":1`),
			wantStatus: 400, wantCode: codes.InvalidArgument, wantMsg: "invalid JSON body",
		},
		{
			name: "no route", req: request("GET", "/v2/echo", ""),
			wantStatus: 404, wantCode: codes.NotFound, wantMsg: "no route for GET /v2/echo",
		},
		{
			name: "method not allowed", req: request("POST", "/v1/things/t1", ""),
			wantStatus: 405, wantCode: codes.Unimplemented, wantMsg: "method POST not allowed",
		},
		{
			name: "stream fails after messages", req: request("GET", "/v1/things?count=2&failCode=7", ""),
			wantStatus: 403, wantCode: codes.PermissionDenied, wantMsg: "failed after 2 messages", wantCall: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, before := be.seen()
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			status, header, body := tr.Transcode(ctx, tt.req)
			if status != tt.wantStatus {
				t.Fatalf("got status %d (%s), want %d", status, body, tt.wantStatus)
			}
			if ct := header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("got Content-Type %q, want application/json", ct)
			}
			e := errorBody(t, body)
			if codes.Code(e.Code) != tt.wantCode || !strings.Contains(strings.ReplaceAll(e.Message, "\u00a0", " "), tt.wantMsg) {
				t.Fatalf("got code %d message %q, want %d with %q", e.Code, e.Message, tt.wantCode, tt.wantMsg)
			}
			if tt.wantDetail != "" {
				var types []string
				for _, d := range e.Details {
					var any struct {
						Type string `json:"@type"`
					}
					if err := json.Unmarshal(d, &any); err != nil {
						t.Fatal(err)
					}
					types = append(types, any.Type)
				}
				if len(types) != 1 || types[0] != tt.wantDetail {
					t.Fatalf("got details %s, want one %s", e.Details, tt.wantDetail)
				}
			}
			if _, _, after := be.seen(); (after > before) != tt.wantCall {
				t.Fatalf("got backend called %v, want %v", after > before, tt.wantCall)
			}
		})
	}
	if _, header, _ := tr.Transcode(context.Background(), request("POST", "/v1/things/t1", "")); header.Get("Allow") != "DELETE, PATCH" {
		t.Fatalf("got Allow %q, want DELETE, PATCH", header.Get("Allow"))
	}
}

func TestTranscodeBackendUnavailable(t *testing.T) {
	d := loadTestSet(t)
	routes, err := d.Routes(svc)
	if err != nil {
		t.Fatal(err)
	}
	// An address where nothing listens: a listener opened and closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tests := []struct {
		name     string
		resolver transcode.ResolverFunc
	}{
		{"resolver fails", func(context.Context, string) (string, error) { return "", errors.New("mesh: no instances") }},
		{"connection refused", func(context.Context, string) (string, error) { return closed, nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := transcode.New(transcode.Config{Service: "test-service", Descriptors: d, Routes: routes, Resolver: tt.resolver})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			status, _, body := tr.Transcode(context.Background(), request("POST", "/v1/echo", "{}"))
			if status != http.StatusServiceUnavailable {
				t.Fatalf("got status %d (%s), want 503", status, body)
			}
			if e := errorBody(t, body); codes.Code(e.Code) != codes.Unavailable {
				t.Fatalf("got code %d, want %d", e.Code, codes.Unavailable)
			}
		})
	}
}

// TestTranscodeMetadata proves identity and trace headers reach the backend
// as gRPC metadata, other headers do not, and the deadline travels.
func TestTranscodeMetadata(t *testing.T) {
	tr, be := newTranscoder(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	req := request("GET", "/v1/echo/a/b", "",
		"X-User-Id", "u-1", "X-User-Roles", "admin,payer", "X-User-Tier", "pro", "X-User-Name", "Zoë",
		"X-Request-Id", "r-1", "X-Amzn-Trace-Id", "Root=1-abc", "Traceparent", "00-abc-def-01",
		"Authorization", "Bearer secret", "Cookie", "c=1", "Grpc-Timeout", "1S", "Content-Type", "text/plain",
	)
	if status, _, body := tr.Transcode(ctx, req); status != http.StatusOK {
		t.Fatalf("got status %d (%s), want 200", status, body)
	}
	md, seenDeadline, _ := be.seen()
	want := map[string][]string{
		"x-user-id":       {"u-1"},
		"x-user-roles":    {"admin,payer"},
		"x-user-tier":     {"pro"},
		"x-user-name-bin": {"Zoë"},
		"x-request-id":    {"r-1"},
		"x-amzn-trace-id": {"Root=1-abc"},
		"traceparent":     {"00-abc-def-01"},
	}
	for k, v := range want {
		if got := md.Get(k); !reflect.DeepEqual(got, v) {
			t.Errorf("got metadata %s %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"authorization", "cookie"} {
		if got := md.Get(k); got != nil {
			t.Errorf("got metadata %s %q, want none", k, got)
		}
	}
	// gRPC re-bases the deadline on the backend's clock at receipt, so only
	// its presence is checked; without a deadline none must arrive.
	if seenDeadline.IsZero() {
		t.Fatal("got no deadline at the backend, want the caller's")
	}
	if status, _, body := tr.Transcode(context.Background(), req); status != http.StatusOK {
		t.Fatalf("got status %d (%s), want 200", status, body)
	}
	if _, seenDeadline, _ = be.seen(); !seenDeadline.IsZero() {
		t.Fatalf("got backend deadline %v for a call without one, want none", seenDeadline)
	}
}

func TestTranscodeServerStreaming(t *testing.T) {
	tr, _ := newTranscoder(t)
	tests := []struct {
		name, target, accept string
		wantType, wantBody   string
	}{
		{"array", "/v1/things?count=3&prefix=p", "", "application/json",
			`[{"fString":"p0"},{"fInt32":1,"fString":"p1"},{"fInt32":2,"fString":"p2"}]`},
		{"empty array", "/v1/things?count=0", "application/json", "application/json", `[]`},
		{"ndjson", "/v1/things?count=3&prefix=p", "application/x-ndjson", "application/x-ndjson",
			`{"fString":"p0"}` + "\n" + `{"fInt32":1,"fString":"p1"}` + "\n" + `{"fInt32":2,"fString":"p2"}` + "\n"},
		{"ndjson empty", "/v1/things?count=0", "application/x-ndjson", "application/x-ndjson", ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, header, body := tr.Transcode(context.Background(), request("GET", tt.target, "", "Accept", tt.accept))
			if status != http.StatusOK {
				t.Fatalf("got status %d (%s), want 200", status, body)
			}
			if ct := header.Get("Content-Type"); ct != tt.wantType {
				t.Fatalf("got Content-Type %q, want %q", ct, tt.wantType)
			}
			if tt.wantType == "application/json" {
				assertJSONEqual(t, body, tt.wantBody)
				return
			}
			gotLines := strings.SplitAfter(string(body), "\n")
			wantLines := strings.SplitAfter(tt.wantBody, "\n")
			if len(gotLines) != len(wantLines) {
				t.Fatalf("got %q, want %q", body, tt.wantBody)
			}
			for i := range wantLines {
				if wantLines[i] == "" {
					continue
				}
				if !strings.HasSuffix(gotLines[i], "\n") || strings.Contains(strings.TrimSuffix(gotLines[i], "\n"), "\n") {
					t.Fatalf("got line %q, want one JSON document per line", gotLines[i])
				}
				assertJSONEqual(t, []byte(gotLines[i]), wantLines[i])
			}
		})
	}
}

func TestTranscodeStreamLimit(t *testing.T) {
	d := loadTestSet(t)
	be := startBackend(t, d)
	tr, err := transcode.New(transcode.Config{
		Service: "test-service", Descriptors: d,
		Routes:           []transcode.Route{{Method: "GET", Path: "/v1/things", RPC: svc + "/List"}},
		Resolver:         transcode.ResolverFunc(func(context.Context, string) (string, error) { return be.addr, nil }),
		MaxResponseBytes: 100,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	status, _, body := tr.Transcode(context.Background(), request("GET", "/v1/things?count=50&prefix=p", ""))
	if status != http.StatusInternalServerError || !strings.Contains(string(body), "exceeds 100 bytes") {
		t.Fatalf("got status %d (%s), want 500 naming the limit", status, body)
	}
}

func TestNewValidates(t *testing.T) {
	d := loadTestSet(t)
	resolver := transcode.ResolverFunc(func(context.Context, string) (string, error) { return "", nil })
	ok := []transcode.Route{{Method: "POST", Path: "/v1/echo", RPC: svc + "/Echo", Body: "*"}}
	tests := []struct {
		name string
		cfg  transcode.Config
		err  error
	}{
		{"no service", transcode.Config{Descriptors: d, Routes: ok, Resolver: resolver}, transcode.ErrConfig},
		{"no descriptors", transcode.Config{Service: "s", Routes: ok, Resolver: resolver}, transcode.ErrConfig},
		{"no resolver", transcode.Config{Service: "s", Descriptors: d, Routes: ok}, transcode.ErrConfig},
		{"no routes", transcode.Config{Service: "s", Descriptors: d, Resolver: resolver}, transcode.ErrConfig},
		{"negative limit", transcode.Config{Service: "s", Descriptors: d, Routes: ok, Resolver: resolver, MaxResponseBytes: -1}, transcode.ErrConfig},
		{"streaming route", transcode.Config{Service: "s", Descriptors: d, Resolver: resolver,
			Routes: []transcode.Route{{Method: "POST", Path: "/v1/chat", RPC: svc + "/Chat"}}}, transcode.ErrStreaming},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := transcode.New(tt.cfg); !errors.Is(err, tt.err) {
				t.Fatalf("got error %v, want %v", err, tt.err)
			}
		})
	}
}

// assertJSONEqual compares JSON documents by value: protojson varies its
// whitespace on purpose.
func assertJSONEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("test case: invalid JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got %s, want %s", got, want)
	}
}
