package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jonboulle/clockwork"

	"costbot/models"
)

// raiseCostEvents hands every queued cost event (the collect job's alerts and bills, the
// billing job's) to the notifier, oldest first, and marks those it took. A refused event
// stays queued for the next run of either job, until maxAttempts. Two jobs raising the
// same event at once is harmless: the notifier queues a Key once per chat.
func raiseCostEvents(ctx context.Context, store *models.Store, n Notifier, clock clockwork.Clock, maxAttempts int, log *slog.Logger) (int, error) {
	pending, err := store.PendingCostEvents(ctx)
	if err != nil {
		return 0, fmt.Errorf("events: %w", err)
	}
	raised := 0
	var errs []error
	for _, pe := range pending {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		ev, err := decodeEvent(pe)
		if err == nil {
			err = n.Notify(ctx, ev)
		}
		if err != nil {
			drop := pe.Attempts+1 >= maxAttempts
			if drop {
				log.Error("giving up an event the notifier keeps refusing", "kind", pe.Kind, "key", pe.Key, "err", err)
			}
			if merr := store.MarkCostEventFailed(ctx, pe.ID, err, drop); merr != nil {
				errs = append(errs, merr)
			}
			errs = append(errs, fmt.Errorf("notify %s %s: %w", pe.Kind, pe.Key, err))
			continue
		}
		if err := store.MarkCostEventRaised(ctx, pe.ID, clock.Now()); err != nil {
			errs = append(errs, err)
			continue
		}
		raised++
	}
	return raised, errors.Join(errs...)
}
