// Command devtoken makes the local environment's signing key and mints demo
// tokens:
//
//	devtoken keygen -private key.pem -public key.pub.pem
//	devtoken mint -key key.pem -iss https://portico.local -aud portico -sub user-123 -roles admin,reader
//	devtoken mint -key key.pem -kid demo-1 -iss http://127.0.0.1:18089 -aud portico -claims '{"realm_access":{"roles":["admin"]}}'
//	devtoken serve -public key.pub.pem -kid demo-1 -listen 127.0.0.1:18089
//
// serve runs a small OpenID Connect issuer (discovery document and JWK Set of
// the key) at http://<listen>, the issuer URL of the tokens to mint.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
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
		return errors.New("usage: devtoken keygen|mint|serve [flags]")
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
		extra := fs.String("claims", "", "more claims, a JSON object (nested claims such as realm_access.roles, tenants)")
		fs.DurationVar(&c.TTL, "ttl", time.Hour, "lifetime (negative for an expired token)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *roles != "" {
			c.Roles = strings.Split(*roles, ",")
		}
		if *extra != "" {
			if err := json.Unmarshal([]byte(*extra), &c.Extra); err != nil {
				return fmt.Errorf("mint: -claims: want a JSON object: %w", err)
			}
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
	case "serve":
		pub := fs.String("public", "", "the signing key's public half (PEM)")
		kid := fs.String("kid", "", "key ID of the key in the JWK Set")
		listen := fs.String("listen", "127.0.0.1:18089", "address to listen on; the issuer URL is http://<listen>")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		pem, err := os.ReadFile(*pub)
		if err != nil {
			return err
		}
		issuer := devtoken.Issuer{URL: "http://" + *listen, KeyID: *kid, PublicKey: pem}
		h, err := issuer.Handler()
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return err
		}
		fmt.Printf("OpenID Connect issuer %s: %s%s\n", issuer.URL, issuer.URL, "/.well-known/openid-configuration")
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		return srv.Serve(ln)
	}
	return fmt.Errorf("unknown command %q: want keygen, mint or serve", args[0])
}
