package models

import "gorm.io/gorm"

// The stores of costbot's aggregates, one per group of tables. Each is a handle on the
// shared database; Store embeds them all.

// CostHistory is the cost history: the resources, each hour's cost rows and summaries,
// their daily rollups, Lambda records, the monthly summaries and their closing, the
// collector's alert states and queued cost events, and the price cache.
type CostHistory struct{ db *gorm.DB }

// Billing is AWS's own bill: Cost Explorer's lines per service and account, the billed
// months, the requests made to Cost Explorer and the billing status.
type Billing struct{ db *gorm.DB }

// Lightsail is the Lightsail guard's record: every check of every watched instance and
// every action it took, with the push each raised.
type Lightsail struct{ db *gorm.DB }

// Outbox is the delivery queue: every Telegram message to send, until sent or dropped.
type Outbox struct{ db *gorm.DB }

// Directory is who and what costbot knows: chats (their language, account, whether they
// block the bot), dashboard logins and sessions, AWS accounts, and the jobs' runs.
type Directory struct{ db *gorm.DB }
