package bot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"

	costmodels "costbot/models"
)

const senderTestToken = "123456:TEST"

// botAPIStub answers sendMessage with one canned reply and records the form it got.
type botAPIStub struct {
	mu     sync.Mutex
	status int
	body   string
	forms  []map[string]string
	paths  []string
}

func (s *botAPIStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form := map[string]string{}
	for k, v := range r.MultipartForm.Value {
		form[k] = v[0]
	}
	s.mu.Lock()
	s.forms = append(s.forms, form)
	s.paths = append(s.paths, r.URL.Path)
	status, body := s.status, s.body
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write([]byte(body))
}

func (s *botAPIStub) reply(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func newStubSender(t *testing.T) (*Sender, *botAPIStub, *httptest.Server) {
	t.Helper()
	stub := &botAPIStub{status: http.StatusOK, body: sentOK}
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	b, err := tgbot.New(senderTestToken, tgbot.WithServerURL(srv.URL), tgbot.WithSkipGetMe(),
		tgbot.WithErrorsHandler(func(error) {}))
	if err != nil {
		t.Fatal(err)
	}
	return NewSender(b), stub, srv
}

const sentOK = `{"ok":true,"result":{"message_id":7,"date":1748779200,"chat":{"id":42,"type":"private"},"text":"x"}}`

func TestSenderSendsHTMLWithoutLinkPreviews(t *testing.T) {
	s, stub, _ := newStubSender(t)
	ctx := context.Background()
	if err := s.Send(ctx, 42, "<b>web-1</b> stopped", "HTML"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := s.Send(ctx, -100123, "plain <b> text", ""); err != nil {
		t.Fatalf("Send plain: %v", err)
	}
	if len(stub.forms) != 2 || stub.paths[0] != "/bot"+senderTestToken+"/sendMessage" {
		t.Fatalf("calls: %v %v", stub.paths, stub.forms)
	}
	html, plain := stub.forms[0], stub.forms[1]
	if html["chat_id"] != "42" || html["text"] != "<b>web-1</b> stopped" || html["parse_mode"] != "HTML" {
		t.Errorf("HTML send form = %v", html)
	}
	var preview struct {
		IsDisabled bool `json:"is_disabled"`
	}
	if err := json.Unmarshal([]byte(html["link_preview_options"]), &preview); err != nil || !preview.IsDisabled {
		t.Errorf("link_preview_options = %q; want link previews disabled", html["link_preview_options"])
	}
	if plain["chat_id"] != "-100123" || plain["text"] != "plain <b> text" || plain["parse_mode"] != "" {
		t.Errorf("plain send form = %v; want no parse_mode", plain)
	}
}

func TestSenderClassifiesBotAPIErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		kind       costmodels.SendErrorKind
		retryAfter time.Duration
	}{
		{"429 with retry_after", 429,
			`{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`,
			costmodels.RateLimited, 3 * time.Second},
		{"bot blocked", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`, costmodels.Blocked, 0},
		{"bot kicked", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was kicked from the group chat"}`, costmodels.Blocked, 0},
		{"chat not found", 400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`, costmodels.Blocked, 0},
		{"group became a supergroup", 400,
			`{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234}}`,
			costmodels.Blocked, 0},
		{"unparseable HTML", 400,
			`{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities: Unsupported start tag \"oops\" at byte offset 12"}`,
			costmodels.Unparseable, 0},
		{"too long", 400, `{"ok":false,"error_code":400,"description":"Bad Request: message is too long"}`, costmodels.TooLong, 0},
		{"other bad request", 400, `{"ok":false,"error_code":400,"description":"Bad Request: message text is empty"}`, costmodels.Permanent, 0},
		{"other 4xx", 413, `{"ok":false,"error_code":413,"description":"Request Entity Too Large"}`, costmodels.Permanent, 0},
		{"bad gateway as JSON", 502, `{"ok":false,"error_code":502,"description":"Bad Gateway"}`, costmodels.Temporary, 0},
		{"internal error as JSON", 500, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`, costmodels.Temporary, 0},
		{"a proxy's error page", 502, `<html><body><h1>502 Bad Gateway</h1></body></html>`, costmodels.Temporary, 0},
		{"revoked token", 401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, costmodels.Temporary, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, stub, _ := newStubSender(t)
			stub.reply(tt.status, tt.body)
			err := s.Send(context.Background(), 42, "<b>hi</b>", "HTML")
			var se *costmodels.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send = %v (%T), want a *models.SendError", err, err)
			}
			if se.Kind != tt.kind || se.RetryAfter != tt.retryAfter {
				t.Errorf("kind %v retry after %v, want %v %v (err: %v)", se.Kind, se.RetryAfter, tt.kind, tt.retryAfter, err)
			}
			if se.Err == nil || errors.Unwrap(se) != se.Err {
				t.Errorf("the library error is not kept: %v", se)
			}
		})
	}
}

func TestSenderReportsAnUnreachableServerAsTemporary(t *testing.T) {
	s, _, srv := newStubSender(t)
	srv.Close()
	err := s.Send(context.Background(), 42, "hi", "HTML")
	var se *costmodels.SendError
	if !errors.As(err, &se) || se.Kind != costmodels.Temporary {
		t.Fatalf("Send to a closed server = %v, want a temporary SendError", err)
	}
}
