package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"costbot/models"
)

func TestLoginLink(t *testing.T) {
	d := newDash(t, nil)
	d.seedMarch()
	tamper := func(link string, edit func(nonce, exp, sig string) string) string {
		u, _ := url.Parse(link)
		parts := strings.Split(u.Query().Get("t"), ".")
		q := u.Query()
		q.Set("t", edit(parts[0], parts[1], parts[2]))
		u.RawQuery = q.Encode()
		return u.String()
	}
	for _, tc := range []struct {
		name   string
		link   func() string
		before func()
		ok     bool
	}{
		{"a fresh link opens a session", func() string { return d.link(1001, "en") }, nil, true},
		{"a forged signature is refused", func() string {
			return tamper(d.link(1001, "en"), func(n, e, s string) string { return n + "." + e + "." + strings.Repeat("A", len(s)) })
		}, nil, false},
		{"a later expiry under the old signature is refused", func() string {
			return tamper(d.link(1001, "en"), func(n, e, s string) string { return n + ".9999999999." + s })
		}, nil, false},
		{"a signed nonce the store never issued is refused", func() string {
			return d.ts.URL + "/login?t=" + url.QueryEscape(signLogin(d.srv.key, "never-issued", d.clock.Now().Add(time.Minute)))
		}, nil, false},
		{"a link 10 minutes old is refused", func() string { l := d.link(1001, "en"); d.clock.Add(LoginLinkTTL); return l }, nil, false},
		{"a link 9 minutes old still works", func() string { l := d.link(1001, "en"); d.clock.Add(9 * time.Minute); return l }, nil, true},
	} {
		c := d.client()
		status, body := d.get(c, tc.link())
		if ok := status == http.StatusOK; ok != tc.ok {
			t.Errorf("%s: status %d\n%s", tc.name, status, body)
			continue
		}
		if !tc.ok && !strings.Contains(body, "not valid") {
			t.Errorf("%s: the refusal does not say why", tc.name)
		}
		// Only a good link gives a session that shows data.
		status, _ = d.get(c, "/")
		if (status == http.StatusOK) != tc.ok {
			t.Errorf("%s: the overview answers %d afterwards", tc.name, status)
		}
	}
}

func TestLoginLinkWorksOnce(t *testing.T) {
	d := newDash(t, nil)
	link := d.link(1001, "en")
	first, second := d.client(), d.client()
	if status, _ := d.get(first, link); status != http.StatusOK {
		t.Fatalf("first use: %d", status)
	}
	if status, _ := d.get(second, link); status != http.StatusUnauthorized {
		t.Errorf("second use: %d, want 401", status)
	}
	if status, _ := d.get(second, "/"); status != http.StatusUnauthorized {
		t.Errorf("the second browser got in: %d", status)
	}
	if status, _ := d.get(first, "/"); status != http.StatusOK {
		t.Errorf("the first browser's session: %d", status)
	}
}

func TestLoginLinkWorksOnceUnderConcurrentUse(t *testing.T) {
	d := newDash(t, nil)
	link := d.link(1001, "en")
	statuses := make(chan int, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			resp, err := d.client().Get(link)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	ok := 0
	for s := range statuses {
		if s == http.StatusOK {
			ok++
		} else if s != http.StatusUnauthorized {
			t.Errorf("status %d", s)
		}
	}
	if ok != 1 {
		t.Errorf("8 browsers at once: %d got in, want 1", ok)
	}
}

func TestRevokingEndsSessionsAndUnusedLinks(t *testing.T) {
	d := newDash(t, nil)
	a, b := d.loggedIn(1001, "en"), d.loggedIn(1001, "zh")
	other := d.loggedIn(1002, "en")
	unused := d.link(1001, "en")
	n, err := d.srv.Revoke(context.Background(), 1001)
	if err != nil || n != 2 {
		t.Fatalf("revoke: %d sessions, %v; want 2", n, err)
	}
	for name, c := range map[string]*http.Client{"first browser": a, "second browser": b} {
		if status, _ := d.get(c, "/"); status != http.StatusUnauthorized {
			t.Errorf("%s after /web logout: %d", name, status)
		}
	}
	if status, _ := d.get(d.client(), unused); status != http.StatusUnauthorized {
		t.Errorf("a link from before /web logout still works: %d", status)
	}
	if status, _ := d.get(other, "/"); status != http.StatusOK {
		t.Errorf("another user's session ended too: %d", status)
	}
	// A session also ends on its own after WEB_SESSION_TTL, and with the browser's sign-out.
	c := d.loggedIn(1002, "en")
	resp, err := c.PostForm(d.ts.URL+"/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if status, _ := d.get(c, "/"); status != http.StatusUnauthorized {
		t.Errorf("after signing out: %d", status)
	}
	d.clock.Add(d.cfg.WebSessionTTL)
	if status, _ := d.get(other, "/"); status != http.StatusUnauthorized {
		t.Errorf("after WEB_SESSION_TTL: %d", status)
	}
}

// goodInitData was signed, outside Go, with Python's hmac as Telegram documents it, for
// testToken; its auth_date is 2025-03-10 12:00 UTC.
const goodInitData = "query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A1001%2C%22first_name%22%3A%22Ana%22%2C%22last_name%22%3A%22%22%2C%22username%22%3A%22ana%22%2C%22language_code%22%3A%22en%22%2C%22allows_write_to_pm%22%3Atrue%7D&auth_date=1741608000&signature=fake-ed25519-signature-not-checked&hash=88106524caa991799b3fb5f49e33a92a440944a582eddda8a726681a6bbf0fc2"

func TestValidateInitData(t *testing.T) {
	now := utc("2025-03-10 12:30")
	forge := func(key, value string) string {
		v, _ := url.ParseQuery(goodInitData)
		v.Set(key, value)
		return v.Encode()
	}
	for _, tc := range []struct {
		name     string
		initData string
		token    string
		now      time.Time
		want     error
	}{
		{"known good", goodInitData, testToken, now, nil},
		{"fields in another order", forge("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"), testToken, now, nil},
		{"another user ID under the same hash", forge("user", `{"id":666,"first_name":"Mallory"}`), testToken, now, errInitDataHash},
		{"a later auth_date under the same hash", forge("auth_date", "1741694400"), testToken, now, errInitDataHash},
		{"a forged hash", forge("hash", strings.Repeat("0", 64)), testToken, now, errInitDataHash},
		{"another bot's token", goodInitData, "654321:OTHER", now, errInitDataHash},
		{"no hash", strings.Split(goodInitData, "&hash=")[0], testToken, now, errInitDataForm},
		{"a day and a second old", goodInitData, testToken, utc("2025-03-11 12:00").Add(time.Second), errInitDataStale},
		{"just under a day old", goodInitData, testToken, utc("2025-03-11 11:59"), nil},
		{"from the future", goodInitData, testToken, utc("2025-03-10 11:50"), errInitDataStale},
		{"not a query string", "%zz", testToken, now, errInitDataForm},
	} {
		u, err := validateInitData(tc.initData, tc.token, tc.now)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
			continue
		}
		if tc.want == nil && (u.ID != 1001 || u.LanguageCode != "en") {
			t.Errorf("%s: user %+v", tc.name, u)
		}
	}
}

// fakeMembers says who is in an allowed group, as Telegram's getChatMember would.
type fakeMembers map[int64]bool

func (f fakeMembers) InAllowedChat(_ context.Context, userID int64) (bool, error) {
	return f[userID], nil
}

func TestMiniAppSignIn(t *testing.T) {
	members := fakeMembers{}
	d := newDashWith(t, map[string]string{"WEB_PUBLIC_URL": "https://costs.example.org", "HTTP_ADDR": "127.0.0.1:0"}, members)
	d.seedMarch()
	post := func(c *http.Client, initData string) int {
		t.Helper()
		resp, err := c.PostForm(d.ts.URL+"/auth/telegram", url.Values{"initData": {initData}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// httptest serves plain http: let the jar send the Secure cookie back anyway.
	secureJar := func() *http.Client {
		c := d.client()
		c.Jar = &insecureJar{CookieJar: c.Jar}
		return c
	}

	forged := d.client()
	v, _ := url.ParseQuery(goodInitData)
	v.Set("user", `{"id":1001,"first_name":"Ana","language_code":"zh"}`)
	if status := post(forged, v.Encode()); status != http.StatusUnauthorized {
		t.Errorf("forged initData: %d, want 401", status)
	}
	if status, _ := d.get(forged, "/"); status != http.StatusUnauthorized {
		t.Errorf("forged initData got a session: %d", status)
	}

	good := secureJar()
	if status := post(good, goodInitData); status != http.StatusNoContent {
		t.Fatalf("good initData: %d, want 204", status)
	}
	if status, body := d.get(good, "/"); status != http.StatusOK || !strings.Contains(body, "$0.1064/h") {
		t.Errorf("after a Mini App sign-in the overview answers %d", status)
	}
	// The session sees the accounts of the user's private chat.
	lastChat := func() int64 {
		t.Helper()
		var ws models.WebSession
		if err := d.store.DB().Order("id DESC").Take(&ws).Error; err != nil {
			t.Fatal(err)
		}
		return ws.ChatID
	}
	if got := lastChat(); got != 1001 {
		t.Errorf("a Mini App session of user 1001 belongs to chat %d, want their private chat", got)
	}

	// The same signature for a user outside the allowed chats: 401 unless the bot finds
	// them in an allowed group.
	d.cfg.TelegramChatIDs = []int64{-2002}
	if status := post(d.client(), goodInitData); status != http.StatusUnauthorized {
		t.Errorf("a user in no allowed chat: %d, want 401", status)
	}
	members[1001] = true // the bot now finds them in an allowed group
	if status := post(secureJar(), goodInitData); status != http.StatusNoContent {
		t.Errorf("a member of an allowed group: %d, want 204", status)
	}
	if got := lastChat(); got != 0 {
		t.Errorf("a group member's session belongs to chat %d, want 0 (which group is not known)", got)
	}
	d.clock.Add(24 * time.Hour)
	if status := post(d.client(), goodInitData); status != http.StatusUnauthorized {
		t.Errorf("initData older than a day: %d, want 401", status)
	}
}
