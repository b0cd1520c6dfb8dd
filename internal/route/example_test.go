package route_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/portico-gw/portico/internal/route"
)

func Example() {
	tbl, err := route.Parse([]byte(`{
	  "version": 1,
	  "routes": [
	    {"id": "users", "match": {"pathPrefix": "/api/v1/users"}, "service": "user-service", "stripPrefix": "/api/v1"},
	    {"id": "users-v2", "match": {"pathPrefix": "/api/v1/users", "version": "2"}, "service": "api-v2-service", "stripPrefix": "/api/v1"},
	    {"id": "products", "match": {"pathPrefix": "/api/v1/products", "methods": ["GET"]}, "service": "product-service", "stripPrefix": "/api/v1"}
	  ]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := route.Clean("/api/v1/users/%2e%2e/users//123/")
	res := tbl.Current(context.Background()).Lookup("GET", p, http.Header{"X-Api-Version": {"2"}})
	fmt.Println(res.Route.Service, res.Target(p))
	res = tbl.Lookup("POST", "/api/v1/products", nil)
	fmt.Println(res.Route == nil, res.Allow)
	// Output:
	// api-v2-service /users/123
	// true [GET]
}
