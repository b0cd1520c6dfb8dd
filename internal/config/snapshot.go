package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/portico-gw/portico/internal/config/live"
	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/ratelimit"
	"github.com/portico-gw/portico/pkg/transcode"
)

// Snapshot is the aggregator's configuration at one revision: what the
// request path needs, built from the route table (with its permissions), the
// limits document, the descriptor sets the gRPC routes name and the policies
// of the services the routes call. It is immutable and safe for concurrent
// use.
type Snapshot struct {
	// Revision is the revision the snapshot was built from.
	Revision int64
	// Routes is the route table, with its permissions.
	Routes *route.Table
	// Limits are the rate limits of the limits document, or the defaults
	// while none is stored; nil without either.
	Limits *ratelimit.Set
	// Usage is the limits document's usage section: what the usage counters
	// count; nil counts nothing.
	Usage *ratelimit.Usage

	transcoders map[string]*sharedTranscoder // by route ID
	policies    map[string]mesh.Policy       // in effect, by service

	// The documents the parts were built from, to reuse a part whose
	// documents did not change.
	routesDoc, limitsDoc []byte
	descriptorDocs       map[string][]byte
	policyDocs           map[string][]byte
}

// Fixed returns a snapshot of routes and limits (nil for none), with no gRPC
// transcoders and no stored policies: a configuration that never changes, for
// tests and examples. Use a Watch and a Builder for anything else.
func Fixed(routes *route.Table, limits *ratelimit.Set) *Snapshot {
	return &Snapshot{Routes: routes, Limits: limits}
}

// Current returns s, so that a fixed snapshot serves where a Watch would.
func (s *Snapshot) Current(context.Context) (*Snapshot, bool) { return s, s != nil }

// Transcoder returns the transcoder of the gRPC route routeID, or nil.
func (s *Snapshot) Transcoder(routeID string) *transcode.Transcoder {
	if t := s.transcoders[routeID]; t != nil {
		return t.t
	}
	return nil
}

// Policy returns the traffic policy in effect for service: its stored policy
// (the zero Policy, the defaults, when none is stored) with the per-try
// timeout raised to the longest timeout the route table sets explicitly for
// the service; false when neither exists, and the mesh's own configuration
// applies.
func (s *Snapshot) Policy(service string) (mesh.Policy, bool) {
	p, ok := s.policies[service]
	return p, ok
}

// Release closes the connections of the snapshot's transcoders that no newer
// snapshot shares (Watch calls it).
func (s *Snapshot) Release() {
	for _, t := range s.transcoders {
		t.release()
	}
}

// sharedTranscoder is a transcoder held by one or more snapshots; the last
// one to release it closes it.
type sharedTranscoder struct {
	t    *transcode.Transcoder
	refs atomic.Int32
}

func (t *sharedTranscoder) acquire() *sharedTranscoder {
	t.refs.Add(1)
	return t
}

func (t *sharedTranscoder) release() {
	if t.refs.Add(-1) == 0 {
		t.t.Close()
	}
}

// GRPCMetadata are the request headers a gRPC backend receives as metadata:
// the gateway's identity, request, trace and enrichment headers. The client's
// own headers are not sent.
var GRPCMetadata = []string{
	"X-User-*", "X-Api-Key-Id", "X-Request-Id", "X-Amzn-Trace-Id", "Traceparent", "Tracestate",
	"X-Forwarded-For", "X-Forwarded-Proto", "X-Request-Start",
}

// SnapshotConfig configures a Builder.
type SnapshotConfig struct {
	// LimitStore keeps the rate-limit counters. Without it the snapshot has
	// no limits.
	LimitStore ratelimit.Store
	// DefaultLimits apply while no limits document is stored.
	DefaultLimits []ratelimit.Rule
	// Transcoding is the template of the gRPC routes' transcoders: Caller
	// (or Resolver), DialOptions and Logger; the Service, Descriptors,
	// Routes and Metadata of each are filled in per route.
	Transcoding transcode.Config
	// Logger receives what a snapshot's parts log. Nil discards.
	Logger *slog.Logger
	// Now is the limits' clock. Nil means time.Now.
	Now func() time.Time
	// StoreTimeout bounds the limits' store calls of one decision (see
	// ratelimit.Config.StoreTimeout) where a rule sets none; 0 keeps
	// ratelimit.DefaultStoreTimeout.
	StoreTimeout time.Duration
}

// Builder builds Snapshots; its Build is a Build[*Snapshot] for a Watch.
type Builder struct {
	cfg SnapshotConfig
}

// NewBuilder returns a Builder for cfg.
func NewBuilder(cfg SnapshotConfig) *Builder {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Builder{cfg: cfg}
}

// Build reads the route table and the limits document, then the descriptor
// sets and service policies the table names (two reads of the Source), checks
// them together and builds the snapshot, reusing the parts of prev whose
// documents did not change. A missing route table or descriptor set wraps
// live.ErrMissing; a document that does not validate wraps live.ErrInvalid and names it.
func (b *Builder) Build(ctx context.Context, src live.Source, rev int64, prev *Snapshot) (*Snapshot, error) {
	docs, err := src.Documents(ctx, []string{statetable.RoutesKey, statetable.LimitsKey})
	if err != nil {
		return nil, fmt.Errorf("config: read the route table and limits: %w", err)
	}
	s := &Snapshot{Revision: rev, routesDoc: docs[statetable.RoutesKey], limitsDoc: docs[statetable.LimitsKey]}
	if s.routesDoc == nil {
		return nil, fmt.Errorf("%w: no route table (item %s)", live.ErrMissing, statetable.RoutesKey)
	}
	if prev != nil && bytes.Equal(s.routesDoc, prev.routesDoc) {
		s.Routes = prev.Routes
	} else if s.Routes, err = route.Parse(s.routesDoc); err != nil {
		return nil, fmt.Errorf("%w: route table: %w", live.ErrInvalid, err)
	}
	if s.Limits, err = b.limits(s.limitsDoc, prev); err != nil {
		return nil, err
	}
	if s.limitsDoc != nil {
		if s.Usage, err = ratelimit.ParseUsage(s.limitsDoc); err != nil {
			return nil, fmt.Errorf("%w: limits (item %s): %w", live.ErrInvalid, statetable.LimitsKey, err)
		}
	}

	var keys []string
	for _, name := range s.Routes.DescriptorSets() {
		keys = append(keys, statetable.DescriptorsKey(name))
	}
	for _, svc := range s.Routes.Services() {
		keys = append(keys, statetable.PolicyKey(svc))
	}
	named := map[string][]byte{}
	if len(keys) > 0 {
		if named, err = src.Documents(ctx, keys); err != nil {
			return nil, fmt.Errorf("config: read the descriptor sets and policies: %w", err)
		}
	}
	if err := b.transcoders(s, named, prev); err != nil {
		return nil, err
	}
	if err := b.policies(s, named); err != nil {
		if s.transcoders != nil {
			s.Release() // built for nothing
		}
		return nil, err
	}
	return s, nil
}

// limits returns the limit set of doc (the defaults when nil), prev's when
// the document did not change, so that leases carry on.
func (b *Builder) limits(doc []byte, prev *Snapshot) (*ratelimit.Set, error) {
	if b.cfg.LimitStore == nil {
		return nil, nil
	}
	if prev != nil && prev.Limits != nil && bytes.Equal(doc, prev.limitsDoc) {
		return prev.Limits, nil
	}
	rules := b.cfg.DefaultLimits
	if doc != nil {
		var err error
		if rules, err = ratelimit.ParseDocument(doc); err != nil {
			return nil, fmt.Errorf("%w: limits (item %s): %w", live.ErrInvalid, statetable.LimitsKey, err)
		}
	}
	if len(rules) == 0 {
		return nil, nil
	}
	rules = slices.Clone(rules)
	for i := range rules {
		if rules[i].Limit.Logger == nil {
			rules[i].Limit.Logger = b.cfg.Logger
		}
		if rules[i].Limit.Now == nil {
			rules[i].Limit.Now = b.cfg.Now
		}
		if rules[i].Limit.StoreTimeout == 0 {
			rules[i].Limit.StoreTimeout = b.cfg.StoreTimeout
		}
	}
	set, err := ratelimit.NewSet(b.cfg.LimitStore, rules)
	if err != nil {
		return nil, fmt.Errorf("%w: limits: %w", live.ErrInvalid, err)
	}
	return set, nil
}

// transcoders builds a transcoder per gRPC route from the descriptor sets in
// named, or takes prev's when the route table and the sets did not change.
func (b *Builder) transcoders(s *Snapshot, named map[string][]byte, prev *Snapshot) error {
	names := s.Routes.DescriptorSets()
	if len(names) == 0 {
		return nil
	}
	s.descriptorDocs = map[string][]byte{}
	for _, name := range names {
		doc, ok := named[statetable.DescriptorsKey(name)]
		if !ok {
			return fmt.Errorf("%w: descriptor set %q (item %s), named by the route table", live.ErrMissing, name, statetable.DescriptorsKey(name))
		}
		s.descriptorDocs[name] = doc
	}
	if prev != nil && bytes.Equal(s.routesDoc, prev.routesDoc) && maps.EqualFunc(s.descriptorDocs, prev.descriptorDocs, bytes.Equal) {
		s.transcoders = map[string]*sharedTranscoder{}
		for id, t := range prev.transcoders {
			s.transcoders[id] = t.acquire()
		}
		return nil
	}
	sets := map[string]*transcode.Descriptors{}
	for name, doc := range s.descriptorDocs {
		d, err := transcode.Load(doc)
		if err != nil {
			return fmt.Errorf("%w: descriptor set %q: %w", live.ErrInvalid, name, err)
		}
		sets[name] = d
	}
	routes, err := s.Routes.GRPC(sets)
	if err != nil {
		return fmt.Errorf("%w: %w", live.ErrInvalid, err)
	}
	s.transcoders = map[string]*sharedTranscoder{}
	for _, r := range s.Routes.GRPCRoutes() {
		cfg := b.cfg.Transcoding
		cfg.Service, cfg.Descriptors, cfg.Routes, cfg.Metadata = r.GRPC.Service, sets[r.GRPC.Descriptors], routes[r.ID], GRPCMetadata
		t, err := transcode.New(cfg)
		if err != nil {
			s.Release()
			return fmt.Errorf("%w: route %q: %w", live.ErrInvalid, r.ID, err)
		}
		st := &sharedTranscoder{t: t}
		s.transcoders[r.ID] = st.acquire()
	}
	return nil
}

// policies parses the stored policy of every service the routes call and
// raises each per-try timeout to the route table's timeouts for the service:
// the mesh gives each attempt mesh.DefaultPerTryTimeout (2 s) unless a policy
// says otherwise, so a route with a 30 s timeout would end after 2 s per try.
func (b *Builder) policies(s *Snapshot, named map[string][]byte) error {
	s.policies, s.policyDocs = map[string]mesh.Policy{}, map[string][]byte{}
	timeouts := s.Routes.ServiceTimeouts()
	for _, svc := range s.Routes.Services() {
		doc, stored := named[statetable.PolicyKey(svc)]
		var p mesh.Policy
		if stored {
			var err error
			if p, err = mesh.ParsePolicy(doc); err != nil {
				return fmt.Errorf("%w: policy of %s (item %s): %w", live.ErrInvalid, svc, statetable.PolicyKey(svc), err)
			}
			s.policyDocs[svc] = doc
		}
		want := timeouts[svc]
		if !stored && want == 0 {
			continue
		}
		cur := time.Duration(p.Retry.PerTryTimeout)
		if cur == 0 {
			cur = mesh.DefaultPerTryTimeout
		}
		if want > cur {
			p.Retry.PerTryTimeout = mesh.Duration(want)
		}
		s.policies[svc] = p
	}
	return nil
}

// Policies is the mesh.PolicySource of a Watch of Snapshots: a service's
// policy comes from the snapshot in use, read from memory.
type Policies struct {
	Watch *live.Watch[*Snapshot]
}

var _ mesh.PolicySource = Policies{}

// Policy implements mesh.PolicySource.
func (p Policies) Policy(_ context.Context, service string) (mesh.Policy, bool, error) {
	s, ok := p.Watch.Value()
	if !ok {
		return mesh.Policy{}, false, errors.New("config: no configuration loaded yet")
	}
	pol, ok := s.Policy(service)
	return pol, ok, nil
}
