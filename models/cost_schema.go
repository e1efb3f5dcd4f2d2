package models

import (
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// The cost history's tables are laid out for size, since they are what grows: a year of
// hourly collections of 1,000 resources must stay under 150 MB.
//
//   - cost_keys names each resource once (account, service, region, resource ID) and
//     cost_labels each description once (account, name, type, price source); the
//     per-hour and per-day rows hold their small integer IDs instead of the text.
//   - cost_hourly (one row per resource per hour, kept COST_HOURLY_RETENTION) and
//     cost_days (one row per resource per UTC day, rolled up from it) are WITHOUT
//     ROWID tables whose primary key is their natural key, with times as unix seconds,
//     so the key is stored once and there is no second index.
//   - cost_summary (one row per hour, account, service and region, kept for good) is a
//     WITHOUT ROWID table keyed on (hour, account_id, service, region).
//   - cost_records and cost_daily, the tables of earlier versions, are views with the
//     columns they had (hours as the same UTC text), so SQL written against them reads
//     the same rows; cost_records also takes inserts.
//
// costSchema creates what is missing; migrateCostSchema first moves a database of the
// earlier layout into it.
var costSchema = []string{
	createCostKeys("cost_keys"),
	`CREATE TABLE IF NOT EXISTS cost_labels (
		id INTEGER PRIMARY KEY,
		account_id TEXT NOT NULL,
		name TEXT NOT NULL,
		type TEXT NOT NULL,
		price_source TEXT NOT NULL,
		UNIQUE (account_id, name, type, price_source))`,
	// hour: unix seconds (UTC); key_id: cost_keys.id; label_id: cost_labels.id.
	`CREATE TABLE IF NOT EXISTS cost_hourly (
		hour INTEGER NOT NULL,
		key_id INTEGER NOT NULL,
		label_id INTEGER NOT NULL,
		cost_usd REAL NOT NULL,
		estimated INTEGER NOT NULL,
		PRIMARY KEY (hour, key_id)) WITHOUT ROWID`,
	// day: unix seconds of midnight UTC; label_id: the label of the day's last hour.
	`CREATE TABLE IF NOT EXISTS cost_days (
		day INTEGER NOT NULL,
		key_id INTEGER NOT NULL,
		label_id INTEGER NOT NULL,
		cost_usd REAL NOT NULL,
		hours INTEGER NOT NULL,
		estimated_hours INTEGER NOT NULL,
		PRIMARY KEY (day, key_id)) WITHOUT ROWID`,
	createCostSummary("cost_summary"),
	`CREATE VIEW IF NOT EXISTS cost_records AS
		SELECT ` + unixToText("r.hour") + ` AS hour, k.service, k.region, k.resource_id,
			k.account_id, l.name, l.type, r.cost_usd, l.price_source, r.estimated
		FROM cost_hourly AS r JOIN cost_keys AS k ON k.id = r.key_id JOIN cost_labels AS l ON l.id = r.label_id`,
	`CREATE VIEW IF NOT EXISTS cost_daily AS
		SELECT ` + unixToText("d.day") + ` AS day, k.service, k.region, k.resource_id,
			k.account_id, l.name, l.type, d.cost_usd, d.hours, d.estimated_hours
		FROM cost_days AS d JOIN cost_keys AS k ON k.id = d.key_id JOIN cost_labels AS l ON l.id = d.label_id`,
	// An insert into cost_records (hour as the UTC text GORM writes) lands in
	// cost_hourly, replacing the resource's row of that hour.
	`CREATE TRIGGER IF NOT EXISTS cost_records_insert INSTEAD OF INSERT ON cost_records BEGIN
		INSERT INTO cost_keys (account_id, service, region, resource_id)
			VALUES (COALESCE(NEW.account_id, ''), NEW.service, NEW.region, NEW.resource_id)
			ON CONFLICT DO NOTHING;
		INSERT INTO cost_labels (account_id, name, type, price_source)
			VALUES (COALESCE(NEW.account_id, ''), COALESCE(NEW.name, ''), COALESCE(NEW.type, ''), COALESCE(NEW.price_source, ''))
			ON CONFLICT DO NOTHING;
		INSERT INTO cost_hourly (hour, key_id, label_id, cost_usd, estimated) VALUES (
			unixepoch(NEW.hour),
			(SELECT id FROM cost_keys WHERE account_id = COALESCE(NEW.account_id, '') AND service = NEW.service
				AND region = NEW.region AND resource_id = NEW.resource_id),
			(SELECT id FROM cost_labels WHERE account_id = COALESCE(NEW.account_id, '') AND name = COALESCE(NEW.name, '')
				AND type = COALESCE(NEW.type, '') AND price_source = COALESCE(NEW.price_source, '')),
			COALESCE(NEW.cost_usd, 0), COALESCE(NEW.estimated, 0))
			ON CONFLICT (hour, key_id) DO UPDATE SET label_id = excluded.label_id, cost_usd = excluded.cost_usd,
				estimated = excluded.estimated;
	END`,
}

// createCostKeys is the statement that creates the cost_keys table under name.
func createCostKeys(name string) string {
	return `CREATE TABLE IF NOT EXISTS ` + name + ` (
		id INTEGER PRIMARY KEY,
		account_id TEXT NOT NULL,
		service TEXT NOT NULL,
		region TEXT NOT NULL,
		resource_id TEXT NOT NULL,
		UNIQUE (account_id, service, region, resource_id))`
}

// createCostSummary is the statement that creates the cost_summary table under name.
// Its column types are those GORM gives CostSummary's fields, so hours are the UTC text
// the driver writes for a time.Time and read back as one.
func createCostSummary(name string) string {
	return `CREATE TABLE IF NOT EXISTS ` + name + ` (
		hour DATETIME NOT NULL,
		account_id TEXT NOT NULL DEFAULT '',
		service TEXT NOT NULL,
		region TEXT NOT NULL,
		cost_usd REAL,
		resource_count INTEGER,
		estimated NUMERIC,
		PRIMARY KEY (hour, account_id, service, region)) WITHOUT ROWID`
}

// onlyAccount is the account of a database written before costbot watched more than
// one: the account its descriptions name ("" when none does).
const onlyAccount = `(SELECT COALESCE(MAX(account_id), '') FROM cost_labels)`

// accountSteps bring the tables of the layout before accounts (cost_keys and
// cost_summary without account_id) to the current one: the views and the trigger that
// read them go (costSchema makes them again), each table is copied into one with the
// account in its key, keeping the IDs, and takes the old one's name.
func accountSteps(keys, summary bool) []string {
	steps := []string{`DROP TRIGGER IF EXISTS cost_records_insert`, `DROP VIEW IF EXISTS cost_records`, `DROP VIEW IF EXISTS cost_daily`}
	if keys {
		steps = append(steps,
			createCostKeys("cost_keys_new"),
			`INSERT INTO cost_keys_new (id, account_id, service, region, resource_id)
				SELECT id, `+onlyAccount+`, service, region, resource_id FROM cost_keys`,
			`DROP TABLE cost_keys`,
			`ALTER TABLE cost_keys_new RENAME TO cost_keys`)
	}
	if summary {
		steps = append(steps,
			createCostSummary("cost_summary_new"),
			`INSERT INTO cost_summary_new (hour, account_id, service, region, cost_usd, resource_count, estimated)
				SELECT hour, `+onlyAccount+`, service, region, cost_usd, resource_count, estimated FROM cost_summary`,
			`DROP TABLE cost_summary`,
			`ALTER TABLE cost_summary_new RENAME TO cost_summary`)
	}
	return steps
}

// unixToText turns unix seconds into the text the SQLite driver writes for a UTC
// time.Time ("2025-01-01 00:00:00+00:00"), which earlier versions stored.
func unixToText(col string) string {
	return `strftime('%Y-%m-%d %H:%M:%S+00:00', ` + col + `, 'unixepoch')`
}

// migrateCostSchema brings the cost tables to the current layout in one transaction:
// tables of the earlier layout (cost_records and cost_daily as tables, cost_summary with
// an id column) are copied into the new ones and dropped. It reports whether it moved
// anything, so the caller can give the freed space back.
func migrateCostSchema(db *gorm.DB) (migrated bool, err error) {
	err = db.Transaction(func(tx *gorm.DB) error {
		oldRecords, err := isTable(tx, "cost_records")
		if err != nil {
			return err
		}
		oldDaily, err := isTable(tx, "cost_daily")
		if err != nil {
			return err
		}
		oldSummary, err := hasColumn(tx, "cost_summary", "id")
		if err != nil {
			return err
		}
		keysNoAccount, err := lacksColumn(tx, "cost_keys", "account_id")
		if err != nil {
			return err
		}
		summaryNoAccount, err := lacksColumn(tx, "cost_summary", "account_id")
		if err != nil {
			return err
		}
		summaryNoAccount = summaryNoAccount && !oldSummary
		if keysNoAccount || summaryNoAccount {
			if err := execAll(tx, accountSteps(keysNoAccount, summaryNoAccount)); err != nil {
				return fmt.Errorf("accounts: %w", err)
			}
		}
		if oldSummary {
			// SQLite's way to change a table's key: a new table, the rows, a rename.
			steps := []string{
				createCostSummary("cost_summary_new"),
				`INSERT INTO cost_summary_new (hour, service, region, cost_usd, resource_count, estimated)
					SELECT hour, service, region, cost_usd, resource_count, estimated FROM cost_summary WHERE true
					ON CONFLICT DO NOTHING`,
				`DROP TABLE cost_summary`,
				`ALTER TABLE cost_summary_new RENAME TO cost_summary`,
			}
			if err := execAll(tx, steps); err != nil {
				return fmt.Errorf("cost_summary: %w", err)
			}
		}
		if oldRecords {
			if err := tx.Exec(`ALTER TABLE cost_records RENAME TO cost_records_old`).Error; err != nil {
				return fmt.Errorf("cost_records: %w", err)
			}
		}
		if oldDaily {
			if err := tx.Exec(`ALTER TABLE cost_daily RENAME TO cost_daily_old`).Error; err != nil {
				return fmt.Errorf("cost_daily: %w", err)
			}
		}
		if err := execAll(tx, costSchema); err != nil {
			return err
		}
		if oldRecords {
			if err := execAll(tx, copyOldRows("cost_records_old", "hour", "cost_hourly",
				"cost_usd, estimated", "COALESCE(o.cost_usd, 0), COALESCE(o.estimated, 0)", "o.price_source")); err != nil {
				return fmt.Errorf("cost_records: %w", err)
			}
		}
		if oldDaily {
			if err := execAll(tx, copyOldRows("cost_daily_old", "day", "cost_days",
				"cost_usd, hours, estimated_hours", "COALESCE(o.cost_usd, 0), COALESCE(o.hours, 0), COALESCE(o.estimated_hours, 0)", "''")); err != nil {
				return fmt.Errorf("cost_daily: %w", err)
			}
		}
		if oldSummary {
			// The oldest layout's summaries come before any label: they take the
			// account of the rows copied with them.
			if err := tx.Exec(`UPDATE cost_summary SET account_id = ` + onlyAccount + ` WHERE account_id = ''`).Error; err != nil {
				return fmt.Errorf("cost_summary: %w", err)
			}
		}
		migrated = oldRecords || oldDaily || oldSummary || keysNoAccount || summaryNoAccount
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("cost tables: %w", err)
	}
	return migrated, nil
}

// copyOldRows are the statements that move a table of the earlier layout (old, with
// text times in timeCol and the text key and description columns) into to, and drop
// it. values are to's own columns, taken from old (alias o) by exprs; source is the
// price source expression (old daily rows had none).
func copyOldRows(old, timeCol, to, values, exprs, source string) []string {
	label := `COALESCE(o.account_id, ''), COALESCE(o.name, ''), COALESCE(o.type, ''), COALESCE(` + source + `, '')`
	return []string{
		`INSERT INTO cost_keys (account_id, service, region, resource_id)
			SELECT DISTINCT COALESCE(account_id, ''), service, region, resource_id FROM ` + old + ` WHERE true ON CONFLICT DO NOTHING`,
		`INSERT INTO cost_labels (account_id, name, type, price_source)
			SELECT DISTINCT ` + label + ` FROM ` + old + ` AS o WHERE true ON CONFLICT DO NOTHING`,
		`INSERT INTO ` + to + ` (` + timeCol + `, key_id, label_id, ` + values + `)
			SELECT unixepoch(o.` + timeCol + `), k.id, l.id, ` + exprs + `
			FROM ` + old + ` AS o
			JOIN cost_keys AS k ON k.account_id = COALESCE(o.account_id, '') AND k.service = o.service
				AND k.region = o.region AND k.resource_id = o.resource_id
			JOIN cost_labels AS l ON (l.account_id, l.name, l.type, l.price_source) = (` + label + `)
			WHERE true ON CONFLICT DO NOTHING`,
		`DROP TABLE ` + old,
	}
}

func execAll(tx *gorm.DB, statements []string) error {
	for _, q := range statements {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("%s: %w", strings.Join(strings.Fields(q)[:3], " "), err)
		}
	}
	return nil
}

// isTable reports whether name is a table (not a view, not missing).
func isTable(tx *gorm.DB, name string) (bool, error) {
	var n int
	err := tx.Raw(`SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n).Error
	return n > 0, err
}

// lacksColumn reports whether table exists without column.
func lacksColumn(tx *gorm.DB, table, column string) (bool, error) {
	exists, err := isTable(tx, table)
	if err != nil || !exists {
		return false, err
	}
	has, err := hasColumn(tx, table, column)
	return !has, err
}

// hasColumn reports whether table exists and has column.
func hasColumn(tx *gorm.DB, table, column string) (bool, error) {
	var n int
	err := tx.Raw(`SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, table, column).Scan(&n).Error
	return n > 0, err
}
