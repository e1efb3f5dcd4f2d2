package web

import (
	"fmt"
	"testing"
	"time"

	"costbot/models"
)

func TestHourChart(t *testing.T) {
	latest := utc("2025-03-10 12:00")
	tz, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	costs := []models.HourServiceCost{
		{Hour: latest.Add(-30 * time.Hour), Service: "rds", USD: 9}, // before the window: left out
		{Hour: latest.Add(-23 * time.Hour), Service: "ec2", USD: 0.1},
		{Hour: latest, Service: "ec2", USD: 0.2},
		{Hour: latest, Service: "vpc", USD: 0.5},
	}
	c := hourChart(translatorFor("en"), costs, latest, tz)
	if len(c.Labels) != 24 || c.Labels[0] != "21:00" || c.Labels[23] != "20:00" {
		t.Errorf("labels %v: want 24 hours in REPORT_TZ, 21:00 to 20:00", c.Labels)
	}
	// VPC cost more in all (0.5 > 0.3), so it comes first.
	got := fmt.Sprintf("%s %v %s %v %v", c.Series[0].Name, c.Series[0].Values[23], c.Series[1].Name, c.Series[1].Values[0], c.Series[1].Values[23])
	if len(c.Series) != 2 || got != "VPC 0.5 EC2 0.1 0.2" {
		t.Errorf("series %+v", c.Series)
	}
}

func TestMonthChart(t *testing.T) {
	bills := []models.Bill{
		{Month: "2025-01", Services: []models.ServiceCost{{Service: "s3", USD: 1}}},
		{Month: "2025-02", Services: []models.ServiceCost{{Service: "ec2", USD: 7}, {Service: "s3", USD: 2}}},
	}
	c := monthChart(translatorFor("zh"), bills)
	if fmt.Sprint(c.Labels) != "[2025-01 2025-02]" {
		t.Errorf("labels %v", c.Labels)
	}
	if len(c.Series) != 2 || c.Series[0].Name != "EC2" || fmt.Sprint(c.Series[0].Values) != "[0 7]" || fmt.Sprint(c.Series[1].Values) != "[1 2]" {
		t.Errorf("series %+v", c.Series)
	}
}
