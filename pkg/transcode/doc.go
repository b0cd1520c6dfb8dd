// Package transcode lets REST/JSON clients call gRPC/Protobuf backends: the
// protocol translation of the design chapter's gateway, in the manner of
// Envoy's gRPC-JSON transcoder and grpc-gateway.
//
// Backends' services are data, not generated code: Load reads a binary
// FileDescriptorSet (from protoc, buf, or package protoset) into Descriptors.
// Routes bind HTTP methods and path templates to gRPC methods; they are
// derived from google.api.http annotations (Descriptors.Routes) or declared
// explicitly, and Descriptors.Check validates them, refusing client-streaming
// and bidirectional methods with ErrStreaming.
//
// A Transcoder serves the routes of one backend. For each Request it
//
//   - matches the method and path against the routes' templates;
//   - decodes the JSON body with protojson semantics (lowerCamel or proto
//     field names, enums by name or number, the well-known types) into the
//     request message, or into the field the route's Body names, then binds
//     path variables and query parameters to request fields; unknown JSON
//     fields are a 400 naming the field unless the route allows them;
//   - runs the call through the consumer's Caller (the gateway passes its
//     mesh client: balancing, outlier ejection, per-try timeouts, and a
//     retry on another instance when the connection could not be made or
//     the method's idempotency_level allows it), or on the one instance a
//     Resolver names, and calls the method with
//     dynamic messages, the context's deadline sent as grpc-timeout and the
//     identity and trace headers (X-User-*, X-Request-Id, X-Amzn-Trace-Id,
//     Traceparent, ...) sent as gRPC metadata;
//   - translates the JSON straight to the protobuf wire format and the
//     answer straight back, with the descriptors, without a message in
//     between (plan.go); types beneath which are groups, extensions or
//     google.protobuf.Any, path variables and query parameters (bound on a
//     dynamic message), and required fields (checked on one) take the
//     protojson and dynamicpb path instead, whose results the direct path
//     matches (wire_test.go holds them to it);
//   - answers with the response in JSON, a server-streaming method's
//     messages as a JSON array (or newline-delimited JSON for Accept:
//     application/x-ndjson), and a gRPC error status as grpc-gateway does:
//     the HTTP status of HTTPStatusFromCode and an ErrorBody with the code,
//     message and details.
package transcode
