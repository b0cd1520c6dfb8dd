// Package otlp sends Portico's trace segments to an OpenTelemetry collector
// (or the AWS Distro for OpenTelemetry Lambda layer's) over OTLP/HTTP with
// JSON encoding: a trace.Sender, so that the X-Ray segments the gateway and
// the mesh already record reach OpenTelemetry unchanged, with X-Ray-compatible
// trace IDs (trace.W3CTraceID). Set trace.Config.W3C too, so that callees
// get a W3C traceparent beside X-Amzn-Trace-Id.
//
// A segment becomes one span: its ID and parent's, a SERVER span for a
// segment and a CLIENT span for a remote subsegment, the HTTP method, URL,
// client address and status as OpenTelemetry semantic-convention attributes,
// its annotations as attributes, and an error status for a fault. Each span
// is sent when it ends, in one POST bounded by Config.Timeout: in Lambda a
// goroutine left to send later would freeze with the function, so the
// collector should listen on the same host (the ADOT layer's does, on
// localhost:4318).
//
// The package uses only the standard library: the functions' binaries grow by
// this package alone, and the authorizer, which does not trace, not at all.
package otlp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/portico-gw/portico/pkg/trace"
)

// DefaultEndpoint is the OTLP/HTTP endpoint of a collector on this host,
// where the ADOT Lambda layer's listens.
const DefaultEndpoint = "http://localhost:4318"

// TracesPath is the OTLP/HTTP path of traces.
const TracesPath = "/v1/traces"

// Config configures a Sender.
type Config struct {
	// Endpoint is the collector's base URL (OTEL_EXPORTER_OTLP_ENDPOINT):
	// spans go to Endpoint + /v1/traces. Default DefaultEndpoint.
	Endpoint string
	// TracesEndpoint, when set, is the full URL spans go to
	// (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), instead of Endpoint's.
	TracesEndpoint string
	// Service is the service.name resource attribute; default the segment's
	// name.
	Service string
	// Headers are sent with every export, such as an authorization header
	// (OTEL_EXPORTER_OTLP_HEADERS).
	Headers map[string]string
	// Timeout bounds one export. Default 500ms.
	Timeout time.Duration
	// Client sends the exports. Default an http.Client.
	Client *http.Client
}

// Sender exports segments as OTLP spans; it implements trace.Sender.
type Sender struct {
	cfg Config
	url string
}

var _ trace.Sender = (*Sender)(nil)

// New returns a Sender for cfg.
func New(cfg Config) (*Sender, error) {
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 500 * time.Millisecond
	}
	if cfg.Timeout < 0 {
		return nil, errors.New("otlp: Timeout must not be negative")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	target := cfg.TracesEndpoint
	if target == "" {
		target = strings.TrimSuffix(cfg.Endpoint, "/") + TracesPath
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("otlp: endpoint %q: want an http or https URL with a host and no user", target)
	}
	return &Sender{cfg: cfg, url: u.String()}, nil
}

// URL returns where spans are sent.
func (s *Sender) URL() string { return s.url }

// Send implements trace.Sender: it exports seg as one span.
func (s *Sender) Send(seg *trace.Segment) error {
	body, err := json.Marshal(Request(seg, s.cfg.Service))
	if err != nil {
		return fmt.Errorf("otlp: encode span: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("otlp: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range s.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("otlp: export: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("otlp: export: the collector answered %d", resp.StatusCode)
	}
	return nil
}

// The OTLP/JSON encoding of ExportTraceServiceRequest (the OTLP
// specification's JSON mapping: IDs in hex, 64-bit integers as strings,
// enums as numbers).
type (
	// ExportRequest is one export.
	ExportRequest struct {
		ResourceSpans []ResourceSpans `json:"resourceSpans"`
	}
	// ResourceSpans are the spans of one resource.
	ResourceSpans struct {
		Resource   Resource     `json:"resource"`
		ScopeSpans []ScopeSpans `json:"scopeSpans"`
	}
	// Resource describes the service.
	Resource struct {
		Attributes []KeyValue `json:"attributes"`
	}
	// ScopeSpans are the spans of one instrumentation scope.
	ScopeSpans struct {
		Scope Scope  `json:"scope"`
		Spans []Span `json:"spans"`
	}
	// Scope names the instrumentation.
	Scope struct {
		Name string `json:"name"`
	}
	// Span is one span.
	Span struct {
		TraceID           string     `json:"traceId"`
		SpanID            string     `json:"spanId"`
		ParentSpanID      string     `json:"parentSpanId,omitempty"`
		Name              string     `json:"name"`
		Kind              int        `json:"kind"`
		StartTimeUnixNano string     `json:"startTimeUnixNano"`
		EndTimeUnixNano   string     `json:"endTimeUnixNano"`
		Attributes        []KeyValue `json:"attributes,omitempty"`
		Status            *Status    `json:"status,omitempty"`
	}
	// Status is a span's status.
	Status struct {
		Code    int    `json:"code"`
		Message string `json:"message,omitempty"`
	}
	// KeyValue is an attribute.
	KeyValue struct {
		Key   string   `json:"key"`
		Value AnyValue `json:"value"`
	}
	// AnyValue is an attribute's value; one field is set.
	AnyValue struct {
		StringValue *string  `json:"stringValue,omitempty"`
		IntValue    *string  `json:"intValue,omitempty"`
		DoubleValue *float64 `json:"doubleValue,omitempty"`
		BoolValue   *bool    `json:"boolValue,omitempty"`
	}
)

// Span kinds and status codes of OTLP.
const (
	KindServer      = 2
	KindClient      = 3
	StatusCodeError = 2
)

// ScopeName is the instrumentation scope of Portico's spans.
const ScopeName = "github.com/portico-gw/portico/pkg/trace"

// Request is the OTLP export of seg alone; service names the resource
// (empty: the segment's name).
func Request(seg *trace.Segment, service string) ExportRequest {
	if service == "" {
		service = seg.Name
	}
	traceID, _ := trace.W3CTraceID(seg.TraceID)
	sp := Span{
		TraceID: traceID, SpanID: seg.ID, ParentSpanID: seg.ParentID, Name: seg.Name, Kind: KindServer,
		StartTimeUnixNano: nanos(seg.StartTime), EndTimeUnixNano: nanos(seg.EndTime),
	}
	if seg.Namespace == "remote" {
		sp.Kind = KindClient
		sp.Attributes = append(sp.Attributes, str("peer.service", seg.Name))
	}
	if h := seg.HTTP; h != nil {
		if r := h.Request; r != nil {
			if r.Method != "" {
				sp.Attributes = append(sp.Attributes, str("http.request.method", r.Method))
			}
			if r.URL != "" {
				sp.Attributes = append(sp.Attributes, str("url.full", r.URL))
			}
			if r.ClientIP != "" {
				sp.Attributes = append(sp.Attributes, str("client.address", r.ClientIP))
			}
		}
		if r := h.Response; r != nil && r.Status > 0 {
			sp.Attributes = append(sp.Attributes, integer("http.response.status_code", int64(r.Status)))
		}
	}
	keys := make([]string, 0, len(seg.Annotations))
	for k := range seg.Annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if kv, ok := annotation(k, seg.Annotations[k]); ok {
			sp.Attributes = append(sp.Attributes, kv)
		}
	}
	if seg.Fault {
		sp.Status = &Status{Code: StatusCodeError}
		if seg.Cause != nil && len(seg.Cause.Exceptions) > 0 {
			sp.Status.Message = seg.Cause.Exceptions[0].Message
		}
	}
	return ExportRequest{ResourceSpans: []ResourceSpans{{
		Resource:   Resource{Attributes: []KeyValue{str("service.name", service)}},
		ScopeSpans: []ScopeSpans{{Scope: Scope{Name: ScopeName}, Spans: []Span{sp}}},
	}}}
}

func nanos(epoch float64) string {
	if epoch <= 0 {
		return "0"
	}
	return strconv.FormatInt(int64(math.Round(epoch*1e6))*1000, 10)
}

func str(k, v string) KeyValue { return KeyValue{Key: k, Value: AnyValue{StringValue: &v}} }

func integer(k string, v int64) KeyValue {
	s := strconv.FormatInt(v, 10)
	return KeyValue{Key: k, Value: AnyValue{IntValue: &s}}
}

// annotation maps an X-Ray annotation (string, number or bool) to an
// attribute.
func annotation(k string, v any) (KeyValue, bool) {
	switch t := v.(type) {
	case string:
		return str(k, t), true
	case bool:
		return KeyValue{Key: k, Value: AnyValue{BoolValue: &t}}, true
	case int:
		return integer(k, int64(t)), true
	case int64:
		return integer(k, t), true
	case float64:
		return KeyValue{Key: k, Value: AnyValue{DoubleValue: &t}}, true
	}
	return KeyValue{}, false
}
