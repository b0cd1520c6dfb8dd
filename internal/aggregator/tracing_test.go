package aggregator

import (
	"log/slog"
	"strings"
	"testing"
)

func TestTracingFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want TracingMode
		err  string
	}{
		{"nothing", nil, TracingOff, ""},
		{"the X-Ray daemon", map[string]string{"AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000"}, TracingXRay, ""},
		{"otlp", map[string]string{"PORTICO_TRACING": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"}, TracingOTLP, ""},
		{"otlp to the default collector", map[string]string{"PORTICO_TRACING": "otlp"}, TracingOTLP, ""},
		{"off despite the daemon", map[string]string{"PORTICO_TRACING": "off", "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000"}, TracingOff, ""},
		{"a bad endpoint", map[string]string{"PORTICO_TRACING": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "", "PORTICO_TRACING=otlp"},
		{"an unknown mode", map[string]string{"PORTICO_TRACING": "zipkin"}, "", `PORTICO_TRACING "zipkin"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"PORTICO_NAMESPACE": "ns", "PORTICO_TABLE": "t"}
			for k, v := range tt.env {
				env[k] = v
			}
			e, err := ParseEnv(func(k string) string { return env[k] })
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error naming %q", err, tt.err)
				}
				return
			}
			if err != nil || e.Tracing.Mode != tt.want {
				t.Fatalf("got %q, %v; want %q", e.Tracing.Mode, err, tt.want)
			}
		})
	}
}

// The OTLP tracer propagates W3C trace context and names its service.
func TestOTLPTracer(t *testing.T) {
	tr, err := newTracer(Env{Name: "gw", Tracing: Tracing{Mode: TracingOTLP, Service: "portico-edge"}}, slog.New(slog.DiscardHandler))
	if err != nil || !tr.W3C() {
		t.Fatalf("got %v, %v; want a W3C-propagating tracer", tr, err)
	}
}
