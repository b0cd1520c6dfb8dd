package faultproxy

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/portico-gw/portico/internal/awsconfig"
)

// upstream answers every AWS call with {} and a JWKS path with a key set.
func upstream(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if r.Header.Get("X-Amz-Target") == "" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"keys":[]}`)
			return
		}
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Faults scoped to a service touch its calls only: Cloud Map's, Secrets
// Manager's, or a plain HTTP endpoint's by path.
func TestFaultsByService(t *testing.T) {
	p, err := New(upstream(t).URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	sd := servicediscovery.New(servicediscovery.Options{Region: "us-east-1", BaseEndpoint: aws.String(front.URL), RetryMaxAttempts: 1, Credentials: aws.AnonymousCredentials{}},
		func(o *servicediscovery.Options) {
			o.APIOptions = append(o.APIOptions, awsconfig.DisableHostPrefix)
		})
	sm := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(front.URL), RetryMaxAttempts: 1, Credentials: aws.AnonymousCredentials{}})
	ctx := context.Background()
	discover := func() error {
		_, err := sd.DiscoverInstances(ctx, &servicediscovery.DiscoverInstancesInput{NamespaceName: aws.String("ns"), ServiceName: aws.String("svc")})
		return err
	}
	secret := func() error {
		_, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")})
		return err
	}
	jwks := func() (int, error) {
		resp, err := http.Get(front.URL + "/.well-known/jwks.json")
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return resp.StatusCode, err
		}
		return resp.StatusCode, nil
	}
	tests := []struct {
		name                  string
		fault                 Fault
		discover, secretFails bool
		jwksStatus            int // 0: no answer
	}{
		{"Cloud Map throttled", Fault{Service: "servicediscovery", Kind: Throttle, Code: "RequestLimitExceeded"}, true, false, 200},
		{"Secrets Manager down", Fault{Service: "secretsmanager", Kind: Refuse}, false, true, 200},
		{"JWKS down", Fault{Path: "/.well-known/", Kind: Refuse}, false, false, 0},
		{"JWKS failing", Fault{Path: "/.well-known/", Kind: ServerError}, false, false, http.StatusServiceUnavailable},
		{"JWKS throttled", Fault{Path: "/.well-known/", Kind: Throttle}, false, false, http.StatusTooManyRequests},
		{"another path", Fault{Path: "/other", Kind: Refuse}, false, false, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.Set(tt.fault)
			defer p.Clear()
			err := discover()
			if (err != nil) != tt.discover {
				t.Errorf("DiscoverInstances: got %v, want failure: %v", err, tt.discover)
			}
			if _, is := errors.AsType[*sdtypes.RequestLimitExceeded](err); tt.fault.Code == "RequestLimitExceeded" && !is {
				t.Errorf("got %v, want Cloud Map's RequestLimitExceeded", err)
			}
			if err := secret(); (err != nil) != tt.secretFails {
				t.Errorf("GetSecretValue: got %v, want failure: %v", err, tt.secretFails)
			}
			status, err := jwks()
			if tt.jwksStatus == 0 && err == nil {
				t.Errorf("JWKS: got %d, want no answer", status)
			}
			if tt.jwksStatus != 0 && status != tt.jwksStatus {
				t.Errorf("JWKS: got %d (%v), want %d with a JSON body", status, err, tt.jwksStatus)
			}
		})
	}
	// net/http sends a GET again once when its connection closes unanswered,
	// so the refused one may count twice.
	if faulted, seen := p.Hits("/.well-known/jwks.json"); faulted < 3 || seen-faulted != 3 {
		t.Fatalf("got %d faulted of %d JWKS requests, want 3 passed and the rest faulted", faulted, seen)
	}
}

// A window's faults end by themselves, and its end function ends them early;
// a Set during a window is not cleared by it.
func TestWindow(t *testing.T) {
	p, err := New(upstream(t).URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := client(t, p)
	ctx := context.Background()
	p.Window(50*time.Millisecond, Fault{Service: "dynamodb", Kind: Refuse})
	if err := get(ctx, c, "k"); err == nil {
		t.Fatal("in the window: got no error, want the fault")
	}
	time.Sleep(100 * time.Millisecond)
	if err := get(ctx, c, "k"); err != nil {
		t.Fatalf("after the window: got %v, want the call through", err)
	}
	end := p.Window(time.Hour, Fault{Kind: Refuse})
	end()
	if err := get(ctx, c, "k"); err != nil {
		t.Fatalf("after ending the window early: got %v, want the call through", err)
	}
	p.Window(50*time.Millisecond, Fault{Kind: Refuse})
	p.Set(Fault{Kind: ServerError})
	time.Sleep(100 * time.Millisecond)
	if err := get(ctx, c, "k"); err == nil {
		t.Fatal("a Set during a window: got no error after the window, want the Set's fault still in force")
	}
}
