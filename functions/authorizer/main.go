// Command authorizer is Portico's Lambda authorizer (see package
// internal/authorizer). Its settings come from the state table, or from the
// environment:
//
//	PORTICO_TABLE           the state table: the settings document is its item
//	                        config#auth (portico_auth_settings), followed live
//	PORTICO_CONFIG_REFRESH  how often the configuration's revision is read (default 30s)
//
// or, without PORTICO_TABLE, fixed for the life of the function:
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

	"github.com/portico-gw/portico/internal/authorizer"
	"github.com/portico-gw/portico/internal/config/dynamohttp"
	"github.com/portico-gw/portico/internal/logging"
)

func main() {
	log := logging.New(os.Stdout, slog.LevelInfo).With("function", "authorizer")
	handle, err := build(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("cold start: configuration", "err", err)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(handle)
}

type handler = func(context.Context, authorizer.Event) (authorizer.Response, error)

func build(ctx context.Context, getenv func(string) string, log *slog.Logger) (handler, error) {
	if table := getenv("PORTICO_TABLE"); table != "" {
		return buildLive(ctx, getenv, table, log)
	}
	var s authorizer.Settings
	if doc := getenv("PORTICO_AUTH_CONFIG"); doc != "" {
		var err error
		if s, err = authorizer.Check([]byte(doc)); err != nil {
			return nil, err
		}
	} else {
		s.Issuers = []authorizer.IssuerSettings{{
			Issuer:     getenv("PORTICO_JWT_ISSUER"),
			Audiences:  []string{getenv("PORTICO_JWT_AUDIENCE")},
			PublicKeys: map[string]string{"": getenv("PORTICO_JWT_PUBLIC_KEY")},
		}}
	}
	h, err := authorizer.FromSettings(ctx, s, log)
	if err != nil {
		return nil, err
	}
	return h.Handle, nil
}

// buildLive follows the settings in table. Settings that cannot be loaded
// yet do not stop the function: it answers errors until they can.
func buildLive(ctx context.Context, getenv func(string) string, table string, log *slog.Logger) (handler, error) {
	var refresh time.Duration
	if v := getenv("PORTICO_CONFIG_REFRESH"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("PORTICO_CONFIG_REFRESH %q: want a positive duration such as 30s", v)
		}
		refresh = d
	}
	cfg, err := dynamohttp.FromEnv(getenv, table)
	if err != nil {
		return nil, err
	}
	src, err := dynamohttp.New(cfg)
	if err != nil {
		return nil, err
	}
	l, err := authorizer.NewLive(authorizer.LiveConfig{Source: src, Refresh: refresh, Logger: log})
	if err != nil {
		return nil, err
	}
	if err := l.Load(ctx); err != nil {
		log.Warn("cold start: no authorizer settings yet; answering errors until they load", "err", err)
	}
	return l.Handle, nil
}
