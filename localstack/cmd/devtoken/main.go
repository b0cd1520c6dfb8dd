// Command devtoken makes the local environment's signing key and mints demo
// tokens:
//
//	devtoken keygen -private key.pem -public key.pub.pem
//	devtoken mint -key key.pem -iss https://portico.local -aud portico -sub user-123 -roles admin,reader
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/portico-gw/portico/localstack/devtoken"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "devtoken:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: devtoken keygen|mint [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	switch args[0] {
	case "keygen":
		priv := fs.String("private", "", "path to write the private key (PEM)")
		pub := fs.String("public", "", "path to write the public key (PEM)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *priv == "" || *pub == "" {
			return errors.New("keygen: -private and -public are required")
		}
		if _, err := os.Stat(*priv); err == nil {
			return nil // keep an existing key: tokens minted earlier stay valid
		}
		privPEM, pubPEM, err := devtoken.GenerateKey()
		if err != nil {
			return err
		}
		if err := os.WriteFile(*pub, pubPEM, 0o644); err != nil {
			return err
		}
		return os.WriteFile(*priv, privPEM, 0o600)
	case "mint":
		key := fs.String("key", "", "private key (PEM)")
		c := devtoken.Claims{}
		fs.StringVar(&c.Issuer, "iss", "", "issuer")
		fs.StringVar(&c.Audience, "aud", "", "audience")
		fs.StringVar(&c.Subject, "sub", "user-123", "subject (user ID)")
		fs.StringVar(&c.KeyID, "kid", "", "key ID header")
		roles := fs.String("roles", "", "comma-separated roles")
		fs.DurationVar(&c.TTL, "ttl", time.Hour, "lifetime (negative for an expired token)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *roles != "" {
			c.Roles = strings.Split(*roles, ",")
		}
		pem, err := os.ReadFile(*key)
		if err != nil {
			return err
		}
		tok, err := devtoken.Mint(pem, c)
		if err != nil {
			return err
		}
		fmt.Println(tok)
		return nil
	}
	return fmt.Errorf("unknown command %q: want keygen or mint", args[0])
}
