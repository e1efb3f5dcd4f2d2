package models

// Which account an event belongs to, so it reaches only the chats that see it
// (TELEGRAM_CHAT_ACCOUNTS). Event data about one account says which with EventAccount;
// any other event (a budget, the burn rate, a closed bill, the daily report) is about
// every account.

// accountEvent is event data about one account.
type accountEvent interface{ EventAccount() string }

// audienceEvent is event data built for the chats limited to exactly some accounts: the
// daily report of those accounts.
type audienceEvent interface{ EventAudience() AccountScope }

// Audience is the accounts the event was built for: nil for an event about one account
// or about every account; else it reaches only the chats limited to exactly those.
func (e Event) Audience() AccountScope {
	if a, ok := e.Data.(audienceEvent); ok {
		return a.EventAudience()
	}
	return nil
}

// EventAudience is the accounts the report covers (nil: every account).
func (d DailyReport) EventAudience() AccountScope { return d.Scope }

// Account is the account the event is about, or "" for an event about every account.
func (e Event) Account() string {
	if a, ok := e.Data.(accountEvent); ok {
		return a.EventAccount()
	}
	return ""
}

func (a NewResourceAlert) EventAccount() string    { return a.AccountID }
func (w LightsailWarn) EventAccount() string       { return w.Traffic.AccountID }
func (s LightsailStop) EventAccount() string       { return s.Traffic.AccountID }
func (b LightsailBlind) EventAccount() string      { return b.Traffic.AccountID }
func (f LightsailStopFailed) EventAccount() string { return f.Traffic.AccountID }
func (s LightsailStart) EventAccount() string      { return s.Traffic.AccountID }
