package breaker_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/breaker"
)

func Example() {
	b := breaker.New(breaker.Config{Failures: 2, Cooldown: time.Second})
	for i := range 3 {
		if err := b.Allow(); err != nil {
			fmt.Println("call", i+1, "refused:", errors.Is(err, breaker.ErrOpen))
			continue
		}
		b.Done(true) // the dependency did not answer
		fmt.Println("call", i+1, "went through and timed out")
	}
	// Output:
	// call 1 went through and timed out
	// call 2 went through and timed out
	// call 3 refused: true
}
