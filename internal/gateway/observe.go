package gateway

import (
	"context"
	"log/slog"
	"strconv"
	"time"
)

// accessRecord is what the access log line says about a request beyond the
// basics.
type accessRecord struct {
	userID   string
	trace    string
	route    string // route id; "" when none matched
	limit    string // "allowed", "limited", "error"; "" without a limiter
	cache    string // "HIT", "MISS", "STALE", "BYPASS"; "" on an uncached route
	backends []backendStat
}

// backendStat is one backend call of a request.
type backendStat struct {
	Key       string  `json:"key,omitempty"`
	Service   string  `json:"service"`
	Status    int     `json:"status"`
	LatencyMs float64 `json:"latencyMs"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// EMF names: namespace, dimension and metrics of the per-route lines.
const (
	MetricNamespace = "Portico/Gateway"
	// NoRoute is the Route dimension of requests that matched no route.
	NoRoute = "-"
)

// observe writes the access log line and the EMF line of a request.
func (h *Handler) observe(ctx context.Context, req *request, status int, took time.Duration) {
	rec := req.log
	attrs := []slog.Attr{
		slog.String("xRequestId", req.id),
		slog.String("method", req.method),
		slog.String("path", req.path),
		slog.String("route", rec.route),
		slog.String("userId", rec.userID),
		slog.String("clientIp", req.clientIP),
		slog.Int("status", status),
		slog.Float64("latencyMs", ms(took)),
	}
	if rec.trace != "" {
		attrs = append(attrs, slog.String("amznTraceId", rec.trace))
	}
	if rec.limit != "" {
		attrs = append(attrs, slog.String("limit", rec.limit))
	}
	if rec.cache != "" {
		attrs = append(attrs, slog.String("cache", rec.cache))
	}
	if len(rec.backends) > 0 {
		attrs = append(attrs, slog.Any("backends", rec.backends))
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "access", attrs...)
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.Write(emfLine(h.cfg.Now(), rec.route, status, took))
	}
}

// emfLine is one CloudWatch embedded-metric-format record: Requests, 4xx,
// 5xx (counts) and Latency (milliseconds), with the dimension Route.
func emfLine(now time.Time, routeID string, status int, took time.Duration) []byte {
	if routeID == "" {
		routeID = NoRoute
	}
	b := make([]byte, 0, 384)
	b = append(b, `{"_aws":{"Timestamp":`...)
	b = strconv.AppendInt(b, now.UnixMilli(), 10)
	b = append(b, `,"CloudWatchMetrics":[{"Namespace":"`+MetricNamespace+`","Dimensions":[["Route"]],"Metrics":[`+
		`{"Name":"Requests","Unit":"Count"},{"Name":"4xx","Unit":"Count"},{"Name":"5xx","Unit":"Count"},`+
		`{"Name":"Latency","Unit":"Milliseconds"}]}]},"Route":`...)
	b = strconv.AppendQuote(b, routeID)
	b = append(b, `,"Requests":1,"4xx":`...)
	b = append(b, digit(status >= 400 && status < 500))
	b = append(b, `,"5xx":`...)
	b = append(b, digit(status >= 500))
	b = append(b, `,"Latency":`...)
	b = strconv.AppendFloat(b, ms(took), 'f', -1, 64)
	return append(b, "}\n"...)
}

func digit(b bool) byte {
	if b {
		return '1'
	}
	return '0'
}
