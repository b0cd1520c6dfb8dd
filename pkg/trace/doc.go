// Package trace is Portico's small tracing library: it writes AWS X-Ray
// segment documents itself (aws-xray-sdk-go is in maintenance mode) and
// sends them over UDP to the X-Ray daemon or the Lambda runtime's daemon
// endpoint, and it parses and propagates the X-Amzn-Trace-Id header.
//
// A server continues the caller's trace with Tracer.Middleware, which starts
// a segment per request (a new trace when the request has no valid header).
// A client call is a subsegment: Tracer.StartCall, Tracer.Inject to set the
// outgoing header, Tracer.EndCall. The mesh client does that for every call
// when mesh.Config.Tracer is set, so a chain order → payment → fraud → bank
// is one trace with a segment per service and a subsegment per call.
//
// The package is deliberately small and replaceable: the mesh depends only
// on the three methods of mesh.Tracer.
package trace
