package models

// postgresSQL is the PostgreSQL text of the statements whose SQLite text PostgreSQL does
// not take: SQLite's JSON table functions, its bare columns beside MAX(), TOTAL(), and
// parameters whose type PostgreSQL cannot infer. forDB picks it.
var postgresSQL = map[string]string{
	qHourValue: `(CAST(? AS BIGINT))`,
	jsonElements: `(SELECT e.value, e.n - 1 AS key
		FROM json_array_elements(CAST(? AS json)) WITH ORDINALITY AS e(value, n)) AS j`,
	qTouchResources: `UPDATE resources SET last_seen = ? WHERE key IN (SELECT json_array_elements_text(CAST(? AS json)))`,
	// The label of the day's last hour is the first of the day's labels ordered by hour,
	// newest first.
	qRollupDay: `INSERT INTO cost_days AS d (day, key_id, label_id, cost_usd, hours, estimated_hours)
		SELECT CAST(? AS BIGINT), key_id, label_id, cost, hours, estimated FROM (
			SELECT key_id, (array_agg(label_id ORDER BY hour DESC))[1] AS label_id, SUM(cost_usd) AS cost,
				COUNT(*) AS hours, SUM(estimated) AS estimated
			FROM cost_hourly WHERE hour >= ? AND hour < ? GROUP BY key_id) AS r
		ON CONFLICT (day, key_id) DO UPDATE SET cost_usd = d.cost_usd + excluded.cost_usd, hours = d.hours + excluded.hours,
			estimated_hours = d.estimated_hours + excluded.estimated_hours, label_id = excluded.label_id`,
	qHourlyServices: `SELECT CAST(hour AS TEXT), service, SUM(cost_usd) FROM cost_summary WHERE hour >= ? AND hour < ? GROUP BY hour, service ORDER BY hour, service`,
}
