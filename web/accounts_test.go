package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"costbot/models"
)

// Two accounts: prod (A) runs an EC2 instance at $0.10/h, B an RDS database at $0.30/h,
// for the three hours 10:00-12:00 UTC of 2025-03-10 (the clock stands at 12:30). Chat
// 1001 sees both; the group -2002 sees only A (TELEGRAM_CHAT_ACCOUNTS).
//
//	month so far   3 × 0.40 = $1.20: B $0.90 (75.0%), A $0.30 (25.0%)
const (
	acctA  = "111111111111"
	acctB  = "222222222222"
	labelA = "prod (" + acctA + ")"
)

func newAccountsDash(t *testing.T) *dash {
	t.Helper()
	d := newDash(t, map[string]string{"TELEGRAM_CHAT_ACCOUNTS": "-2002:" + acctA})
	ctx := context.Background()
	st := d.store
	if err := st.SaveAccounts(ctx, []models.Account{{ID: acctA, Name: "prod"}, {ID: acctB}}); err != nil {
		t.Fatal(err)
	}
	for hour := utc("2025-03-10 10:00"); !hour.After(utc("2025-03-10 12:00")); hour = hour.Add(time.Hour) {
		_, err := st.WriteHour(ctx, models.HourWrite{Hour: hour, CollectedAt: hour.Add(5 * time.Minute),
			Records: []models.CostRecord{
				{AccountID: acctA, Service: "ec2", Region: "us-east-1", ResourceID: "i-a", Name: "web-server", CostUSD: 0.10, PriceSource: models.SourceAPI},
				{AccountID: acctB, Service: "rds", Region: "eu-west-1", ResourceID: "db-b", Name: "orders-db", CostUSD: 0.30, PriceSource: models.SourceAPI},
			},
			Resources: []models.ResourceRow{
				{Key: acctA + "/ec2/us-east-1/i-a", AccountID: acctA, Service: "ec2", Region: "us-east-1", ResourceID: "i-a", Name: "web-server",
					HourlyUSD: 0.10, MonthlyUSD: 73, Priced: true, PriceSource: models.SourceAPI, Active: true},
				{Key: acctB + "/rds/eu-west-1/db-b", AccountID: acctB, Service: "rds", Region: "eu-west-1", ResourceID: "db-b", Name: "orders-db",
					HourlyUSD: 0.30, MonthlyUSD: 219, Priced: true, PriceSource: models.SourceAPI, Active: true, Waste: true, WasteReason: "idle"},
			},
			Listed: []models.TaskScope{{Service: "ec2", Region: "us-east-1"}, {Service: "rds", Region: "eu-west-1"}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err := st.SaveLightsailChecks(ctx, "", "us-east-1", "2025-03", d.clock.Now(), []models.LightsailUsage{
		{AccountID: acctA, Instance: "blog-a", State: "running", UsedBytes: 100e9, AllowanceBytes: 1000e9, Percent: 10},
		{AccountID: acctB, Instance: "blog-b", State: "running", UsedBytes: 200e9, AllowanceBytes: 1000e9, Percent: 20},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []models.LightsailAction{
		{AccountID: acctA, At: utc("2025-03-10 08:00"), Cycle: "2025-03", Region: "us-east-1", Instance: "blog-a", Action: "warn", Level: 80, Actor: "guard", Reason: "warned-in-a", Result: "ok"},
		{AccountID: acctB, At: utc("2025-03-10 09:00"), Cycle: "2025-03", Region: "us-east-1", Instance: "blog-b", Action: "warn", Level: 80, Actor: "guard", Reason: "warned-in-b", Result: "ok"},
	} {
		if err := st.AddLightsailAction(ctx, "", &a); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// loggedInFrom is a browser that followed a /web link userID asked for in chatID.
func (d *dash) loggedInFrom(userID, chatID int64, lang string) *http.Client {
	d.t.Helper()
	link, _, err := d.srv.LoginLink(context.Background(), userID, chatID, lang)
	if err != nil {
		d.t.Fatal(err)
	}
	c := d.client()
	if status, body := d.get(c, d.ts.URL+strings.TrimPrefix(link, d.cfg.DashboardURL())); status != http.StatusOK {
		d.t.Fatalf("login: %d\n%s", status, body)
	}
	return c
}

func TestOverviewAccountBreakdownAndFilter(t *testing.T) {
	d := newAccountsDash(t)
	for _, lang := range []string{"en", "zh"} {
		tr := translatorFor(lang)
		owner := d.loggedInFrom(1001, 1001, lang)
		group := d.loggedInFrom(3003, -2002, lang)
		tests := []struct {
			name      string
			client    *http.Client
			path      string
			want, not []string
		}{
			{"the owner's chat sees the sum and each account", owner, "/", []string{
				`<p class="big" id="month">$1.20</p>`, `id="by-account"`, tr.T("overview.by_account"),
				`<a href="/?account=` + acctA + `">` + labelA + `</a></td><td class="num">$0.30</td><td class="num">25.0%</td>`,
				`<a href="/?account=` + acctB + `">` + acctB + `</a></td><td class="num">$0.90</td><td class="num">75.0%</td>`,
				`id="account-filter"`, `<a href="/" class="active" aria-current="page">` + tr.T("overview.all_accounts") + `</a>`,
				"orders-db", "web-server",
			}, nil},
			{"the filter narrows the owner's view to A", owner, "/?account=" + acctA, []string{
				`<p class="big" id="month">$0.30</p>`, `<a href="/?account=` + acctA + `" class="active" aria-current="page">` + labelA + `</a>`, "web-server",
			}, []string{`id="by-account"`, "orders-db", "$1.20", "$0.90"}},
			{"the group sees A alone, without a filter", group, "/", []string{`<p class="big" id="month">$0.30</p>`, "web-server"},
				[]string{`id="by-account"`, `id="account-filter"`, "orders-db", acctB, "$1.20", "$0.90"}},
			{"the group cannot filter to B", group, "/?account=" + acctB, []string{`<p class="big" id="month">$0.30</p>`},
				[]string{"orders-db", "$0.90", `id="by-account"`}},
			{"the group's RDS page is empty", group, "/service/rds", nil, []string{"orders-db", "db-b"}},
			{"the group's bill is A's", group, "/bills/2025-03", []string{"$0.30"}, []string{"$1.20", "$0.90"}},
			{"the group's Lightsail page is A's", group, "/lightsail", []string{"blog-a", "warned-in-a"}, []string{"blog-b", "warned-in-b"}},
			{"the owner's Lightsail page has both", owner, "/lightsail", []string{"blog-a", "blog-b", "warned-in-a", "warned-in-b"}, nil},
		}
		for _, tc := range tests {
			t.Run(lang+"/"+tc.name, func(t *testing.T) {
				status, body := d.get(tc.client, tc.path)
				if status != http.StatusOK {
					t.Fatalf("%s: status %d", tc.path, status)
				}
				for _, w := range tc.want {
					if !strings.Contains(body, w) {
						t.Errorf("%s lacks %q", tc.path, w)
					}
				}
				for _, n := range tc.not {
					if strings.Contains(body, n) {
						t.Errorf("%s shows %q", tc.path, n)
					}
				}
			})
		}
	}
}

func TestSessionAccounts(t *testing.T) {
	tests := []struct {
		name   string
		limits string
		chat   int64
		want   models.AccountScope
	}{
		{"no limits", "", 1001, nil},
		{"an unlimited chat", "-2002:" + acctA, 1001, nil},
		{"a limited chat", "-2002:" + acctA, -2002, models.AccountScope{acctA}},
		{"unknown chat: what every limited chat sees", "-2002:" + acctA + "|" + acctB + ";1001:" + acctB, 0, models.AccountScope{acctB}},
		{"unknown chat, limits without a common account", "-2002:" + acctA + ";1001:" + acctB, 0, models.AccountScope{}},
		{"unknown chat, no limits", "", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			if tc.limits != "" {
				env["TELEGRAM_CHAT_ACCOUNTS"] = tc.limits
			}
			got := newDash(t, env).srv.sessionAccounts(tc.chat)
			if (got == nil) != (tc.want == nil) || !slices.Equal(got, tc.want) {
				t.Errorf("sessionAccounts(%d) = %#v, want %#v", tc.chat, got, tc.want)
			}
		})
	}
}
