// Package extension is a client of the AWS Lambda Extensions API, for an
// external extension: a process that Lambda starts from /opt/extensions
// beside the function's runtime, in the same execution environment.
//
// An extension registers during the environment's INIT phase, then asks for
// the next event in a loop. The call to Next blocks (and the environment may
// be frozen) until an invocation starts (an INVOKE event) or the environment
// shuts down (a SHUTDOWN event, after which the extension has until the
// event's deadline to finish). Calling Next also tells Lambda that the
// extension is done with the previous phase: the first call ends its INIT.
//
//	c, err := extension.New(extension.Config{RuntimeAPI: os.Getenv("AWS_LAMBDA_RUNTIME_API"), Name: "portico-mesh"})
//	reg, err := c.Register(ctx)
//	for {
//		ev, err := c.Next(ctx)
//		if ev.Type == extension.Shutdown { ... return }
//	}
package extension

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Paths and headers of the Extensions API (version 2020-01-01).
const (
	registerPath  = "/2020-01-01/extension/register"
	nextPath      = "/2020-01-01/extension/event/next"
	initErrorPath = "/2020-01-01/extension/init/error"
	exitErrorPath = "/2020-01-01/extension/exit/error"

	// HeaderName names the extension when it registers; Lambda requires
	// the file name of its executable in /opt/extensions.
	HeaderName = "Lambda-Extension-Name"
	// HeaderID carries the identifier that registration returns, on every
	// later call.
	HeaderID = "Lambda-Extension-Identifier"
	// HeaderErrorType carries the error type of an init or exit error, in
	// the form Category.Reason, such as Extension.ConfigInvalid.
	HeaderErrorType = "Lambda-Extension-Function-Error-Type"
	// HeaderAcceptFeature asks registration for optional fields.
	HeaderAcceptFeature = "Lambda-Extension-Accept-Feature"
)

// EventType is the type of an event that Next returns.
type EventType string

// The event types an extension may subscribe to.
const (
	// Invoke: an invocation of the function starts.
	Invoke EventType = "INVOKE"
	// Shutdown: the execution environment is shutting down.
	Shutdown EventType = "SHUTDOWN"
)

// maxResponse caps what the client reads of any answer of the API.
const maxResponse = 1 << 20

// Sentinel errors.
var (
	// ErrAPI: the Extensions API answered with an unexpected status; the
	// error is an *APIError.
	ErrAPI = errors.New("extension: Extensions API error")
	// ErrNotRegistered: Next, InitError or ExitError was called before a
	// successful Register.
	ErrNotRegistered = errors.New("extension: not registered")
)

// APIError is an unexpected answer of the Extensions API. It unwraps to
// ErrAPI.
type APIError struct {
	// Op is the call: "register", "next", "init error" or "exit error".
	Op string
	// Status is the HTTP status.
	Status int
	// Body is the start of the answer's body.
	Body string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("extension: %s: Extensions API answered %d: %s", e.Op, e.Status, e.Body)
}

// Unwrap returns ErrAPI.
func (e *APIError) Unwrap() error { return ErrAPI }

// Config configures a Client.
type Config struct {
	// RuntimeAPI is the host:port of the Lambda Runtime API, from the
	// AWS_LAMBDA_RUNTIME_API environment variable. Required.
	RuntimeAPI string
	// Name is the extension's name: the file name of its executable in
	// /opt/extensions. Required.
	Name string
	// Events are the events to subscribe to; default Invoke and Shutdown.
	Events []EventType
	// HTTPClient sends the calls. Default: a client without a timeout (Next
	// blocks until the next event) that never goes through a proxy.
	HTTPClient *http.Client
}

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	if c.RuntimeAPI == "" {
		return errors.New("extension: config: RuntimeAPI is required (AWS_LAMBDA_RUNTIME_API is not set: not running in Lambda?)")
	}
	if _, _, err := net.SplitHostPort(c.RuntimeAPI); err != nil {
		return fmt.Errorf("extension: config: RuntimeAPI %q is not host:port: %w", c.RuntimeAPI, err)
	}
	if c.Name == "" || strings.ContainsAny(c.Name, "/\x00") {
		return fmt.Errorf("extension: config: Name %q must be the executable's file name", c.Name)
	}
	for _, e := range c.Events {
		if e != Invoke && e != Shutdown {
			return fmt.Errorf("extension: config: event %q is not %s or %s", e, Invoke, Shutdown)
		}
	}
	return nil
}

// Client talks to the Extensions API for one extension. Register first;
// then call Next from one goroutine at a time.
type Client struct {
	cfg  Config
	http *http.Client
	id   string
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Events) == 0 {
		cfg.Events = []EventType{Invoke, Shutdown}
	}
	c := &Client{cfg: cfg, http: cfg.HTTPClient}
	if c.http == nil {
		c.http = &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true, MaxIdleConns: 2}}
	}
	return c, nil
}

// Registration is what Lambda tells an extension when it registers.
type Registration struct {
	// FunctionName, FunctionVersion and Handler describe the function.
	FunctionName    string `json:"functionName"`
	FunctionVersion string `json:"functionVersion"`
	Handler         string `json:"handler"`
	// AccountID is the function's account, when Lambda sends it.
	AccountID string `json:"accountId,omitempty"`
	// ID is the extension's identifier for later calls.
	ID string `json:"-"`
}

// Register registers the extension for its events. It must be called during
// INIT, before Next.
func (c *Client) Register(ctx context.Context) (Registration, error) {
	body, _ := json.Marshal(map[string][]EventType{"events": c.cfg.Events})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(registerPath), bytes.NewReader(body))
	if err != nil {
		return Registration{}, fmt.Errorf("extension: register: %w", err)
	}
	req.Header.Set(HeaderName, c.cfg.Name)
	req.Header.Set(HeaderAcceptFeature, "accountId")
	req.Header.Set("Content-Type", "application/json")
	resp, b, err := c.do(req, "register")
	if err != nil {
		return Registration{}, err
	}
	id := resp.Header.Get(HeaderID)
	if id == "" {
		return Registration{}, &APIError{Op: "register", Status: resp.StatusCode, Body: "no " + HeaderID + " header in the answer"}
	}
	var reg Registration
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &reg); err != nil {
			return Registration{}, fmt.Errorf("extension: register: answer is not the expected JSON: %w", err)
		}
	}
	reg.ID = id
	c.id = id
	return reg, nil
}

// Tracing is an invocation's tracing header.
type Tracing struct {
	// Type is "X-Amzn-Trace-Id".
	Type string `json:"type"`
	// Value is the header's value: Root=...;Parent=...;Sampled=...
	Value string `json:"value"`
}

// Event is an INVOKE or SHUTDOWN event.
type Event struct {
	// Type is Invoke or Shutdown.
	Type EventType `json:"eventType"`
	// DeadlineMs is when the invocation times out (INVOKE) or when the
	// extension is stopped (SHUTDOWN), in Unix milliseconds.
	DeadlineMs int64 `json:"deadlineMs"`
	// RequestID is the invocation's request ID (INVOKE).
	RequestID string `json:"requestId,omitempty"`
	// InvokedFunctionARN is the ARN the function was invoked with (INVOKE).
	InvokedFunctionARN string `json:"invokedFunctionArn,omitempty"`
	// Tracing is the invocation's X-Ray header (INVOKE).
	Tracing Tracing `json:"tracing,omitzero"`
	// ShutdownReason is spindown, timeout or failure (SHUTDOWN).
	ShutdownReason string `json:"shutdownReason,omitempty"`
}

// Deadline returns DeadlineMs as a time.
func (e Event) Deadline() time.Time { return time.UnixMilli(e.DeadlineMs) }

// Next blocks until the next event and returns it. The first call ends the
// extension's INIT phase.
func (c *Client) Next(ctx context.Context) (Event, error) {
	if c.id == "" {
		return Event{}, ErrNotRegistered
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(nextPath), nil)
	if err != nil {
		return Event{}, fmt.Errorf("extension: next: %w", err)
	}
	req.Header.Set(HeaderID, c.id)
	_, b, err := c.do(req, "next")
	if err != nil {
		return Event{}, err
	}
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		return Event{}, fmt.Errorf("extension: next: event is not the expected JSON: %w", err)
	}
	if ev.Type != Invoke && ev.Type != Shutdown {
		return Event{}, fmt.Errorf("extension: next: unknown event type %q", ev.Type)
	}
	return ev, nil
}

// InitError reports that the extension failed to initialise; Lambda then
// fails the INIT phase with errorType (Category.Reason, such as
// Extension.ConfigInvalid). Exit after calling it.
func (c *Client) InitError(ctx context.Context, errorType string, cause error) error {
	return c.report(ctx, initErrorPath, "init error", errorType, cause)
}

// ExitError reports that the extension is about to exit because of cause.
func (c *Client) ExitError(ctx context.Context, errorType string, cause error) error {
	return c.report(ctx, exitErrorPath, "exit error", errorType, cause)
}

func (c *Client) report(ctx context.Context, path, op, errorType string, cause error) error {
	if c.id == "" {
		return ErrNotRegistered
	}
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	body, _ := json.Marshal(map[string]any{"errorMessage": msg, "errorType": errorType, "stackTrace": []string{}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(path), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("extension: %s: %w", op, err)
	}
	req.Header.Set(HeaderID, c.id)
	req.Header.Set(HeaderErrorType, errorType)
	req.Header.Set("Content-Type", "application/json")
	_, _, err = c.do(req, op)
	return err
}

func (c *Client) url(path string) string { return "http://" + c.cfg.RuntimeAPI + path }

// do sends req and reads the answer (at most maxResponse bytes); any status
// other than 2xx is an *APIError.
func (c *Client) do(req *http.Request, op string) (*http.Response, []byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("extension: %s: %w", op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, nil, fmt.Errorf("extension: %s: read answer: %w", op, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, nil, &APIError{Op: op, Status: resp.StatusCode, Body: string(b[:min(len(b), 512)])}
	}
	return resp, b, nil
}
