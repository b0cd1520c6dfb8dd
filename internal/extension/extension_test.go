package extension_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/extension"
	"github.com/portico-gw/portico/internal/extension/extensiontest"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  extension.Config
		want string // substring of the error; empty: valid
	}{
		{"valid", extension.Config{RuntimeAPI: "127.0.0.1:9001", Name: "portico-mesh"}, ""},
		{"no runtime API", extension.Config{Name: "portico-mesh"}, "AWS_LAMBDA_RUNTIME_API is not set"},
		{"runtime API not host:port", extension.Config{RuntimeAPI: "http://127.0.0.1:9001/", Name: "x"}, "not host:port"},
		{"no name", extension.Config{RuntimeAPI: "127.0.0.1:9001"}, "file name"},
		{"name is a path", extension.Config{RuntimeAPI: "127.0.0.1:9001", Name: "/opt/extensions/x"}, "file name"},
		{"unknown event", extension.Config{RuntimeAPI: "127.0.0.1:9001", Name: "x", Events: []extension.EventType{"INIT"}}, `event "INIT"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// The whole cycle against the in-process API: register (name, events),
// INVOKE with its tracing header, SHUTDOWN with its reason and deadline.
func TestRegisterNextShutdown(t *testing.T) {
	api := extensiontest.Start()
	defer api.Close()
	c, err := extension.New(extension.Config{RuntimeAPI: api.Addr(), Name: "portico-mesh"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Next(ctx); !errors.Is(err, extension.ErrNotRegistered) {
		t.Fatalf("Next before Register: got %v, want ErrNotRegistered", err)
	}
	reg, err := c.Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := extension.Registration{FunctionName: "orders", FunctionVersion: "$LATEST", Handler: "handler.handle", AccountID: "123456789012", ID: extensiontest.ID}
	if reg != want {
		t.Fatalf("got registration %+v, want %+v", reg, want)
	}
	names, events := api.Names()
	if !reflect.DeepEqual(names, []string{"portico-mesh"}) || !reflect.DeepEqual(events, [][]extension.EventType{{extension.Invoke, extension.Shutdown}}) {
		t.Fatalf("got names %v subscribed to %v, want [portico-mesh] to [[INVOKE SHUTDOWN]]", names, events)
	}
	deadline := time.Now().Add(3 * time.Second).Truncate(time.Millisecond)
	sent := []extension.Event{
		{Type: extension.Invoke, DeadlineMs: deadline.UnixMilli(), RequestID: "req-1", InvokedFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:orders",
			Tracing: extension.Tracing{Type: "X-Amzn-Trace-Id", Value: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}},
		{Type: extension.Shutdown, DeadlineMs: deadline.UnixMilli(), ShutdownReason: "spindown"},
	}
	for _, ev := range sent {
		api.Send(ev)
	}
	for i, w := range sent {
		got, err := c.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Fatalf("event %d: got %+v, want %+v", i, got, w)
		}
		if !got.Deadline().Equal(deadline) {
			t.Fatalf("event %d: got deadline %s, want %s", i, got.Deadline(), deadline)
		}
	}
	if p := api.Problems(); len(p) != 0 {
		t.Fatalf("got contract problems %q, want none", p)
	}
}

func TestErrorsReported(t *testing.T) {
	tests := []struct {
		name     string
		report   func(*extension.Client, context.Context, string, error) error
		wantPath string
	}{
		{"init error", (*extension.Client).InitError, "/2020-01-01/extension/init/error"},
		{"exit error", (*extension.Client).ExitError, "/2020-01-01/extension/exit/error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := extensiontest.Start()
			defer api.Close()
			c, _ := extension.New(extension.Config{RuntimeAPI: api.Addr(), Name: "portico-mesh"})
			if err := tt.report(c, context.Background(), "Extension.ConfigInvalid", errors.New("x")); !errors.Is(err, extension.ErrNotRegistered) {
				t.Fatalf("before Register: got %v, want ErrNotRegistered", err)
			}
			if _, err := c.Register(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := tt.report(c, context.Background(), "Extension.ConfigInvalid", errors.New("PORTICO_MESH_NAMESPACE is required")); err != nil {
				t.Fatal(err)
			}
			want := []extensiontest.Report{{Path: tt.wantPath, ErrorType: "Extension.ConfigInvalid", Message: "PORTICO_MESH_NAMESPACE is required"}}
			if got := api.Reports(); !reflect.DeepEqual(got, want) {
				t.Fatalf("got reports %+v, want %+v", got, want)
			}
		})
	}
}

// Answers that break the contract are errors that say what came back.
func TestUnexpectedAnswers(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		call    func(*extension.Client) error
		want    string
		api     bool // the error is an *APIError
	}{
		{
			name: "register refused",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, `{"errorType":"Extension.Forbidden"}`, http.StatusForbidden)
			},
			call: func(c *extension.Client) error { _, err := c.Register(context.Background()); return err },
			want: "answered 403", api: true,
		},
		{
			name:    "register without an identifier",
			handler: func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{}`)) },
			call:    func(c *extension.Client) error { _, err := c.Register(context.Background()); return err },
			want:    "no Lambda-Extension-Identifier header", api: true,
		},
		{
			name: "unknown event type",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set(extension.HeaderID, "id")
				if strings.HasSuffix(r.URL.Path, "/next") {
					w.Write([]byte(`{"eventType":"RESTORE"}`))
				}
			},
			call: func(c *extension.Client) error {
				if _, err := c.Register(context.Background()); err != nil {
					return err
				}
				_, err := c.Next(context.Background())
				return err
			},
			want: `unknown event type "RESTORE"`,
		},
		{
			name: "event not JSON",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set(extension.HeaderID, "id")
				if strings.HasSuffix(r.URL.Path, "/next") {
					w.Write([]byte(`<html>`))
				}
			},
			call: func(c *extension.Client) error {
				if _, err := c.Register(context.Background()); err != nil {
					return err
				}
				_, err := c.Next(context.Background())
				return err
			},
			want: "event is not the expected JSON",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			c, _ := extension.New(extension.Config{RuntimeAPI: strings.TrimPrefix(srv.URL, "http://"), Name: "portico-mesh"})
			err := tt.call(c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			var apiErr *extension.APIError
			if got := errors.As(err, &apiErr); got != tt.api || errors.Is(err, extension.ErrAPI) != tt.api {
				t.Fatalf("got *APIError %v, want %v", got, tt.api)
			}
		})
	}
}

// Next blocks until an event comes, and gives up with its context.
func TestNextFollowsContext(t *testing.T) {
	api := extensiontest.Start()
	defer api.Close()
	c, _ := extension.New(extension.Config{RuntimeAPI: api.Addr(), Name: "portico-mesh"})
	if _, err := c.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
}
