package gateway

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/portico-gw/portico/internal/logging"
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

	status int           // the answer's, once observed
	took   time.Duration // from the request's start to its answer
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
	switch {
	case h.cfg.AccessLog != nil:
		req.log.status, req.log.took = status, took
		h.cfg.AccessLog.Info(ctx, "access", (*accessLine)(req))
	case h.log.Enabled(ctx, slog.LevelInfo):
		var buf [12]slog.Attr
		attrs := append(buf[:0],
			slog.String("xRequestId", req.id),
			slog.String("method", req.method),
			slog.String("path", req.path),
			slog.String("route", rec.route),
			slog.String("userId", rec.userID),
			slog.String("clientIp", req.clientIP),
			slog.Int("status", status),
			slog.Float64("latencyMs", ms(took)),
		)
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
	}
	if h.cfg.Metrics != nil {
		b := h.emf.Get().(*[]byte)
		*b = appendEMF((*b)[:0], h.cfg.Now(), rec.route, status, took)
		h.cfg.Metrics.Write(*b) // a Writer keeps nothing of what it is given
		h.emf.Put(b)
	}
}

// accessLine is a request's access line for Config.AccessLog: the same
// fields observe gives Logger.
type accessLine request

var _ logging.Fields = (*accessLine)(nil)

func (req *accessLine) AppendFields(b []byte) []byte {
	rec := &req.log
	status, took := rec.status, rec.took
	str := func(b []byte, key, v string) []byte {
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		return logging.AppendString(b, v)
	}
	b = str(b, "xRequestId", req.id)
	b = str(b, "method", req.method)
	b = str(b, "path", req.path)
	b = str(b, "route", rec.route)
	b = str(b, "userId", rec.userID)
	b = str(b, "clientIp", req.clientIP)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"latencyMs":`...)
	b = logging.AppendFloat(b, ms(took))
	if rec.trace != "" {
		b = str(b, "amznTraceId", rec.trace)
	}
	if rec.limit != "" {
		b = str(b, "limit", rec.limit)
	}
	if rec.cache != "" {
		b = str(b, "cache", rec.cache)
	}
	if len(rec.backends) > 0 {
		b = append(b, `,"backends":[`...)
		for i, s := range rec.backends {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			if s.Key != "" {
				b = append(b, `"key":`...)
				b = logging.AppendString(b, s.Key)
				b = append(b, ',')
			}
			b = append(b, `"service":`...)
			b = logging.AppendString(b, s.Service)
			b = append(b, `,"status":`...)
			b = strconv.AppendInt(b, int64(s.Status), 10)
			b = append(b, `,"latencyMs":`...)
			b = logging.AppendFloat(b, s.LatencyMs)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return b
}

// appendEMF appends one CloudWatch embedded-metric-format record to b:
// Requests, 4xx, 5xx (counts) and Latency (milliseconds), with the dimension
// Route.
func appendEMF(b []byte, now time.Time, routeID string, status int, took time.Duration) []byte {
	if routeID == "" {
		routeID = NoRoute
	}
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
