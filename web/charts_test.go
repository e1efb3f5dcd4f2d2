package web

import (
	"fmt"
	"testing"
	"time"

	"costbot/figures"
)

func TestHourChart(t *testing.T) {
	latest := utc("2025-03-10 12:00")
	tz, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// The read model's 24 hours up to latest, in REPORT_TZ, VPC costing more in all (0.5 > 0.3).
	fs := figures.Series{Loc: tz, Services: []string{"vpc", "ec2"}, Values: [][]float64{make([]float64, 24), make([]float64, 24)}}
	for i := range 24 {
		fs.Buckets = append(fs.Buckets, latest.Add(time.Duration(i-23)*time.Hour))
	}
	fs.Values[0][23], fs.Values[1][0], fs.Values[1][23] = 0.5, 0.1, 0.2
	c := chartOf(translatorFor("en"), fs, func(t time.Time) string { return t.Format("15:04") })
	if len(c.Labels) != 24 || c.Labels[0] != "21:00" || c.Labels[23] != "20:00" {
		t.Errorf("labels %v: want 24 hours in REPORT_TZ, 21:00 to 20:00", c.Labels)
	}
	// The series keep the read model's order, the costliest first, named for a person.
	got := fmt.Sprintf("%s %v %s %v %v", c.Series[0].Name, c.Series[0].Values[23], c.Series[1].Name, c.Series[1].Values[0], c.Series[1].Values[23])
	if len(c.Series) != 2 || got != "VPC 0.5 EC2 0.1 0.2" {
		t.Errorf("series %+v", c.Series)
	}
}

func TestMonthChart(t *testing.T) {
	fs := figures.Series{Loc: time.UTC, Buckets: []time.Time{utc("2025-01-01 00:00"), utc("2025-02-01 00:00")},
		Services: []string{"ec2", "s3"}, Values: [][]float64{{0, 7}, {1, 2}}}
	c := chartOf(translatorFor("zh"), fs, func(t time.Time) string { return t.Format("2006-01") })
	if fmt.Sprint(c.Labels) != "[2025-01 2025-02]" {
		t.Errorf("labels %v", c.Labels)
	}
	if len(c.Series) != 2 || c.Series[0].Name != "EC2" || fmt.Sprint(c.Series[0].Values) != "[0 7]" || fmt.Sprint(c.Series[1].Values) != "[1 2]" {
		t.Errorf("series %+v", c.Series)
	}
}
