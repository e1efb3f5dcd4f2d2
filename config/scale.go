package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Settings for more than one account or host: which AWS accounts costbot watches, which
// chat sees which of them, and the shared PostgreSQL store its replicas elect a leader in.

// DefaultRoleName is the role costbot assumes in each member account of an organization
// unless AWS_ROLE_NAME says another (deploy/cloudformation-member-role.json creates it).
const DefaultRoleName = "CostbotReadOnly"

// Accounts is AWS_ACCOUNTS: the credentials' own account (the zero value), every ACTIVE
// member of the organization, or a list of roles to assume.
type Accounts struct {
	Organization bool     // AWS_ACCOUNTS=organization
	RoleARNs     []string // AWS_ACCOUNTS=arn:aws:iam::111122223333:role/Name,...
}

// Single reports whether costbot watches only the credentials' own account.
func (a Accounts) Single() bool { return !a.Organization && len(a.RoleARNs) == 0 }

// ChatAccounts is TELEGRAM_CHAT_ACCOUNTS: the accounts each chat sees. A chat it does not
// name, and a chat named with "*", sees every account.
type ChatAccounts map[int64][]string

// Sees reports whether chat may see account.
func (m ChatAccounts) Sees(chat int64, account string) bool {
	accts, ok := m[chat]
	return !ok || accts == nil || slices.Contains(accts, account)
}

// Of is the accounts chat may see, nil meaning all of them.
func (m ChatAccounts) Of(chat int64) []string { return m[chat] }

// ChatSeesAccount reports whether the chat may see (and receive pushes for, and stop
// instances in) the account.
func (c *Config) ChatSeesAccount(chat int64, account string) bool {
	return c.ChatAccounts.Sees(chat, account)
}

var (
	roleARN   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$`)
	accountID = regexp.MustCompile(`^\d{12}$`)
	roleName  = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

// RoleAccount is the account ID inside a role ARN AWS_ACCOUNTS accepted.
func RoleAccount(arn string) string {
	if m := roleARN.FindStringSubmatch(arn); m != nil {
		return m[1]
	}
	return ""
}

func (p *parser) accounts(name string) Accounts {
	v, ok := p.raw(name)
	if !ok {
		return Accounts{}
	}
	if strings.EqualFold(v, "organization") {
		return Accounts{Organization: true}
	}
	var a Accounts
	for _, f := range list(v) {
		if !roleARN.MatchString(f) {
			p.fail(name, fmt.Sprintf("expected `organization` or comma-separated role ARNs such as arn:aws:iam::111122223333:role/%s, got %q", DefaultRoleName, f))
			return Accounts{}
		}
		if !slices.Contains(a.RoleARNs, f) {
			a.RoleARNs = append(a.RoleARNs, f)
		}
	}
	return a
}

func (p *parser) roleName(name string) string {
	v := p.str(name, DefaultRoleName)
	if !roleName.MatchString(v) {
		p.fail(name, fmt.Sprintf("expected an IAM role name (letters, digits and +=,.@_-, at most 64), got %q", v))
	}
	return v
}

// chatAccounts reads `chat:acct|acct;chat:*`, checking that every chat is one of
// TELEGRAM_CHAT_IDS.
func (p *parser) chatAccounts(name string, chats []int64) ChatAccounts {
	v, ok := p.raw(name)
	if !ok {
		return nil
	}
	out := ChatAccounts{}
	for _, entry := range strings.Split(v, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		chatText, acctText, found := strings.Cut(entry, ":")
		chat, err := strconv.ParseInt(strings.TrimSpace(chatText), 10, 64)
		if !found || err != nil || chat == 0 {
			p.fail(name, fmt.Sprintf("expected chat:account|account entries separated by ; (e.g. 123456789:111122223333|444455556666;-1001234567890:*), got %q", entry))
			return nil
		}
		if !slices.Contains(chats, chat) {
			p.fail(name, fmt.Sprintf("chat %d is not in TELEGRAM_CHAT_IDS", chat))
			return nil
		}
		if _, dup := out[chat]; dup {
			p.fail(name, fmt.Sprintf("chat %d is named twice", chat))
			return nil
		}
		acctText = strings.TrimSpace(acctText)
		if acctText == "*" {
			out[chat] = nil
			continue
		}
		accts := []string{}
		for _, a := range strings.Split(acctText, "|") {
			a = strings.TrimSpace(a)
			if !accountID.MatchString(a) {
				p.fail(name, fmt.Sprintf("expected 12-digit account IDs separated by | or *, got %q for chat %d", a, chat))
				return nil
			}
			if !slices.Contains(accts, a) {
				accts = append(accts, a)
			}
		}
		out[chat] = accts
	}
	return out
}

// dbURL is DB_URL: "" (SQLite at DB_PATH) or a postgres:// or postgresql:// URL.
func (p *parser) dbURL(name string) string {
	v, ok := p.raw(name)
	if !ok {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		p.fail(name, "expected a postgres://user:password@host:5432/dbname URL (or unset for SQLite at DB_PATH)")
		return ""
	}
	return v
}

// leaderLease is LEADER_LEASE: at least 3 s, so that renewing every third of it leaves
// room for a slow database round trip.
func (p *parser) leaderLease(name string) time.Duration {
	return p.durationAtLeast(name, 15*time.Second, 3*time.Second)
}
