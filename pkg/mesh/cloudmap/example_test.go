package cloudmap_test

import (
	"fmt"

	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
)

// The service attributes that hold a canary policy, as the provider writes
// them and Policies reads them.
func ExampleEncodePolicy() {
	attrs, err := cloudmap.EncodePolicy(mesh.Policy{
		Versions: []mesh.Weighted{{Version: "v1", Weight: 95}, {Version: "v2", Weight: 5}},
		Routes:   []mesh.Route{{Header: "X-Test-User", Value: "yes please", Version: "v2"}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(attrs[cloudmap.AttrPolicy])
	p, _, err := cloudmap.DecodePolicy(attrs)
	fmt.Println(p.Routes[0].Value, err)
	// Output:
	// {"versions":[{"version":"v1","weight":95},{"version":"v2","weight":5}],"routes":[{"header":"X-Test-User","value":"yes\u0020please","version":"v2"}]}
	// yes please <nil>
}
