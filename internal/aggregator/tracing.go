package aggregator

import (
	"fmt"
	"log/slog"

	"github.com/portico-gw/portico/pkg/trace"
	"github.com/portico-gw/portico/pkg/trace/otlp"
)

// TracingMode is where the gateway's traces go.
type TracingMode string

// Tracing modes.
const (
	// TracingOff records nothing; the gateway still passes a valid trace
	// header on.
	TracingOff TracingMode = "off"
	// TracingXRay sends X-Ray segments to the daemon over UDP
	// (AWS_XRAY_DAEMON_ADDRESS).
	TracingXRay TracingMode = "xray"
	// TracingOTLP exports the same segments as OpenTelemetry spans over
	// OTLP/HTTP (package pkg/trace/otlp), with X-Ray-compatible trace IDs,
	// and sends backends a W3C traceparent beside X-Amzn-Trace-Id.
	TracingOTLP TracingMode = "otlp"
)

// Tracing is the tracing part of Env.
type Tracing struct {
	Mode TracingMode
	// Endpoint and TracesEndpoint are the OTLP collector
	// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).
	Endpoint, TracesEndpoint string
	// Service is OTEL_SERVICE_NAME; default the gateway's name.
	Service string
}

// parse reads PORTICO_TRACING and the OTEL_* variables. Without
// PORTICO_TRACING, tracing is X-Ray when the daemon address is set.
func (t *Tracing) parse(getenv func(string) string, daemon string) error {
	t.Mode = TracingMode(getenv("PORTICO_TRACING"))
	t.Endpoint, t.TracesEndpoint = getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	t.Service = getenv("OTEL_SERVICE_NAME")
	switch t.Mode {
	case "":
		t.Mode = TracingOff
		if daemon != "" {
			t.Mode = TracingXRay
		}
	case TracingOff, TracingXRay:
	case TracingOTLP:
		if _, err := otlp.New(otlp.Config{Endpoint: t.Endpoint, TracesEndpoint: t.TracesEndpoint}); err != nil {
			return fmt.Errorf("PORTICO_TRACING=otlp: %w", err)
		}
	default:
		return fmt.Errorf("PORTICO_TRACING %q: want xray, otlp or off", t.Mode)
	}
	return nil
}

// newTracer builds the tracer of env's mode (not TracingOff).
func newTracer(env Env, log *slog.Logger) (*trace.Tracer, error) {
	if env.Tracing.Mode != TracingOTLP {
		return xrayTracer(env, log)
	}
	service := env.Tracing.Service
	if service == "" {
		service = env.Name
	}
	sender, err := otlp.New(otlp.Config{Endpoint: env.Tracing.Endpoint, TracesEndpoint: env.Tracing.TracesEndpoint, Service: service})
	if err != nil {
		return nil, err
	}
	log.Info("tracing: OpenTelemetry over OTLP/HTTP", "endpoint", sender.URL(), "service", service)
	return trace.New(trace.Config{Service: service, Sender: sender, Logger: log, W3C: true})
}
