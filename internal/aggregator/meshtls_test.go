package aggregator

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/mesh/mtls"
)

// A gateway whose mesh certificate could not be read at cold start fails the
// handshakes of mutual-TLS calls (nothing is sent) and reads the
// certificate again at most once per interval, until it loads.
func TestLateCredentials(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	ca, err := mtls.NewCA("portico", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	material, err := ca.Issue("gateway", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var src mtls.Memory
	src.Set(material)
	creds, err := mtls.New(context.Background(), mtls.Config{Source: &src})
	if err != nil {
		t.Fatal(err)
	}
	reads, down := 0, true
	l := &lateCredentials{
		load: func(context.Context) (*mtls.Credentials, error) {
			reads++
			if down {
				return nil, errors.New("secretsmanager: get secret: connection refused")
			}
			return creds, nil
		},
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), every: 5 * time.Second, now: func() time.Time { return now },
	}
	failing := func() bool {
		c := l.ClientConfig("vault")
		_, err := c.GetClientCertificate(&tls.CertificateRequestInfo{})
		return c.VerifyConnection != nil && errors.Is(c.VerifyConnection(tls.ConnectionState{}), errNoMeshCertificate) && errors.Is(err, errNoMeshCertificate)
	}
	steps := []struct {
		name        string
		advance     time.Duration
		up          bool
		wantFailing bool
		wantReads   int
	}{
		{"still down", 0, false, true, 1},
		{"within the interval", 4 * time.Second, true, true, 1},
		{"read again", time.Second, true, false, 2},
		{"loaded", time.Minute, true, false, 2},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		down = !s.up
		if got := failing(); got != s.wantFailing || reads != s.wantReads {
			t.Fatalf("%s: got failing %v after %d reads, want %v after %d", s.name, got, reads, s.wantFailing, s.wantReads)
		}
	}
	if l.ClientConfig("vault") != creds.ClientConfig("vault") {
		t.Fatal("loaded: got another configuration than the credentials'")
	}
}
