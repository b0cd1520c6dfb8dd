package cors_test

import (
	"fmt"

	"github.com/portico-gw/portico/internal/cors"
)

func Example() {
	p, err := cors.Parse([]byte(`{"allowOrigins":["https://app.portico.local"],"allowHeaders":["Authorization","Content-Type"],"maxAge":600}`))
	if err != nil {
		panic(err)
	}
	h, ok := p.Preflight("https://app.portico.local", "GET", "authorization")
	fmt.Println(ok, h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Headers"))
	_, ok = p.Preflight("https://evil.example", "GET", "authorization")
	fmt.Println(ok, p.Actual("https://evil.example").Get("Access-Control-Allow-Origin") == "")
	// Output:
	// true https://app.portico.local authorization
	// false true
}
