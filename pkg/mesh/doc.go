// Package mesh is Portico's sidecar-free service mesh client. Application code
// makes ordinary HTTP calls to a logical service name, such as
// http://payment-service/charge, through a Client (an http.RoundTripper, or the
// *http.Client from HTTPClient); the Client resolves the name to an instance
// and never lets the caller see discovery, balancing or retries.
//
// For each request the Client:
//
//   - finds the service's instances through a Discoverer (AWS Cloud Map in
//     production, see package mesh/cloudmap), cached for RefreshInterval; when
//     the Discoverer is also a Reviser, a cheap revision check replaces most
//     full discoveries. The last known instances are kept when discovery fails,
//     and the discovery call rate is bounded per process whatever the request
//     rate;
//   - filters the instances by the policy's Match attributes and by health
//     (healthy instances, or all of them when none is healthy);
//   - chooses a version: the first matching header Route, else a weighted
//     draw over Versions (a canary split);
//   - applies fault injection (delay, abort) when the policy asks for it;
//   - enforces the pool limits (circuit breaking) with fast OverflowErrors;
//   - picks an instance that is not ejected by outlier detection (with
//     Config.Ejections, ejections are shared with other processes: package
//     mesh/dynamo), with power-of-two-choices least-request (default) or
//     round robin;
//   - retries failed attempts (5xx, connect failure, connection reset,
//     per-try timeout) of idempotent requests with jittered backoff, within a
//     retry budget and never past the caller's deadline;
//   - records per service, version and instance metrics (Snapshot, WriteEMF);
//   - with Config.TLS, connects to instances over TLS and checks each one's
//     identity (package mesh/mtls: mutual TLS with certificate and CA
//     rotation);
//   - with Config.Tracer, records a span per call and propagates the trace
//     header (package trace: X-Ray segments).
//
// Protocols other than HTTP use Call: the caller makes each try on the
// instance it is given (the gateway's gRPC backends, package transcode), and
// the Client does the choosing, the pool limit, the per-try timeout, outlier
// detection, metrics and retries as above; fault injection, TLS and tracing
// are the caller's there.
//
// A service's traffic policy is data: a JSON-serialisable Policy, validated by
// Policy.Validate (ParsePolicy reads it strictly). The control plane is the
// Terraform provider, which writes it as a Cloud Map service attribute
// (portico_service's policy); with Config.PolicySource (mesh/cloudmap's
// Policies) the Client reads it at most once per service per PolicyInterval
// and keeps the last good one when a new one fails to read or validate.
// Config.Policies and Config.Policy apply where the control plane holds
// none. The zero Policy means
// the defaults of the design chapter: 3 attempts, 2 s per try, 5 consecutive 5xx
// eject an instance for 60 s × times ejected (at most 300 s, at most 50 % of
// instances), at most 100 connections and 1,000 concurrent requests per service.
package mesh
