package gateway

import (
	"context"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The clean step reads the client's headers in one pass (cleanHeaders). The
// functions below are the two passes it replaced, kept as the oracle it must
// match: build the whole canonical header map, read the trace, request ID
// and trace context from it, then delete what a backend may not receive.

func referenceEventHeaders(ev events.APIGatewayProxyRequest) http.Header {
	if ev.MultiValueHeaders != nil {
		in := make(http.Header, len(ev.MultiValueHeaders))
		for k, vs := range ev.MultiValueHeaders {
			ck := textproto.CanonicalMIMEHeaderKey(k)
			in[ck] = append(in[ck], vs...)
		}
		return in
	}
	in := make(http.Header, len(ev.Headers))
	for k, v := range ev.Headers {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		in[ck] = append(in[ck], v)
	}
	return in
}

func referenceStripClientHeaders(in http.Header) http.Header {
	var named map[string]bool
	for _, v := range in["Connection"] {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				if named == nil {
					named = map[string]bool{}
				}
				var buf [maxFolded]byte
				named[string(fold(buf[:], name))] = true
			}
		}
	}
	parent, state := traceContext(in["Traceparent"], in["Tracestate"])
	for k := range in {
		var buf [maxFolded]byte
		f := fold(buf[:], k)
		if !validHeaderName(k) || owned(f, ownedRequestHeaders, ownedRequestPrefixes) || named[string(f)] {
			delete(in, k)
		}
	}
	if parent != "" {
		in["Traceparent"] = []string{parent}
		if state != "" {
			in["Tracestate"] = []string{state}
		}
	}
	return in
}

// referenceClean is what the clean step made of ev's headers before.
func referenceClean(ev events.APIGatewayProxyRequest) (header http.Header, trace, clientID string, valid bool) {
	in := referenceEventHeaders(ev)
	trace = traceHeader(context.Background(), in["X-Amzn-Trace-Id"])
	clientID, valid = clientRequestID(in["X-Request-Id"])
	return referenceStripClientHeaders(in), trace, clientID, valid
}

// sameHeaders compares header maps, the values of a name as a multiset: two
// spellings of one name merge in map iteration order, in both versions (and
// so do the members of Tracestate, joined from several spellings).
func sameHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok || len(va) != len(vb) {
			return false
		}
		sa, sb := slices.Clone(va), slices.Clone(vb)
		if k == "Tracestate" && len(sa) == 1 && len(sb) == 1 {
			sa, sb = strings.Split(sa[0], ","), strings.Split(sb[0], ",")
		}
		slices.Sort(sa)
		slices.Sort(sb)
		if !slices.Equal(sa, sb) {
			return false
		}
	}
	return true
}

// eventOf builds an event from "name: value" lines, multi-value or not.
func eventOf(lines string, multi bool) events.APIGatewayProxyRequest {
	var ev events.APIGatewayProxyRequest
	if multi {
		ev.MultiValueHeaders = map[string][]string{}
	} else {
		ev.Headers = map[string]string{}
	}
	for l := range strings.SplitSeq(lines, "\n") {
		k, v, _ := strings.Cut(l, ":")
		if multi {
			ev.MultiValueHeaders[k] = append(ev.MultiValueHeaders[k], strings.TrimPrefix(v, " "))
		} else {
			ev.Headers[k] = strings.TrimPrefix(v, " ")
		}
	}
	return ev
}

var cleanHeaderCases = []string{
	"Accept: a\naccept: b\nX-User-Id: root\nx_user_roles: admin\nAuthorization: Bearer x",
	"Connection: X-Custom, keep-alive\nX-Custom: v\nx_custom: w\nKeep-Alive: 5\nAccept: a",
	"X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793\nx-amzn-trace-id: Root=1-5759e988-bd862e3fe1be46a994272794",
	"X_Amzn_Trace_Id: Root=1-5759e988-bd862e3fe1be46a994272793\nX-Request-Id: 11111111-2222-4333-8444-555555555555",
	"x-request-id: 11111111-2222-4333-8444-555555555555",
	"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\ntracestate: a=1,b=2\nTracestate: c=3",
	"Traceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01\nTracestate: a=1",
	"bad header: x\nX-Ok: y\nhost: evil\nX-HTTP-Method-Override: DELETE\nX_Original_URL: /admin\nForwarded: for=1.2.3.4",
	"connection: accept\nAccept: a\nX-Forwarded-For: 1.2.3.4\nContent-Length: 5",
	"",
}

// TestCleanHeadersMatchesReference: the one-pass read gives what the two
// passes gave, on hand-picked headers.
func TestCleanHeadersMatchesReference(t *testing.T) {
	for _, lines := range cleanHeaderCases {
		for _, multi := range []bool{true, false} {
			t.Run(strings.ReplaceAll(lines, "\n", "|"), func(t *testing.T) {
				checkCleanHeaders(t, eventOf(lines, multi))
			})
		}
	}
}

func checkCleanHeaders(t *testing.T, ev events.APIGatewayProxyRequest) {
	t.Helper()
	orig := referenceEventHeaders(ev) // to check the event is left as it was
	wantHeader, wantTrace, wantID, wantValid := referenceClean(ev)
	got := cleanHeaders(&ev)
	trace := traceHeader(context.Background(), got.trace)
	id, valid := clientRequestID(got.requestID)
	if !sameHeaders(got.header, wantHeader) || trace != wantTrace || id != wantID || valid != wantValid {
		t.Fatalf("got %v trace %q id %q %v, want %v trace %q id %q %v", got.header, trace, id, valid, wantHeader, wantTrace, wantID, wantValid)
	}
	// The event's values are never written through the header map.
	for k, vs := range got.header {
		got.header[k] = append(vs, "appended")
	}
	if after := referenceEventHeaders(ev); !sameHeaders(after, orig) {
		t.Fatalf("the event's headers changed: got %v, want %v", after, orig)
	}
}

// FuzzCleanHeadersMatchesReference: the same on any headers.
//
//	go test -run '^$' -fuzz FuzzCleanHeadersMatchesReference -fuzztime 5m ./internal/gateway
func FuzzCleanHeadersMatchesReference(f *testing.F) {
	for _, c := range cleanHeaderCases {
		f.Add(c, true)
		f.Add(c, false)
	}
	f.Fuzz(func(t *testing.T, lines string, multi bool) {
		checkCleanHeaders(t, eventOf(lines, multi))
	})
}
