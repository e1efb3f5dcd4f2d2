package bot

import (
	"context"
	"slices"

	costmodels "costbot/models"
)

// An admin stops and starts only instances in the accounts their chat sees
// (TELEGRAM_CHAT_ACCOUNTS); an account picked with /account narrows the list, not what
// the admin may act on.

// actionScope is the accounts whose instances the request may stop or start.
func (b *Bot) actionScope(r *Request) costmodels.AccountScope {
	if allowed := b.cfg.ChatAccounts.Of(r.ChatID); allowed != nil {
		return costmodels.AccountScope(allowed)
	}
	return nil
}

// mayActOn reports whether the instance (region, name) is in an account the request's
// chat sees: always, for a chat TELEGRAM_CHAT_ACCOUNTS does not limit.
func (b *Bot) mayActOn(ctx context.Context, r *Request, region, name string) (bool, error) {
	scope := b.actionScope(r)
	if scope.All() {
		return true, nil
	}
	rows, err := b.deps.Store.LatestLightsailUsage(ctx)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(rows, func(u costmodels.LightsailUsage) bool {
		return u.Region == region && u.Instance == name && scope.Covers(u.AccountID)
	}), nil
}

// inHiddenAccount reports whether a watched instance of that name (any case) exists only
// in accounts the request's chat does not see.
func (b *Bot) inHiddenAccount(ctx context.Context, r *Request, name string) (bool, error) {
	if b.actionScope(r).All() {
		return false, nil
	}
	every, err := b.watchedInstances(ctx, nil)
	if err != nil {
		return false, err
	}
	return len(matchInstances(every, name)) > 0, nil
}

// refuseAccount is the answer to a stop or start of an instance in an account the chat
// does not see.
func refuseAccount(tr translator, name string) string {
	return tr.T(msgID{"lightsail.account_refused"}, map[string]any{"Name": truncate(name, 100)})
}
