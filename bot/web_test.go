package bot

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	tgbot "github.com/go-telegram/bot"

	"costbot/internal/tgtest"
	"costbot/web"
)

// withDashboard rebuilds the harness's bot with a real dashboard (settings from extra)
// and serves the dashboard; it returns the dashboard's test URL and its configured one.
func withDashboard(t *testing.T, h *harness, extra map[string]string) (testURL, configured string) {
	t.Helper()
	h.cfg = testConfig(t, h.srv, extra)
	api, err := NewAPI(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	dash, err := web.New(web.Options{Config: h.cfg, Store: h.store, Now: h.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Members: NewMembers(h.cfg, api)})
	if err != nil {
		t.Fatal(err)
	}
	h.bot, err = New(h.cfg, Deps{Store: h.store, Now: h.clock.Now, Web: dash, Logger: slog.New(slog.NewTextHandler(h.logs, nil))}, tgbot.WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(dash)
	t.Cleanup(ts.Close)
	return ts.URL, h.cfg.DashboardURL()
}

var linkHref = regexp.MustCompile(`href="([^"]+)"`)

func TestWebCommand(t *testing.T) {
	h := newHarness(t)
	testURL, configured := withDashboard(t, h, map[string]string{"HTTP_ADDR": "127.0.0.1:8080"})
	h.start()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	get := func(u string) int {
		t.Helper()
		resp, err := browser.Get(strings.Replace(u, configured, testURL, 1))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	reply := h.say(ownerID, ownerID, "/web")
	m := linkHref.FindStringSubmatch(reply.Params["text"])
	if m == nil || !strings.HasPrefix(html.UnescapeString(m[1]), "http://127.0.0.1:8080/login?t=") {
		t.Fatalf("/web gave no dashboard link:\n%s", reply.Params["text"])
	}
	if reply.Params["reply_markup"] != "" {
		t.Errorf("a Mini App button without an https URL: %s", reply.Params["reply_markup"])
	}
	if status := get(html.UnescapeString(m[1])); status != http.StatusOK {
		t.Fatalf("following the link: %d", status)
	}
	if status := get(configured + "/"); status != http.StatusOK {
		t.Fatalf("the overview after the link: %d", status)
	}

	for _, tc := range []struct{ text, want string }{
		{"/web please", "/web logout"},
		{"/web logout", "1"},
	} {
		if got := h.say(ownerID, ownerID, tc.text).Params["text"]; !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q lacks %q", tc.text, got, tc.want)
		}
	}
	if status := get(configured + "/"); status != http.StatusUnauthorized {
		t.Errorf("the overview after /web logout: %d", status)
	}
	if got := h.say(strangerID, strangerID, "/web").Params["text"]; strings.Contains(got, "login?t=") {
		t.Errorf("a stranger got a link: %s", got)
	}
}

func TestWebCommandWithoutHTTPServer(t *testing.T) {
	h := newHarness(t)
	withDashboard(t, h, nil)
	h.cfg.HTTPAddr = "" // the HTTP server off
	h.start()
	if got := h.say(ownerID, ownerID, "/web").Params["text"]; got != h.tr("zh").T(msgID{"web.off"}) {
		t.Errorf("/web with the HTTP server off: %q", got)
	}
}

func TestMiniAppButtons(t *testing.T) {
	h := newHarness(t)
	withDashboard(t, h, map[string]string{"HTTP_ADDR": "127.0.0.1:8080", "WEB_PUBLIC_URL": "https://costs.example.org"})
	h.start()
	menu := h.srv.WaitCall(t, "setChatMenuButton", nil, wait)
	if got := menu.Params["menu_button"]; !strings.Contains(got, `"type":"web_app"`) || !strings.Contains(got, `"url":"https://costs.example.org/"`) {
		t.Errorf("menu button: %s", got)
	}
	private := h.say(ownerID, ownerID, "/web")
	if got := private.Params["reply_markup"]; !strings.Contains(got, `"web_app":{"url":"https://costs.example.org/"}`) {
		t.Errorf("/web in a private chat has no Dashboard button: %s", got)
	}
	if got := h.say(groupID, memberID, "/web").Params["reply_markup"]; strings.Contains(got, "web_app") {
		t.Errorf("a web_app button in a group, where Telegram refuses it: %s", got)
	}
}

func TestInAllowedChat(t *testing.T) {
	h := newHarness(t)
	h.srv.SetHandler(func(c tgtest.Call) (bool, int, string) {
		if c.Method != "getChatMember" {
			return false, 0, ""
		}
		status := "left"
		if c.Params["chat_id"] == fmt.Sprint(groupID) && c.Params["user_id"] == fmt.Sprint(memberID) {
			status = "member"
		}
		return true, http.StatusOK, fmt.Sprintf(`{"ok":true,"result":{"status":%q,"user":{"id":%s,"is_bot":false,"first_name":"x"}}}`, status, c.Params["user_id"])
	})
	api, err := NewAPI(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	members := NewMembers(h.cfg, api)
	for _, tc := range []struct {
		name   string
		userID int64
		want   bool
	}{
		{"the owner's private chat is allowed", ownerID, true},
		{"a member of an allowed group", memberID, true},
		{"a stranger", strangerID, false},
	} {
		got, err := members.InAllowedChat(context.Background(), tc.userID)
		if err != nil || got != tc.want {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if n := len(h.srv.Calls("getChatMember")); n != 2 {
		t.Errorf("%d getChatMember calls, want 2 (none for a private chat)", n)
	}
}

// TestDashboardShowsCostsFigures: the overview and /cost read one query layer, so each
// figure of /cost appears, as the same text, on the overview.
func TestDashboardShowsCostsFigures(t *testing.T) {
	h := newHarness(t)
	seedMarch(t, h.store)
	testURL, configured := withDashboard(t, h, map[string]string{"HTTP_ADDR": "127.0.0.1:8080", "BOT_LANG": "en"})
	h.start()
	cost := h.say(ownerID, ownerID, "/cost").Params["text"]
	link := linkHref.FindStringSubmatch(h.say(ownerID, ownerID, "/web").Params["text"])
	if link == nil {
		t.Fatal("/web gave no link")
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	var body []byte
	for _, u := range []string{html.UnescapeString(link[1]), configured + "/"} { // sign in, then the overview
		resp, err := browser.Get(strings.Replace(u, configured, testURL, 1))
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	for _, tc := range []struct{ name, chat, page string }{
		{"burn rate", `Burn rate: <b>(\S+)</b>`, `id="burn-rate">%s<`},
		{"today", `Today so far \(.*\): <b>(\S+)</b>`, `id="today">%s<`},
		{"month", `This month so far \(.*\): <b>(\S+)</b>`, `id="month">%s<`},
		{"forecast", `Month-end forecast: <b>(\S+)</b>`, `id="forecast">%s<`},
	} {
		m := regexp.MustCompile(tc.chat).FindStringSubmatch(cost)
		if m == nil {
			t.Fatalf("/cost has no %s:\n%s", tc.name, cost)
		}
		if want := fmt.Sprintf(tc.page, m[1]); !strings.Contains(string(body), want) {
			t.Errorf("the overview's %s is not /cost's %s", tc.name, m[1])
		}
	}
}
