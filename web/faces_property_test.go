package web

import (
	"html"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"costbot/internal/randhist"
	"costbot/locale"
)

// TestPagesShowTheOracleForEveryScope signs in from a chat limited by
// TELEGRAM_CHAT_ACCOUNTS to each scope of random histories and reads the overview, the
// open and the closed month's bill pages and the bills CSV as a browser gets them: every
// total, service line and unpriced count is the oracle's (the same the chat shows, see
// bot's TestChatShowsTheOracleForEveryScope), an unpriced service is never $0.00, and no
// other account's ID shows.
func TestPagesShowTheOracleForEveryScope(t *testing.T) {
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 21))
		h := randhist.New(rng)
		for _, scope := range h.Scopes(rng) {
			env := map[string]string{"COST_EXPLORER_INTERVAL": "12h"}
			if !scope.All() {
				env["TELEGRAM_CHAT_ACCOUNTS"] = "-2002:" + strings.Join(scope, "|")
			}
			d := newDash(t, env)
			d.clock.t = h.Now
			h.Write(t, d.store)
			browser := d.loggedInFrom(3003, -2002, "en")
			want := h.Oracle(scope)
			pages := map[string]string{}
			for _, path := range []string{"/", "/bills/" + h.Month(), "/bills/" + h.Previous(), "/bills.csv", "/status"} {
				status, body := d.get(browser, path)
				if status != http.StatusOK {
					t.Fatalf("seed %d, scope %v: %s: %d\n%s", seed, scope, path, status, body)
				}
				pages[path] = html.UnescapeString(body)
			}
			expect := func(path string, parts ...string) {
				t.Helper()
				for _, p := range parts {
					if !strings.Contains(pages[path], p) {
						t.Errorf("seed %d, scope %v: %s lacks %q", seed, scope, path, p)
					}
				}
			}
			month := locale.USD(want.MonthUSD)
			expect("/", month, locale.Rate(want.HourlyUSD))
			expect("/bills/"+h.Month(), month)
			expect("/bills/"+h.Previous(), locale.USD(want.PreviousUSD))
			for svc, usd := range want.Services {
				expect("/bills/"+h.Month(), locale.DisplayName(svc)+"</a></td><td class=\"num\">"+locale.USD(usd))
			}
			if n := want.UnpricedCount(); n > 0 {
				expect("/bills/"+h.Month(), "id=\"left-out\"")
			}
			for _, svc := range want.UnpricedOnly {
				expect("/bills.csv", h.Month()+","+svc+",unpriced,")
			}
			for _, a := range h.Accounts {
				if scope.Covers(a.ID) {
					continue
				}
				for path, body := range pages {
					if strings.Contains(body, a.ID) {
						t.Errorf("seed %d, scope %v: %s shows account %s", seed, scope, path, a.ID)
					}
				}
			}
		}
	}
}
