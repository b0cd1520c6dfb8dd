// Package meshdemo runs the mesh demo: order, payment (v1 and v2), fraud and
// bank services, in-process HTTPS servers on 127.0.0.1 with mutual TLS, that
// call each other through Portico's mesh client, discovered in their own
// Cloud Map namespace, with traffic policies read from Cloud Map service
// attributes and X-Ray segments sent over UDP. The end-to-end tests in
// tests/mesh and the command localstack/cmd/meshdemo use it.
package meshdemo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
	"github.com/portico-gw/portico/pkg/trace"
)

// The demo's services, in call order, and who may call each.
var (
	services = []string{"order", "payment", "fraud", "bank"}
	callerOf = map[string]string{"order": "gateway", "payment": "order", "fraud": "payment", "bank": "fraud"}
	calleeOf = map[string]string{"gateway": "order", "order": "payment", "payment": "fraud", "fraud": "bank"}
)

// PaymentPolicy is the canary policy the demo writes on the payment service:
// 95 % to v1, 5 % to v2, testers (X-Test-User: true) to v2, and an ejection
// after 5 consecutive failures.
var PaymentPolicy = mesh.Policy{
	Versions: []mesh.Weighted{{Version: "v1", Weight: 95}, {Version: "v2", Weight: 5}},
	Routes:   []mesh.Route{{Header: "X-Test-User", Value: "true", Version: "v2"}},
	Retry:    mesh.Retry{Attempts: 3},
	Outlier:  mesh.Outlier{Consecutive5xx: 5},
}

// Config configures a demo.
type Config struct {
	// AWS reaches Cloud Map (an emulator's endpoint in aws.BaseEndpoint).
	AWS aws.Config
	// Namespace is the HTTP namespace to create; it must not exist.
	Namespace string
	// DaemonAddress is where X-Ray segments are sent (UDP).
	DaemonAddress string
	// Seed seeds the mesh clients' random sources, for repeatable splits.
	Seed uint64
	// Work is simulated work per service, such as a slow bank.
	Work map[string]time.Duration
	// Logger receives the mesh's logs. Nil discards.
	Logger *slog.Logger
}

// Demo is a running demo.
type Demo struct {
	cfg         Config
	sd          *servicediscovery.Client
	namespaceID string
	serviceIDs  map[string]string
	instances   map[string][]string // service ID → instance IDs
	servers     []*http.Server
	clients     map[string]*mesh.Client // by calling service, "gateway" included
	tracers     map[string]*trace.Tracer
	sender      *trace.UDP
	failing     sync.Map // instance ID → *atomic.Bool
}

// Receipt is the order service's answer: which instance served each hop.
type Receipt struct {
	TraceID string            `json:"traceId"`
	Hops    map[string]string `json:"hops"`    // service → instance ID
	Version string            `json:"version"` // payment's version
}

// Start creates the namespace, the services (payment with PaymentPolicy),
// starts the servers and registers them. Call Close, also after an error.
func Start(ctx context.Context, cfg Config) (*Demo, error) {
	d := &Demo{cfg: cfg, serviceIDs: map[string]string{}, instances: map[string][]string{}, clients: map[string]*mesh.Client{}, tracers: map[string]*trace.Tracer{}}
	if cfg.Logger == nil {
		d.cfg.Logger = slog.New(slog.DiscardHandler)
	}
	d.sd = servicediscovery.NewFromConfig(cfg.AWS, func(o *servicediscovery.Options) {
		if cfg.AWS.BaseEndpoint != nil {
			o.APIOptions = append(o.APIOptions, awsconfig.DisableHostPrefix)
		}
	})
	if err := d.createNamespace(ctx); err != nil {
		return d, err
	}
	for _, s := range services {
		out, err := d.sd.CreateService(ctx, &servicediscovery.CreateServiceInput{Name: aws.String(s), NamespaceId: aws.String(d.namespaceID), CreatorRequestId: aws.String(randomID())})
		if err != nil {
			return d, fmt.Errorf("meshdemo: create service %s: %w", s, err)
		}
		d.serviceIDs[s] = aws.ToString(out.Service.Id)
	}
	attrs, err := cloudmap.EncodePolicy(PaymentPolicy)
	if err != nil {
		return d, err
	}
	if _, err := d.sd.UpdateServiceAttributes(ctx, &servicediscovery.UpdateServiceAttributesInput{ServiceId: aws.String(d.serviceIDs["payment"]), Attributes: attrs}); err != nil {
		return d, fmt.Errorf("meshdemo: write payment's policy: %w", err)
	}
	now := time.Now()
	ca, err := mtls.NewCA("portico", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		return d, err
	}
	if d.sender, err = trace.DialUDP(cfg.DaemonAddress); err != nil {
		return d, err
	}
	disc, err := cloudmap.New(d.sd, cfg.Namespace)
	if err != nil {
		return d, err
	}
	policies, err := cloudmap.NewPolicies(d.sd, cfg.Namespace)
	if err != nil {
		return d, err
	}
	for i, s := range append([]string{"gateway"}, services...) {
		creds, err := credentials(ctx, ca, s)
		if err != nil {
			return d, err
		}
		if d.tracers[s], err = trace.New(trace.Config{Service: s, Sender: d.sender, Logger: d.cfg.Logger}); err != nil {
			return d, err
		}
		if calleeOf[s] != "" {
			d.clients[s], err = mesh.New(mesh.Config{
				Discoverer: disc, PolicySource: policies, TLS: creds, Tracer: d.tracers[s],
				Random: rand.New(rand.NewPCG(cfg.Seed, uint64(i))), Logger: d.cfg.Logger,
				RefreshInterval: 2 * time.Second,
			})
			if err != nil {
				return d, err
			}
		}
		if s == "gateway" {
			continue
		}
		versions := []string{"v1"}
		if s == "payment" {
			versions = []string{"v1", "v1", "v2"}
		}
		for j, v := range versions {
			id := fmt.Sprintf("%s-%d", s, j+1)
			if s == "payment" {
				id = fmt.Sprintf("payment-%s-%c", v, 'a'+j)
				if v == "v2" {
					id = "payment-v2-a"
				}
			}
			if err := d.serve(ctx, s, id, v, creds); err != nil {
				return d, err
			}
		}
	}
	return d, nil
}

func credentials(ctx context.Context, ca *mtls.CA, service string) (*mtls.Credentials, error) {
	now := time.Now()
	m, err := ca.Issue(service, now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		return nil, err
	}
	src := &mtls.Memory{}
	src.Set(m)
	return mtls.New(ctx, mtls.Config{Source: src})
}

func randomID() string {
	return fmt.Sprintf("%016x", rand.Uint64())
}

func (d *Demo) createNamespace(ctx context.Context) error {
	out, err := d.sd.CreateHttpNamespace(ctx, &servicediscovery.CreateHttpNamespaceInput{Name: aws.String(d.cfg.Namespace), CreatorRequestId: aws.String(randomID())})
	if err != nil {
		return fmt.Errorf("meshdemo: create namespace %s: %w", d.cfg.Namespace, err)
	}
	op, err := d.wait(ctx, aws.ToString(out.OperationId))
	if err != nil {
		return err
	}
	d.namespaceID = op.Targets[string(sdtypes.OperationTargetTypeNamespace)]
	return nil
}

// wait polls a Cloud Map operation until it succeeds.
func (d *Demo) wait(ctx context.Context, id string) (*sdtypes.Operation, error) {
	for {
		out, err := d.sd.GetOperation(ctx, &servicediscovery.GetOperationInput{OperationId: aws.String(id)})
		if err != nil {
			return nil, fmt.Errorf("meshdemo: operation %s: %w", id, err)
		}
		switch out.Operation.Status {
		case sdtypes.OperationStatusSuccess:
			return out.Operation, nil
		case sdtypes.OperationStatusFail:
			return nil, fmt.Errorf("meshdemo: operation %s failed: %s", id, aws.ToString(out.Operation.ErrorMessage))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// serve starts instance id of service (version v) and registers it.
func (d *Demo) serve(ctx context.Context, service, id, version string, creds *mtls.Credentials) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	failing := &atomic.Bool{}
	d.failing.Store(id, failing)
	h := d.tracers[service].Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, id+" is failing", http.StatusInternalServerError)
			return
		}
		time.Sleep(d.cfg.Work[service] / 2) // simulated work before the call
		hops := map[string]string{service: id}
		payVersion := ""
		if service == "payment" {
			payVersion = version
		}
		if next := calleeOf[service]; next != "" {
			var rc Receipt
			if err := d.call(r.Context(), service, r.Header.Get("X-Test-User"), &rc); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			for k, v := range rc.Hops {
				hops[k] = v
			}
			if rc.Version != "" {
				payVersion = rc.Version
			}
		}
		time.Sleep(d.cfg.Work[service] / 2)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(Receipt{TraceID: trace.FromContext(r.Context()).TraceID(), Hops: hops, Version: payVersion})
	}))
	srv := &http.Server{Handler: h, TLSConfig: creds.ServerConfig(callerOf[service]), ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: 10 * time.Second}
	d.servers = append(d.servers, srv)
	go srv.ServeTLS(ln, "", "")
	out, err := d.sd.RegisterInstance(ctx, &servicediscovery.RegisterInstanceInput{
		ServiceId: aws.String(d.serviceIDs[service]), InstanceId: aws.String(id), CreatorRequestId: aws.String(randomID()),
		Attributes: map[string]string{cloudmap.AttrIPv4: "127.0.0.1", cloudmap.AttrPort: strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), mesh.AttrVersion: version},
	})
	if err != nil {
		return fmt.Errorf("meshdemo: register %s: %w", id, err)
	}
	d.instances[d.serviceIDs[service]] = append(d.instances[d.serviceIDs[service]], id)
	_, err = d.wait(ctx, aws.ToString(out.OperationId))
	return err
}

// call makes from's call to the next service through from's mesh client.
func (d *Demo) call(ctx context.Context, from, testUser string, rc *Receipt) error {
	next := calleeOf[from]
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+next+"/"+from+"-calls", http.NoBody)
	req.Header.Set("Idempotency-Key", randomID()) // so the mesh may retry the POST
	if testUser != "" {
		req.Header.Set("X-Test-User", testUser)
	}
	resp, err := d.clients[from].RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("meshdemo: %s answered %d: %s", next, resp.StatusCode, b)
	}
	return json.NewDecoder(resp.Body).Decode(rc)
}

// Order places one order through the whole chain, as the gateway would,
// inside a new trace; testUser sets X-Test-User.
func (d *Demo) Order(ctx context.Context, testUser bool) (Receipt, error) {
	ctx, seg := d.tracers["gateway"].StartSegment(ctx, "gateway", trace.Header{}, true)
	defer seg.End()
	var rc Receipt
	user := ""
	if testUser {
		user = "true"
	}
	err := d.call(ctx, "gateway", user, &rc)
	rc.TraceID = seg.TraceID()
	return rc, err
}

// SetFailing makes an instance answer 500 (true) or work again (false).
func (d *Demo) SetFailing(instance string, fail bool) error {
	v, ok := d.failing.Load(instance)
	if !ok {
		return fmt.Errorf("meshdemo: no instance %s", instance)
	}
	v.(*atomic.Bool).Store(fail)
	return nil
}

// Client returns the mesh client that service uses for its calls
// ("gateway", "order", "payment" or "fraud").
func (d *Demo) Client(service string) *mesh.Client { return d.clients[service] }

// Close stops the servers and deletes what Start created.
func (d *Demo) Close(ctx context.Context) error {
	var errs []error
	for _, srv := range d.servers {
		srv.Close()
	}
	for svcID, ids := range d.instances {
		for _, id := range ids {
			if _, err := d.sd.DeregisterInstance(ctx, &servicediscovery.DeregisterInstanceInput{ServiceId: aws.String(svcID), InstanceId: aws.String(id)}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, id := range d.serviceIDs {
		if _, err := d.sd.DeleteService(ctx, &servicediscovery.DeleteServiceInput{Id: aws.String(id)}); err != nil {
			errs = append(errs, err)
		}
	}
	if d.namespaceID != "" {
		if _, err := d.sd.DeleteNamespace(ctx, &servicediscovery.DeleteNamespaceInput{Id: aws.String(d.namespaceID)}); err != nil {
			errs = append(errs, err)
		}
	}
	if d.sender != nil {
		d.sender.Close()
	}
	return errors.Join(errs...)
}
