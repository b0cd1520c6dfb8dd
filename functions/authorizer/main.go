// Command authorizer is Portico's Lambda authorizer (see package
// internal/authorizer). Configuration comes from the environment:
//
//	PORTICO_AUTH_CONFIG     the settings document (JSON, see authorizer.Settings), or
//	PORTICO_JWT_PUBLIC_KEY  for a single issuer: PEM public key (RS256),
//	PORTICO_JWT_ISSUER      its iss,
//	PORTICO_JWT_AUDIENCE    and its aud.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/authorizer"
	"github.com/portico-gw/portico/internal/logging"
)

func main() {
	log := logging.New(os.Stdout, slog.LevelInfo).With("function", "authorizer")
	h, err := build(context.Background(), log)
	if err != nil {
		log.Error("cold start: configuration", "err", err)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func build(ctx context.Context, log *slog.Logger) (*authorizer.Handler, error) {
	var s authorizer.Settings
	if doc := os.Getenv("PORTICO_AUTH_CONFIG"); doc != "" {
		var err error
		if s, err = authorizer.ParseSettings([]byte(doc)); err != nil {
			return nil, err
		}
	} else {
		s.Issuers = []authorizer.IssuerSettings{{
			Issuer:     os.Getenv("PORTICO_JWT_ISSUER"),
			Audiences:  []string{os.Getenv("PORTICO_JWT_AUDIENCE")},
			PublicKeys: map[string]string{"": os.Getenv("PORTICO_JWT_PUBLIC_KEY")},
		}}
	}
	v, err := auth.New(ctx, s.AuthConfig())
	if err != nil {
		return nil, err
	}
	cache, err := auth.NewCache(v, auth.CacheConfig{TTL: time.Duration(s.CacheTTLSeconds) * time.Second})
	if err != nil {
		return nil, err
	}
	return authorizer.New(authorizer.Config{Verifier: cache, V2IAMResponse: s.V2Response == "iam", Logger: log})
}
