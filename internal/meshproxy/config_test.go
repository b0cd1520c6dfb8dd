package meshproxy

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseDefaults(t *testing.T) {
	got, err := Parse(env{"PORTICO_MESH_NAMESPACE": "portico.local"}.lookup)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Namespace: "portico.local", Listen: DefaultListen, MaxServices: DefaultMaxServices, TrustDomain: DefaultTrustDomain,
		Refresh: DefaultRefresh, MaxRequestBytes: DefaultMaxRequestBytes, MaxResponseBytes: DefaultMaxResponseBytes,
		MetricsInterval: DefaultMetricsInterval, MetricsNamespace: DefaultMetricsNamespace, Drain: DefaultDrain,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		env   env
		check func(Config) bool
		desc  string
	}{
		{"lists", env{"PORTICO_MESH_SERVICES": " payment, fraud ,,payment", "PORTICO_MESH_TLS_SECRET": "s", "PORTICO_MESH_PLAINTEXT": "legacy"},
			func(c Config) bool {
				return reflect.DeepEqual(c.Services, []string{"payment", "fraud"}) && reflect.DeepEqual(c.Plaintext, []string{"legacy"})
			}, "trimmed, without blanks or duplicates"},
		{"in Lambda: the function's name, the daemon's UDP address", env{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_LAMBDA_FUNCTION_NAME": "orders", "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000"},
			func(c Config) bool { return c.Service == "orders" && c.XRayDaemon == "169.254.79.129:2000" }, "service orders, daemon 169.254.79.129:2000"},
		{"daemon address in tcp/udp form", env{"AWS_XRAY_DAEMON_ADDRESS": "tcp:127.0.0.1:2000 udp:127.0.0.2:2000"},
			func(c Config) bool { return c.XRayDaemon == "127.0.0.2:2000" }, "the udp address"},
		{"own daemon setting wins", env{"AWS_XRAY_DAEMON_ADDRESS": "127.0.0.2:2000", "PORTICO_MESH_XRAY_DAEMON": "127.0.0.3:2000"},
			func(c Config) bool { return c.XRayDaemon == "127.0.0.3:2000" }, "127.0.0.3:2000"},
		{"metrics off", env{"PORTICO_MESH_METRICS_INTERVAL": "off"},
			func(c Config) bool { return c.NoMetrics && c.MetricsInterval == 0 }, "NoMetrics"},
		{"numbers and durations", env{"PORTICO_MESH_MAX_REQUEST_BYTES": "1024", "PORTICO_MESH_REFRESH": "5s", "PORTICO_MESH_LOG_LEVEL": "debug", "PORTICO_MESH_LISTEN": "[::1]:7000"},
			func(c Config) bool {
				return c.MaxRequestBytes == 1024 && c.Refresh == 5*time.Second && c.LogLevel == slog.LevelDebug && c.Listen == "[::1]:7000"
			}, "1024 bytes, 5s, debug, [::1]:7000"},
		{"inbound", env{"PORTICO_MESH_SERVICE": "payment", "PORTICO_MESH_TLS_CERT": "c", "PORTICO_MESH_TLS_KEY": "k", "PORTICO_MESH_TLS_CA": "a",
			"PORTICO_MESH_INBOUND_LISTEN": "0.0.0.0:8443", "PORTICO_MESH_INBOUND_TARGET": "localhost:8080", "PORTICO_MESH_INBOUND_ALLOW": "orders"},
			func(c Config) bool {
				return c.InboundListen == "0.0.0.0:8443" && c.InboundTarget == "localhost:8080" && reflect.DeepEqual(c.InboundAllow, []string{"orders"})
			}, "the inbound settings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["PORTICO_MESH_NAMESPACE"] = "portico.local"
			got, err := Parse(tt.env.lookup)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(got) {
				t.Fatalf("got %+v, want %s", got, tt.desc)
			}
		})
	}
}

// Every problem is named, with the variable to fix.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want []string
	}{
		{"no namespace", env{}, []string{"PORTICO_MESH_NAMESPACE is required"}},
		{"listen not loopback", env{"PORTICO_MESH_LISTEN": "0.0.0.0:9911"}, []string{`PORTICO_MESH_LISTEN "0.0.0.0:9911"`, "not a loopback address"}},
		{"listen not host:port", env{"PORTICO_MESH_LISTEN": "9911"}, []string{"PORTICO_MESH_LISTEN", "want host:port"}},
		{"listen port out of range", env{"PORTICO_MESH_LISTEN": "127.0.0.1:70000"}, []string{"not within 1..65535"}},
		{"bad names", env{"PORTICO_MESH_SERVICES": "ok,bad name", "PORTICO_MESH_SERVICE": "-x"}, []string{`PORTICO_MESH_SERVICES: "bad name"`, `PORTICO_MESH_SERVICE "-x"`}},
		{"two of three files", env{"PORTICO_MESH_TLS_CERT": "c", "PORTICO_MESH_TLS_KEY": "k"}, []string{"set all three or none"}},
		{"files and secret", env{"PORTICO_MESH_TLS_CERT": "c", "PORTICO_MESH_TLS_KEY": "k", "PORTICO_MESH_TLS_CA": "a", "PORTICO_MESH_TLS_SECRET": "s"}, []string{"set one"}},
		{"plaintext without TLS", env{"PORTICO_MESH_PLAINTEXT": "legacy"}, []string{"no certificates are configured"}},
		{"not numbers", env{"PORTICO_MESH_MAX_SERVICES": "many", "PORTICO_MESH_REFRESH": "30"}, []string{`PORTICO_MESH_MAX_SERVICES "many"`, `PORTICO_MESH_REFRESH "30": want a Go duration`}},
		{"non-positive", env{"PORTICO_MESH_MAX_SERVICES": "0", "PORTICO_MESH_MAX_RESPONSE_BYTES": "-1", "PORTICO_MESH_REFRESH": "0s"}, []string{"want at least 1", "must be positive", "want a positive duration"}},
		{"bad mode and level", env{"PORTICO_MESH_MODE": "daemon", "PORTICO_MESH_LOG_LEVEL": "loud"}, []string{`PORTICO_MESH_MODE "daemon"`, `PORTICO_MESH_LOG_LEVEL "loud"`}},
		{"bad trust domain", env{"PORTICO_MESH_TRUST_DOMAIN": "spiffe://x"}, []string{"must be a bare name"}},
		{"daemon without udp", env{"AWS_XRAY_DAEMON_ADDRESS": "tcp:127.0.0.1:2000"}, []string{"has no UDP address"}},
		{"inbound without the rest", env{"PORTICO_MESH_INBOUND_LISTEN": "0.0.0.0:8443"},
			[]string{"PORTICO_MESH_INBOUND_TARGET", "needs certificates", "needs PORTICO_MESH_SERVICE"}},
		{"inbound target not local", env{"PORTICO_MESH_INBOUND_LISTEN": ":8443", "PORTICO_MESH_INBOUND_TARGET": "10.0.0.1:8080"}, []string{"not a loopback address"}},
		{"inbound in an extension", env{"PORTICO_MESH_MODE": "extension", "PORTICO_MESH_INBOUND_LISTEN": ":8443"}, []string{"nothing can call into a Lambda execution environment"}},
		{"inbound settings alone", env{"PORTICO_MESH_INBOUND_ALLOW": "orders"}, []string{"need PORTICO_MESH_INBOUND_LISTEN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name != "no namespace" {
				tt.env["PORTICO_MESH_NAMESPACE"] = "portico.local"
			}
			_, err := Parse(tt.env.lookup)
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %v, want it to contain %q", err, w)
				}
			}
		})
	}
}
