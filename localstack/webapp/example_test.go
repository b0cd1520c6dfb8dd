package webapp_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/portico-gw/portico/localstack/webapp"
)

func ExampleHandler() {
	h, err := webapp.Handler(webapp.Config{API: "https://localhost:4566/_aws/execute-api/abc/v1", Token: "valid", ExpiredToken: "expired"})
	if err != nil {
		panic(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/config.js", nil))
	fmt.Print(rec.Body.String())
	// Output: const PORTICO = {"api":"https://localhost:4566/_aws/execute-api/abc/v1","token":"valid","expiredToken":"expired"};
}
