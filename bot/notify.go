package bot

import (
	"context"
	"fmt"
	"sync"

	costmodels "costbot/models"
)

// eventRenderer turns an event's data into HTML in one language.
type eventRenderer func(tr translator, data any) (string, error)

var (
	eventRenderersMu sync.RWMutex
	eventRenderers   = map[string]eventRenderer{}
)

// registerEvent adds the renderer for an event kind; each feature's file calls it from
// init.
func registerEvent(kind string, r eventRenderer) {
	eventRenderersMu.Lock()
	defer eventRenderersMu.Unlock()
	if _, dup := eventRenderers[kind]; dup {
		panic("bot: event kind " + kind + " registered twice")
	}
	eventRenderers[kind] = r
}

// Notify queues ev for every subscribed chat (TELEGRAM_CHAT_IDS less blocked and
// unsubscribed ones) that sees the event's account (TELEGRAM_CHAT_ACCOUNTS; an event
// about every account goes to the chats that see every account), rendered in each
// chat's language. Queuing is idempotent per event
// Key and chat, so a job may raise the same event again after a failure or a restart.
// Delivery is the outbox's job.
func (b *Bot) Notify(ctx context.Context, ev costmodels.Event) error {
	eventRenderersMu.RLock()
	render, ok := eventRenderers[ev.Kind]
	eventRenderersMu.RUnlock()
	if !ok {
		return fmt.Errorf("bot: no renderer for event kind %q", ev.Kind)
	}
	chats, err := b.deps.Store.SubscribedChats(ctx, b.cfg.TelegramChatIDs)
	if err != nil {
		return fmt.Errorf("bot: notify %s: %w", ev.Kind, err)
	}
	for _, chatID := range chats {
		if !b.chatGets(chatID, ev.Account()) {
			continue
		}
		text, err := render(b.chatTranslator(ctx, chatID), ev.Data)
		if err != nil {
			return fmt.Errorf("bot: render %s: %w", ev.Kind, err)
		}
		if _, err := b.deps.Store.Enqueue(ctx, chatID, splitHTML(text, maxMessageLen), "HTML", ev.Kind+"/"+ev.Key); err != nil {
			return fmt.Errorf("bot: queue %s for chat %d: %w", ev.Kind, chatID, err)
		}
	}
	if b.OnQueued != nil {
		b.OnQueued()
	}
	return nil
}

// chatGets reports whether a chat receives an event about account ("" for every
// account): a chat limited to some accounts gets only events about one of them.
func (b *Bot) chatGets(chatID int64, account string) bool {
	if account == "" {
		return b.cfg.ChatAccounts.Of(chatID) == nil
	}
	return b.cfg.ChatSeesAccount(chatID, account)
}

// Render renders an event in one language without queueing it (for `costbot report`
// and tests).
func (b *Bot) Render(lang string, ev costmodels.Event) (string, error) {
	eventRenderersMu.RLock()
	render, ok := eventRenderers[ev.Kind]
	eventRenderersMu.RUnlock()
	if !ok {
		return "", fmt.Errorf("bot: no renderer for event kind %q", ev.Kind)
	}
	return render(b.catalog.translator(lang), ev.Data)
}
