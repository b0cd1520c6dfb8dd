package mtls_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/portico-gw/portico/pkg/mesh/mtls"
)

// A payment service that accepts only the order service, and the order
// service calling it, with certificates from a development CA. In production
// the material comes from files (mtls.Files) or a secret store (mtls.Memory),
// and the mesh client (mesh.Config.TLS) makes the calls.
func Example() {
	now := time.Now()
	ca, _ := mtls.NewCA("portico", now.Add(-time.Hour), now.Add(24*time.Hour))
	credentials := func(service string) *mtls.Credentials {
		m, _ := ca.Issue(service, now.Add(-time.Hour), now.Add(24*time.Hour))
		src := &mtls.Memory{}
		src.Set(m)
		c, err := mtls.New(context.Background(), mtls.Config{Source: src})
		if err != nil {
			log.Fatal(err)
		}
		return c
	}

	// The server side: require a mesh client certificate of "order".
	payment := credentials("payment")
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := &http.Server{
		TLSConfig: payment.ServerConfig("order"),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "charged by %s for %s", payment.Identity(), mtls.PeerIdentity(r.TLS))
		}),
	}
	go srv.ServeTLS(ln, "", "")
	defer srv.Close()

	// The client side: present order's certificate, expect payment's identity.
	order := credentials("order")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: order.ClientConfig("payment")}}
	resp, err := client.Get("https://" + ln.Addr().String() + "/charge")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: charged by spiffe://portico/payment for spiffe://portico/order
}
