// Package web is costbot's read-only dashboard, also opened inside Telegram as a Mini
// App: server-rendered html/template pages, one small plain-JavaScript file and a
// vendored chart library, every asset embedded, under a strict Content-Security-Policy.
//
// Pages read the store through the same queries and figures as the chat (models), and
// only render them. Access (login links, Mini App initData, sessions) is in auth.go and
// session.go, apart from the pages.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"costbot/config"
	"costbot/figures"
	"costbot/models"
)

// JobSchedule tells when each scheduled job runs next (the scheduler).
type JobSchedule interface {
	NextRuns() map[string]time.Time
}

// MemberChecker tells whether a Telegram user belongs to one of the allowed chats (the
// bot, which can ask Telegram about group members).
type MemberChecker interface {
	InAllowedChat(ctx context.Context, userID int64) (bool, error)
}

// Store is what the dashboard reads and writes besides the figures, which it reads
// through figures: sign-in links and sessions, the chats' languages, and the database's
// size for the status page.
type Store interface {
	figures.Store
	AddWebLogin(ctx context.Context, l *models.WebLogin) error
	UseWebLogin(ctx context.Context, nonce string, now time.Time) (*models.WebLogin, error)
	AddWebSession(ctx context.Context, ws *models.WebSession) error
	LiveWebSession(ctx context.Context, tokenHash string, now time.Time) (*models.WebSession, error)
	SetWebSessionLang(ctx context.Context, id uint, lang string) error
	RevokeWebSession(ctx context.Context, id uint, now time.Time) (int64, error)
	RevokeWebAccess(ctx context.Context, userID int64, now time.Time) (int64, error)
	ChatLang(ctx context.Context, chatID int64) (string, error)
	SizeBytes() int64
}

// Options is what the dashboard needs from the rest of costbot.
type Options struct {
	Config    *config.Config
	Store     Store
	Schedule  JobSchedule // nil: next runs are not shown
	Version   string
	StartedAt time.Time
	Now       func() time.Time // nil: time.Now
	Logger    *slog.Logger     // nil: slog.Default()
	// Members answers whether a Mini App user is in an allowed group (the bot's, which
	// asks Telegram); nil: only users whose private chat is allowed get in.
	Members MemberChecker
}

// Server serves the dashboard; mount it at "/" of the HTTP server.
type Server struct {
	cfg     *config.Config
	store   Store
	figures *figures.Reader // every figure a page shows comes from here
	opts    Options
	now     func() time.Time
	log     *slog.Logger
	key     []byte
	members MemberChecker
	mux     *http.ServeMux
	pages   *pageSet
	secure  bool // cookies only over https

	navMu      sync.Mutex
	navCache   map[string]int
	navCounted time.Time
}

// New builds the dashboard.
func New(opts Options) (*Server, error) {
	if opts.Config == nil || opts.Store == nil {
		return nil, errors.New("web: a config and a store are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: opts.Config, store: opts.Store, figures: figures.New(opts.Store, opts.Config), opts: opts, now: opts.Now,
		log:     opts.Logger.With("component", "web"),
		key:     loginKey(opts.Config.TelegramToken),
		members: opts.Members,
		pages:   pages,
		secure:  strings.HasPrefix(opts.Config.DashboardURL(), "https://"),
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /static/{name}", serveStatic)
	m.HandleFunc("GET /login", s.handleLogin)
	m.HandleFunc("POST /auth/telegram", s.handleMiniAppAuth)
	m.HandleFunc("POST /logout", s.handleLogout)
	m.Handle("POST /lang", s.authed(s.handleLang))
	m.Handle("GET /{$}", s.authed(s.pageOverview))
	m.Handle("GET /service/{name}", s.authed(s.pageService))
	m.Handle("GET /bills", s.authed(s.pageBills))
	m.Handle("GET /bills.csv", s.authed(s.billsCSV))
	m.Handle("GET /bills/{month}", s.authed(s.pageBillMonth))
	m.Handle("GET /lightsail", s.authed(s.pageLightsail))
	m.Handle("GET /status", s.authed(s.pageStatus))
	m.Handle("/", s.authed(s.notFound))
	s.mux = m
}

// ServeHTTP sets the security headers every answer carries, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", s.csp())
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer") // a login link's token never leaves in a Referer
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		h.Set("Cache-Control", "no-store")
	}
	s.mux.ServeHTTP(w, r)
}

// csp allows only this origin's scripts, styles, images and fetches; Telegram's web
// client may frame the Mini App.
func (s *Server) csp() string {
	frame := "'none'"
	if s.cfg.MiniApp() {
		frame = "https://web.telegram.org"
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors " + frame
}

// authed serves next only with a live session; everyone else gets the login page,
// which holds no data.
func (s *Server) authed(next func(http.ResponseWriter, *http.Request, *viewer)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := s.viewerOf(r)
		if err != nil {
			s.log.Error("session lookup failed", "error", err)
			http.Error(w, "Internal error.", http.StatusInternalServerError)
			return
		}
		if v == nil {
			s.renderLogin(w, r, http.StatusUnauthorized, "")
			return
		}
		next(w, r, v)
	})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.render(w, r, v, http.StatusNotFound, "notfound", pageData{Title: v.T("notfound.title")})
}

// fail logs err with the request and answers "Internal error." in the viewer's language.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	s.log.Error("page failed", "path", r.URL.Path, "error", err)
	s.render(w, r, v, http.StatusInternalServerError, "notfound", pageData{Title: v.T("web.error.internal")})
}

func (s *Server) tz() *time.Location {
	if s.cfg.ReportTZ != nil {
		return s.cfg.ReportTZ
	}
	return time.UTC
}
