package ghapp

import (
	"context"
	"fmt"
)

// Upsert finds an item or creates it, without ever creating it twice.
//
// The transport never retries a write, because a write whose response was
// lost (a timeout, a 502 from a proxy) may still have landed. Upsert is the
// pattern callers use instead: after a failed create it re-reads with find;
// if the item is there, the write landed and the found item is returned; if
// find says it is absent, the create is tried once more. find must look the
// item up by its deterministic identity (a marker in a comment body, a check
// run name on a head SHA), not by an id the failed create would have returned.
func Upsert[T any](ctx context.Context, find func(context.Context) (T, bool, error), create func(context.Context) (T, error)) (T, error) {
	var zero T
	item, ok, err := find(ctx)
	if err != nil {
		return zero, fmt.Errorf("upsert: find: %w", err)
	}
	if ok {
		return item, nil
	}
	const attempts = 2
	var createErr error
	for attempt := 1; ; attempt++ {
		item, createErr = create(ctx)
		if createErr == nil {
			return item, nil
		}
		if ctx.Err() != nil {
			return zero, fmt.Errorf("upsert: create: %w", createErr)
		}
		item, ok, err = find(ctx)
		if err != nil {
			return zero, fmt.Errorf("upsert: create failed (%w) and the re-read failed too: %w", createErr, err)
		}
		if ok {
			return item, nil // the failed create landed after all
		}
		if attempt == attempts {
			return zero, fmt.Errorf("upsert: create failed %d times: %w", attempts, createErr)
		}
	}
}
