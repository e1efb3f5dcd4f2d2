package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	c, err := Parse(env())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !slices.Equal(c.CostRegions, DefaultRegions) {
		t.Errorf("CostRegions = %v", c.CostRegions)
	}
	if !slices.Equal(c.CostServices, Services) || len(c.CostServices) != 13 {
		t.Errorf("CostServices = %v", c.CostServices)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"TelegramAPIURL", c.TelegramAPIURL, "https://api.telegram.org"},
		{"Lang", c.Lang, "zh"},
		{"CollectInterval", c.CollectInterval, time.Hour},
		{"PriceCacheTTL", c.PriceCacheTTL, 4 * time.Hour},
		{"FreeTier", c.FreeTier, "always"},
		{"LightsailCheckInterval", c.LightsailCheckInterval, 10 * time.Minute},
		{"LightsailStopPercent", c.LightsailStopPercent, 95.0},
		{"ReportHour", c.ReportHour, 23},
		{"ReportMin", c.ReportMin, 58},
		{"ReportTZ", c.ReportTZ.String(), "Asia/Shanghai"},
		{"DBPath", c.DBPath, "data/cost_history.db"},
		{"HTTPAddr", c.HTTPAddr, "127.0.0.1:8080"},
		{"ScanConcurrency", c.ScanConcurrency, 16},
		{"LightsailRegions", len(c.LightsailRegions), 15},
		{"DryRun", c.LightsailDryRun, false},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if !slices.Equal(c.LightsailWarnPercents, []float64{80, 90}) {
		t.Errorf("warn percents = %v", c.LightsailWarnPercents)
	}
	if c.LightsailInstances != nil || !c.Watches("anything") {
		t.Errorf("ALL should watch every instance")
	}
	if err := c.RequireTelegram(); err == nil || !strings.HasPrefix(err.Error(), "TELEGRAM_BOT_TOKEN:") {
		t.Errorf("RequireTelegram without token = %v", err)
	}
}

func TestValues(t *testing.T) {
	c, err := Parse(env(
		"TELEGRAM_BOT_TOKEN", "123:abc",
		"TELEGRAM_API_URL", "http://127.0.0.1:8081/",
		"TELEGRAM_CHAT_IDS", "111, -1001234567890,111",
		"TELEGRAM_ADMIN_IDS", "111",
		"BOT_LANG", "EN",
		"COST_REGIONS", "us-east-1,eu-west-1",
		"COST_SERVICES", "ec2, lightsail",
		"COLLECT_INTERVAL", "2s",
		"LIGHTSAIL_INSTANCES", "web-1, db_2",
		"LIGHTSAIL_WARN_PERCENTS", "90,70%",
		"LIGHTSAIL_STOP_PERCENT", "97.5",
		"LIGHTSAIL_DRY_RUN", "true",
		"REPORT_TIME", "08:05",
		"REPORT_TZ", "UTC",
	))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := c.RequireTelegram(); err != nil {
		t.Errorf("RequireTelegram: %v", err)
	}
	if !slices.Equal(c.TelegramChatIDs, []int64{111, -1001234567890}) {
		t.Errorf("chat IDs = %v", c.TelegramChatIDs)
	}
	if c.TelegramAPIURL != "http://127.0.0.1:8081" || c.Lang != "en" || c.CollectInterval != 2*time.Second {
		t.Errorf("url %q lang %q interval %v", c.TelegramAPIURL, c.Lang, c.CollectInterval)
	}
	if !c.IsAllowedChat(-1001234567890) || c.IsAllowedChat(222) || !c.IsAdmin(111) || c.IsAdmin(222) {
		t.Errorf("allow/admin checks wrong")
	}
	if !c.ServiceEnabled("lightsail") || c.ServiceEnabled("rds") {
		t.Errorf("services = %v", c.CostServices)
	}
	if !c.Watches("db_2") || c.Watches("other") {
		t.Errorf("instances = %v", c.LightsailInstances)
	}
	if !slices.Equal(c.LightsailWarnPercents, []float64{70, 90}) || c.LightsailStopPercent != 97.5 || !c.LightsailDryRun {
		t.Errorf("lightsail thresholds %v %v %v", c.LightsailWarnPercents, c.LightsailStopPercent, c.LightsailDryRun)
	}
	if c.ReportHour != 8 || c.ReportMin != 5 || c.ReportTZ != time.UTC {
		t.Errorf("report %d:%d %v", c.ReportHour, c.ReportMin, c.ReportTZ)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	cases := []struct {
		name, variable, value, want string
	}{
		{"chat id not a number", "TELEGRAM_CHAT_IDS", "12,abc", "numeric"},
		{"admin id zero", "TELEGRAM_ADMIN_IDS", "0", "numeric"},
		{"language", "BOT_LANG", "fr", "zh, en"},
		{"region", "COST_REGIONS", "us-east-1,mars-1", "region"},
		{"lightsail region", "LIGHTSAIL_REGIONS", "US EAST", "region"},
		{"service", "COST_SERVICES", "ec2,dynamodb", "subset"},
		{"duration", "COLLECT_INTERVAL", "hourly", "duration"},
		{"duration too short", "LIGHTSAIL_CHECK_INTERVAL", "500ms", "1s or more"},
		{"ttl", "PRICE_CACHE_TTL", "-4h", "duration"},
		{"free tier", "FREE_TIER", "sometimes", "always"},
		{"integer", "SCAN_CONCURRENCY", "many", "whole number"},
		{"integer zero", "SCAN_CONCURRENCY", "0", "whole number"},
		{"percent", "LIGHTSAIL_STOP_PERCENT", "150", "percentage"},
		{"percents", "LIGHTSAIL_WARN_PERCENTS", "80,x", "percentages"},
		{"warn above stop", "LIGHTSAIL_WARN_PERCENTS", "80,96", "below"},
		{"bool", "LIGHTSAIL_DRY_RUN", "maybe", "true or false"},
		{"report time", "REPORT_TIME", "25:99", "HH:MM"},
		{"time zone", "REPORT_TZ", "Mars/Olympus", "time zone"},
		{"api url", "TELEGRAM_API_URL", "api.telegram.org", "URL"},
		{"heartbeat url", "GUARD_HEARTBEAT_URL", "hc-ping.com/abc", "URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(env(tc.variable, tc.value))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse(%s=%q) = %v, want *Error", tc.variable, tc.value, err)
			}
			msg := err.Error()
			if ce.Var != tc.variable || !strings.HasPrefix(msg, tc.variable+": ") {
				t.Errorf("error %q does not name %s", msg, tc.variable)
			}
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line mentioning %q", msg, tc.want)
			}
		})
	}
}

func TestRequireChatIDs(t *testing.T) {
	c, err := Parse(env("TELEGRAM_BOT_TOKEN", "1:x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RequireTelegram(); err == nil || !strings.HasPrefix(err.Error(), "TELEGRAM_CHAT_IDS:") {
		t.Errorf("RequireTelegram = %v", err)
	}
}

func TestDotEnvFileRealEnvironmentWins(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("BOT_LANG=en\nCOLLECT_INTERVAL=5m\n# comment\nDB_PATH=/tmp/x.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv("COLLECT_INTERVAL", "7m")
	os.Unsetenv("BOT_LANG")
	os.Unsetenv("DB_PATH")
	t.Cleanup(func() { os.Unsetenv("BOT_LANG"); os.Unsetenv("DB_PATH") })
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Lang != "en" || c.DBPath != "/tmp/x.db" {
		t.Errorf(".env not read: lang %q db %q", c.Lang, c.DBPath)
	}
	if c.CollectInterval != 7*time.Minute {
		t.Errorf("real environment should win: %v", c.CollectInterval)
	}
}

func TestCostAlertAndRetentionSettings(t *testing.T) {
	c, err := Parse(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.AlertNewResourceUSD != 20 || c.AlertBurnJumpPercent != 30 || c.MonthlyBudgetUSD != 0 || c.CostHourlyRetention != 840*time.Hour {
		t.Errorf("defaults: new %v burn %v budget %v retention %v", c.AlertNewResourceUSD, c.AlertBurnJumpPercent, c.MonthlyBudgetUSD, c.CostHourlyRetention)
	}
	c, err = Parse(env("ALERT_NEW_RESOURCE_USD", "$5.5", "ALERT_BURN_JUMP_PERCENT", "150%", "MONTHLY_BUDGET_USD", "250", "COST_HOURLY_RETENTION", "48h"))
	if err != nil {
		t.Fatal(err)
	}
	if c.AlertNewResourceUSD != 5.5 || c.AlertBurnJumpPercent != 150 || c.MonthlyBudgetUSD != 250 || c.CostHourlyRetention != 48*time.Hour {
		t.Errorf("values: new %v burn %v budget %v retention %v", c.AlertNewResourceUSD, c.AlertBurnJumpPercent, c.MonthlyBudgetUSD, c.CostHourlyRetention)
	}
	c, err = Parse(env("ALERT_NEW_RESOURCE_USD", "0", "ALERT_BURN_JUMP_PERCENT", "0"))
	if err != nil || c.AlertNewResourceUSD != 0 || c.AlertBurnJumpPercent != 0 {
		t.Errorf("0 turns alerts off: %v %+v", err, c)
	}

	bad := []struct{ variable, value, want string }{
		{"ALERT_NEW_RESOURCE_USD", "-1", "0 or more"},
		{"ALERT_NEW_RESOURCE_USD", "twenty", "0 or more"},
		{"ALERT_BURN_JUMP_PERCENT", "-30%", "0 or more"},
		{"MONTHLY_BUDGET_USD", "lots", "0 or more"},
		{"MONTHLY_BUDGET_USD", "Inf", "0 or more"},
		{"COST_HOURLY_RETENTION", "12h", "24h or more"},
		{"COST_HOURLY_RETENTION", "35d", "24h or more"},
	}
	for _, tc := range bad {
		_, err := Parse(env(tc.variable, tc.value))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != tc.variable || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s=%q) = %v, want an error naming it and saying %q", tc.variable, tc.value, err, tc.want)
		}
	}
}

func TestCostExplorerSettings(t *testing.T) {
	good := []struct {
		env      []string
		interval time.Duration
		maxDay   int
	}{
		{nil, 12 * time.Hour, 20},
		{[]string{"COST_EXPLORER_INTERVAL", "off"}, 0, 20},
		{[]string{"COST_EXPLORER_INTERVAL", "OFF", "COST_EXPLORER_MAX_REQUESTS_PER_DAY", "5"}, 0, 5},
		{[]string{"COST_EXPLORER_INTERVAL", "24h"}, 24 * time.Hour, 20},
	}
	for _, tc := range good {
		c, err := Parse(env(tc.env...))
		if err != nil || c.CostExplorerInterval != tc.interval || c.CostExplorerMaxRequestsDay != tc.maxDay {
			t.Errorf("%v: %v, interval %v max %d; want %v %d", tc.env, err, c.CostExplorerInterval, c.CostExplorerMaxRequestsDay, tc.interval, tc.maxDay)
		}
	}
	bad := []struct{ variable, value, want string }{
		{"COST_EXPLORER_INTERVAL", "never", "off or a duration"},
		{"COST_EXPLORER_INTERVAL", "30s", "1m or more"},
		{"COST_EXPLORER_MAX_REQUESTS_PER_DAY", "0", "whole number"},
		{"COST_EXPLORER_MAX_REQUESTS_PER_DAY", "lots", "whole number"},
	}
	for _, tc := range bad {
		_, err := Parse(env(tc.variable, tc.value))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != tc.variable || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%s=%q) = %v, want one line naming it and saying %q", tc.variable, tc.value, err, tc.want)
		}
	}
}

func TestGuardHeartbeatAndSelfSettings(t *testing.T) {
	tests := []struct {
		name      string
		env       []string
		heartbeat string
		self      string
	}{
		{"defaults: no heartbeat, ask the metadata service", nil, "", ""},
		{"a heartbeat URL loses its trailing slash", []string{"GUARD_HEARTBEAT_URL", "https://hc-ping.com/abc/"}, "https://hc-ping.com/abc", ""},
		{"an empty heartbeat URL is off", []string{"GUARD_HEARTBEAT_URL", " "}, "", ""},
		{"the host named", []string{"LIGHTSAIL_SELF", " web-1 "}, "", "web-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(env(tt.env...))
			if err != nil {
				t.Fatal(err)
			}
			if c.GuardHeartbeatURL != tt.heartbeat || c.LightsailSelf != tt.self {
				t.Errorf("heartbeat %q self %q, want %q and %q", c.GuardHeartbeatURL, c.LightsailSelf, tt.heartbeat, tt.self)
			}
		})
	}
}

func TestAccountsAndStoreSettings(t *testing.T) {
	c, err := Parse(env())
	if err != nil {
		t.Fatal(err)
	}
	if !c.Accounts.Single() || c.AWSRoleName != DefaultRoleName || c.AccountConcurrency != 8 || c.DBURL != "" || c.LeaderLease != 15*time.Second || c.ChatAccounts != nil {
		t.Errorf("defaults: %+v role %q conc %d db %q lease %s chats %v", c.Accounts, c.AWSRoleName, c.AccountConcurrency, c.DBURL, c.LeaderLease, c.ChatAccounts)
	}
	c, err = Parse(env("AWS_ACCOUNTS", "Organization", "AWS_ROLE_NAME", "Reader", "AWS_EXTERNAL_ID", "ext-1", "DB_URL", "postgres://u:p@db:5432/costbot", "LEADER_LEASE", "5s"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Accounts.Organization || c.AWSRoleName != "Reader" || c.AWSExternalID != "ext-1" || c.DBURL == "" || c.LeaderLease != 5*time.Second {
		t.Errorf("values: %+v %q %q %q %s", c.Accounts, c.AWSRoleName, c.AWSExternalID, c.DBURL, c.LeaderLease)
	}
	arns := "arn:aws:iam::111111111111:role/CostbotReadOnly, arn:aws:iam::222222222222:role/path/Reader"
	c, err = Parse(env("AWS_ACCOUNTS", arns, "TELEGRAM_CHAT_IDS", "10,-20,30", "TELEGRAM_CHAT_ACCOUNTS", "10:111111111111|222222222222; -20:*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Accounts.RoleARNs) != 2 || RoleAccount(c.Accounts.RoleARNs[1]) != "222222222222" {
		t.Errorf("role ARNs: %v", c.Accounts.RoleARNs)
	}
	for _, tc := range []struct {
		chat    int64
		account string
		want    bool
	}{{10, "111111111111", true}, {10, "333333333333", false}, {-20, "333333333333", true}, {30, "333333333333", true}} {
		if got := c.ChatSeesAccount(tc.chat, tc.account); got != tc.want {
			t.Errorf("chat %d sees %s = %v, want %v", tc.chat, tc.account, got, tc.want)
		}
	}
	for _, tc := range []struct{ variable, value, want string }{
		{"AWS_ACCOUNTS", "111111111111", "role ARNs"},
		{"AWS_ROLE_NAME", "no spaces please", "role name"},
		{"DB_URL", "mysql://db/costbot", "postgres://"},
		{"LEADER_LEASE", "1s", "3s or more"},
		{"ACCOUNT_CONCURRENCY", "0", "whole number"},
		{"TELEGRAM_CHAT_ACCOUNTS", "10=111111111111", "chat:account"},
		{"TELEGRAM_CHAT_ACCOUNTS", "99:111111111111", "not in TELEGRAM_CHAT_IDS"},
		{"TELEGRAM_CHAT_ACCOUNTS", "10:1234", "12-digit"},
	} {
		_, err := Parse(env("TELEGRAM_CHAT_IDS", "10", tc.variable, tc.value))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != tc.variable || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s=%q: %v, want one line naming it with %q", tc.variable, tc.value, err, tc.want)
		}
	}
}
