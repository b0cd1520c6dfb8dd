package meshproxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
)

// Headers the proxy sets.
const (
	// CallerHeader carries, to a service behind the inbound proxy, the
	// verified identity of its caller, such as spiffe://portico/order.
	// A caller's own copy, under any spelling, never passes.
	CallerHeader = "X-Portico-Caller"
	// ErrorHeader marks an answer the proxy made itself, with the error's
	// code (see the package documentation); a service's answers never
	// carry it.
	ErrorHeader = "X-Portico-Mesh-Error"
)

// Error codes, the value of ErrorHeader.
const (
	codeNotLocal    = "not_local"
	codeBadRequest  = "bad_request"
	codeNotAllowed  = "not_allowed"
	codeTooMany     = "too_many_services"
	codeTooLarge    = "too_large"
	codeNoInstances = "no_instances"
	codeDiscovery   = "discovery"
	codeOverflow    = "overflow"
	codeTimeout     = "timeout"
	codeTLS         = "tls"
	codeTLSRequired = "tls_required"
	codeUnreachable = "unreachable"
	codeStarting    = "starting"
	codeUnsupported = "unsupported"
)

// hopByHop are the headers of one connection (RFC 9110, 7.6.1), never
// forwarded, with the headers named in Connection.
var hopByHop = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// cleanHeader returns a copy of h without hop-by-hop headers and those
// that its Connection header names.
func cleanHeader(h http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	for _, v := range h.Values("Connection") {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				out.Del(name)
			}
		}
	}
	for _, name := range hopByHop {
		out.Del(name)
	}
	return out
}

// foldName folds a header name's case and '_' to '-', as many servers do
// when they map headers to variables (X_Portico_Caller is X-Portico-Caller
// to them).
func foldName(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// deleteFolded removes every spelling of name from h.
func deleteFolded(h http.Header, name string) {
	want := foldName(name)
	for k := range h {
		if foldName(k) == want {
			delete(h, k)
		}
	}
}

// isUpgrade reports a request to switch protocols (WebSocket, h2c).
func isUpgrade(r *http.Request) bool {
	return r.Header.Get("Upgrade") != ""
}

// errTooLarge: a body is over its cap.
var errTooLarge = errors.New("body too large")

// readBody reads r's body whole, up to max bytes, so that the mesh can send
// it again on a retry.
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, errTooLarge
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if int64(len(b)) > max {
		return nil, errTooLarge
	}
	return b, nil
}

// setBody makes b the body of out, replayable for retries.
func setBody(out *http.Request, b []byte) {
	out.ContentLength = int64(len(b))
	if len(b) == 0 {
		out.Body = http.NoBody
		out.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	out.Body = io.NopCloser(bytes.NewReader(b))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// problem is an answer the proxy makes itself.
type problem struct {
	status  int
	code    string
	message string
}

// writeProblem answers with p as JSON: {"message", "service"}, and the
// ErrorHeader.
func writeProblem(w http.ResponseWriter, service string, p problem) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set(ErrorHeader, p.code)
	w.WriteHeader(p.status)
	body := map[string]string{"message": p.message}
	if service != "" {
		body["service"] = service
	}
	json.NewEncoder(w).Encode(body)
}

// classify turns a mesh error into the proxy's answer. Messages name the
// service, never an instance's address: the detail goes to the log.
func classify(ctx context.Context, service string, err error) problem {
	var ovf *mesh.OverflowError
	switch {
	case errors.Is(err, mesh.ErrNoInstances):
		return problem{http.StatusServiceUnavailable, codeNoInstances, fmt.Sprintf("no instance of %q is available in the mesh", service)}
	case errors.Is(err, mesh.ErrDiscovery):
		return problem{http.StatusServiceUnavailable, codeDiscovery, fmt.Sprintf("%q could not be looked up in the mesh's registry", service)}
	case errors.As(err, &ovf):
		return problem{http.StatusServiceUnavailable, codeOverflow, fmt.Sprintf("too many calls to %q in flight: the policy's %s limit of %d is reached", service, ovf.Limit, ovf.Max)}
	case errors.Is(err, mesh.ErrPerTryTimeout), errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		return problem{http.StatusGatewayTimeout, codeTimeout, fmt.Sprintf("%q did not answer in time", service)}
	case errors.Is(err, mesh.ErrTLSRequired):
		return problem{http.StatusBadGateway, codeTLSRequired, fmt.Sprintf("%q requires mutual TLS (its traffic policy), and this proxy calls it without a certificate: "+
			"configure PORTICO_MESH_TLS_SECRET (or PORTICO_MESH_TLS_CERT, _KEY and _CA), and keep it out of PORTICO_MESH_PLAINTEXT", service)}
	case isTLS(err):
		return problem{http.StatusBadGateway, codeTLS, fmt.Sprintf("%q could not be reached over mutual TLS: its certificate was refused, or it refused ours", service)}
	}
	return problem{http.StatusBadGateway, codeUnreachable, fmt.Sprintf("%q could not be reached", service)}
}

// isTLS reports a failed TLS handshake: an untrusted or wrong-identity
// peer, or a peer that refused this one (in TLS 1.3 the server's refusal
// of a client certificate arrives as an alert on the first read, which
// crypto/tls reports as "remote error: tls: ..." with no exported type).
func isTLS(err error) bool {
	var rec tls.RecordHeaderError
	var cert *tls.CertificateVerificationError
	msg := err.Error()
	return errors.Is(err, mtls.ErrUntrusted) || errors.Is(err, mtls.ErrIdentity) ||
		errors.As(err, &rec) || errors.As(err, &cert) ||
		strings.Contains(msg, "tls: ") || strings.Contains(msg, "tls handshake")
}

// relay copies resp to w: its status, its headers less the hop-by-hop ones,
// and at most max bytes of body. A body declared larger is refused with 502;
// one that grows past max, or breaks off, is cut off by closing the
// client's connection, so that the client sees an incomplete answer rather
// than a short one that looks whole. It reports the bytes copied and the
// reason the answer was cut off, if it was.
func relay(w http.ResponseWriter, resp *http.Response, service string, max int64) (int64, error) {
	defer resp.Body.Close()
	if resp.ContentLength > max {
		writeProblem(w, service, problem{http.StatusBadGateway, codeTooLarge,
			fmt.Sprintf("the answer of %q is %d bytes, over the proxy's limit of %d", service, resp.ContentLength, max)})
		return 0, fmt.Errorf("answer of %d bytes is over the limit of %d", resp.ContentLength, max)
	}
	h := w.Header()
	for k, vs := range cleanHeader(resp.Header) {
		h[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	n, err := io.Copy(w, io.LimitReader(resp.Body, max))
	if err == nil && n == max {
		// At the cap: one more byte means the answer is over it.
		var one [1]byte
		if m, _ := io.ReadFull(resp.Body, one[:]); m > 0 {
			err = fmt.Errorf("answer grew past the limit of %d bytes", max)
		}
	} else if err != nil {
		err = fmt.Errorf("answer broke off after %d bytes: %w", n, err)
	}
	if err == nil {
		return n, nil
	}
	abort(w)
	return n, err
}

// abort closes the client's connection under a response in progress.
func abort(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// isLoopback reports whether a request's remote address is on this host.
func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
