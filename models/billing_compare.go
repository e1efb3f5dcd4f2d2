package models

import (
	"math"
	"slices"
	"strings"
	"time"
)

// BilledLineSum is one (service, usage type, record type) of AWS's bill summed over
// some days.
type BilledLineSum struct {
	Service      string
	UsageType    string
	Record       string
	UnblendedUSD float64
	NetUSD       float64
	Quantity     float64
	Unit         string
}

// ServiceComparison is one costbot service: what costbot estimated and what AWS billed
// for the same days.
type ServiceComparison struct {
	Service      string
	EstimatedUSD float64
	BilledUSD    float64
	// TopUsageType is the service's usage type AWS billed most for, the likeliest
	// source of a difference.
	TopUsageType string
	TopUSD       float64
	OverageUSD   float64 // Lightsail: data transfer overage, part of BilledUSD
}

// DiffUSD is billed minus estimated: positive when AWS billed more.
func (s ServiceComparison) DiffUSD() float64 { return s.BilledUSD - s.EstimatedUSD }

// OverEstimate reports whether AWS billed the service more than costbot estimated for the
// same days by more than max($1, 10 % of the estimate): the rule of the difference alert,
// and when /bill names the usage type behind the difference.
func (s ServiceComparison) OverEstimate() bool {
	return s.DiffUSD() > math.Max(1, 0.1*s.EstimatedUSD)
}

// BilledLine is a billed amount costbot does not estimate, under its own name.
type BilledLine struct {
	Name string
	USD  float64
}

// RegionOverage is Lightsail data transfer overage AWS billed in one region.
type RegionOverage struct {
	Region string
	GB     float64
	USD    float64
}

// BillComparison holds costbot's estimate against AWS's bill for the billed days of a
// month: per service, the lines costbot does not estimate, credits, and totals.
type BillComparison struct {
	Month   string
	From    time.Time // first billed day (midnight UTC)
	Through time.Time // last billed day (midnight UTC)
	Days    int
	// EstimatedDays are the billed days costbot collected any hour of: the difference
	// alert compares only months where it estimated every billed day.
	EstimatedDays int
	// Final is true once AWS finalised the month; until then the figures are provisional.
	Final    bool
	Services []ServiceComparison // highest billed first
	Other    []BilledLine        // billed, not estimated by costbot, highest first
	Credits  []BilledLine        // credits and refunds, negative, by service
	Overage  []RegionOverage     // Lightsail overage per region
	// GrossUSD is every billed charge before credits; NetUSD is what AWS says is owed
	// after discounts, credits and refunds; CreditsUSD is the credits and refunds (≤ 0).
	GrossUSD   float64
	NetUSD     float64
	CreditsUSD float64
	// EstimatedUSD is costbot's estimate of every service for the same days.
	EstimatedUSD float64
}

// Empty reports whether AWS billed nothing costbot holds for the month.
func (c BillComparison) Empty() bool { return c.Days == 0 }

// Covered reports whether costbot estimated every billed day.
func (c BillComparison) Covered() bool { return c.Days > 0 && c.EstimatedDays >= c.Days }

// OverageGB is the Lightsail overage billed in every region.
func (c BillComparison) OverageGB() float64 {
	var gb float64
	for _, o := range c.Overage {
		gb += o.GB
	}
	return gb
}

// gigabytes reads a usage quantity as GB (10^9 bytes).
func gigabytes(quantity float64, unit string) float64 {
	switch strings.ToLower(unit) {
	case "bytes":
		return quantity / 1e9
	case "mb":
		return quantity / 1e3
	case "tb":
		return quantity * 1e3
	}
	return quantity
}

// CompareBill sets the billed lines beside costbot's estimates (per service, for the
// same days). estimated are the services costbot estimates (COST_SERVICES): a billed
// line of any other service keeps Cost Explorer's name among the lines costbot does not
// estimate.
func CompareBill(lines []BilledLineSum, estimates []ServiceCost, estimated []string) BillComparison {
	var c BillComparison
	services := map[string]*ServiceComparison{}
	service := func(key string) *ServiceComparison {
		s, ok := services[key]
		if !ok {
			s = &ServiceComparison{Service: key}
			services[key] = s
		}
		return s
	}
	other := map[string]float64{}
	credits := map[string]float64{}
	overage := map[string]*RegionOverage{}
	for _, l := range lines {
		c.NetUSD += l.NetUSD
		kind := ClassifyBilled(l.Service, l.UsageType, l.Record)
		if kind.Line == LineCredits || kind.Line == LineRefunds {
			c.CreditsUSD += l.UnblendedUSD
			name := l.Service
			if name == "" {
				name = kind.Line
			}
			credits[name] += l.UnblendedUSD
			continue
		}
		c.GrossUSD += l.UnblendedUSD
		if kind.Overage {
			region := UsageRegion(l.UsageType)
			o, ok := overage[region]
			if !ok {
				o = &RegionOverage{Region: region}
				overage[region] = o
			}
			o.GB += gigabytes(l.Quantity, l.Unit)
			o.USD += l.UnblendedUSD
		}
		if kind.Service != "" && !slices.Contains(estimated, kind.Service) {
			kind = BilledKind{Line: l.Service}
		}
		if kind.Service == "" {
			other[kind.Line] += l.UnblendedUSD
			continue
		}
		s := service(kind.Service)
		s.BilledUSD += l.UnblendedUSD
		if kind.Overage {
			s.OverageUSD += l.UnblendedUSD
		}
		if l.UnblendedUSD > s.TopUSD {
			s.TopUsageType, s.TopUSD = l.UsageType, l.UnblendedUSD
		}
	}
	for _, e := range estimates {
		if slices.Contains(estimated, e.Service) {
			service(e.Service).EstimatedUSD += e.USD
		}
		c.EstimatedUSD += e.USD
	}
	for _, s := range services {
		if round2(s.BilledUSD) == 0 && round2(s.EstimatedUSD) == 0 {
			continue
		}
		c.Services = append(c.Services, *s)
	}
	slices.SortFunc(c.Services, func(a, b ServiceComparison) int {
		if d := cmpDesc(a.BilledUSD, b.BilledUSD); d != 0 {
			return d
		}
		if d := cmpDesc(a.EstimatedUSD, b.EstimatedUSD); d != 0 {
			return d
		}
		return strings.Compare(a.Service, b.Service)
	})
	c.Other = sortedLines(other)
	c.Credits = sortedLines(credits)
	for _, o := range overage {
		c.Overage = append(c.Overage, *o)
	}
	slices.SortFunc(c.Overage, func(a, b RegionOverage) int { return strings.Compare(a.Region, b.Region) })
	return c
}

// sortedLines lists amounts by size (largest magnitude first), then name.
func sortedLines(m map[string]float64) []BilledLine {
	out := make([]BilledLine, 0, len(m))
	for name, usd := range m {
		if round2(usd) != 0 {
			out = append(out, BilledLine{Name: name, USD: usd})
		}
	}
	slices.SortFunc(out, func(a, b BilledLine) int {
		if d := cmpDesc(math.Abs(a.USD), math.Abs(b.USD)); d != 0 {
			return d
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// ForecastWithBilled is the month-end forecast with the billed days in AWS's figures:
// the estimate's forecast with costbot's estimate of those days replaced by what AWS
// billed for them (gross of credits, so tax and the lines costbot does not estimate
// count for the days billed).
func ForecastWithBilled(estimateForecast float64, c BillComparison) float64 {
	if c.Empty() {
		return estimateForecast
	}
	return estimateForecast - c.EstimatedUSD + c.GrossUSD
}
