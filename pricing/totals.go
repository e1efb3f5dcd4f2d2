package pricing

import "costbot/models"

// ServiceTotal is one service's share of the totals.
type ServiceTotal struct {
	Count      int     `json:"count"`
	Unpriced   int     `json:"unpriced,omitempty"`
	HourlyUSD  float64 `json:"hourly_usd"`
	MonthlyUSD float64 `json:"monthly_usd"`
}

// Totals sums priced resources. Monthly is the hourly rate over a 730-hour month.
// Unpriced resources are counted, never added as $0.
type Totals struct {
	Count      int                     `json:"count"`
	Unpriced   int                     `json:"unpriced"`
	HourlyUSD  float64                 `json:"hourly_usd"`
	MonthlyUSD float64                 `json:"monthly_usd"`
	Source     string                  `json:"price_source"` // the weakest source among priced resources
	ByService  map[string]ServiceTotal `json:"by_service"`
}

// TotalsOf adds up a priced scan.
func TotalsOf(priced []models.PricedResource) Totals {
	t := Totals{ByService: map[string]ServiceTotal{}}
	for _, pr := range priced {
		s := t.ByService[pr.Service]
		s.Count++
		t.Count++
		if !pr.Priced {
			s.Unpriced++
			t.Unpriced++
		} else {
			s.HourlyUSD += pr.HourlyUSD
			s.MonthlyUSD += pr.HourlyUSD * models.HoursPerMonth
			t.HourlyUSD += pr.HourlyUSD
			t.Source = weakerSource(t.Source, pr.Source)
		}
		t.ByService[pr.Service] = s
	}
	t.MonthlyUSD = t.HourlyUSD * models.HoursPerMonth
	return t
}
