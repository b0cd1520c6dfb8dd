package authorizer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/config/live"
	"github.com/portico-gw/portico/internal/statetable"
)

// FromSettings returns the Handler of settings s. ctx bounds the background
// refresh of the issuers' JWKS sets: cancel it once the Handler is no longer
// used.
func FromSettings(ctx context.Context, s Settings, log *slog.Logger) (*Handler, error) {
	v, err := auth.New(ctx, s.AuthConfig())
	if err != nil {
		return nil, err
	}
	cache, err := auth.NewCache(v, auth.CacheConfig{TTL: time.Duration(s.CacheTTLSeconds) * time.Second})
	if err != nil {
		return nil, err
	}
	return New(Config{Verifier: cache, V2IAMResponse: s.V2Response == "iam", Logger: log})
}

// ErrNotLoaded: the settings have never been loaded (the state table holds
// none, or could not be read since the function started). The authorizer
// then answers an error, which API Gateway turns into a 500, rather than
// decide with settings it does not have.
var ErrNotLoaded = errors.New("authorizer: settings not loaded")

// LiveConfig configures a Live authorizer.
type LiveConfig struct {
	// Source is the state table. Required.
	Source live.Source
	// Refresh is how often the configuration's revision is read; default
	// 30s.
	Refresh time.Duration
	// Logger receives decisions and loads. Nil discards.
	Logger *slog.Logger
	// Now is the time source of refreshes; nil means time.Now.
	Now func() time.Time
}

// Live is the authorizer on the settings document the provider writes to
// the state table (item config#auth), rebuilt when the configuration's
// revision moves and the document changed: an issuer, key, audience or
// claim change is a terraform apply, not a redeploy. A document that does
// not validate leaves the settings in use, as for the aggregator's
// configuration.
type Live struct {
	watch *live.Watch[*generation]
}

// generation is one settings document's Handler, with what stops its JWKS
// refreshes when the Watch releases it.
type generation struct {
	doc  []byte
	h    *Handler
	stop context.CancelFunc
}

func (g *generation) Release() { g.stop() }

// NewLive returns a Live authorizer. It reads nothing until Load or the
// first event.
func NewLive(cfg LiveConfig) (*Live, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w, err := live.NewWatch(live.Config{
		Source: cfg.Source, Name: "authorizer settings", Refresh: cfg.Refresh, Logger: log, Now: cfg.Now,
		// A build may fetch JWKS sets (each bounded by its own 2 s timeout).
		LoadTimeout: 5 * time.Second,
	}, buildGeneration(log))
	if err != nil {
		return nil, err
	}
	return &Live{watch: w}, nil
}

func buildGeneration(log *slog.Logger) live.Build[*generation] {
	return func(ctx context.Context, src live.Source, _ int64, prev *generation) (*generation, error) {
		docs, err := src.Documents(ctx, []string{statetable.AuthKey})
		if err != nil {
			return nil, err
		}
		doc, ok := docs[statetable.AuthKey]
		if !ok {
			return nil, fmt.Errorf("%w: no authorizer settings (item %s)", live.ErrMissing, statetable.AuthKey)
		}
		if prev != nil && bytes.Equal(doc, prev.doc) {
			return prev, nil // another document moved the revision: keep the keys and decisions
		}
		s, err := Check(doc)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", live.ErrInvalid, err)
		}
		bg, stop := context.WithCancel(context.Background())
		h, err := FromSettings(bg, s, log)
		if err != nil {
			stop()
			return nil, fmt.Errorf("%w: %w", live.ErrInvalid, err)
		}
		return &generation{doc: doc, h: h, stop: stop}, nil
	}
}

// Load reads the settings now; the function calls it at its start, and
// carries on without them (answering ErrNotLoaded) if it fails.
func (l *Live) Load(ctx context.Context) error {
	return l.watch.Load(ctx)
}

// Handle answers an event with the settings in use, reading the revision
// first when a refresh is due.
func (l *Live) Handle(ctx context.Context, ev Event) (Response, error) {
	g, ok := l.watch.Current(ctx)
	if !ok {
		return Response{}, ErrNotLoaded
	}
	return g.h.Handle(ctx, ev)
}
