package bot

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"costbot/config"
)

// WebAccess hands out dashboard sign-in links and revokes them (web.Server).
type WebAccess interface {
	LoginLink(ctx context.Context, userID, chatID int64, lang string) (link string, expires time.Time, err error)
	Revoke(ctx context.Context, userID int64) (int64, error)
}

// cmdWeb replies with a dashboard sign-in link; "/web logout" ends the user's sessions.
func (b *Bot) cmdWeb(ctx context.Context, r *Request) error {
	if b.deps.Web == nil || b.cfg.DashboardURL() == "" {
		_, err := b.send(ctx, r.ChatID, r.tr.T(msgID{"web.off"}), nil)
		return err
	}
	switch strings.ToLower(strings.TrimSpace(r.Args)) {
	case "":
	case "logout":
		n, err := b.deps.Web.Revoke(ctx, r.UserID)
		if err != nil {
			return err
		}
		_, err = b.send(ctx, r.ChatID, r.tr.T(msgID{"web.logged_out"}, map[string]any{"Count": n}), nil)
		return err
	default:
		_, err := b.send(ctx, r.ChatID, r.tr.T(msgID{"web.usage"}), nil)
		return err
	}
	link, _, err := b.deps.Web.LoginLink(ctx, r.UserID, r.ChatID, r.tr.lang)
	if err != nil {
		return fmt.Errorf("web: login link: %w", err)
	}
	host := link
	if u, err := url.Parse(link); err == nil {
		host = u.Host
	}
	var markup *models.InlineKeyboardMarkup
	if b.cfg.MiniApp() && r.Private { // Telegram allows web_app buttons in private chats only
		markup = &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
			{Text: r.tr.T(msgID{"web.button"}), WebApp: &models.WebAppInfo{URL: b.cfg.DashboardURL() + "/"}},
		}}}
	}
	_, err = b.send(ctx, r.ChatID, r.tr.T(msgID{"web.link"}, map[string]any{"URL": link, "Host": host}), markup)
	return err
}

// setMenuButton makes the chat menu button open the dashboard as a Mini App, when the
// dashboard has an https URL.
func (b *Bot) setMenuButton(ctx context.Context) error {
	if !b.cfg.MiniApp() || b.deps.Web == nil {
		return nil
	}
	tr := b.catalog.translator(b.cfg.Lang)
	_, err := b.api.SetChatMenuButton(ctx, &tgbot.SetChatMenuButtonParams{MenuButton: models.MenuButtonWebApp{
		Type: models.MenuButtonTypeWebApp, Text: tr.T(msgID{"web.button"}),
		WebApp: models.WebAppInfo{URL: b.cfg.DashboardURL() + "/"},
	}})
	return err
}

// Members answers the dashboard's question about a Mini App user (web.MemberChecker)
// by asking Telegram about the allowed groups.
type Members struct {
	cfg *config.Config
	api *tgbot.Bot
}

// NewMembers asks through api (NewAPI) about the groups of cfg.
func NewMembers(cfg *config.Config, api *tgbot.Bot) *Members { return &Members{cfg: cfg, api: api} }

// InAllowedChat reports whether a user may see the dashboard: their private chat is
// allowed, or Telegram says they are a member of an allowed group.
func (m *Members) InAllowedChat(ctx context.Context, userID int64) (bool, error) {
	if m.cfg.IsAllowedChat(userID) {
		return true, nil
	}
	var lastErr error
	for _, chatID := range m.cfg.TelegramChatIDs {
		if chatID > 0 {
			continue // a private chat is its user's only
		}
		member, err := m.api.GetChatMember(ctx, &tgbot.GetChatMemberParams{ChatID: chatID, UserID: userID})
		if err != nil {
			lastErr = redactErr(fmt.Errorf("get chat member %d of %d: %w", userID, chatID, err), m.cfg.TelegramToken)
			continue
		}
		switch member.Type {
		case models.ChatMemberTypeOwner, models.ChatMemberTypeAdministrator, models.ChatMemberTypeMember:
			return true, nil
		case models.ChatMemberTypeRestricted:
			if member.Restricted != nil && member.Restricted.IsMember {
				return true, nil
			}
		}
	}
	return false, lastErr
}
