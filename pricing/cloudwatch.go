package pricing

import "costbot/models"

func planCloudWatch(r models.Resource) plan {
	region := priceRegion(r)
	l := lookup("AmazonCloudWatch", "regionCode", region)
	switch r.Kind {
	case models.KindMetricNamespace:
		return plan{charges: []charge{{name: "metrics", kind: perMonth, qty: usage(r, "metrics"),
			freePool: freeCWMetrics, tierPool: "tier:cloudwatch-metrics:" + region,
			price: ref(l, pickFirst(usageIs("CW:MetricMonitorUsage")), func() (Rate, bool) { return fallbackCWMetrics(region) })}}}
	case models.KindAlarm:
		// An alarm is priced per alarm metric per month: a monthly stock, never x730.
		n := usage(r, "metrics")
		if n == 0 {
			n = 1
		}
		if r.Type == "high-resolution" {
			return plan{charges: []charge{{name: "alarm", kind: perMonth, qty: n,
				price: ref(l, pickFirst(usageIs("CW:HighResAlarmMonitorUsage")), func() (Rate, bool) { return fallbackCWAlarm(region, true) })}}}
		}
		return plan{charges: []charge{{name: "alarm", kind: perMonth, qty: n, freePool: freeCWAlarms,
			price: ref(l, pickFirst(usageIs("CW:AlarmMonitorUsage")), func() (Rate, bool) { return fallbackCWAlarm(region, false) })}}}
	}
	return plan{charges: []charge{
		{name: "ingestion", kind: flow, qty: usage(r, "ingested_bytes_hour") / bytesPerGiB,
			freePool: freeCWLogsIngestGB, tierPool: "tier:cloudwatch-logs-ingested:" + region,
			price: ref(l, pickFirst(usageIs("DataProcessing-Bytes")), func() (Rate, bool) { return fallbackCWLogsIngest(region) })},
		{name: "storage", kind: perMonth, qty: usage(r, "stored_bytes") / bytesPerGiB,
			price: ref(l, pickFirst(usageIs("TimedStorage-ByteHrs")), func() (Rate, bool) { return fallbackCWLogsStorage(region) })},
	}}
}
