// Package mtls gives Portico's mesh mutual TLS with rotation: a service's
// certificate and the CA bundle come from a Source (files, memory, or a
// Secrets Manager secret through package mesh/mtls/secretsmanager), are read
// again on an interval without a restart, and every new handshake uses the
// material current at that moment.
//
// A client presents its certificate through tls.Config.GetClientCertificate
// and checks the server's chain against the current bundle and its identity
// against the service it meant to reach: by default the URI SAN
// spiffe://<trust domain>/<service>, or any URI or DNS name Config.Expect
// returns. A server (ServerConfig) requires a client certificate from the
// same bundle and, optionally, one of a list of services. Expired, untrusted
// and wrong-identity peers are refused.
//
// Credentials implements mesh.ClientTLS, so a mesh.Client given it sends
// https to instances with the expected identity of each service:
//
//	creds, err := mtls.New(ctx, mtls.Config{Source: mtls.Files{Cert: "order.pem", Key: "order-key.pem", CA: "ca.pem"}})
//	client, err := mesh.New(mesh.Config{Discoverer: d, TLS: creds})
//
// NewCA makes a development CA and per-service certificates, for tests and
// the local demo; KeyPEM and ParseCA keep it in a secret store, as the
// Terraform provider's portico_mesh_ca does. Production certificates come
// from your PKI.
package mtls
