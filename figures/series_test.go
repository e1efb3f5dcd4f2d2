package figures

import (
	"context"
	"fmt"
	"testing"
	"time"

	"costbot/models"
)

func TestHourlySeries(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	end := figUTC("2025-03-10 13:00")                                                                                                   // the 24 hours 2025-03-09 13:00 .. 2025-03-10 12:00
	writeHour(t, s, figUTC("2025-03-09 12:00"), []models.CostRecord{record(figUTC("2025-03-09 12:00"), "rds", "us-east-1", "db-1", 5)}) // before the window
	writeHour(t, s, figUTC("2025-03-09 13:00"), []models.CostRecord{record(figUTC("2025-03-09 13:00"), "vpc", "us-east-1", "nat-1", 0.045)})
	writeHour(t, s, figUTC("2025-03-10 12:00"), []models.CostRecord{
		record(figUTC("2025-03-10 12:00"), "ec2", "us-east-1", "i-1", 0.1064),
		record(figUTC("2025-03-10 12:00"), "vpc", "us-east-1", "nat-1", 0.045),
		{Hour: figUTC("2025-03-10 12:00"), Service: "q", Region: "us-east-1", ResourceID: "app-1", PriceSource: models.SourceUnpriced},
	}, models.ResourceRow{Key: "q/us-east-1/app-1", Service: "q", Region: "us-east-1", ResourceID: "app-1", Active: true})
	writeHour(t, s, end, []models.CostRecord{record(end, "rds", "us-east-1", "db-1", 7)}) // the hour of end: after the window
	r := newReader(t, s, map[string]string{"REPORT_TZ": "Asia/Shanghai"})
	ser, err := r.HourlySeries(ctx, nil, end)
	if err != nil {
		t.Fatal(err)
	}
	// EC2's 0.1064 outweighs VPC's 2 × 0.045 = 0.09: it is stacked first.
	if fmt.Sprint(ser.Services) != "[ec2 vpc]" || len(ser.Buckets) != SeriesHours || len(ser.Values) != 2 {
		t.Fatalf("services %v, %d buckets, %d rows of values", ser.Services, len(ser.Buckets), len(ser.Values))
	}
	if ser.Values[1][0] != 0.045 || ser.Values[1][23] != 0.045 || ser.Values[0][23] != 0.1064 || ser.Values[0][0] != 0 {
		t.Errorf("values = %v", ser.Values)
	}
	if ser.Loc.String() != "Asia/Shanghai" {
		t.Errorf("zone %v, want REPORT_TZ", ser.Loc)
	}
	// The buckets are the hours from 13:00 UTC, 21:00 in Shanghai.
	if !ser.Buckets[0].Equal(figUTC("2025-03-09 13:00")) || !ser.Buckets[23].Equal(figUTC("2025-03-10 12:00")) ||
		ser.Buckets[23].Location().String() != "Asia/Shanghai" || ser.Buckets[23].Format("15:04") != "20:00" {
		t.Errorf("buckets %v .. %v", ser.Buckets[0], ser.Buckets[23])
	}
	if fmt.Sprintf("%.4f", ser.Total()) != "0.1964" {
		t.Errorf("total = %v", ser.Total())
	}
	// The unpriced Amazon Q app costs nothing on the chart and is counted apart.
	if len(ser.Unpriced) != 1 || ser.Unpriced["q"] != 1 {
		t.Errorf("unpriced = %v", ser.Unpriced)
	}
	// A viewer of another account sees nothing of it.
	other, err := r.HourlySeries(ctx, Scope{"999999999999"}, end)
	if err != nil || !other.Empty() || other.Total() != 0 || len(other.Unpriced) != 0 {
		t.Errorf("another account's series = %+v (%v)", other, err)
	}
}

func TestDailySeries(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	tz, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Date(2025, 3, 10, 0, 0, 0, 0, tz)
	// Each day's cost is written at 04:00 in Shanghai: 20:00 UTC of the day before.
	for _, d := range []struct {
		day time.Time
		usd float64
	}{
		{today, 2},
		{today.AddDate(0, 0, -29), 1},
		{today.AddDate(0, 0, -30), 100}, // too old
	} {
		h := d.day.Add(4 * time.Hour).UTC()
		writeHour(t, s, h, []models.CostRecord{record(h, "ec2", "us-east-1", "i-1", d.usd)})
	}
	r := newReader(t, s, map[string]string{"REPORT_TZ": "Asia/Shanghai"})
	d, err := r.DailySeries(ctx, nil, today.Add(12*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Buckets) != SeriesDays || fmt.Sprint(d.Services) != "[ec2]" || d.Values[0][29] != 2 || d.Values[0][0] != 1 || d.Total() != 3 {
		t.Fatalf("daily = %v %v %v", d.Buckets, d.Services, d.Values)
	}
	if !d.Buckets[29].Equal(today) || !d.Buckets[0].Equal(today.AddDate(0, 0, -29)) || d.Buckets[29].Format("01-02") != "03-10" {
		t.Errorf("days %v .. %v, want %v last", d.Buckets[0], d.Buckets[29], today)
	}
}

func TestMonthlySeries(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	before, april, march := figUTC("2024-03-15 00:00"), figUTC("2024-04-15 00:00"), figUTC("2025-03-01 00:00")
	writeHour(t, s, before, []models.CostRecord{record(before, "ec2", "us-east-1", "i-1", 50)}) // 13 months back
	writeHour(t, s, april, []models.CostRecord{record(april, "ec2", "us-east-1", "i-1", 70)})
	writeHour(t, s, march, []models.CostRecord{record(march, "ec2", "us-east-1", "i-1", 3.63), record(march, "lambda", "us-east-1", "fn-1", 0)})
	r := newReader(t, s, nil)
	m, err := r.MonthlySeries(ctx, nil, figUTC("2025-03-01 00:30"))
	if err != nil {
		t.Fatal(err)
	}
	// Lambda cost nothing: a service of zeros is not stacked.
	if len(m.Buckets) != SeriesMonths || fmt.Sprint(m.Services) != "[ec2]" || m.Values[0][0] != 70 || m.Values[0][11] != 3.63 {
		t.Fatalf("monthly = %v %v %v", m.Buckets, m.Services, m.Values)
	}
	if !m.Buckets[0].Equal(figUTC("2024-04-01 00:00")) || !m.Buckets[11].Equal(figUTC("2025-03-01 00:00")) || m.Loc != time.UTC {
		t.Errorf("months %v .. %v in %v", m.Buckets[0], m.Buckets[11], m.Loc)
	}
}

// A series of zeros is empty: no bar to draw.
func TestSeriesOfZerosIsEmpty(t *testing.T) {
	s := openStore(t)
	h := figUTC("2025-03-10 12:00")
	writeHour(t, s, h, []models.CostRecord{record(h, "ec2", "us-east-1", "i-1", 0)})
	ser, err := newReader(t, s, nil).HourlySeries(context.Background(), nil, h.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !ser.Empty() || len(ser.Buckets) != SeriesHours {
		t.Errorf("a series of zeros = %+v, want empty with %d buckets", ser, SeriesHours)
	}
}
