package transcode

import (
	"encoding/json"
	"net/http"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// HTTPStatusFromCode returns the HTTP status for a gRPC code, with the table
// of grpc-gateway's runtime.HTTPStatusFromCode: OK 200, Canceled 499,
// Unknown 500, InvalidArgument 400, DeadlineExceeded 504, NotFound 404,
// AlreadyExists 409, PermissionDenied 403, Unauthenticated 401,
// ResourceExhausted 429, FailedPrecondition 400, Aborted 409, OutOfRange
// 400, Unimplemented 501, Internal 500, Unavailable 503, DataLoss 500, and
// 500 for any other code.
func HTTPStatusFromCode(c codes.Code) int {
	switch c {
	case codes.OK:
		return http.StatusOK
	case codes.Canceled:
		return 499 // Client Closed Request, as nginx and grpc-gateway use it
	case codes.Unknown:
		return http.StatusInternalServerError
	case codes.InvalidArgument:
		return http.StatusBadRequest
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	case codes.NotFound:
		return http.StatusNotFound
	case codes.AlreadyExists:
		return http.StatusConflict
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.FailedPrecondition:
		// Not 412: that is for conditional HTTP requests (If-Match).
		return http.StatusBadRequest
	case codes.Aborted:
		return http.StatusConflict
	case codes.OutOfRange:
		return http.StatusBadRequest
	case codes.Unimplemented:
		return http.StatusNotImplemented
	case codes.Internal:
		return http.StatusInternalServerError
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	case codes.DataLoss:
		return http.StatusInternalServerError
	default:
		return http.StatusInternalServerError
	}
}

// ErrorBody is the JSON body of an error answer, the JSON form of
// google.rpc.Status that grpc-gateway writes:
//
//	{"code": 5, "message": "payment p-9 not found", "details": [{"@type": "type.googleapis.com/google.rpc.ResourceInfo", ...}]}
type ErrorBody struct {
	// Code is the gRPC status code number (5 for NOT_FOUND).
	Code int32 `json:"code"`
	// Message is the gRPC status message.
	Message string `json:"message"`
	// Details are the status details in protojson's Any form; details
	// whose type is in neither the descriptor set nor this program are
	// left out.
	Details []json.RawMessage `json:"details"`
}

// errorAnswer renders a gRPC status as an HTTP answer.
func (t *Transcoder) errorAnswer(st *status.Status) (int, http.Header, []byte) {
	body := ErrorBody{Code: int32(st.Code()), Message: st.Message(), Details: []json.RawMessage{}}
	opts := protojson.MarshalOptions{Resolver: t.types}
	for _, d := range st.Proto().GetDetails() {
		b, err := opts.Marshal(d)
		if err != nil {
			continue
		}
		body.Details = append(body.Details, b)
	}
	b, err := json.Marshal(body)
	if err != nil { // a detail protojson wrote but encoding/json refused
		body.Details = []json.RawMessage{}
		b, _ = json.Marshal(body)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	return HTTPStatusFromCode(st.Code()), h, b
}
