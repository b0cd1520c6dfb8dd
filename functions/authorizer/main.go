// Command authorizer is Portico's Lambda authorizer. It verifies the bearer token
// of every request and returns an IAM policy with the caller's identity as
// context. Configuration comes from the environment:
//
//	PORTICO_JWT_PUBLIC_KEY  PEM of the RSA public key that verifies tokens (RS256)
//	PORTICO_JWT_ISSUER      required iss claim
//	PORTICO_JWT_AUDIENCE    required aud value
package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/portico-gw/portico/internal/authorizer"
	"github.com/portico-gw/portico/internal/logging"
	"github.com/portico-gw/portico/pkg/auth"
)

func main() {
	log := logging.New(os.Stdout, slog.LevelInfo).With("function", "authorizer")
	v, err := auth.New(auth.Config{
		PublicKeyPEM: []byte(os.Getenv("PORTICO_JWT_PUBLIC_KEY")),
		Issuer:       os.Getenv("PORTICO_JWT_ISSUER"),
		Audience:     os.Getenv("PORTICO_JWT_AUDIENCE"),
	})
	if err != nil {
		log.Error("cold start: configuration", "err", err)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(authorizer.New(v, log).Handle)
}
