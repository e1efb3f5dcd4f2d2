package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"costbot/models"
)

// Access to the dashboard: a login link from /web (signed, short-lived, used once) or a
// Mini App's initData opens a session; the session cookie holds a random secret whose
// hash the store keeps.

const (
	// LoginLinkTTL is how long a /web login link works.
	LoginLinkTTL = 10 * time.Minute
	// initDataMaxAge is how old a Mini App's auth_date may be.
	initDataMaxAge = 24 * time.Hour
	// initDataMaxSkew tolerates an auth_date slightly ahead of this host's clock.
	initDataMaxSkew = 5 * time.Minute
	// sessionCookie names the session cookie.
	sessionCookie = "costbot_session"
)

var b64 = base64.RawURLEncoding

// loginKey is the key login links are signed with, derived from the bot token so that
// it survives restarts and changes with the token.
func loginKey(botToken string) []byte {
	m := hmac.New(sha256.New, []byte("costbot web login"))
	m.Write([]byte(botToken))
	return m.Sum(nil)
}

// signLogin is a login token: nonce.expiry.signature, each part base64url.
func signLogin(key []byte, nonce string, expires time.Time) string {
	payload := nonce + "." + strconv.FormatInt(expires.Unix(), 10)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return payload + "." + b64.EncodeToString(m.Sum(nil))
}

// Login token failures.
var (
	errBadSignature = errors.New("login link: bad signature")
	errExpired      = errors.New("login link: expired")
)

// verifyLogin checks a token's signature and expiry and returns its nonce; single use
// is the store's part (models.Store.UseWebLogin).
func verifyLogin(key []byte, token string, now time.Time) (string, error) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return "", errBadSignature
	}
	payload, sig := token[:i], token[i+1:]
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	// Compared as text: decoding would also take the signature with line breaks in it.
	if !hmac.Equal([]byte(sig), []byte(b64.EncodeToString(m.Sum(nil)))) {
		return "", errBadSignature
	}
	nonce, exp, ok := strings.Cut(payload, ".")
	unix, err := strconv.ParseInt(exp, 10, 64)
	if !ok || err != nil || nonce == "" {
		return "", errBadSignature
	}
	if !now.Before(time.Unix(unix, 0)) {
		return "", errExpired
	}
	return nonce, nil
}

// randomToken is n random bytes, base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("web: no randomness: " + err.Error()) // crypto/rand does not fail on Linux
	}
	return b64.EncodeToString(b)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// LoginLink records a login link for a user who asked /web in chatID and returns its
// URL and expiry. The link opens the dashboard in lang.
func (s *Server) LoginLink(ctx context.Context, userID, chatID int64, lang string) (string, time.Time, error) {
	base := s.cfg.DashboardURL()
	if base == "" {
		return "", time.Time{}, errors.New("web: the dashboard is off (HTTP_ADDR is empty)")
	}
	now := s.now()
	l := &models.WebLogin{Nonce: randomToken(16), UserID: userID, ChatID: chatID, Lang: lang, ExpiresAt: now.Add(LoginLinkTTL).UTC()}
	if err := s.store.AddWebLogin(ctx, l); err != nil {
		return "", time.Time{}, err
	}
	token := signLogin(s.key, l.Nonce, l.ExpiresAt)
	return base + "/login?t=" + url.QueryEscape(token), l.ExpiresAt, nil
}

// Revoke ends every dashboard session of the user and voids their unused links.
func (s *Server) Revoke(ctx context.Context, userID int64) (int64, error) {
	return s.store.RevokeWebAccess(ctx, userID, s.now())
}

// TelegramUser is the user a Mini App's initData names.
type TelegramUser struct {
	ID           int64  `json:"id"`
	FirstName    string `json:"first_name"`
	Username     string `json:"username"`
	LanguageCode string `json:"language_code"`
}

// initData failures.
var (
	errInitDataHash  = errors.New("initData: hash does not match")
	errInitDataStale = errors.New("initData: auth_date too old or in the future")
	errInitDataForm  = errors.New("initData: malformed")
)

// validateInitData checks a Mini App's initData as Telegram documents it
// (core.telegram.org/bots/webapps, "Validating data received via the Mini App"): every
// field but hash, sorted, as key=value lines joined by "\n"; secret key =
// HMAC-SHA256(key "WebAppData", message bot token); hash = hex HMAC-SHA256(key secret
// key, message data-check-string); auth_date no older than a day.
func validateInitData(initData, botToken string, now time.Time) (TelegramUser, error) {
	values, err := url.ParseQuery(initData)
	if err != nil {
		return TelegramUser{}, errInitDataForm
	}
	hash := values.Get("hash")
	if hash == "" {
		return TelegramUser{}, errInitDataForm
	}
	lines := make([]string, 0, len(values))
	for k, vs := range values {
		if k == "hash" {
			continue
		}
		if len(vs) != 1 {
			return TelegramUser{}, errInitDataForm
		}
		lines = append(lines, k+"="+vs[0])
	}
	sort.Strings(lines)
	secret := hmac.New(sha256.New, []byte("WebAppData"))
	secret.Write([]byte(botToken))
	m := hmac.New(sha256.New, secret.Sum(nil))
	m.Write([]byte(strings.Join(lines, "\n")))
	want := hex.EncodeToString(m.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(hash))) != 1 {
		return TelegramUser{}, errInitDataHash
	}
	authUnix, err := strconv.ParseInt(values.Get("auth_date"), 10, 64)
	if err != nil {
		return TelegramUser{}, errInitDataForm
	}
	auth := time.Unix(authUnix, 0)
	if now.Sub(auth) > initDataMaxAge || auth.Sub(now) > initDataMaxSkew {
		return TelegramUser{}, errInitDataStale
	}
	var u TelegramUser
	if err := json.Unmarshal([]byte(values.Get("user")), &u); err != nil || u.ID == 0 {
		return TelegramUser{}, fmt.Errorf("%w: no user", errInitDataForm)
	}
	return u, nil
}
