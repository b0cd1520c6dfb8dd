package hygiene_test

import (
	"fmt"

	"github.com/portico-gw/portico/internal/hygiene"
)

// Names are compared folded: X_User_Roles is X-User-Roles to many backend
// frameworks, so it is the gateway's too.
func Example() {
	for _, name := range []string{"X_User_Roles", "X-Env", "RateLimit-Policy"} {
		fmt.Println(name, hygiene.OwnedRequest(name), hygiene.OwnedResponse(name))
	}
	// Output:
	// X_User_Roles true false
	// X-Env false false
	// RateLimit-Policy false true
}
