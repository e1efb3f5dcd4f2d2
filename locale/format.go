package locale

import (
	"math"
	"strconv"
	"strings"
)

// How costbot writes a figure, the same in every language and on every face. Amounts
// are US dollars.

// USD is an amount with cents and thousands separators ($1,234.56); a non-zero amount
// under half a cent keeps four decimals ($0.0042) rather than reading as $0.00.
func USD(v float64) string {
	digits := 2
	if a := math.Abs(v); a > 0 && a < 0.005 {
		digits = 4
	}
	return Money(v, digits)
}

// Rate is an hourly amount with four decimals ($0.1064), enough for the cheapest
// resources' prices.
func Rate(v float64) string { return Money(v, 4) }

// Money is an amount with digits decimals and thousands separators; a negative amount
// that rounds to zero shows no sign.
func Money(v float64, digits int) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', digits, 64)
	sign := ""
	if v < 0 && strings.Trim(s, "0.") != "" {
		sign = "-"
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	b.WriteByte('$')
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// Diff is a signed difference in cents: +$7.20, -$1.05, and $0.00 for the float dust
// by which sums of many lines differ.
func Diff(v float64) string {
	if math.Abs(v) < 0.005 {
		return "$0.00"
	}
	if v > 0 {
		return "+" + USD(v)
	}
	return USD(v)
}

// Percent is a share with one decimal: 66.7%.
func Percent(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }

// Change is a signed change in percent: +12.5%, -3.0%.
func Change(v float64) string {
	if v >= 0 {
		return "+" + Percent(v)
	}
	return "-" + Percent(-v)
}

// GB is bytes in GB of 10^9 bytes, the unit of AWS's transfer allowances and bills:
// 10.00 GB.
func GB(bytes float64) string { return strconv.FormatFloat(bytes/1e9, 'f', 2, 64) + " GB" }

// Bytes is a size in binary units: 512 B, 1.5 KiB, 12.3 MiB.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64) + " " + string("KMGTPE"[exp]) + "iB"
}
