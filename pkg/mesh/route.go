package mesh

import (
	"fmt"
	"net/http"
)

// route returns the endpoints a request may go to: those of the version of
// the first matching header route, else of a weighted draw over the policy's
// versions, else all. header may be nil.
func (c *Client) route(e *entry, v *view, header http.Header) ([]*endpoint, error) {
	version, routed := "", false
	for _, r := range e.pol().routes {
		if vals, ok := header[r.Header]; ok && len(vals) > 0 && vals[0] == r.Value {
			version, routed = r.Version, true
			break
		}
	}
	if !routed && len(e.pol().versions) > 0 {
		version, routed = weighted(e.pol().versions, c.rand.Float64()*100), true
	}
	eps := v.all
	if routed {
		eps = v.versions[version]
	}
	if len(eps) == 0 {
		if routed {
			return nil, fmt.Errorf("%w: %s version %q", ErrNoInstances, e.service, version)
		}
		return nil, fmt.Errorf("%w: %s", ErrNoInstances, e.service)
	}
	return eps, nil
}

// weighted returns the version whose cumulative weight range holds x, 0 ≤ x < 100.
func weighted(versions []Weighted, x float64) string {
	acc := 0.0
	for _, w := range versions {
		acc += float64(w.Weight)
		if x < acc {
			return w.Version
		}
	}
	return versions[len(versions)-1].Version
}

// faultAbort answers req with the policy's injected status.
func faultAbort(req *http.Request, status int) *http.Response {
	return &http.Response{
		Status:     fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode: status,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     http.Header{"X-Portico-Fault": {"abort"}},
		Body:       http.NoBody,
		Request:    req,
	}
}
