package web

import (
	"errors"
	"net/http"
	"strings"

	"costbot/locale"
	"costbot/models"
)

// viewer is the person behind a live session.
type viewer struct {
	Session *models.WebSession
	Lang    string
	tr      *translator
	// Accounts are the accounts the session's chat sees (nil: every account).
	Accounts models.AccountScope
}

// T translates a key into the viewer's language.
func (v *viewer) T(key string) string { return v.tr.T(key) }

// viewerOf is the request's session, or nil without a live one.
func (s *Server) viewerOf(r *http.Request) (*viewer, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	ws, err := s.store.LiveWebSession(r.Context(), hashToken(c.Value), s.now())
	if err != nil || ws == nil {
		return nil, err
	}
	lang := ws.Lang
	if !locale.Supported(lang) {
		lang = s.cfg.Lang
	}
	return &viewer{Session: ws, Lang: lang, tr: translatorFor(lang), Accounts: s.sessionAccounts(ws.ChatID)}, nil
}

// startSession records a session for the user and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, userID, chatID int64, lang, via string) error {
	token := randomToken(32)
	now := s.now().UTC()
	ws := &models.WebSession{TokenHash: hashToken(token), UserID: userID, ChatID: chatID, Lang: lang, Via: via, CreatedAt: now, ExpiresAt: now.Add(s.cfg.WebSessionTTL)}
	if err := s.store.AddWebSession(r.Context(), ws); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/",
		MaxAge:   int(s.cfg.WebSessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure,
	})
	return nil
}

// handleLogin follows a /web link: a good, fresh, unused link opens a session, and a
// small page moves on to the overview (a same-site step, so the strict cookie goes
// along even when the link was opened from another site).
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	nonce, err := verifyLogin(s.key, r.URL.Query().Get("t"), s.now())
	if err != nil {
		s.renderLogin(w, r, http.StatusUnauthorized, "login.bad_link")
		return
	}
	l, err := s.store.UseWebLogin(r.Context(), nonce, s.now())
	if errors.Is(err, models.ErrLoginUnusable) {
		s.renderLogin(w, r, http.StatusUnauthorized, "login.bad_link")
		return
	}
	if err == nil {
		err = s.startSession(w, r, l.UserID, l.ChatID, l.Lang, "link")
	}
	if err != nil {
		s.log.Error("login failed", "error", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	s.log.Info("dashboard login", "user_id", l.UserID, "via", "link")
	s.renderPlain(w, http.StatusOK, "entered", pageData{Title: "costbot", Nav: "entered", tr: translatorFor(l.Lang)})
}

// handleMiniAppAuth takes a Mini App's initData (POSTed by app.js), checks it and the
// user, and opens a session: 204, or 401 with nothing else.
func (s *Server) handleMiniAppAuth(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	u, err := validateInitData(r.PostForm.Get("initData"), s.cfg.TelegramToken, s.now())
	if err != nil {
		s.log.Warn("mini app login refused", "error", err)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	allowed, err := s.userAllowed(r, u.ID)
	if err != nil {
		s.log.Error("mini app membership check failed", "user_id", u.ID, "error", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	if !allowed {
		s.log.Warn("mini app login refused: not in an allowed chat", "user_id", u.ID)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	lang := s.langOf(r, u)
	chatID := int64(0) // in an allowed group: which one is not known
	if s.cfg.IsAllowedChat(u.ID) {
		chatID = u.ID // the user's private chat
	}
	if err := s.startSession(w, r, u.ID, chatID, lang, "miniapp"); err != nil {
		s.log.Error("mini app login failed", "error", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	s.log.Info("dashboard login", "user_id", u.ID, "via", "miniapp")
	w.WriteHeader(http.StatusNoContent)
}

// userAllowed: the user's own chat is allowed, or the bot finds them in an allowed group.
func (s *Server) userAllowed(r *http.Request, userID int64) (bool, error) {
	if s.cfg.IsAllowedChat(userID) {
		return true, nil
	}
	if s.members == nil {
		return false, nil
	}
	return s.members.InAllowedChat(r.Context(), userID)
}

// langOf is the language of the user's private chat with the bot, else their Telegram
// app's, else BOT_LANG.
func (s *Server) langOf(r *http.Request, u TelegramUser) string {
	if lang, err := s.store.ChatLang(r.Context(), u.ID); err == nil && lang != "" {
		return lang
	}
	code := strings.ToLower(u.LanguageCode)
	switch {
	case strings.HasPrefix(code, "zh"):
		return "zh"
	case code != "":
		return "en"
	}
	return s.cfg.Lang
}

// handleLogout ends this browser's session (/web logout ends them all).
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if v, err := s.viewerOf(r); err == nil && v != nil {
		if _, err := s.store.RevokeWebSession(r.Context(), v.Session.ID, s.now()); err != nil {
			s.log.Error("logout failed", "error", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// handleLang switches the session's language and goes back to the page it came from.
func (s *Server) handleLang(w http.ResponseWriter, r *http.Request, v *viewer) {
	lang := r.FormValue("lang")
	if locale.Supported(lang) {
		if err := s.store.SetWebSessionLang(r.Context(), v.Session.ID, lang); err != nil {
			s.fail(w, r, v, err)
			return
		}
	}
	back := r.FormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
