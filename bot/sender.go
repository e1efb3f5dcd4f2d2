package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"costbot/config"
	costmodels "costbot/models"
)

// Sender sends outbox messages through go-telegram/bot and says what a failure means
// as a *costmodels.SendError, so the outbox never sees the library's errors. It sends
// one message as given: the outbox has split it already, and retries are the outbox's.
// Its errors are redacted as the logs are (the library's carry the request URL, token
// included), since the outbox stores them.
type Sender struct {
	b       *tgbot.Bot
	secrets []string
}

// NewAPI is a Bot API client that never polls: the outbox sends through it (NewSender)
// and the dashboard asks it about group members (NewMembers), so both are built before
// the bot that polls. It makes no network call.
func NewAPI(cfg *config.Config) (*tgbot.Bot, error) {
	if err := cfg.RequireTelegram(); err != nil {
		return nil, err
	}
	api, err := tgbot.New(cfg.TelegramToken, tgbot.WithServerURL(cfg.TelegramAPIURL), tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(pollTimeout, &http.Client{Timeout: pollTimeout + 15*time.Second}))
	if err != nil {
		return nil, redactErr(fmt.Errorf("bot: %w", err), cfg.TelegramToken)
	}
	return api, nil
}

// NewSender wraps b; secrets (the token) are removed from every error on top of
// anything shaped like a token.
func NewSender(b *tgbot.Bot, secrets ...string) *Sender { return &Sender{b: b, secrets: secrets} }

// Send sends text to chatID, as HTML when parseMode is "HTML" (plain text otherwise),
// without link previews.
func (s *Sender) Send(ctx context.Context, chatID int64, text, parseMode string) error {
	params := &tgbot.SendMessageParams{
		ChatID:             chatID,
		Text:               text,
		LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tgbot.True()},
	}
	if parseMode == "HTML" {
		params.ParseMode = models.ParseModeHTML
	}
	if _, err := s.b.SendMessage(ctx, params); err != nil {
		return sendErrorOf(redactErr(fmt.Errorf("send to chat %d: %w", chatID, err), s.secrets...))
	}
	return nil
}

// statusInError finds the HTTP status go-telegram/bot writes into errors for codes it
// has no sentinel for ("error response from telegram for method sendMessage, 502 ...").
var statusInError = regexp.MustCompile(`error response from telegram for method \w+, (\d{3})\b`)

// sendErrorOf classifies a go-telegram/bot error. The library reports 429 as
// *TooManyRequestsError, a group moved to a supergroup as *MigrateError, 400/401/403/404/
// 409 as sentinel errors followed by Telegram's description, any other status only in
// the message, and transport failures as wrapped net errors.
func sendErrorOf(err error) *costmodels.SendError {
	desc := strings.ToLower(err.Error())
	kind := costmodels.Temporary
	var retryAfter time.Duration

	var tooMany *tgbot.TooManyRequestsError
	var migrated *tgbot.MigrateError
	switch {
	case errors.As(err, &tooMany):
		kind = costmodels.RateLimited
		retryAfter = time.Duration(tooMany.RetryAfter) * time.Second
	case errors.As(err, &migrated):
		// The chat ID no longer exists; the configuration must name the supergroup.
		kind = costmodels.Blocked
	case errors.Is(err, tgbot.ErrorForbidden):
		kind = costmodels.Blocked
	case errors.Is(err, tgbot.ErrorBadRequest):
		switch {
		case strings.Contains(desc, "can't parse entities"), strings.Contains(desc, "can't parse message text"):
			kind = costmodels.Unparseable
		case strings.Contains(desc, "message is too long"), strings.Contains(desc, "text is too long"):
			kind = costmodels.TooLong
		case strings.Contains(desc, "chat not found"), strings.Contains(desc, "peer_id_invalid"),
			strings.Contains(desc, "user is deactivated"), strings.Contains(desc, "bot was blocked"),
			strings.Contains(desc, "bot was kicked"), strings.Contains(desc, "not enough rights to send"),
			strings.Contains(desc, "have no rights to send"), strings.Contains(desc, "chat_write_forbidden"):
			kind = costmodels.Blocked
		default:
			kind = costmodels.Permanent
		}
	case errors.Is(err, tgbot.ErrorUnauthorized), errors.Is(err, tgbot.ErrorNotFound):
		// A wrong or revoked token (Telegram answers 401 or 404): nothing is wrong with
		// the message, so keep it until the token is fixed.
		kind = costmodels.Temporary
	case errors.Is(err, tgbot.ErrorConflict):
		kind = costmodels.Permanent
	default:
		if m := statusInError.FindStringSubmatch(err.Error()); m != nil {
			if code, _ := strconv.Atoi(m[1]); code >= 400 && code < 500 {
				kind = costmodels.Permanent
			}
		}
		// 5xx, a body that is not the Bot API's JSON (a proxy's error page), network and
		// timeout errors stay Temporary.
	}
	return &costmodels.SendError{Kind: kind, RetryAfter: retryAfter, Err: err}
}
