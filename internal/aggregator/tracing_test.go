package aggregator

import (
	"log/slog"
	"strings"
	"testing"
)

func TestTracingFromEnv(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		xray, otlp bool
		err        string
	}{
		{"nothing", nil, false, false, ""},
		{"the X-Ray daemon", map[string]string{"AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000"}, true, false, ""},
		{"otlp", map[string]string{"PORTICO_TRACING": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"}, false, true, ""},
		{"otlp to the default collector", map[string]string{"PORTICO_TRACING": "otlp"}, false, true, ""},
		{"both", map[string]string{"PORTICO_TRACING": "xray, otlp", "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000"}, true, true, ""},
		{"off despite the daemon", map[string]string{"PORTICO_TRACING": "off", "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000"}, false, false, ""},
		{"a bad endpoint", map[string]string{"PORTICO_TRACING": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, false, false, "PORTICO_TRACING=otlp"},
		{"an unknown exporter", map[string]string{"PORTICO_TRACING": "zipkin"}, false, false, `PORTICO_TRACING "zipkin"`},
		{"off with another", map[string]string{"PORTICO_TRACING": "off,otlp"}, false, false, "off goes alone"},
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
			if err != nil || e.Tracing.XRay != tt.xray || e.Tracing.OTLP != tt.otlp {
				t.Fatalf("got xray %v otlp %v, %v; want %v %v", e.Tracing.XRay, e.Tracing.OTLP, err, tt.xray, tt.otlp)
			}
		})
	}
}

// The OTLP tracer propagates W3C trace context; an X-Ray one does not.
func TestTracerPropagation(t *testing.T) {
	for _, tc := range []struct {
		tracing Tracing
		w3c     bool
	}{
		{Tracing{OTLP: true, Service: "portico-edge"}, true},
		{Tracing{XRay: true, OTLP: true}, true},
		{Tracing{XRay: true}, false},
	} {
		tr, err := newTracer(Env{Name: "gw", TraceDaemon: "127.0.0.1:2000", Tracing: tc.tracing}, slog.New(slog.DiscardHandler))
		if err != nil || tr.W3C() != tc.w3c {
			t.Errorf("%+v: got %v, %v; want W3C %v", tc.tracing, tr, err, tc.w3c)
		}
	}
}
