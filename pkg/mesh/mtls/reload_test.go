package mtls

import (
	"testing"
	"time"
)

// A client whose bundle gains a new CA in the same reload interval as its
// server's certificate moves to that CA accepts the server on the first
// handshake after the interval, without an explicit Reload: tls verifies the
// server before it asks the client for its certificate, so the reload must
// not wait for that (else the client would never reload, refusing the
// server on every handshake).
func TestClientReloadsBeforeVerifyingTheServer(t *testing.T) {
	ca1, ca2 := newCA(t), newCA(t)
	clock := &fakeClock{now: t0}
	orderCert := issue(t, ca1, "order")
	orderSrc := memory(bundle(orderCert, ca1))
	paymentSrc := memory(bundle(issue(t, ca1, "payment"), ca1))
	order := creds(t, orderSrc, clock, nil)
	payment := creds(t, paymentSrc, clock, nil)
	if r := handshake(t, order.ClientConfig("payment"), payment.ServerConfig("order")); r.clientErr != nil || r.serverErr != nil {
		t.Fatalf("start: got client %v, server %v; want a handshake", r.clientErr, r.serverErr)
	}

	orderSrc.Set(bundle(orderCert, ca2, ca1))
	paymentSrc.Set(bundle(issue(t, ca2, "payment"), ca2, ca1))
	clock.Advance(61 * time.Second)
	if r := handshake(t, order.ClientConfig("payment"), payment.ServerConfig("order")); r.clientErr != nil || r.serverErr != nil {
		t.Fatalf("first handshake after the interval: got client %v, server %v; want the new bundle used", r.clientErr, r.serverErr)
	}
}
