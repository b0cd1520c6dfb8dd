package awsconfig

import (
	"context"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// An emulator endpoint gets HTTP/1.1 even from a server that offers HTTP/2,
// and the CA bundle is trusted.
func TestLoadEmulatorUsesHTTP1AndTheCABundle(t *testing.T) {
	var proto int
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { proto = r.ProtoMajor }))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	cfg, err := Load(context.Background(), Options{Region: "us-east-1", Endpoint: srv.URL, CABundle: ca})
	if err != nil {
		t.Fatal(err)
	}
	if !UsesCustomEndpoint(cfg) || aws.ToString(cfg.BaseEndpoint) != srv.URL {
		t.Fatalf("got endpoint %v, want %s", cfg.BaseEndpoint, srv.URL)
	}
	if _, ok := cfg.HTTPClient.(plainBodies); !ok {
		t.Fatalf("got HTTP client %T, want plainBodies around the SDK's (TestFastAnswersKeepTheirConnection)", cfg.HTTPClient)
	}
	req, _ := http.NewRequest("GET", srv.URL, nil)
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		t.Fatalf("got %v, want the CA bundle trusted", err)
	}
	resp.Body.Close()
	if proto != 1 {
		t.Fatalf("got HTTP/%d, want HTTP/1.1 towards an emulator", proto)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, bad := range []string{"localhost:4566", "ftp://x", "https://"} {
		if err := (Options{Endpoint: bad}).Validate(); err == nil {
			t.Errorf("endpoint %q: got nil error, want one", bad)
		}
	}
	if err := (Options{Endpoint: "https://localhost:4566"}).Validate(); err != nil {
		t.Errorf("got %v for a good endpoint", err)
	}
}

// A service that answers before net/http's write goroutine has finished with
// the request body must not have its connection closed under the response.
// The connection here holds each write until the response has been read (a
// service answering within microseconds, a busy client CPU), so the SDK has
// closed the request body when the transport drains it. Retries are off: a
// closed connection fails the call.
func TestFastAnswersKeepTheirConnection(t *testing.T) {
	for _, tc := range []struct {
		name  string
		wrap  func(aws.HTTPClient) aws.HTTPClient
		fails bool
	}{
		// Shows the harness reproduces the failure; if the SDK or net/http
		// stop draining a closed body through WriteTo, this case fails and
		// plainBodies can go.
		{"the SDK's client alone", func(c aws.HTTPClient) aws.HTTPClient { return c }, true},
		{"with plainBodies, as Load builds it", func(c aws.HTTPClient) aws.HTTPClient { return plainBodies{c} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				body := `{"ARN":"arn:aws:secretsmanager:us-east-1:000000000000:secret:s-AbCdEf","Name":"s"}`
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				w.(http.Flusher).Flush() // headers and body in two writes, as MiniStack's server sends them
				time.Sleep(20 * time.Millisecond)
				io.WriteString(w, body)
			}))
			defer srv.Close()
			client := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
				dial := tr.DialContext
				tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
					c, err := dial(ctx, network, addr)
					if err != nil {
						return nil, err
					}
					return &answerFirstConn{Conn: c, read: make(chan struct{}, 1)}, nil
				}
			})
			api := secretsmanager.New(secretsmanager.Options{
				Region:           "us-east-1",
				BaseEndpoint:     aws.String(srv.URL),
				Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
				HTTPClient:       tc.wrap(client),
				RetryMaxAttempts: 1,
			})
			failed := 0
			var first error
			for i := 0; i < 20; i++ {
				_, err := api.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String("x")})
				if err != nil {
					failed++
					if first == nil {
						first = err
					}
				}
			}
			if tc.fails && failed == 0 {
				t.Fatal("got 20 calls through, want the closed-connection failure reproduced")
			}
			if !tc.fails && failed > 0 {
				t.Fatalf("%d of 20 calls failed, want none; first: %v", failed, first)
			}
		})
	}
}

// answerFirstConn returns from the write of a request's body only once the
// peer's answer has been read (or 2 s have passed), then 5 ms later: the
// order of events of a fast service on a busy client. A request is two
// writes here, its headers (flushed first, as net/http does for a body it
// does not know to be in memory) and its body; the headers' write returns at
// once.
type answerFirstConn struct {
	net.Conn
	read   chan struct{}
	writes int
}

func (c *answerFirstConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		select {
		case c.read <- struct{}{}:
		default:
		}
	}
	return n, err
}

func (c *answerFirstConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if c.writes++; c.writes%2 == 1 {
		// A new request: forget reads of the previous answer.
		select {
		case <-c.read:
		default:
		}
		return n, err
	}
	select {
	case <-c.read:
		time.Sleep(5 * time.Millisecond)
	case <-time.After(2 * time.Second):
	}
	return n, err
}

// The body the transport sees reads the same bytes and closes the SDK's body,
// but offers no WriteTo.
func TestPlainBodiesHideWriterTo(t *testing.T) {
	var got []byte
	var sawWriterTo bool
	next := doFunc(func(r *http.Request) (*http.Response, error) {
		_, sawWriterTo = r.Body.(io.WriterTo)
		got, _ = io.ReadAll(r.Body)
		return nil, r.Body.Close()
	})
	body := &closeRecorder{Reader: strings.NewReader("payload")}
	req, _ := http.NewRequest("POST", "https://example.test/", nil)
	req.Body = body
	if _, err := (plainBodies{next}).Do(req); err != nil {
		t.Fatal(err)
	}
	if sawWriterTo || string(got) != "payload" || !body.closed {
		t.Fatalf("got WriterTo %v, body %q, closed %v; want no WriterTo, %q, closed", sawWriterTo, got, body.closed, "payload")
	}
}

type doFunc func(*http.Request) (*http.Response, error)

func (f doFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

type closeRecorder struct {
	*strings.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }
