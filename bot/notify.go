package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"costbot/config"
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

// NotifyStore is what the notifier needs of the store: the chats that get pushes, each
// chat's language, and the outbox.
type NotifyStore interface {
	SubscribedChats(ctx context.Context, configured []int64) ([]int64, error)
	ChatLang(ctx context.Context, chatID int64) (string, error)
	Enqueue(ctx context.Context, chatID int64, parts []string, parseMode, dedupKey string) (queued bool, err error)
}

// Notifier renders the jobs' events for each chat and queues them in the outbox; the
// outbox delivers them.
type Notifier struct {
	cfg     *config.Config
	store   NotifyStore
	catalog *catalog
	queued  func()
	log     *slog.Logger
}

// NewNotifier builds the notifier over the chats of cfg and store's outbox. queued, when
// not nil, is called after an event was queued, so the outbox delivers it without
// waiting for its next tick. log nil is slog.Default().
func NewNotifier(cfg *config.Config, store NotifyStore, queued func(), log *slog.Logger) (*Notifier, error) {
	if store == nil {
		return nil, errors.New("bot: the notifier needs a store")
	}
	cat, err := newCatalog()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return &Notifier{cfg: cfg, store: store, catalog: cat, queued: queued, log: log.With("component", "notifier")}, nil
}

// Notify queues ev for every subscribed chat (TELEGRAM_CHAT_IDS less blocked and
// unsubscribed ones) that sees the event's account (TELEGRAM_CHAT_ACCOUNTS; an event
// about every account goes to the chats that see every account), rendered in each
// chat's language. Queuing is idempotent per event
// Key and chat, so a job may raise the same event again after a failure or a restart.
// Delivery is the outbox's job.
func (n *Notifier) Notify(ctx context.Context, ev costmodels.Event) error {
	eventRenderersMu.RLock()
	render, ok := eventRenderers[ev.Kind]
	eventRenderersMu.RUnlock()
	if !ok {
		return fmt.Errorf("bot: no renderer for event kind %q", ev.Kind)
	}
	chats, err := n.store.SubscribedChats(ctx, n.cfg.TelegramChatIDs)
	if err != nil {
		return fmt.Errorf("bot: notify %s: %w", ev.Kind, err)
	}
	for _, chatID := range chats {
		if !n.chatGets(chatID, ev) {
			continue
		}
		text, err := render(n.chatTranslator(ctx, chatID), ev.Data)
		if err != nil {
			return fmt.Errorf("bot: render %s: %w", ev.Kind, err)
		}
		if _, err := n.store.Enqueue(ctx, chatID, splitHTML(text, maxMessageLen), "HTML", ev.Kind+"/"+ev.Key); err != nil {
			return fmt.Errorf("bot: queue %s for chat %d: %w", ev.Kind, chatID, err)
		}
	}
	if n.queued != nil {
		n.queued()
	}
	return nil
}

// chatGets reports whether a chat receives ev: an event built for some accounts (the
// daily report of a chat's accounts) reaches the chats limited to exactly those; an event
// about one account, the chats that see it; an event about every account, the chats that
// see every account.
func (n *Notifier) chatGets(chatID int64, ev costmodels.Event) bool {
	if aud := ev.Audience(); aud != nil {
		return sameAccounts(n.cfg.ChatAccounts.Of(chatID), aud)
	}
	account := ev.Account()
	if account == "" {
		return n.cfg.ChatAccounts.Of(chatID) == nil
	}
	return n.cfg.ChatSeesAccount(chatID, account)
}

// chatTranslator is the chat's language, else BOT_LANG.
func (n *Notifier) chatTranslator(ctx context.Context, chatID int64) translator {
	lang, err := n.store.ChatLang(ctx, chatID)
	if err != nil {
		n.log.Warn("could not read the chat language", "chat_id", chatID, "error", err)
	}
	if lang == "" {
		lang = n.cfg.Lang
	}
	return n.catalog.translator(lang)
}

// Render renders an event in one language without queueing it (for `costbot report`

// sameAccounts reports whether a chat's accounts (nil: every account) are exactly scope.
func sameAccounts(chat []string, scope costmodels.AccountScope) bool {
	if chat == nil {
		return false
	}
	return slices.Equal(slices.Sorted(slices.Values(chat)), slices.Sorted(slices.Values(scope)))
}
