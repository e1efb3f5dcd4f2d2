package models

// Which account an event belongs to, so it reaches only the chats that see it
// (TELEGRAM_CHAT_ACCOUNTS). Event data about one account says which with EventAccount;
// any other event (a budget, the burn rate, a closed bill, the daily report) is about
// every account.

// accountEvent is event data about one account.
type accountEvent interface{ EventAccount() string }

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
