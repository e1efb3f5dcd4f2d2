package config

import (
	"errors"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// fuzzedVars are the variables FuzzParse sets, in the order of its arguments; every other
// variable is unset.
var fuzzedVars = []string{
	"TELEGRAM_API_URL", "TELEGRAM_CHAT_IDS", "COST_REGIONS", "COST_SERVICES", "COLLECT_INTERVAL",
	"MONTHLY_BUDGET_USD", "LIGHTSAIL_WARN_PERCENTS", "LIGHTSAIL_STOP_PERCENT", "REPORT_TIME", "REPORT_TZ",
}

// FuzzParse builds the environment from fuzzed values: Parse gives either a Config that
// holds what its fields promise, or an *Error whose text is one line starting with the
// name of a variable Parse read.
func FuzzParse(f *testing.F) {
	f.Add("https://api.telegram.org", "123,-1001234567890", "us-east-1,eu-west-1", "all", "1h", "$20", "80,90", "95%", "23:58", "Asia/Shanghai")
	f.Add("", "", "", "", "", "", "", "", "", "")
	f.Add("http://127.0.0.1:8081/", "0", "US-EAST-1", "ec2,ec2", "500ms", "-1", "90,80", "90", "24:00", "Mars/Olympus")
	f.Add("ftp://x", "1,,2", ",", "EC2, s3", "1s", "NaN", "100", "0", "7:5", "UTC")
	f.Add("https://x\n", "12\n34", "us-gov-west-1", "none", "-1h", "1e309", "95", "100", "23:59\n", "../../etc/passwd")
	f.Add(" https://api.telegram.org ", "9223372036854775808", "cn-north-1", "lightsail", "2562047h47m16.854775808s", "0x1p4", "0.0001", "1e-300", "00:00", "Local")
	f.Fuzz(func(t *testing.T, apiURL, chats, regions, services, interval, budget, warn, stop, report, tz string) {
		values := []string{apiURL, chats, regions, services, interval, budget, warn, stop, report, tz}
		var read []string // every variable Parse looked up
		cfg, err := Parse(func(name string) (string, bool) {
			read = append(read, name)
			if i := slices.Index(fuzzedVars, name); i >= 0 {
				return values[i], true
			}
			return "", false
		})
		if err != nil {
			checkError(t, err, read)
			return
		}
		checkConfig(t, cfg)
	})
}

func checkError(t *testing.T, err error, read []string) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if !slices.Contains(read, ce.Var) {
		t.Fatalf("error names %q, which is not a variable Parse reads: %v", ce.Var, err)
	}
	text := err.Error()
	if !strings.HasPrefix(text, ce.Var+": ") || ce.Msg == "" {
		t.Fatalf("error %q does not start with its variable %s", text, ce.Var)
	}
	if strings.ContainsAny(text, "\n\r\v\f\u0085\u2028\u2029") {
		t.Fatalf("error is more than one line: %q", text)
	}
}

func checkConfig(t *testing.T, c *Config) {
	t.Helper()
	if u, err := url.Parse(c.TelegramAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		t.Errorf("TelegramAPIURL %q is not an http(s) URL with a host (%v)", c.TelegramAPIURL, err)
	}
	if slices.Contains(c.TelegramChatIDs, 0) {
		t.Errorf("chat ID 0 in %v", c.TelegramChatIDs)
	}
	if len(c.CostRegions) == 0 {
		t.Error("no cost regions")
	}
	for _, r := range c.CostRegions {
		if !regionPattern.MatchString(r) {
			t.Errorf("region %q", r)
		}
	}
	for _, s := range c.CostServices {
		if !slices.Contains(Services, s) {
			t.Errorf("service %q", s)
		}
	}
	if c.CollectInterval < 1e9 {
		t.Errorf("collect interval %v", c.CollectInterval)
	}
	if math.IsNaN(c.MonthlyBudgetUSD) || math.IsInf(c.MonthlyBudgetUSD, 0) || c.MonthlyBudgetUSD < 0 {
		t.Errorf("budget %v", c.MonthlyBudgetUSD)
	}
	if !(c.LightsailStopPercent > 0 && c.LightsailStopPercent <= 100) {
		t.Errorf("stop percent %v", c.LightsailStopPercent)
	}
	for _, w := range c.LightsailWarnPercents {
		if !(w > 0 && w < c.LightsailStopPercent) {
			t.Errorf("warn percent %v with stop at %v", w, c.LightsailStopPercent)
		}
	}
	if c.ReportHour < 0 || c.ReportHour > 23 || c.ReportMin < 0 || c.ReportMin > 59 || c.ReportTZ == nil {
		t.Errorf("report at %d:%d in %v", c.ReportHour, c.ReportMin, c.ReportTZ)
	}
}
