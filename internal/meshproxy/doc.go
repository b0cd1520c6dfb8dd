// Package meshproxy is portico-mesh, the mesh for code in any language: a
// proxy on a loopback port, beside the application, that does for each
// call what package mesh does for Go code in-process. The application calls
//
//	http://localhost:9911/<service>/<path>       (path form), or
//	http://<service>/<path> with HTTP_PROXY=http://localhost:9911   (forward-proxy form)
//
// and the proxy sends the call to an instance of <service> that the mesh
// client chooses: Cloud Map discovery, the service's traffic policy
// (weights, header routes, retries within a budget, per-try timeouts,
// outlier ejection, fault injection, pool limits), mutual TLS when
// certificates are configured, and an X-Ray subsegment per call with the
// trace header passed on.
//
// It lives under internal/ because it is a program, not an API: its
// interface is HTTP on a port and PORTICO_MESH_* variables (Config), and
// Go code that wants the mesh in-process imports package mesh instead.
//
// What it refuses, it refuses before any lookup, with a JSON answer
// {"message", "service"} and the X-Portico-Mesh-Error header (never set by
// a service): a caller not on this host (not_local), a host that is not a
// valid service name or an https:// or CONNECT request (bad_request,
// unsupported), a service not in Config.Services (not_allowed), more
// distinct services than Config.MaxServices (too_many_services), a body
// over the cap (too_large). The mesh's failures are no_instances and
// discovery (503), overflow (503), timeout (504), tls and unreachable
// (502); their messages name the service, never an instance's address. It
// follows no redirect (a 3xx goes back as it came), drops hop-by-hop
// headers and those named in Connection both ways, and cuts off an answer
// that grows past Config.MaxResponseBytes rather than pass a short one that
// looks whole.
//
// Inbound (Config.InboundListen), it terminates mutual TLS in front of a
// local service, admits the callers Config.InboundAllow names (any mesh
// member when empty), and passes the caller's verified identity in
// X-Portico-Caller, dropping any copy the caller sent under any spelling.
//
// Run is the whole program: as a Lambda extension (package
// internal/extension) or a sidecar, see its documentation.
package meshproxy
