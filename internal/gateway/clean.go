package gateway

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/portico-gw/portico/internal/route"
)

// clean reads what the client sent into the form the other steps use: the
// path decoded once and cleaned (route.Clean; 400 for a path a backend could
// read differently), the query (400 over maxQuery values), the body (400 when
// it is not valid base64, 413 over maxBody) and the headers, less everything
// the gateway owns or strips (backendHeaders).
type clean struct {
	maxBody  int64
	maxQuery int
}

func (s clean) serve(ctx context.Context, r *request) *response {
	p, err := route.Clean(r.ev.Path)
	if err != nil {
		return answer(http.StatusBadRequest, "Bad request path", r.id)
	}
	r.path = p
	r.query = url.Values(r.ev.MultiValueQueryStringParameters)
	if r.query == nil && len(r.ev.QueryStringParameters) > 0 {
		r.query = make(url.Values, len(r.ev.QueryStringParameters))
		for k, v := range r.ev.QueryStringParameters {
			r.query[k] = []string{v}
		}
	}
	if n := countValues(r.query); n > s.maxQuery {
		return answer(http.StatusBadRequest, fmt.Sprintf("Too many query parameters: %d, limit %d", n, s.maxQuery), r.id)
	}
	if r.body, err = decodeBody(r.ev.Body, r.ev.IsBase64Encoded, s.maxBody); err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		return answer(status, err.Error(), r.id)
	}
	in := cleanHeaders(r.ev)
	r.trace = traceHeader(ctx, in.trace)
	if r.log.trace == "" {
		r.log.trace = r.trace
	}
	r.clientID, r.validClientID = clientRequestID(in.requestID)
	r.header = in.header
	return nil
}

var errTooLarge = errors.New("body too large")

func decodeBody(body string, isBase64 bool, limit int64) ([]byte, error) {
	if isBase64 {
		if int64(base64.StdEncoding.DecodedLen(len(body))) > limit+2 {
			return nil, fmt.Errorf("request %w: limit %d bytes", errTooLarge, limit)
		}
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, errors.New("request body is not valid base64")
		}
		if int64(len(b)) > limit {
			return nil, fmt.Errorf("request %w: limit %d bytes", errTooLarge, limit)
		}
		return b, nil
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("request %w: limit %d bytes", errTooLarge, limit)
	}
	if body == "" {
		return nil, nil
	}
	return []byte(body), nil
}

func countValues(q url.Values) int {
	n := 0
	for _, vs := range q {
		n += max(len(vs), 1)
	}
	return n
}
