package extension_test

import (
	"context"
	"fmt"
	"log"

	"github.com/portico-gw/portico/internal/extension"
	"github.com/portico-gw/portico/internal/extension/extensiontest"
)

// An extension's life: register during INIT, then take events until
// SHUTDOWN. Here the Extensions API is the in-process fake; in Lambda,
// RuntimeAPI is os.Getenv("AWS_LAMBDA_RUNTIME_API").
func Example() {
	api := extensiontest.Start()
	defer api.Close()
	api.Send(extension.Event{Type: extension.Invoke, RequestID: "req-1"})
	api.Send(extension.Event{Type: extension.Shutdown, ShutdownReason: "spindown"})

	c, err := extension.New(extension.Config{RuntimeAPI: api.Addr(), Name: "portico-mesh"})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	reg, err := c.Register(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("registered for", reg.FunctionName)
	for {
		ev, err := c.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if ev.Type == extension.Shutdown {
			fmt.Println("shutdown:", ev.ShutdownReason)
			return
		}
		fmt.Println("invoke", ev.RequestID)
	}
	// Output:
	// registered for orders
	// invoke req-1
	// shutdown: spindown
}
