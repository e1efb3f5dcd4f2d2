package bot

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"costbot/internal/tgtest"
	costmodels "costbot/models"
)

// Two accounts: prod (A) runs an EC2 instance at $0.10/h, B an RDS database at $0.30/h,
// for the three hours 10:00-12:00 UTC of 2025-03-10 (the harness clock stands at 12:00).
// The owner's chat sees both; the group sees only A (TELEGRAM_CHAT_ACCOUNTS).
//
//	month so far   3 × 0.40 = $1.20: B $0.90 (75.0%), A $0.30 (25.0%)
//	burn now       $0.4000/h: B $0.3000/h, A $0.1000/h
const (
	acctA  = "111111111111"
	acctB  = "222222222222"
	labelA = "prod (" + acctA + ")"
)

// recordingLightsail is the LightsailController of these tests: it records each stop and
// start it is asked for.
type recordingLightsail struct {
	mu    sync.Mutex
	calls []string
}

func (l *recordingLightsail) StopIn(_ context.Context, account, region, name, _ string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, "stop "+account+":"+region+"/"+name)
	return nil
}

func (l *recordingLightsail) StartIn(_ context.Context, account, region, name, _ string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, "start "+account+":"+region+"/"+name)
	return nil
}

func (l *recordingLightsail) Calls() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// newAccountsHarness is a bot whose group sees only account A, over the two accounts'
// costs, resources and Lightsail instances (web-a in A, web-b in B).
func newAccountsHarness(t *testing.T) (*harness, *recordingLightsail) {
	t.Helper()
	ls := &recordingLightsail{}
	h := newHarnessWith(t, map[string]string{"TELEGRAM_CHAT_ACCOUNTS": "-100500:" + acctA},
		func(d *Deps) { d.Lightsail = ls })
	ctx := context.Background()
	st := h.store
	if err := st.SaveAccounts(ctx, []costmodels.Account{{ID: acctA, Name: "prod"}, {ID: acctB}}); err != nil {
		t.Fatal(err)
	}
	for hour := utc("2025-03-10 10:00"); !hour.After(utc("2025-03-10 12:00")); hour = hour.Add(time.Hour) {
		_, err := st.WriteHour(ctx, costmodels.HourWrite{Hour: hour, CollectedAt: hour.Add(5 * time.Minute),
			Records: []costmodels.CostRecord{
				{AccountID: acctA, Service: "ec2", Region: "us-east-1", ResourceID: "i-a", Name: "web", CostUSD: 0.10, PriceSource: costmodels.SourceAPI},
				{AccountID: acctB, Service: "rds", Region: "eu-west-1", ResourceID: "db-b", Name: "db", CostUSD: 0.30, PriceSource: costmodels.SourceAPI},
			},
			Resources: []costmodels.ResourceRow{
				{Key: acctA + "/ec2/us-east-1/i-a", AccountID: acctA, Service: "ec2", Region: "us-east-1", ResourceID: "i-a", Name: "web",
					Type: "t3.small", HourlyUSD: 0.10, MonthlyUSD: 73, Priced: true, PriceSource: costmodels.SourceAPI, Active: true},
				{Key: acctB + "/rds/eu-west-1/db-b", AccountID: acctB, Service: "rds", Region: "eu-west-1", ResourceID: "db-b", Name: "db",
					Type: "db.t3.medium", HourlyUSD: 0.30, MonthlyUSD: 219, Priced: true, PriceSource: costmodels.SourceAPI, Active: true},
			},
			Listed: []costmodels.TaskScope{{Service: "ec2", Region: "us-east-1"}, {Service: "rds", Region: "eu-west-1"}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Each account's guard writes its own checks, stamped with its account.
	for _, c := range []struct {
		account string
		row     costmodels.LightsailUsage
	}{
		{acctA, costmodels.LightsailUsage{Instance: "web-a", State: "running", UsedBytes: 100e9, AllowanceBytes: 1000e9, Percent: 10}},
		{acctB, costmodels.LightsailUsage{Instance: "web-b", State: "running", UsedBytes: 200e9, AllowanceBytes: 1000e9, Percent: 20}},
	} {
		err := st.SaveLightsailChecks(ctx, c.account, "us-east-1", "2025-03", h.clock.Now(), []costmodels.LightsailUsage{c.row})
		if err != nil {
			t.Fatal(err)
		}
	}
	return h, ls
}

func setLang(t *testing.T, h *harness, chatID int64, lang string) translator {
	t.Helper()
	if err := h.store.SetChatLang(context.Background(), chatID, lang); err != nil {
		t.Fatal(err)
	}
	return h.tr(lang)
}

func mustLack(t *testing.T, what, text string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(text, u) {
			t.Errorf("%s shows %q:\n%s", what, u, text)
		}
	}
}

// inBothLanguages runs body, in zh then in en, on a started accounts harness whose chat
// speaks that language.
func inBothLanguages(t *testing.T, chatID int64, body func(t *testing.T, h *harness, ls *recordingLightsail, tr translator)) {
	t.Helper()
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			h, ls := newAccountsHarness(t)
			tr := setLang(t, h, chatID, lang)
			h.start()
			body(t, h, ls, tr)
		})
	}
}

func TestCostBreakdownAndAccountFilter(t *testing.T) {
	inBothLanguages(t, ownerID, func(t *testing.T, h *harness, _ *recordingLightsail, tr translator) {
		reply := h.say(ownerID, ownerID, "/cost")
		text := reply.Params["text"]
		mustContain(t, "/cost of both accounts", text,
			tr.T(msgID{"cost.month"}, map[string]any{"Month": "2025-03", "Amount": "$1.20"}),
			tr.T(msgID{"cost.burn"}, map[string]any{"Rate": "$0.4000"}),
			tr.T(msgID{"cost.by_account"}),
			tr.T(msgID{"cost.account_line"}, map[string]any{"Account": acctB, "Amount": "$0.90", "Percent": "75.0%", "Rate": "$0.3000"}),
			tr.T(msgID{"cost.account_line"}, map[string]any{"Account": labelA, "Amount": "$0.30", "Percent": "25.0%", "Rate": "$0.1000"}),
		)
		if !strings.Contains(text, "prod ("+acctA+")") {
			t.Errorf("the label is not shown as Telegram renders it:\n%s", text)
		}
		kb := keyboardData(reply)
		all := stripTags(tr.T(msgID{"account.all_button"}))
		for _, want := range []string{"✓ " + all + "=c:a:all", labelA + "=c:a:" + acctA, acctB + "=c:a:" + acctB, stripTags(tr.T(msgID{"cost.refresh"})) + "=c:r"} {
			if !slices.Contains(kb, want) {
				t.Errorf("/cost keyboard lacks %q: %v", want, kb)
			}
		}

		// The filter: account A alone, in place.
		edit := h.pressForEdit(ownerID, ownerID, reply.MessageID(), "c:a:"+acctA)
		text = edit.Params["text"]
		mustContain(t, "/cost of A", text,
			tr.T(msgID{"account.viewing"}, map[string]any{"Account": labelA}),
			tr.T(msgID{"cost.month"}, map[string]any{"Month": "2025-03", "Amount": "$0.30"}),
			tr.T(msgID{"cost.burn"}, map[string]any{"Rate": "$0.1000"}),
			tr.T(msgID{"cost.service_line"}, map[string]any{"Service": "EC2", "Rate": "$0.1000", "Percent": "100.0%"}),
		)
		mustLack(t, "/cost of A", text, tr.T(msgID{"cost.by_account"}), "RDS", "$0.90", "$1.20", acctB)
		if !slices.Contains(keyboardData(edit), "✓ "+labelA+"=c:a:"+acctA) {
			t.Errorf("the filter does not tick A: %v", keyboardData(edit))
		}
		if got, _ := h.store.ChatAccount(context.Background(), ownerID); got != acctA {
			t.Errorf("the chat's account is %q after the filter, want %s", got, acctA)
		}
		// Refresh keeps the pick; All goes back to the sum.
		if text := h.pressForEdit(ownerID, ownerID, reply.MessageID(), "c:r").Params["text"]; !strings.Contains(text, "$0.30") || strings.Contains(text, "$1.20") {
			t.Errorf("Refresh lost the filter:\n%s", text)
		}
		text = h.pressForEdit(ownerID, ownerID, reply.MessageID(), "c:a:all").Params["text"]
		mustContain(t, "/cost after All", text, tr.T(msgID{"cost.month"}, map[string]any{"Month": "2025-03", "Amount": "$1.20"}), tr.T(msgID{"cost.by_account"}))
	})
}

func TestAccountCommand(t *testing.T) {
	h, _ := newAccountsHarness(t)
	en := setLang(t, h, ownerID, "en")
	zh := h.tr("zh") // the group speaks BOT_LANG
	h.start()
	ctx := context.Background()

	tests := []struct {
		name    string
		chat    int64
		tr      translator
		command string
		want    []string
		lack    []string
		picked  string
	}{
		{"the list", ownerID, en, "/account", []string{
			en.T(msgID{"account.current"}, map[string]any{"Account": stripTags(en.T(msgID{"account.every"}))}),
			en.T(msgID{"account.line"}, map[string]any{"Account": labelA, "ID": acctA}),
			en.T(msgID{"account.line"}, map[string]any{"Account": acctB, "ID": acctB}),
		}, nil, ""},
		{"pick by ID", ownerID, en, "/account " + acctB, []string{en.T(msgID{"account.set"}, map[string]any{"Account": acctB})}, nil, acctB},
		{"pick by name", ownerID, en, "/account PROD", []string{en.T(msgID{"account.set"}, map[string]any{"Account": labelA})}, nil, acctA},
		{"an unknown account gets the valid ones", ownerID, en, "/account 999<b>", []string{
			en.T(msgID{"account.unknown"}, map[string]any{"Arg": "999<b>", "Valid": "all, " + acctA + ", " + acctB}),
		}, []string{"999<b>"}, acctA},
		{"all resets", ownerID, en, "/account all", []string{en.T(msgID{"account.set_all"})}, nil, ""},
		{"the group lists only A", groupID, zh, "/account", []string{zh.T(msgID{"account.line"}, map[string]any{"Account": labelA, "ID": acctA})}, []string{acctB}, ""},
		{"the group cannot pick B", groupID, zh, "/account " + acctB, []string{
			zh.T(msgID{"account.unknown"}, map[string]any{"Arg": acctB, "Valid": "all, " + acctA}),
		}, nil, ""},
		{"the group picks A", groupID, zh, "/account " + acctA, []string{zh.T(msgID{"account.set"}, map[string]any{"Account": labelA})}, nil, acctA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := h.say(tc.chat, ownerID, tc.command).Params["text"]
			mustContain(t, tc.command, text, tc.want...)
			mustLack(t, tc.command, strings.ReplaceAll(text, acctB+" (", ""), tc.lack...)
			if got, _ := h.store.ChatAccount(ctx, tc.chat); got != tc.picked {
				t.Errorf("picked %q, want %q", got, tc.picked)
			}
		})
	}
}

func TestChatAccountsScopeViews(t *testing.T) {
	h, _ := newAccountsHarness(t)
	zh := h.tr("zh")
	h.start()

	// The group sees A alone: its figures are A's, with no breakdown, nowhere B's.
	cost := h.say(groupID, memberID, "/cost")
	mustContain(t, "group /cost", cost.Params["text"],
		zh.T(msgID{"cost.month"}, map[string]any{"Month": "2025-03", "Amount": "$0.30"}),
		zh.T(msgID{"cost.burn"}, map[string]any{"Rate": "$0.1000"}))
	mustLack(t, "group /cost", cost.Params["text"], zh.T(msgID{"cost.by_account"}), "RDS", "$1.20", "$0.90", acctB)
	for _, k := range keyboardData(cost) {
		if strings.Contains(k, "c:a:") {
			t.Errorf("a chat that sees one account got the account filter: %v", keyboardData(cost))
		}
	}

	bill := h.say(groupID, memberID, "/bill")
	mustContain(t, "group /bill", bill.Params["text"], zh.T(msgID{"bill.line"}, map[string]any{"Service": "EC2", "Amount": "$0.30", "Percent": "100.0%"}))
	mustLack(t, "group /bill", bill.Params["text"], "RDS", "$1.20")

	mustContain(t, "group /service rds", h.say(groupID, memberID, "/service rds").Params["text"], zh.T(msgID{"service.empty"}))
	mustContain(t, "group /service ec2", h.say(groupID, memberID, "/service ec2").Params["text"], "<code>i-a</code>")

	ls := h.say(groupID, memberID, "/lightsail").Params["text"]
	mustContain(t, "group /lightsail", ls, "web-a")
	mustLack(t, "group /lightsail", ls, "web-b")

	// The group's daily report is A's: its today, month and forecast (0.30 + 0.10 × 515
	// hours left), its instance, nowhere B's.
	report := h.say(groupID, memberID, "/report").Params["text"]
	mustContain(t, "group /report", report,
		zh.T(msgID{"report.today"}, map[string]any{"Amount": "$0.30"}),
		zh.T(msgID{"report.month"}, map[string]any{"Month": "2025-03", "Amount": "$0.30"}),
		zh.T(msgID{"report.forecast"}, map[string]any{"Amount": "$51.80"}),
		"web-a")
	mustLack(t, "group /report", report, acctB, "web-b", "RDS", "$1.20", "$0.90", "$207.20", "$155.40")

	// The owner's chat sees both, and its bill is the sum.
	mustContain(t, "owner /bill", h.say(ownerID, ownerID, "/bill").Params["text"],
		zh.T(msgID{"bill.line"}, map[string]any{"Service": "RDS", "Amount": "$0.90", "Percent": "75.0%"}))
	mustContain(t, "owner /lightsail", h.say(ownerID, ownerID, "/lightsail").Params["text"], "web-a", "web-b")

	// The 24-hour chart's caption sums A's hours alone in the group.
	for _, tc := range []struct {
		chat  int64
		total string
	}{{groupID, "$0.30"}, {ownerID, "$1.20"}} {
		seen := len(h.srv.Calls("sendPhoto"))
		h.srv.SendMessage(tc.chat, ownerID, "/chart 24h")
		n := 0
		photo := h.srv.WaitCall(t, "sendPhoto", func(c tgtest.Call) bool { n++; return n > seen }, wait)
		if !strings.Contains(photo.Params["caption"], tc.total) {
			t.Errorf("chart caption in chat %d lacks %s: %s", tc.chat, tc.total, photo.Params["caption"])
		}
	}
}

func TestPushesReachOnlyChatsThatSeeTheAccount(t *testing.T) {
	h, _ := newAccountsHarness(t)
	ctx := context.Background()
	traffic := func(acct string) costmodels.LightsailTraffic {
		return costmodels.LightsailTraffic{AccountID: acct, Region: "us-east-1", Instance: "web-" + acct[:1], Cycle: "2025-03", State: "running",
			UsedBytes: 960e9, AllowanceBytes: 1000e9, Percent: 96}
	}
	tests := []struct {
		name  string
		ev    costmodels.Event
		chats []int64
	}{
		{"a new resource of A", costmodels.Event{Kind: costmodels.EventNewResource, Key: "a", Data: costmodels.NewResourceAlert{AccountID: acctA, Service: "ec2", ID: "i-a"}}, []int64{ownerID, groupID}},
		{"a new resource of B", costmodels.Event{Kind: costmodels.EventNewResource, Key: "b", Data: costmodels.NewResourceAlert{AccountID: acctB, Service: "rds", ID: "db-b"}}, []int64{ownerID}},
		{"a Lightsail stop in B", costmodels.Event{Kind: costmodels.EventLightsailStop, Key: "sb", Data: costmodels.LightsailStop{Traffic: traffic(acctB), StopPercent: 95, Accepted: true}}, []int64{ownerID}},
		{"a Lightsail warning in A", costmodels.Event{Kind: costmodels.EventLightsailWarn, Key: "wa", Data: &costmodels.LightsailWarn{Traffic: traffic(acctA), Level: 90, StopPercent: 95}}, []int64{ownerID, groupID}},
		{"the budget, about every account", costmodels.Event{Kind: costmodels.EventBudget, Key: "2025-03#1", Data: costmodels.BudgetAlert{Month: "2025-03", ForecastUSD: 300, BudgetUSD: 200}}, []int64{ownerID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, err := h.store.DueMessages(ctx, h.clock.Now().Add(1<<40), 1000)
			if err != nil {
				t.Fatal(err)
			}
			if err := h.notifier(nil).Notify(ctx, tc.ev); err != nil {
				t.Fatal(err)
			}
			after, err := h.store.DueMessages(ctx, h.clock.Now().Add(1<<40), 1000)
			if err != nil {
				t.Fatal(err)
			}
			old := map[uint]bool{}
			for _, m := range before {
				old[m.ID] = true
			}
			var got []int64
			for _, m := range after {
				if !old[m.ID] {
					got = append(got, m.ChatID)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.chats))
			if !slices.Equal(got, want) {
				t.Errorf("queued for %v, want %v", got, want)
			}
		})
	}
}

func TestStopOnlyInAccountsTheChatSees(t *testing.T) {
	inBothLanguages(t, groupID, func(t *testing.T, h *harness, ls *recordingLightsail, tr translator) {
		// In the group (A only), B's instance is refused, with no confirmation.
		refused := h.say(groupID, ownerID, "/stop web-b")
		if want := tr.T(msgID{"lightsail.account_refused"}, map[string]any{"Name": "web-b"}); refused.Params["text"] != want {
			t.Errorf("/stop web-b in the group = %q, want %q", refused.Params["text"], want)
		}
		if len(refused.Keyboard()) != 0 {
			t.Errorf("a refusal carries buttons: %v", keyboardData(refused))
		}
		// The /lightsail buttons are only A's.
		for _, k := range keyboardData(h.say(groupID, ownerID, "/lightsail")) {
			if strings.Contains(k, "web-b") {
				t.Errorf("the group's /lightsail offers %q", k)
			}
		}
		// A's instance goes through: prompt, confirm, stop.
		prompt := h.say(groupID, ownerID, "/stop web-a")
		var confirm string
		for _, row := range prompt.Keyboard() {
			for _, b := range row {
				if strings.HasPrefix(b.CallbackData, "lc:") {
					confirm = b.CallbackData
				}
			}
		}
		if confirm == "" {
			t.Fatalf("no confirmation for web-a: %v", keyboardData(prompt))
		}
		done := h.pressForEdit(groupID, ownerID, prompt.MessageID(), confirm)
		mustContain(t, "stop of web-a", done.Params["text"], "web-a")
		if calls := ls.Calls(); !slices.Equal(calls, []string{"stop " + acctA + ":us-east-1/web-a"}) {
			t.Errorf("controller calls %v, want only the stop of web-a", calls)
		}
		// The owner's own chat sees B, so the same admin may stop it there.
		if p := h.say(ownerID, ownerID, "/stop web-b"); len(p.Keyboard()) == 0 {
			t.Errorf("the owner's chat got no confirmation for web-b: %s", p.Params["text"])
		}
	})
}

// /status counts the accounts a chat sees and names each one the last job could not
// work on, with its fix; a chat never hears of another chat's accounts.
func TestStatusNamesAccountProblems(t *testing.T) {
	h, _ := newAccountsHarness(t)
	ctx := context.Background()
	at := h.clock.Now()
	problem := "the role arn:aws:iam::" + acctB + ":role/CostbotReadOnly cannot be assumed: its trust policy must allow costbot's credentials"
	if err := h.store.SetAccountProblem(ctx, acctB, "collect", problem, at); err != nil {
		t.Fatal(err)
	}
	h.start()
	for _, lang := range []string{"en", "zh"} {
		tr := setLang(t, h, ownerID, lang)
		owner := h.say(ownerID, ownerID, "/status").Params["text"]
		mustContain(t, lang+" owner /status", owner,
			tr.T(msgID{"status.accounts"}, map[string]any{"Count": 2, "Problems": 1}),
			tr.T(msgID{"status.account_problem"}, map[string]any{"Account": acctB, "Job": "collect",
				"When": at.In(h.bot.cfg.ReportTZ).Format("2006-01-02 15:04 MST"), "Problem": problem}))
		if strings.Count(owner, "cannot be assumed") != 1 {
			t.Errorf("%s: the problem is not said once:\n%s", lang, owner)
		}
	}
	group := h.say(groupID, memberID, "/status").Params["text"]
	mustLack(t, "group /status", group, acctB, "cannot be assumed", h.tr("zh").T(msgID{"status.accounts"}, map[string]any{"Count": 1, "Problems": 0}))
}

// Two accounts with an instance of one name in one region: /lightsail's buttons say
// which account each is, and the stop goes to the instance of the button pressed.
func TestStopButtonKeepsTheAccountOfATwinInstance(t *testing.T) {
	h, ls := newAccountsHarness(t)
	ctx := context.Background()
	for _, account := range []string{acctA, acctB} {
		twin := costmodels.LightsailUsage{Instance: "twin", State: "running", UsedBytes: 1e9, AllowanceBytes: 1000e9, Percent: 0.1}
		if err := h.store.SaveLightsailChecks(ctx, account, "eu-west-1", "2025-03", h.clock.Now(), []costmodels.LightsailUsage{twin}); err != nil {
			t.Fatal(err)
		}
	}
	h.start()
	setLang(t, h, ownerID, "en")
	list := h.say(ownerID, ownerID, "/lightsail")
	var ask string
	var labels []string
	for _, row := range list.Keyboard() {
		for _, b := range row {
			if strings.Contains(b.Text, "twin") {
				labels = append(labels, b.Text)
				if strings.Contains(b.Text, acctB) {
					ask = b.CallbackData
				}
			}
		}
	}
	if len(labels) != 2 || ask == "" || !strings.Contains(strings.Join(labels, " "), acctA) {
		t.Fatalf("twin buttons %q: want one per account, each naming it", labels)
	}
	prompt := h.pressForEdit(ownerID, ownerID, list.MessageID(), ask)
	var confirm string
	for _, row := range prompt.Keyboard() {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, "lc:") {
				confirm = b.CallbackData
			}
		}
	}
	if confirm == "" {
		t.Fatalf("no confirmation: %v", keyboardData(prompt))
	}
	h.pressForEdit(ownerID, ownerID, list.MessageID(), confirm)
	if calls := ls.Calls(); !slices.Equal(calls, []string{"stop " + acctB + ":eu-west-1/twin"}) {
		t.Errorf("controller calls %v, want the stop of B's twin", calls)
	}
}
