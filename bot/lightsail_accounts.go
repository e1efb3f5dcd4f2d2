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

// mayActOn reports whether the instance (region, name) of account ("" when not known)
// is in an account the request's chat sees (always, for a chat TELEGRAM_CHAT_ACCOUNTS
// does not limit), and which: account itself, the one visible account that has an
// instance of that name, or "" for the guard to find when the chat sees every account
// or several visible ones have an instance of that name.
func (b *Bot) mayActOn(ctx context.Context, r *Request, account, region, name string) (string, bool, error) {
	scope := b.actionScope(r)
	if account != "" {
		return account, scope.Covers(account), nil
	}
	if scope.All() {
		return "", true, nil
	}
	rows, err := b.deps.Store.LatestLightsailUsage(ctx)
	if err != nil {
		return "", false, err
	}
	var visible []string
	for _, u := range rows {
		if u.Region == region && u.Instance == name && scope.Covers(u.AccountID) && !slices.Contains(visible, u.AccountID) {
			visible = append(visible, u.AccountID)
		}
	}
	switch len(visible) {
	case 0:
		return "", false, nil
	case 1:
		return visible[0], true, nil
	}
	return "", true, nil
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
