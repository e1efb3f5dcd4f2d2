package web

import (
	"context"
	"slices"

	"costbot/models"
)

// The accounts a dashboard session sees: those TELEGRAM_CHAT_ACCOUNTS lets the chat it
// was opened from see. A session whose chat is not known (a Mini App user let in as a
// member of an allowed group) sees only the accounts every limited chat sees.

// sessionAccounts is what a session opened from chatID (0: unknown) sees; nil is every
// account.
func (s *Server) sessionAccounts(chatID int64) models.AccountScope {
	if chatID != 0 {
		if allowed := s.cfg.ChatAccounts.Of(chatID); allowed != nil {
			return models.AccountScope(allowed)
		}
		return nil
	}
	var common models.AccountScope
	for _, chat := range s.cfg.TelegramChatIDs {
		allowed := s.cfg.ChatAccounts.Of(chat)
		switch {
		case allowed == nil:
		case common == nil:
			common = slices.Clone(models.AccountScope(allowed))
		default:
			common = slices.DeleteFunc(common, func(a string) bool { return !slices.Contains(allowed, a) })
		}
	}
	return common
}

// accountChoice is one entry of the overview's account filter.
type accountChoice struct {
	ID, Label string
	Selected  bool
}

// accountFilter reads the overview's ?account= against what the viewer sees: the scope
// of the figures, and the filter's entries (none when the viewer sees fewer than two
// accounts). An account the viewer does not see is ignored.
func (s *Server) accountFilter(ctx context.Context, v *viewer, picked string) (models.AccountScope, []accountChoice, error) {
	stored, err := s.store.Accounts(ctx)
	if err != nil {
		return nil, nil, err
	}
	var choices []accountChoice
	for _, a := range models.VisibleAccounts(stored, v.Accounts) {
		if !a.Gone {
			choices = append(choices, accountChoice{ID: a.ID, Label: a.Label()})
		}
	}
	scope := v.Accounts
	for i, c := range choices {
		if c.ID == picked {
			choices[i].Selected = true
			scope = models.AccountScope{c.ID}
		}
	}
	if len(choices) < 2 {
		return scope, nil, nil
	}
	return scope, choices, nil
}
