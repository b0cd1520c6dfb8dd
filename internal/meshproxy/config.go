package meshproxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults of the Config fields that Parse fills in when the environment
// does not set them.
const (
	// DefaultListen is the outbound proxy's address: loopback only.
	DefaultListen = "127.0.0.1:9911"
	// DefaultMaxServices bounds the distinct service names one process
	// sends to the mesh when Services does not list them.
	DefaultMaxServices = 256
	// DefaultMaxRequestBytes caps a request body (Lambda's own payload
	// limit for synchronous invocations).
	DefaultMaxRequestBytes = 6 << 20
	// DefaultMaxResponseBytes caps an answer's body.
	DefaultMaxResponseBytes = 10 << 20
	// DefaultRefresh is how long discovered instances are used before
	// Cloud Map is asked again.
	DefaultRefresh = 30 * time.Second
	// DefaultMetricsInterval is how often metrics are written.
	DefaultMetricsInterval = time.Minute
	// DefaultMetricsNamespace is the CloudWatch namespace of the metrics.
	DefaultMetricsNamespace = "Portico/Mesh"
	// DefaultDrain is how long a sidecar waits for calls in flight when
	// it is told to stop.
	DefaultDrain = 20 * time.Second
	// DefaultTrustDomain is the SPIFFE trust domain of identities.
	DefaultTrustDomain = "portico"
)

// Mode says how portico-mesh runs.
type Mode string

// Modes.
const (
	// ModeAuto is ModeExtension when AWS_LAMBDA_RUNTIME_API is set, else
	// ModeSidecar.
	ModeAuto Mode = ""
	// ModeExtension runs as a Lambda extension: it registers with the
	// Extensions API and follows the environment's lifecycle.
	ModeExtension Mode = "extension"
	// ModeSidecar runs as a plain process beside a service (a container
	// sidecar), until SIGTERM.
	ModeSidecar Mode = "sidecar"
)

// Config is portico-mesh's configuration. Parse reads it from the
// environment (the variable of each field is in its comment).
type Config struct {
	// Mode is extension, sidecar or auto (PORTICO_MESH_MODE).
	Mode Mode
	// Namespace is the Cloud Map HTTP namespace of the services
	// (PORTICO_MESH_NAMESPACE). Required.
	Namespace string
	// Listen is the outbound proxy's address; it must be a loopback
	// address (PORTICO_MESH_LISTEN, default 127.0.0.1:9911).
	Listen string
	// Service is the name of the service (or function) beside which the
	// proxy runs: the name of its trace segments and its identity for
	// inbound calls (PORTICO_MESH_SERVICE; in Lambda, default the
	// function's name).
	Service string
	// Services, when set, are the only services the proxy forwards to;
	// others are refused with 403 before any lookup
	// (PORTICO_MESH_SERVICES, comma-separated). They are also discovered
	// at start, so the first call finds them warm.
	Services []string
	// MaxServices bounds the distinct service names sent to the mesh when
	// Services is empty; beyond it, new names are refused with 503
	// (PORTICO_MESH_MAX_SERVICES, default 256).
	MaxServices int
	// TLSSecret is the Secrets Manager secret (name or ARN) holding this
	// service's certificate, key and CA bundle as portico_mesh_certificate
	// writes them (PORTICO_MESH_TLS_SECRET). With it, or with the three
	// files below, every call is mutual TLS except to Plaintext services.
	TLSSecret string
	// TLSCert, TLSKey and TLSCA are PEM files of the certificate, its key
	// and the CA bundle (PORTICO_MESH_TLS_CERT, PORTICO_MESH_TLS_KEY,
	// PORTICO_MESH_TLS_CA); all three or none.
	TLSCert, TLSKey, TLSCA string
	// TrustDomain names the mesh in identities, spiffe://<domain>/<service>
	// (PORTICO_MESH_TRUST_DOMAIN, default portico).
	TrustDomain string
	// Plaintext are services called without TLS although certificates are
	// configured, such as services not in the mesh yet
	// (PORTICO_MESH_PLAINTEXT, comma-separated).
	Plaintext []string
	// Refresh is how long discovered instances are used before Cloud Map
	// is asked again (PORTICO_MESH_REFRESH, a Go duration, default 30s).
	Refresh time.Duration
	// MaxRequestBytes caps a request body; a larger one is refused with
	// 413 (PORTICO_MESH_MAX_REQUEST_BYTES, default 6 MiB).
	MaxRequestBytes int64
	// MaxResponseBytes caps an answer's body: a larger declared length is
	// 502, and an answer that grows past it is cut off
	// (PORTICO_MESH_MAX_RESPONSE_BYTES, default 10 MiB).
	MaxResponseBytes int64
	// MetricsInterval is how often the mesh's metrics are written to
	// stdout in CloudWatch embedded metric format; 0 writes them only at
	// shutdown (PORTICO_MESH_METRICS_INTERVAL, default 1m; "off" writes
	// none).
	MetricsInterval time.Duration
	// NoMetrics turns metrics off (PORTICO_MESH_METRICS_INTERVAL=off).
	NoMetrics bool
	// MetricsNamespace is the metrics' CloudWatch namespace
	// (PORTICO_MESH_METRICS_NAMESPACE, default Portico/Mesh).
	MetricsNamespace string
	// XRayDaemon is the UDP address of the X-Ray daemon; empty turns
	// tracing off (PORTICO_MESH_XRAY_DAEMON, else AWS_XRAY_DAEMON_ADDRESS,
	// which Lambda sets when active tracing is on).
	XRayDaemon string
	// EjectionsTable, when set, shares outlier ejections with other
	// processes through this DynamoDB table (PORTICO_MESH_EJECTIONS_TABLE).
	EjectionsTable string
	// InboundListen, when set, serves inbound calls: mutual TLS is
	// terminated there and the call is passed to InboundTarget with the
	// caller's verified identity in the X-Portico-Caller header
	// (PORTICO_MESH_INBOUND_LISTEN, such as 0.0.0.0:8443). Needs
	// certificates, Service and InboundTarget; not in a Lambda extension.
	InboundListen string
	// InboundTarget is the local service's loopback address
	// (PORTICO_MESH_INBOUND_TARGET, such as 127.0.0.1:8080).
	InboundTarget string
	// InboundAllow are the services that may call in; empty admits any
	// member of the mesh (PORTICO_MESH_INBOUND_ALLOW, comma-separated).
	InboundAllow []string
	// Drain is how long a sidecar waits for calls in flight when it is
	// told to stop (PORTICO_MESH_DRAIN, default 20s). A Lambda extension
	// has until the SHUTDOWN event's deadline instead.
	Drain time.Duration
	// LogLevel is debug, info, warn or error (PORTICO_MESH_LOG_LEVEL,
	// default info).
	LogLevel slog.Level
	// Endpoint and CABundle point the AWS clients at an emulator
	// (AWS_ENDPOINT_URL, AWS_CA_BUNDLE, as the AWS SDK reads them); empty
	// means AWS.
	Endpoint, CABundle string
}

// TLS reports whether certificates are configured.
func (c Config) TLS() bool { return c.TLSSecret != "" || c.TLSCert != "" }

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.Mode {
	case ModeAuto, ModeExtension, ModeSidecar:
	default:
		bad("PORTICO_MESH_MODE %q: want extension, sidecar or empty (auto)", c.Mode)
	}
	if c.Namespace == "" {
		bad("PORTICO_MESH_NAMESPACE is required: the Cloud Map HTTP namespace of the services")
	}
	if err := loopbackAddr(c.Listen); err != nil {
		bad("PORTICO_MESH_LISTEN %q: %v", c.Listen, err)
	}
	if c.Service != "" && !ValidName(c.Service) {
		bad("PORTICO_MESH_SERVICE %q is not a valid service name", c.Service)
	}
	for _, list := range []struct {
		env   string
		names []string
	}{{"PORTICO_MESH_SERVICES", c.Services}, {"PORTICO_MESH_PLAINTEXT", c.Plaintext}, {"PORTICO_MESH_INBOUND_ALLOW", c.InboundAllow}} {
		for _, n := range list.names {
			if !ValidName(n) {
				bad("%s: %q is not a valid service name", list.env, n)
			}
		}
	}
	if c.MaxServices < 1 {
		bad("PORTICO_MESH_MAX_SERVICES %d: want at least 1", c.MaxServices)
	}
	files := 0
	for _, f := range []string{c.TLSCert, c.TLSKey, c.TLSCA} {
		if f != "" {
			files++
		}
	}
	switch {
	case files != 0 && files != 3:
		bad("PORTICO_MESH_TLS_CERT, PORTICO_MESH_TLS_KEY and PORTICO_MESH_TLS_CA go together: set all three or none")
	case files == 3 && c.TLSSecret != "":
		bad("PORTICO_MESH_TLS_SECRET and the PORTICO_MESH_TLS_* files are alternatives: set one")
	}
	if len(c.Plaintext) > 0 && !c.TLS() {
		bad("PORTICO_MESH_PLAINTEXT lists services to call without TLS, but no certificates are configured: every call is plaintext already")
	}
	if strings.ContainsAny(c.TrustDomain, "/: ") || c.TrustDomain == "" {
		bad("PORTICO_MESH_TRUST_DOMAIN %q must be a bare name such as portico", c.TrustDomain)
	}
	if c.Refresh <= 0 {
		bad("PORTICO_MESH_REFRESH %s: want a positive duration", c.Refresh)
	}
	if c.MaxRequestBytes < 1 || c.MaxResponseBytes < 1 {
		bad("PORTICO_MESH_MAX_REQUEST_BYTES and PORTICO_MESH_MAX_RESPONSE_BYTES must be positive, got %d and %d", c.MaxRequestBytes, c.MaxResponseBytes)
	}
	if c.MetricsInterval < 0 {
		bad("PORTICO_MESH_METRICS_INTERVAL %s is negative", c.MetricsInterval)
	}
	if c.Drain < 0 {
		bad("PORTICO_MESH_DRAIN %s is negative", c.Drain)
	}
	if c.XRayDaemon != "" {
		if _, _, err := net.SplitHostPort(c.XRayDaemon); err != nil {
			bad("X-Ray daemon address %q: want host:port", c.XRayDaemon)
		}
	}
	if c.InboundListen != "" {
		if _, _, err := net.SplitHostPort(c.InboundListen); err != nil {
			bad("PORTICO_MESH_INBOUND_LISTEN %q: want host:port", c.InboundListen)
		}
		if err := loopbackAddr(c.InboundTarget); err != nil {
			bad("PORTICO_MESH_INBOUND_TARGET %q: %v (the local service's address)", c.InboundTarget, err)
		}
		if !c.TLS() {
			bad("PORTICO_MESH_INBOUND_LISTEN needs certificates (PORTICO_MESH_TLS_SECRET or the PORTICO_MESH_TLS_* files): inbound calls are mutual TLS")
		}
		if c.Service == "" {
			bad("PORTICO_MESH_INBOUND_LISTEN needs PORTICO_MESH_SERVICE, the local service's name")
		}
		if c.Mode == ModeExtension {
			bad("PORTICO_MESH_INBOUND_LISTEN is for sidecars: nothing can call into a Lambda execution environment")
		}
	} else if c.InboundTarget != "" || len(c.InboundAllow) > 0 {
		bad("PORTICO_MESH_INBOUND_TARGET and PORTICO_MESH_INBOUND_ALLOW need PORTICO_MESH_INBOUND_LISTEN")
	}
	return errors.Join(errs...)
}

// loopbackAddr checks that addr is host:port with a loopback host.
func loopbackAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("port %q is not within 1..65535", port)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address (127.0.0.1, ::1 or localhost)", host)
	}
	return nil
}

// Parse reads the Config from the environment through lookup (os.LookupEnv
// in main) and validates it. Unset variables get their defaults; every
// problem is reported at once.
func Parse(lookup func(string) (string, bool)) (Config, error) {
	get := func(k string) string {
		v, _ := lookup(k)
		return strings.TrimSpace(v)
	}
	var errs []error
	c := Config{
		Mode:             Mode(get("PORTICO_MESH_MODE")),
		Namespace:        get("PORTICO_MESH_NAMESPACE"),
		Listen:           orDefault(get("PORTICO_MESH_LISTEN"), DefaultListen),
		Service:          get("PORTICO_MESH_SERVICE"),
		Services:         list(get("PORTICO_MESH_SERVICES")),
		TLSSecret:        get("PORTICO_MESH_TLS_SECRET"),
		TLSCert:          get("PORTICO_MESH_TLS_CERT"),
		TLSKey:           get("PORTICO_MESH_TLS_KEY"),
		TLSCA:            get("PORTICO_MESH_TLS_CA"),
		TrustDomain:      orDefault(get("PORTICO_MESH_TRUST_DOMAIN"), DefaultTrustDomain),
		Plaintext:        list(get("PORTICO_MESH_PLAINTEXT")),
		MetricsNamespace: orDefault(get("PORTICO_MESH_METRICS_NAMESPACE"), DefaultMetricsNamespace),
		XRayDaemon:       get("PORTICO_MESH_XRAY_DAEMON"),
		EjectionsTable:   get("PORTICO_MESH_EJECTIONS_TABLE"),
		InboundListen:    get("PORTICO_MESH_INBOUND_LISTEN"),
		InboundTarget:    get("PORTICO_MESH_INBOUND_TARGET"),
		InboundAllow:     list(get("PORTICO_MESH_INBOUND_ALLOW")),
		Endpoint:         get("AWS_ENDPOINT_URL"),
		CABundle:         get("AWS_CA_BUNDLE"),
	}
	if c.Service == "" && get("AWS_LAMBDA_RUNTIME_API") != "" {
		c.Service = get("AWS_LAMBDA_FUNCTION_NAME")
	}
	if c.XRayDaemon == "" && get("AWS_XRAY_DAEMON_ADDRESS") != "" {
		addr, err := daemonUDP(get("AWS_XRAY_DAEMON_ADDRESS"))
		if err != nil {
			errs = append(errs, err)
		}
		c.XRayDaemon = addr
	}
	num := func(env string, def int64) int64 {
		v := get(env)
		if v == "" {
			return def
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want a whole number", env, v))
			return def
		}
		return n
	}
	dur := func(env string, def time.Duration) time.Duration {
		v := get(env)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want a Go duration such as 30s", env, v))
			return def
		}
		return d
	}
	c.MaxServices = int(num("PORTICO_MESH_MAX_SERVICES", DefaultMaxServices))
	c.MaxRequestBytes = num("PORTICO_MESH_MAX_REQUEST_BYTES", DefaultMaxRequestBytes)
	c.MaxResponseBytes = num("PORTICO_MESH_MAX_RESPONSE_BYTES", DefaultMaxResponseBytes)
	c.Refresh = dur("PORTICO_MESH_REFRESH", DefaultRefresh)
	c.Drain = dur("PORTICO_MESH_DRAIN", DefaultDrain)
	if v := get("PORTICO_MESH_METRICS_INTERVAL"); strings.EqualFold(v, "off") {
		c.NoMetrics = true
	} else {
		c.MetricsInterval = dur("PORTICO_MESH_METRICS_INTERVAL", DefaultMetricsInterval)
	}
	if v := get("PORTICO_MESH_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("PORTICO_MESH_LOG_LEVEL %q: want debug, info, warn or error", v))
		}
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// daemonUDP returns the UDP address in an AWS_XRAY_DAEMON_ADDRESS value:
// "host:port", or "tcp:host:port udp:host:port" as Lambda sets it.
func daemonUDP(v string) (string, error) {
	for f := range strings.FieldsSeq(v) {
		if a, ok := strings.CutPrefix(f, "udp:"); ok {
			return a, nil
		}
		if !strings.HasPrefix(f, "tcp:") {
			return f, nil
		}
	}
	return "", fmt.Errorf("AWS_XRAY_DAEMON_ADDRESS %q has no UDP address", v)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// list splits a comma-separated list, dropping blanks and duplicates.
func list(v string) []string {
	var out []string
	for f := range strings.SplitSeq(v, ",") {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// ValidName reports whether s can name a Cloud Map service: 1 to 127
// characters, dot-separated labels of 1 to 63 letters, digits, '_' and '-',
// none starting or ending with '-'.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 127 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
