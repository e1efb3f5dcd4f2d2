// Package config reads costbot's settings from the environment, once, at start-up.
//
// Every setting has a default except the Telegram token and chat list, which only the
// daemon needs. A bad value is reported as an *Error naming the variable, so main can
// print one line and exit 2.
package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Services lists every service costbot can scan, in display order.
var Services = []string{"ec2", "rds", "lambda", "s3", "ebs", "vpc", "fsx", "cloudwatch", "waf", "q", "cloudfront", "lightsail", "elb"}

// DefaultRegions are the regions scanned for costs when COST_REGIONS is unset.
var DefaultRegions = []string{"us-east-1", "us-west-2", "ap-southeast-1", "ap-east-1", "eu-west-1", "ap-northeast-1"}

// LightsailRegions are the regions where Lightsail exists; the guard watches all of them
// unless LIGHTSAIL_REGIONS narrows the list.
var LightsailRegions = []string{
	"us-east-1", "us-east-2", "us-west-2", "ca-central-1",
	"eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1",
	"ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
}

// FreeTier modes.
const (
	FreeTierAlways = "always"
	FreeTierLegacy = "legacy"
	FreeTierNone   = "none"
)

// Config is every setting costbot reads. Field comments name the variable.
type Config struct {
	TelegramToken    string  // TELEGRAM_BOT_TOKEN
	TelegramAPIURL   string  // TELEGRAM_API_URL
	TelegramChatIDs  []int64 // TELEGRAM_CHAT_IDS
	TelegramAdminIDs []int64 // TELEGRAM_ADMIN_IDS
	Lang             string  // BOT_LANG

	CostRegions     []string      // COST_REGIONS
	CostServices    []string      // COST_SERVICES
	CollectInterval time.Duration // COLLECT_INTERVAL
	PriceCacheTTL   time.Duration // PRICE_CACHE_TTL
	FreeTier        string        // FREE_TIER
	ScanConcurrency int           // SCAN_CONCURRENCY
	ScanTaskTimeout time.Duration // SCAN_TASK_TIMEOUT

	AlertNewResourceUSD  float64       // ALERT_NEW_RESOURCE_USD (0: off)
	AlertBurnJumpPercent float64       // ALERT_BURN_JUMP_PERCENT (0: off)
	MonthlyBudgetUSD     float64       // MONTHLY_BUDGET_USD (0 or unset: off)
	CostHourlyRetention  time.Duration // COST_HOURLY_RETENTION

	LightsailRegions       []string      // LIGHTSAIL_REGIONS
	LightsailInstances     []string      // LIGHTSAIL_INSTANCES (nil means ALL)
	LightsailCheckInterval time.Duration // LIGHTSAIL_CHECK_INTERVAL
	LightsailWarnPercents  []float64     // LIGHTSAIL_WARN_PERCENTS
	LightsailStopPercent   float64       // LIGHTSAIL_STOP_PERCENT
	LightsailDryRun        bool          // LIGHTSAIL_DRY_RUN
	LightsailAutoStart     bool          // LIGHTSAIL_AUTO_START
	// LightsailSelf is the instance costbot runs on: "" asks the instance metadata
	// service, "none" never detects, else a name (LIGHTSAIL_SELF).
	LightsailSelf string
	// GuardHeartbeatURL is GET after every complete guard check, <url>/fail after a
	// failed one ("" off) (GUARD_HEARTBEAT_URL).
	GuardHeartbeatURL string

	ReportTime string         // REPORT_TIME, HH:MM
	ReportHour int            // parsed from ReportTime
	ReportMin  int            // parsed from ReportTime
	ReportTZ   *time.Location // REPORT_TZ

	DBPath   string // DB_PATH
	HTTPAddr string // HTTP_ADDR ("" when set but empty: no HTTP server)

	EnvFile EnvFile // the settings file Load read, if any

	WebPublicURL  string        // WEB_PUBLIC_URL ("" derives it from HTTP_ADDR; see DashboardURL)
	WebSessionTTL time.Duration // WEB_SESSION_TTL

	CostExplorerInterval       time.Duration // COST_EXPLORER_INTERVAL (0: off)
	CostExplorerMaxRequestsDay int           // COST_EXPLORER_MAX_REQUESTS_PER_DAY

	Accounts           Accounts     // AWS_ACCOUNTS
	AWSRoleName        string       // AWS_ROLE_NAME (with AWS_ACCOUNTS=organization)
	AWSExternalID      string       // AWS_EXTERNAL_ID ("" sends none)
	AccountConcurrency int          // ACCOUNT_CONCURRENCY: accounts worked on at once
	ChatAccounts       ChatAccounts // TELEGRAM_CHAT_ACCOUNTS (nil: every chat sees every account)

	DBURL       string        // DB_URL ("" is SQLite at DB_PATH)
	LeaderLease time.Duration // LEADER_LEASE
}

// DefaultHTTPAddr is where /healthz and /metrics listen when HTTP_ADDR is unset: this
// host only. The container image sets :8080 and compose publishes it on 127.0.0.1.
const DefaultHTTPAddr = "127.0.0.1:8080"

// Error is a bad or missing setting. Its text is one line that names the variable.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

// Load reads the process environment, after loading the settings file (ENV_FILE, or a
// .env of the running user's in the working directory; see loadEnvFile). Variables
// already set win over the file.
func Load() (*Config, error) {
	envFile, err := loadEnvFile()
	if err != nil {
		return nil, err
	}
	c, err := Parse(os.LookupEnv)
	if err != nil {
		return nil, err
	}
	c.EnvFile = envFile
	return c, nil
}

// Parse builds a Config from lookup, which answers like os.LookupEnv. It reports the
// first bad value.
func Parse(lookup func(string) (string, bool)) (*Config, error) {
	p := parser{lookup: lookup}
	c := &Config{
		TelegramToken:    p.str("TELEGRAM_BOT_TOKEN", ""),
		TelegramAPIURL:   p.url("TELEGRAM_API_URL", "https://api.telegram.org"),
		TelegramChatIDs:  p.ids("TELEGRAM_CHAT_IDS"),
		TelegramAdminIDs: p.ids("TELEGRAM_ADMIN_IDS"),
		Lang:             p.oneOf("BOT_LANG", "zh", "zh", "en"),

		CostRegions:     p.regions("COST_REGIONS", DefaultRegions),
		CostServices:    p.services("COST_SERVICES"),
		CollectInterval: p.duration("COLLECT_INTERVAL", time.Hour),
		PriceCacheTTL:   p.duration("PRICE_CACHE_TTL", 4*time.Hour),
		FreeTier:        p.oneOf("FREE_TIER", FreeTierAlways, FreeTierAlways, FreeTierLegacy, FreeTierNone),
		ScanConcurrency: p.positiveInt("SCAN_CONCURRENCY", 16),
		ScanTaskTimeout: p.duration("SCAN_TASK_TIMEOUT", 2*time.Minute),

		AlertNewResourceUSD:  p.nonNegative("ALERT_NEW_RESOURCE_USD", 20),
		AlertBurnJumpPercent: p.nonNegative("ALERT_BURN_JUMP_PERCENT", 30),
		MonthlyBudgetUSD:     p.nonNegative("MONTHLY_BUDGET_USD", 0),
		CostHourlyRetention:  p.durationAtLeast("COST_HOURLY_RETENTION", 840*time.Hour, 24*time.Hour),

		LightsailRegions:       p.regions("LIGHTSAIL_REGIONS", LightsailRegions),
		LightsailInstances:     p.instances("LIGHTSAIL_INSTANCES"),
		LightsailCheckInterval: p.duration("LIGHTSAIL_CHECK_INTERVAL", 10*time.Minute),
		LightsailWarnPercents:  p.percents("LIGHTSAIL_WARN_PERCENTS", []float64{80, 90}),
		LightsailStopPercent:   p.percent("LIGHTSAIL_STOP_PERCENT", 95),
		LightsailDryRun:        p.boolean("LIGHTSAIL_DRY_RUN", false),
		LightsailAutoStart:     p.boolean("LIGHTSAIL_AUTO_START", false),
		LightsailSelf:          strings.TrimSpace(p.str("LIGHTSAIL_SELF", "")),

		ReportTime: p.str("REPORT_TIME", "23:58"),
		DBPath:     p.str("DB_PATH", "data/cost_history.db"),
		HTTPAddr:   p.listenAddr("HTTP_ADDR", DefaultHTTPAddr),

		CostExplorerInterval:       p.durationOrOff("COST_EXPLORER_INTERVAL", 12*time.Hour),
		CostExplorerMaxRequestsDay: p.positiveInt("COST_EXPLORER_MAX_REQUESTS_PER_DAY", 20),

		Accounts:           p.accounts("AWS_ACCOUNTS"),
		AWSRoleName:        p.roleName("AWS_ROLE_NAME"),
		AWSExternalID:      p.str("AWS_EXTERNAL_ID", ""),
		AccountConcurrency: p.positiveInt("ACCOUNT_CONCURRENCY", 8),

		DBURL:       p.dbURL("DB_URL"),
		LeaderLease: p.leaderLease("LEADER_LEASE"),
	}
	c.ChatAccounts = p.chatAccounts("TELEGRAM_CHAT_ACCOUNTS", c.TelegramChatIDs)
	if v, ok := p.raw("GUARD_HEARTBEAT_URL"); ok && strings.TrimSpace(v) != "" {
		c.GuardHeartbeatURL = p.url("GUARD_HEARTBEAT_URL", "")
	}
	c.ReportHour, c.ReportMin = p.clock("REPORT_TIME", c.ReportTime)
	c.ReportTZ = p.location("REPORT_TZ", "Asia/Shanghai")
	c.WebPublicURL, c.WebSessionTTL = p.web(c.HTTPAddr)
	if p.err == nil && c.DBPath == "" {
		p.fail("DB_PATH", "expected a file path, got an empty value")
	}
	if p.err == nil {
		for _, w := range c.LightsailWarnPercents {
			if w >= c.LightsailStopPercent {
				p.fail("LIGHTSAIL_WARN_PERCENTS", fmt.Sprintf("expected levels below LIGHTSAIL_STOP_PERCENT (%g), got %g", c.LightsailStopPercent, w))
				break
			}
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	return c, nil
}

// RequireTelegram reports what the daemon needs beyond the defaults: a token and at least
// one chat.
func (c *Config) RequireTelegram() error {
	if strings.TrimSpace(c.TelegramToken) == "" {
		return &Error{Var: "TELEGRAM_BOT_TOKEN", Msg: "is required to run the bot (get one from @BotFather)"}
	}
	if len(c.TelegramChatIDs) == 0 {
		return &Error{Var: "TELEGRAM_CHAT_IDS", Msg: "is required to run the bot: comma-separated chat IDs allowed to use it"}
	}
	return nil
}

// ServiceEnabled reports whether COST_SERVICES includes name.
func (c *Config) ServiceEnabled(name string) bool { return slices.Contains(c.CostServices, name) }

// IsAdmin reports whether the Telegram user may run destructive actions.
func (c *Config) IsAdmin(userID int64) bool { return slices.Contains(c.TelegramAdminIDs, userID) }

// IsAllowedChat reports whether the chat may use the bot.
func (c *Config) IsAllowedChat(chatID int64) bool { return slices.Contains(c.TelegramChatIDs, chatID) }

// Watches reports whether the Lightsail guard watches the named instance.
func (c *Config) Watches(instance string) bool {
	return c.LightsailInstances == nil || slices.Contains(c.LightsailInstances, instance)
}

// parser keeps the first error so Parse reads as a list of settings.
type parser struct {
	lookup func(string) (string, bool)
	err    error
}

func (p *parser) fail(name, msg string) {
	if p.err == nil {
		p.err = &Error{Var: name, Msg: msg}
	}
}

func (p *parser) raw(name string) (string, bool) {
	v, ok := p.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// listenAddr is host:port, def when unset, and "" (off) when set but empty.
func (p *parser) listenAddr(name, def string) string {
	v, set := p.lookup(name)
	v = strings.TrimSpace(v)
	switch {
	case !set:
		return def
	case v == "":
		return ""
	}
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		p.fail(name, fmt.Sprintf("expected host:port such as %s or :8080, or an empty value to turn the HTTP server off, got %q", def, v))
		return def
	}
	return v
}

func (p *parser) str(name, def string) string {
	if v, ok := p.raw(name); ok {
		return v
	}
	return def
}

// url is an http(s) URL with a host, without trailing slashes ("http://" alone would
// become "http:").
func (p *parser) url(name, def string) string {
	v := p.str(name, def)
	u, err := url.Parse(v)
	if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") || err != nil || u.Hostname() == "" {
		p.fail(name, fmt.Sprintf("expected an http:// or https:// URL, got %q", v))
	}
	return strings.TrimRight(v, "/")
}

func list(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (p *parser) ids(name string) []int64 {
	v, ok := p.raw(name)
	if !ok {
		return nil
	}
	var out []int64
	for _, f := range list(v) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id == 0 {
			p.fail(name, fmt.Sprintf("expected comma-separated numeric Telegram IDs (e.g. 123456789,-1001234567890), got %q", f))
			return nil
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (p *parser) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(p.str(name, def))
	if !slices.Contains(allowed, v) {
		p.fail(name, fmt.Sprintf("expected one of %s, got %q", strings.Join(allowed, ", "), v))
	}
	return v
}

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$`)

func (p *parser) regions(name string, def []string) []string {
	v, ok := p.raw(name)
	if !ok {
		return slices.Clone(def)
	}
	var out []string
	for _, r := range list(strings.ToLower(v)) {
		if !regionPattern.MatchString(r) {
			p.fail(name, fmt.Sprintf("expected comma-separated AWS region codes such as us-east-1, got %q", r))
			return nil
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		p.fail(name, "expected at least one AWS region code such as us-east-1")
	}
	return out
}

func (p *parser) services(name string) []string {
	v, ok := p.raw(name)
	if !ok || strings.EqualFold(v, "all") {
		return slices.Clone(Services)
	}
	var out []string
	for _, s := range list(strings.ToLower(v)) {
		if !slices.Contains(Services, s) {
			p.fail(name, fmt.Sprintf("expected all or a comma-separated subset of %s, got %q", strings.Join(Services, " "), s))
			return nil
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func (p *parser) instances(name string) []string {
	v, ok := p.raw(name)
	if !ok || strings.EqualFold(v, "all") {
		return nil
	}
	out := list(v)
	if len(out) == 0 {
		p.fail(name, "expected ALL or comma-separated Lightsail instance names")
	}
	return out
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second {
		p.fail(name, fmt.Sprintf("expected a duration of 1s or more such as 10m or 1h, got %q", v))
		return def
	}
	return d
}

// durationAtLeast is a duration of at least least.
func (p *parser) durationAtLeast(name string, def, least time.Duration) time.Duration {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < least {
		p.fail(name, fmt.Sprintf("expected a duration of %s or more such as %s, got %q", strings.TrimSuffix(least.String(), "0m0s"), strings.TrimSuffix(def.String(), "0m0s"), v))
		return def
	}
	return d
}

// nonNegative is a number of 0 or more (an amount in USD, a percentage that may pass
// 100); 0 turns the setting off.
func (p *parser) nonNegative(name string, def float64) float64 {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(v, "$"), "%"), 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		p.fail(name, fmt.Sprintf("expected a number of 0 or more (0 turns it off), got %q", v))
		return def
	}
	return f
}

func (p *parser) positiveInt(name string, def int) int {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		p.fail(name, fmt.Sprintf("expected a whole number of 1 or more, got %q", v))
		return def
	}
	return n
}

func parsePercent(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	return f, err == nil && f > 0 && f <= 100
}

func (p *parser) percent(name string, def float64) float64 {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	f, good := parsePercent(v)
	if !good {
		p.fail(name, fmt.Sprintf("expected a percentage above 0 and at most 100, got %q", v))
		return def
	}
	return f
}

func (p *parser) percents(name string, def []float64) []float64 {
	v, ok := p.raw(name)
	if !ok {
		return slices.Clone(def)
	}
	var out []float64
	for _, f := range list(v) {
		n, good := parsePercent(f)
		if !good {
			p.fail(name, fmt.Sprintf("expected comma-separated percentages above 0 and at most 100 such as 80,90, got %q", f))
			return nil
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func (p *parser) boolean(name string, def bool) bool {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, fmt.Sprintf("expected true or false, got %q", v))
		return def
	}
	return b
}

func (p *parser) clock(name, v string) (int, int) {
	t, err := time.Parse("15:04", v)
	if err != nil {
		p.fail(name, fmt.Sprintf("expected a time of day as HH:MM such as 23:58, got %q", v))
		return 0, 0
	}
	return t.Hour(), t.Minute()
}

func (p *parser) location(name, def string) *time.Location {
	v := p.str(name, def)
	loc, err := time.LoadLocation(v)
	if err != nil {
		p.fail(name, fmt.Sprintf("expected an IANA time zone such as Asia/Shanghai or UTC, got %q", v))
		return time.UTC
	}
	return loc
}

// durationOrOff is a duration of at least 1m, or "off" (0).
func (p *parser) durationOrOff(name string, def time.Duration) time.Duration {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	if strings.EqualFold(v, "off") {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Minute {
		p.fail(name, fmt.Sprintf("expected off or a duration of 1m or more such as 12h, got %q", v))
		return def
	}
	return d
}
