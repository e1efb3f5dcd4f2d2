package bot

import (
	"math/rand/v2"
	"strings"
	"testing"

	"costbot/internal/randhist"
)

// TestChatShowsTheOracleForEveryScope plays a chat limited by TELEGRAM_CHAT_ACCOUNTS to
// each scope of random histories and reads /cost, /bill (the open and the closed month)
// and /report as Telegram delivers them: every total, service line and unpriced count is
// the oracle's, an unpriced service is never $0.00, and no other account's ID shows.
func TestChatShowsTheOracleForEveryScope(t *testing.T) {
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 21))
		h0 := randhist.New(rng)
		for _, scope := range h0.Scopes(rng) {
			env := map[string]string{"COST_EXPLORER_INTERVAL": "12h"}
			if !scope.All() {
				env["TELEGRAM_CHAT_ACCOUNTS"] = "-100500:" + strings.Join(scope, "|")
			}
			h := newHarnessWith(t, env, nil)
			h.clock.now = h0.Now
			h0.Write(t, h.store)
			h.start()
			tr := h.tr("en")
			if err := h.store.SetChatLang(t.Context(), groupID, "en"); err != nil {
				t.Fatal(err)
			}
			want := h0.Oracle(scope)
			texts := map[string]string{}
			for _, cmd := range []string{"/cost", "/bill", "/bill " + h0.Previous(), "/report"} {
				texts[cmd] = h.say(groupID, memberID, cmd).Params["text"]
			}
			expect := func(cmd string, parts ...string) {
				t.Helper()
				for _, p := range parts {
					if !strings.Contains(texts[cmd], p) {
						t.Errorf("seed %d, scope %v: %s lacks %q:\n%s", seed, scope, cmd, p, texts[cmd])
					}
				}
			}
			month := formatUSD(want.MonthUSD)
			expect("/cost", month, formatRate(want.HourlyUSD))
			expect("/bill", month)
			expect("/bill "+h0.Previous(), formatUSD(want.PreviousUSD))
			expect("/report", month)
			for svc, usd := range want.Services {
				expect("/bill", serviceName(svc)+": "+formatUSD(usd))
			}
			if n := want.UnpricedCount(); n > 0 {
				expect("/cost", tr.T(msgID{"cost.unpriced"}, map[string]any{"Count": n}))
				expect("/bill", tr.T(msgID{"bill.unpriced"}, map[string]any{"Count": n}))
				expect("/report", tr.T(msgID{"cost.unpriced"}, map[string]any{"Count": n}))
			}
			for _, svc := range want.UnpricedOnly {
				for line := range strings.SplitSeq(texts["/bill"], "\n") {
					if strings.Contains(line, serviceName(svc)) && strings.Contains(line, "$0.00") {
						t.Errorf("seed %d, scope %v: /bill shows unpriced %s as $0.00: %q", seed, scope, svc, line)
					}
				}
			}
			for _, a := range h0.Accounts {
				if scope.Covers(a.ID) {
					continue
				}
				for cmd, text := range texts {
					mustLack(t, cmd, text, a.ID)
					if a.Name != "" {
						mustLack(t, cmd, text, a.Name)
					}
				}
			}
			if err := h.stop(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
