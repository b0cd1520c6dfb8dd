package gateway

import (
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/portico-gw/portico/internal/config"
	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/pkg/ratelimit"
)

// response is an answer to API Gateway.
type response = events.APIGatewayProxyResponse

// request is what the steps know about one client request; each step reads
// what the steps before it wrote.
type request struct {
	ev   *events.APIGatewayProxyRequest
	snap *config.Snapshot // the configuration in use; nil while none loaded

	id       string // the request ID, returned to the client and sent on
	method   string
	clientIP string
	start    time.Time
	origin   string // the Origin header, for the CORS headers of the answer

	// clean
	path          string      // cleaned
	query         url.Values  // as API Gateway gave it
	header        http.Header // the client's, less what the gateway owns or strips
	body          []byte
	trace         string // X-Ray trace header to propagate (the function's, else a valid client one)
	clientID      string // the client's X-Request-Id, when it is a UUID
	validClientID bool

	// identify, limit, resolve key
	ident   identity
	limit   ratelimit.Request
	decided ratelimit.Decision   // the tightest admitting decision so far
	applied []ratelimit.Decision // every policy that counted the request so far

	// route, authorise
	res          route.Result
	headerRoutes bool // the caller may use the services' header routes

	// preflight: the answer is a CORS preflight's, whose headers are final
	preflight bool

	log accessRecord
}
