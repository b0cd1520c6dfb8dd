package aggregator

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/portico-gw/portico/pkg/trace"
	"github.com/portico-gw/portico/pkg/trace/otlp"
)

// Tracing is the tracing part of Env: where the gateway's segments go.
// PORTICO_TRACING names the exporters, comma-separated: "xray" (segment
// documents over UDP to the daemon, AWS_XRAY_DAEMON_ADDRESS), "otlp"
// (OpenTelemetry spans over OTLP/HTTP, package pkg/trace/otlp, and a W3C
// traceparent to backends beside X-Amzn-Trace-Id), both ("xray,otlp", while
// moving from one to the other), or "off". Without it, tracing is "xray"
// when the daemon address is set (Lambda sets it with active tracing), else
// off.
type Tracing struct {
	XRay, OTLP bool
	// Endpoint and TracesEndpoint are the OTLP collector
	// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).
	Endpoint, TracesEndpoint string
	// Service is OTEL_SERVICE_NAME; default the gateway's name.
	Service string
}

// On reports whether anything is traced.
func (t Tracing) On() bool { return t.XRay || t.OTLP }

// parse reads PORTICO_TRACING and the OTEL_* variables.
func (t *Tracing) parse(getenv func(string) string, daemon string) error {
	t.Endpoint, t.TracesEndpoint = getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	t.Service = getenv("OTEL_SERVICE_NAME")
	mode := getenv("PORTICO_TRACING")
	if mode == "" {
		t.XRay = daemon != ""
		return nil
	}
	for m := range strings.SplitSeq(mode, ",") {
		switch strings.TrimSpace(m) {
		case "xray":
			t.XRay = true
		case "otlp":
			t.OTLP = true
		case "off":
			if mode != "off" {
				return fmt.Errorf("PORTICO_TRACING %q: off goes alone", mode)
			}
		default:
			return fmt.Errorf("PORTICO_TRACING %q: want xray, otlp, both comma-separated, or off", mode)
		}
	}
	if t.OTLP {
		if _, err := otlp.New(otlp.Config{Endpoint: t.Endpoint, TracesEndpoint: t.TracesEndpoint}); err != nil {
			return fmt.Errorf("PORTICO_TRACING=%s: %w", mode, err)
		}
	}
	return nil
}

// newTracer builds the tracer of env.Tracing (which is On).
func newTracer(env Env, log *slog.Logger) (*trace.Tracer, error) {
	var senders senders
	if env.Tracing.XRay {
		addr, err := trace.DaemonAddress(env.TraceDaemon)
		if err != nil {
			return nil, err
		}
		udp, err := trace.DialUDP(addr)
		if err != nil {
			return nil, err
		}
		senders = append(senders, udp)
	}
	service := env.Name
	if env.Tracing.OTLP {
		if env.Tracing.Service != "" {
			service = env.Tracing.Service
		}
		exp, err := otlp.New(otlp.Config{Endpoint: env.Tracing.Endpoint, TracesEndpoint: env.Tracing.TracesEndpoint, Service: service})
		if err != nil {
			return nil, err
		}
		log.Info("tracing: OpenTelemetry over OTLP/HTTP", "endpoint", exp.URL(), "service", service, "xray", env.Tracing.XRay)
		senders = append(senders, exp)
	}
	var sender trace.Sender = senders
	if len(senders) == 1 {
		sender = senders[0]
	}
	return trace.New(trace.Config{Service: service, Sender: sender, Logger: log, W3C: env.Tracing.OTLP})
}

// senders sends each segment to every one of them.
type senders []trace.Sender

func (s senders) Send(seg *trace.Segment) error {
	var errs []error
	for _, one := range s {
		if err := one.Send(seg); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
