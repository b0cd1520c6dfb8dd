package gateway

import (
	"net/http"
	"strings"

	"github.com/portico-gw/portico/internal/route"
)

// relocate is the Location a client receives for a backend's redirect. The
// gateway never follows a redirect itself (see Config.Transport); it only
// makes a relative one point back through the gateway: a Location that is a
// clean absolute path on the backend (/users/2) gets the route's stripped
// prefix back (/api/v1/users/2) when the table sends that path to the same
// service. Every other Location (absolute and protocol-relative URLs, paths
// another service serves, paths that do not clean) stays exactly as the
// backend set it.
func relocate(tbl *route.Table, res route.Result, header http.Header, loc string) string {
	strip := res.Route.StripPrefix
	if strip == "" || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
		return loc
	}
	p, rest := loc, ""
	if i := strings.IndexAny(loc, "?#"); i >= 0 {
		p, rest = loc[:i], loc[i:]
	}
	if c, err := route.Clean(p); err != nil || c != p {
		return loc
	}
	gw := strip + p
	if p == "/" {
		gw = strip
	}
	if back := tbl.Lookup(http.MethodGet, gw, header); back.Route == nil || back.Route.Service != res.Route.Service {
		return loc
	}
	return gw + rest
}
