package app

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
)

// component is the lifecycle contract: Run blocks until ctx ends or it
// fails, and returns only after its goroutines have exited.
type component interface {
	Run(ctx context.Context) error
}

type named struct {
	name string
	c    component
}

// runAll runs components until ctx ends or one fails; the first failure
// cancels the rest. It returns after all of them returned.
func runAll(ctx context.Context, comps []named) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, n := range comps {
		g.Go(func() error {
			if err := n.c.Run(ctx); err != nil {
				return fmt.Errorf("%s: %w", n.name, err)
			}
			return nil
		})
	}
	return g.Wait()
}
